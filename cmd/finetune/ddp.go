package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/distilgo/distilgo/distributed"
	"github.com/distilgo/distilgo/kernels"
	"github.com/distilgo/distilgo/trainer"
)

// Data-parallel training: under an MPI launcher (mpirun -np N finetune ...,
// srun) every process is a rank of one job. Each rank trains --batch-size
// chunks of every global batch of N x --batch-size x --grad-accum; rank 0
// prints, logs and writes the output directory, which must be on a file
// system all ranks share for --resume.

// registerDDP adds --ddp to fs.
func registerDDP(fs *flag.FlagSet, ddp *bool) {
	fs.BoolVar(ddp, "ddp", false, "data-parallel training over MPI, one rank per process started by mpirun -np N (or srun); each rank trains --batch-size chunks of every global batch of N x --batch-size x --grad-accum (the learning rate is not rescaled). Implied when an MPI launcher started the process; needs a binary built with -tags mpi")
}

// startComm returns the communicator of this process: Single unless --ddp
// is set or an MPI launcher started the process with more than one rank.
// A launch of several ranks in a binary without MPI is an error (each
// process would train alone and overwrite the others' output).
func startComm(ddp bool) (distributed.Comm, error) {
	l, launched := distributed.DetectLaunch()
	if !ddp && (!launched || l.Size == 1 && !distributed.MPIAvailable) {
		return distributed.Single{}, nil
	}
	if !distributed.MPIAvailable {
		if ddp {
			return nil, fmt.Errorf("--ddp: %w", distributed.ErrNoMPI)
		}
		return nil, fmt.Errorf("started by an MPI launcher as one of %d processes ($%s): %w", l.Size, l.Var, distributed.ErrNoMPI)
	}
	c, err := distributed.InitMPI()
	if err != nil {
		return nil, fmt.Errorf("--ddp: %w", err)
	}
	return c, nil
}

// ddpThreads returns the compute threads of each rank: n if set, else the
// cores this rank may use. A launcher that binds each rank to cores (Open
// MPI binds to a core by default for up to 2 ranks) leaves it the cores of
// its binding (runtime.NumCPU reads the affinity mask); an unbound rank
// gets the machine's cores divided by the ranks on this machine. It warns
// when the threads exceed those cores: the ranks then compete, and every
// step waits for the slowest.
func ddpThreads(n int, c distributed.Comm, machineCores int, warn func(string, ...any)) int {
	local := c.Size()
	if l, ok := distributed.DetectLaunch(); ok && l.LocalSize > 0 {
		local = l.LocalSize
	}
	if bound := runtime.NumCPU(); bound < machineCores {
		if n == 0 {
			n = bound
		}
		if n > bound {
			warn("warning: --threads %d exceeds the %d cores this rank is bound to: the threads compete for them", n, bound)
		}
		return n
	}
	if n == 0 {
		n = max(1, machineCores/local)
	}
	if local*n > machineCores {
		warn("warning: %d ranks on this machine x %d threads = %d > %d cores: the ranks compete for the cores (set --threads %d)", local, n, local*n, machineCores, max(1, machineCores/local))
	}
	return n
}

// onlineCores returns the number of cores of the machine (not only those
// this process may run on): Linux's /sys/devices/system/cpu/online, else
// runtime.NumCPU.
func onlineCores() int {
	data, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		return runtime.NumCPU()
	}
	if n := countCPUList(strings.TrimSpace(string(data))); n > 0 {
		return n
	}
	return runtime.NumCPU()
}

// countCPUList counts the CPUs of a kernel CPU list such as "0-3,6,8-9"
// (0 if it does not parse).
func countCPUList(s string) int {
	n := 0
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return 0
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return 0
			}
		}
		n += b - a + 1
	}
	return n
}

// finishComm ends the job's use of c after runTrain: on success or an
// interruption (which every rank reaches after the same step) it finalizes
// MPI; on another error it prints err naming the rank and aborts the whole
// job, so that no rank waits forever in a collective for this one.
func finishComm(c distributed.Comm, err error, stderr io.Writer) error {
	if c.Size() > 1 && err != nil && !errors.Is(err, trainer.ErrInterrupted) {
		fmt.Fprintf(stderr, "finetune: rank %d of %d: %v (aborting the job)\n", c.Rank(), c.Size(), err)
		c.Abort(1)
	}
	if cerr := c.Close(); cerr != nil && err == nil {
		err = cerr
	}
	return err
}

// setRankThreads sets the compute threads of a rank of c.
func setRankThreads(n int, c distributed.Comm, warn func(string, ...any)) {
	if c.Size() == 1 {
		setThreads(n)
		return
	}
	kernels.SetThreads(ddpThreads(n, c, onlineCores(), warn))
}
