package main

import (
	"runtime"
	"strings"
	"testing"

	"github.com/distilgo/distilgo/distributed"
)

// Without -tags mpi, --ddp and a launch by mpirun of several processes are
// refused with an error saying how to build with MPI, before any data is
// read (no process may train alone into the shared output directory).
func TestDDPNeedsMPIBuild(t *testing.T) {
	if distributed.MPIAvailable {
		t.Skip("built with -tags mpi")
	}
	out := t.TempDir()
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"--ddp", nil, []string{"--ddp"}, "--ddp: this binary was built without MPI support: rebuild it with -tags mpi"},
		{"open mpi launch", map[string]string{"OMPI_COMM_WORLD_SIZE": "2"}, nil, "started by an MPI launcher as one of 2 processes ($OMPI_COMM_WORLD_SIZE)"},
		{"hydra launch", map[string]string{"PMI_SIZE": "4"}, nil, "one of 4 processes ($PMI_SIZE): this binary was built without MPI support"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			_, _, err := runCmd(t, append([]string{"--output-dir", out, "--data", "/nonexistent"}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestDDPThreads(t *testing.T) {
	cores := runtime.NumCPU() // unbound here: the test is not started by mpirun
	c := distributed.NewLocal(2)[0]
	for _, tc := range []struct {
		flag, machine, want int
		warn                bool
	}{
		// Unbound (the machine's cores are those the process may use).
		{0, cores, max(1, cores/2), cores < 2},
		{1, cores, 1, cores < 2},
		{cores, cores, cores, true},
		// Bound by the launcher to the NumCPU cores of a larger machine:
		// all of them, and a warning only above them.
		{0, cores + 8, cores, false},
		{cores, cores + 8, cores, false},
		{cores + 1, cores + 8, cores + 1, true},
	} {
		var warned string
		got := ddpThreads(tc.flag, c, tc.machine, func(f string, a ...any) { warned = f })
		if got != tc.want || (warned != "") != tc.warn {
			t.Errorf("--threads %d on 2 ranks, %d of %d cores: %d threads, warning %q; want %d, warning %v", tc.flag, cores, tc.machine, got, warned, tc.want, tc.warn)
		}
	}
}

func TestCountCPUList(t *testing.T) {
	for in, want := range map[string]int{"0": 1, "0-1": 2, "0-3,6,8-9": 7, "": 0, "x": 0, "3-1": 0} {
		if got := countCPUList(in); got != want {
			t.Errorf("countCPUList(%q) = %d, want %d", in, got, want)
		}
	}
}
