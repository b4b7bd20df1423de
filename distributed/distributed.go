// Package distributed is the seam between the trainer and a distributed
// runtime: a Comm gives a process its rank among the job's processes and the
// collectives data-parallel training needs on float32 and float64 buffers.
//
// Single (one process, every collective a no-op) is always available. The
// MPI implementation (Open MPI, MPICH, Intel MPI: whatever launched the job
// with mpirun or srun) needs cgo and the MPI headers, so it is built only
// with the build tag mpi:
//
//	go build -tags mpi ./cmd/finetune   # Debian: apt-get install libopenmpi-dev
//
// Without the tag, InitMPI returns ErrNoMPI and the default build stays
// pure Go. A future NCCL backend for the CUDA device implements Comm too.
package distributed

import (
	"errors"
	"os"
	"strconv"
)

// Comm is a communicator over the processes of one job. Every collective
// must be called by all processes in the same order with buffers of the same
// length; it returns when this process's part is done. A Comm is not safe for
// concurrent use.
type Comm interface {
	// Rank is this process's index in [0, Size()).
	Rank() int
	// Size is the number of processes.
	Size() int
	// AllReduceSum replaces buf, on every process, with the element-wise sum
	// of all processes' buf.
	AllReduceSum(buf []float32) error
	// AllReduceSumFloat64 is AllReduceSum for float64 buffers (loss sums and
	// counts, which must not round).
	AllReduceSumFloat64(buf []float64) error
	// Broadcast copies root's buf into every process's buf.
	Broadcast(buf []float32, root int) error
	// Barrier returns once every process has entered it.
	Barrier() error
	// Abort ends every process of the job with the exit code; it does not
	// return. A process that failed calls it so the others do not wait
	// forever in a collective.
	Abort(code int)
	// Close ends this process's participation (MPI_Finalize). Call it once,
	// on every process, after the last collective.
	Close() error
}

// Single is the communicator of a job of one process: rank 0 of 1, every
// collective leaves its buffer as it is.
type Single struct{}

// Rank returns 0.
func (Single) Rank() int { return 0 }

// Size returns 1.
func (Single) Size() int { return 1 }

// AllReduceSum does nothing: the sum over one process is its buffer.
func (Single) AllReduceSum([]float32) error { return nil }

// AllReduceSumFloat64 does nothing.
func (Single) AllReduceSumFloat64([]float64) error { return nil }

// Broadcast does nothing (root must be 0).
func (Single) Broadcast(_ []float32, root int) error {
	if root != 0 {
		panic("distributed: Single.Broadcast: root " + strconv.Itoa(root) + " of 1 process")
	}
	return nil
}

// Barrier returns at once.
func (Single) Barrier() error { return nil }

// Abort exits the process with code.
func (Single) Abort(code int) { os.Exit(code) }

// Close does nothing.
func (Single) Close() error { return nil }

// ErrNoMPI is returned by InitMPI in a binary built without the mpi tag.
var ErrNoMPI = errors.New("this binary was built without MPI support: rebuild it with -tags mpi (needs cgo and an MPI library such as Debian's libopenmpi-dev), e.g. go build -tags mpi ./cmd/finetune")

// Launch describes the job an MPI launcher (mpirun, mpiexec, srun with PMI)
// announced in this process's environment.
type Launch struct {
	// Size is the number of processes of the job and LocalSize the number
	// on this machine (0 when the launcher does not say).
	Size, LocalSize int
	// Var names the environment variable Size was read from.
	Var string
}

// sizeVars are the variables launchers set to the job's size: Open MPI's
// mpirun, then the PMI of MPICH's Hydra, Intel MPI and Slurm.
var sizeVars = []string{"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"}

// localSizeVars give the number of processes on this machine.
var localSizeVars = []string{"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE"}

// DetectLaunch reports whether an MPI launcher started this process: ok is
// true when one of the launchers' size variables holds a positive integer.
func DetectLaunch() (l Launch, ok bool) {
	return detectLaunch(os.Getenv)
}

func detectLaunch(getenv func(string) string) (l Launch, ok bool) {
	for _, v := range sizeVars {
		if n, err := strconv.Atoi(getenv(v)); err == nil && n > 0 {
			l.Size, l.Var, ok = n, v, true
			break
		}
	}
	if !ok {
		return Launch{}, false
	}
	for _, v := range localSizeVars {
		if n, err := strconv.Atoi(getenv(v)); err == nil && n > 0 {
			l.LocalSize = n
			break
		}
	}
	return l, true
}
