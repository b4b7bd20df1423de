package distributed

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDetectLaunch(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want Launch
		ok   bool
	}{
		{"none", nil, Launch{}, false},
		{"open mpi", map[string]string{"OMPI_COMM_WORLD_SIZE": "4", "OMPI_COMM_WORLD_LOCAL_SIZE": "2"}, Launch{Size: 4, LocalSize: 2, Var: "OMPI_COMM_WORLD_SIZE"}, true},
		{"hydra", map[string]string{"PMI_SIZE": "2", "MPI_LOCALNRANKS": "1"}, Launch{Size: 2, LocalSize: 1, Var: "PMI_SIZE"}, true},
		{"open mpi first", map[string]string{"OMPI_COMM_WORLD_SIZE": "3", "PMI_SIZE": "9"}, Launch{Size: 3, Var: "OMPI_COMM_WORLD_SIZE"}, true},
		{"garbage ignored", map[string]string{"OMPI_COMM_WORLD_SIZE": "x", "PMI_SIZE": "0"}, Launch{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := detectLaunch(func(k string) string { return tc.env[k] })
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("Launch (-want +got):\n%s", d)
			}
		})
	}
}

func TestSingle(t *testing.T) {
	var c Comm = Single{}
	buf := []float32{1, 2, 3}
	f := []float64{4}
	if err := c.AllReduceSum(buf); err != nil {
		t.Fatal(err)
	}
	if err := c.AllReduceSumFloat64(f); err != nil {
		t.Fatal(err)
	}
	if err := c.Broadcast(buf, 0); err != nil {
		t.Fatal(err)
	}
	if err := c.Barrier(); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]float32{1, 2, 3}, buf); d != "" || f[0] != 4 || c.Rank() != 0 || c.Size() != 1 {
		t.Errorf("Single changed its buffers or rank/size: %s %v %d %d", d, f, c.Rank(), c.Size())
	}
}

func TestInitMPIWithoutTag(t *testing.T) {
	if MPIAvailable {
		t.Skip("built with -tags mpi")
	}
	if _, err := InitMPI(); err != ErrNoMPI {
		t.Fatalf("InitMPI = %v, want ErrNoMPI", err)
	}
}

// The local group's collectives, run by 3 goroutines, several times in a row
// (the barrier is cyclic). Small integers sum exactly in float32.
func TestLocal(t *testing.T) {
	const n = 3
	cs := NewLocal(n)
	errs := make(chan string, n)
	for r, c := range cs {
		go func() {
			msg := ""
			for round := range 5 {
				buf := []float32{float32(r), float32(round)}
				f := []float64{float64(r) / 4}
				b := []float32{float32(r), float32(r)}
				c.AllReduceSum(buf)
				c.AllReduceSumFloat64(f)
				c.Broadcast(b, 2)
				c.Barrier()
				if buf[0] != 3 || buf[1] != float32(n*round) || f[0] != 0.75 || b[0] != 2 || b[1] != 2 {
					msg = fmt.Sprintf("rank %d round %d: sum %v, float64 sum %v, broadcast %v", r, round, buf, f, b)
				}
			}
			errs <- msg
		}()
	}
	for range n {
		if msg := <-errs; msg != "" {
			t.Error(msg)
		}
	}
}
