//go:build mpi

package distributed

/*
#cgo pkg-config: mpi
#include <mpi.h>
#include <stdlib.h>

static int dg_init(int *provided) {
	int r = MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, provided);
	if (r != MPI_SUCCESS) return r;
	// Return error codes instead of aborting inside the library, so the
	// Go side can name the failed collective before it aborts the job.
	return MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}
static int dg_rank(int *r) { return MPI_Comm_rank(MPI_COMM_WORLD, r); }
static int dg_size(int *s) { return MPI_Comm_size(MPI_COMM_WORLD, s); }
static int dg_allreduce_f32(float *buf, int n) {
	return MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
}
static int dg_allreduce_f64(double *buf, int n) {
	return MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}
static int dg_bcast_f32(float *buf, int n, int root) {
	return MPI_Bcast(buf, n, MPI_FLOAT, root, MPI_COMM_WORLD);
}
static int dg_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }
static void dg_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }
static int dg_finalize(void) { return MPI_Finalize(); }
static void dg_error_string(int code, char *buf) {
	int n = 0;
	if (MPI_Error_string(code, buf, &n) != MPI_SUCCESS) n = 0;
	buf[n] = 0;
}
*/
import "C"

import (
	"fmt"
	"os"
	"sync"
	"unsafe"
)

// MPIAvailable reports whether this binary was built with the MPI backend.
const MPIAvailable = true

// maxCount is the most elements one MPI call moves (its count is a C int);
// longer buffers go in pieces.
const maxCount = 1 << 30

// mpiComm is MPI_COMM_WORLD. MPI is initialised with MPI_THREAD_SERIALIZED
// because goroutines move between OS threads: calls may come from any
// thread, and mu makes sure they never overlap.
type mpiComm struct {
	mu         sync.Mutex
	rank, size int
	closed     bool
}

var initOnce struct {
	sync.Mutex
	done bool
}

// InitMPI initialises MPI (once per process) and returns MPI_COMM_WORLD.
// The process must have been started by an MPI launcher (mpirun, srun) or
// it runs as a job of one.
func InitMPI() (Comm, error) {
	initOnce.Lock()
	defer initOnce.Unlock()
	if initOnce.done {
		return nil, fmt.Errorf("mpi: InitMPI called twice")
	}
	// Open MPI's own handlers for SIGSEGV, SIGBUS, ... (which print a
	// backtrace) are installed without SA_ONSTACK and would break the Go
	// runtime's; keep Go's unless the user asked otherwise.
	if _, set := os.LookupEnv("OMPI_MCA_opal_signal"); !set {
		os.Setenv("OMPI_MCA_opal_signal", "")
	}
	var provided C.int
	if rc := C.dg_init(&provided); rc != C.MPI_SUCCESS {
		return nil, mpiError("MPI_Init_thread", rc)
	}
	initOnce.done = true
	if provided < C.MPI_THREAD_SERIALIZED {
		C.dg_abort(1)
		return nil, fmt.Errorf("mpi: the MPI library provides thread level %d, need MPI_THREAD_SERIALIZED (%d)", int(provided), int(C.MPI_THREAD_SERIALIZED))
	}
	c := &mpiComm{}
	var r, s C.int
	if rc := C.dg_rank(&r); rc != C.MPI_SUCCESS {
		return nil, mpiError("MPI_Comm_rank", rc)
	}
	if rc := C.dg_size(&s); rc != C.MPI_SUCCESS {
		return nil, mpiError("MPI_Comm_size", rc)
	}
	c.rank, c.size = int(r), int(s)
	return c, nil
}

func mpiError(call string, rc C.int) error {
	buf := (*C.char)(C.malloc(C.MPI_MAX_ERROR_STRING + 1))
	defer C.free(unsafe.Pointer(buf))
	C.dg_error_string(rc, buf)
	return fmt.Errorf("mpi: %s: %s (error %d)", call, C.GoString(buf), int(rc))
}

func (c *mpiComm) Rank() int { return c.rank }
func (c *mpiComm) Size() int { return c.size }

func (c *mpiComm) lock(call string) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return fmt.Errorf("mpi: %s after Close", call)
	}
	return nil
}

func (c *mpiComm) AllReduceSum(buf []float32) error {
	if err := c.lock("MPI_Allreduce"); err != nil {
		return err
	}
	defer c.mu.Unlock()
	for len(buf) > 0 {
		n := min(len(buf), maxCount)
		if rc := C.dg_allreduce_f32((*C.float)(unsafe.Pointer(&buf[0])), C.int(n)); rc != C.MPI_SUCCESS {
			return mpiError("MPI_Allreduce", rc)
		}
		buf = buf[n:]
	}
	return nil
}

func (c *mpiComm) AllReduceSumFloat64(buf []float64) error {
	if err := c.lock("MPI_Allreduce"); err != nil {
		return err
	}
	defer c.mu.Unlock()
	for len(buf) > 0 {
		n := min(len(buf), maxCount)
		if rc := C.dg_allreduce_f64((*C.double)(unsafe.Pointer(&buf[0])), C.int(n)); rc != C.MPI_SUCCESS {
			return mpiError("MPI_Allreduce", rc)
		}
		buf = buf[n:]
	}
	return nil
}

func (c *mpiComm) Broadcast(buf []float32, root int) error {
	if root < 0 || root >= c.size {
		panic(fmt.Sprintf("distributed: Broadcast: root %d of %d processes", root, c.size))
	}
	if err := c.lock("MPI_Bcast"); err != nil {
		return err
	}
	defer c.mu.Unlock()
	for len(buf) > 0 {
		n := min(len(buf), maxCount)
		if rc := C.dg_bcast_f32((*C.float)(unsafe.Pointer(&buf[0])), C.int(n), C.int(root)); rc != C.MPI_SUCCESS {
			return mpiError("MPI_Bcast", rc)
		}
		buf = buf[n:]
	}
	return nil
}

func (c *mpiComm) Barrier() error {
	if err := c.lock("MPI_Barrier"); err != nil {
		return err
	}
	defer c.mu.Unlock()
	if rc := C.dg_barrier(); rc != C.MPI_SUCCESS {
		return mpiError("MPI_Barrier", rc)
	}
	return nil
}

// Abort does not take the lock: it must work while another goroutine is
// stuck in a collective.
func (c *mpiComm) Abort(code int) {
	C.dg_abort(C.int(code))
	os.Exit(code) // MPI_Abort should not return
}

func (c *mpiComm) Close() error {
	if err := c.lock("MPI_Finalize"); err != nil {
		return err
	}
	defer c.mu.Unlock()
	c.closed = true
	if rc := C.dg_finalize(); rc != C.MPI_SUCCESS {
		return mpiError("MPI_Finalize", rc)
	}
	return nil
}
