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
	cores := runtime.NumCPU()
	c := distributed.NewLocal(2)[0]
	for _, tc := range []struct {
		flag, want int
		warn       bool
	}{
		{0, max(1, cores/2), cores < 2},
		{1, 1, cores < 2},
		{cores, cores, true},
	} {
		var warned string
		got := ddpThreads(tc.flag, c, func(f string, a ...any) { warned = f })
		if got != tc.want || (warned != "") != tc.warn {
			t.Errorf("--threads %d on 2 ranks, %d cores: %d threads, warning %q; want %d, warning %v", tc.flag, cores, got, warned, tc.want, tc.warn)
		}
	}
}
