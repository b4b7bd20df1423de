//go:build mpi

package trainer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/distilgo/distilgo/distributed"
	"github.com/distilgo/distilgo/internal/mpitest"
	"github.com/distilgo/distilgo/kernels"
)

// The tests of this file run the tiny trainer on 2 MPI ranks (processes
// started by mpirun, talking through Open MPI) and compare with one process
// run in the test itself. The ranks run TestMPIHelper with
// DISTILGO_MPI_HELPER=mode,dir.

// mpiSetup is the run all tests here use: 40 chunks in micro-batches of 4,
// a global batch of 2 micro-batches, 4 epochs of 5 steps = 20 steps,
// dropout on, a checkpoint every 3 steps.
func mpiSetup(t *testing.T, dir string, k int) *Trainer {
	tr := newTinyTrainer(t, dir, 0.1)
	tr.Args.BatchSize, tr.Args.GradAccum, tr.Args.Epochs, tr.Args.SaveEvery = 4, k, 4, 3
	return tr
}

const mpiSteps = 20

// rankResult is what a helper rank leaves in dir/rank-N.json.
type rankResult struct {
	Losses      []float64 `json:"losses"` // of the steps this process ran
	Params      []float32 `json:"params"`
	ResumedFrom string    `json:"resumed_from"`
}

// TestMPIHelper is one rank's work when run by mpirun (skipped otherwise).
// Modes: "run" trains the 20 steps; "resume" continues from dir's last
// checkpoint; "kill" trains and SIGKILLs rank 1 after step 7.
func TestMPIHelper(t *testing.T) {
	arg, ok := mpitest.Helper()
	if !ok {
		t.Skip("run by mpirun from the other tests of this file")
	}
	mode, dir, _ := strings.Cut(arg, ",")
	kernels.SetThreads(1) // 2 ranks on this machine's 2 cores
	// Buckets of 1 KiB: a dozen all-reduces per step from the reducing
	// goroutine while the backward pass runs (the tiny model's gradient
	// would fit one bucket of the default size).
	BucketBytes = 1 << 10
	c, err := distributed.InitMPI()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tr := mpiSetup(t, dir, 1)
	tr.Comm = c
	tr.Args.Resume = mode == "resume"
	var res rankResult
	tr.OnStep = func(step int, loss float64) {
		res.Losses = append(res.Losses, loss)
		if mode == "kill" && c.Rank() == 1 && step == 7 {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}
	}
	sum, err := tr.Run(context.Background())
	if err != nil {
		c.Abort(1)
	}
	res.Params, res.ResumedFrom = tr.Model.Params.Data, sum.ResumedFrom
	data, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("rank-%d.json", c.Rank())), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readRanks(t *testing.T, dir string, n int) []rankResult {
	t.Helper()
	var rs []rankResult
	for r := range n {
		data, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("rank-%d.json", r)))
		if err != nil {
			t.Fatal(err)
		}
		var res rankResult
		if err := json.Unmarshal(data, &res); err != nil {
			t.Fatal(err)
		}
		rs = append(rs, res)
	}
	return rs
}

// oneProcess runs the 20 steps in this process at gradient accumulation 2
// (the global batch of 2 ranks at 1) and returns the losses and weights.
func oneProcess(t *testing.T) ([]float64, []float32) {
	t.Helper()
	tr := mpiSetup(t, t.TempDir(), 2)
	var losses []float64
	tr.OnStep = func(_ int, loss float64) { losses = append(losses, loss) }
	if _, err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(losses) != mpiSteps {
		t.Fatalf("one process: %d steps, want %d", len(losses), mpiSteps)
	}
	return losses, tr.Model.Params.Data
}

func mpirun(t *testing.T, mode, dir string) mpitest.Result {
	t.Helper()
	return mpitest.Run(t, 2*time.Minute, []string{"-np", "2", "--oversubscribe"}, "TestMPIHelper", mode+","+dir)
}

// checkAgainst compares the ranks' last steps and final weights with one
// process's; the tolerances are TestDataParallelEqualsOneProcess's (same
// data, same float32 summation-order argument, 20 steps), and the ranks'
// weights must be bitwise equal.
func checkAgainst(t *testing.T, rs []rankResult, wantLosses []float64, wantParams []float32) {
	t.Helper()
	for r, res := range rs {
		first := len(wantLosses) - len(res.Losses)
		for s, l := range res.Losses {
			if e := relErr(l, wantLosses[first+s]); e > 1e-6 {
				t.Errorf("rank %d, step %d: loss %v, one process %v (rel. error %.2g > 1e-6)", r, first+s+1, l, wantLosses[first+s], e)
			}
		}
		maxW := 0.0
		for i := range wantParams {
			maxW = math.Max(maxW, math.Abs(float64(res.Params[i]-wantParams[i])))
		}
		if maxW > 1e-6 {
			t.Errorf("rank %d: weights differ from one process's by %.2g > 1e-6", r, maxW)
		}
		t.Logf("rank %d: %d steps, max weight error %.2g", r, len(res.Losses), maxW)
		for i := range res.Params {
			if res.Params[i] != rs[0].Params[i] {
				t.Errorf("rank %d's weights differ from rank 0's at %d", r, i)
				break
			}
		}
	}
}

// 2 MPI ranks at batch 4 train the 20 steps of one process at batch 4 and
// gradient accumulation 2 (the same global batches of 8 chunks, masks and
// dropout).
func TestMPIDataParallelEqualsOneProcess(t *testing.T) {
	wantLosses, wantParams := oneProcess(t)
	dir := t.TempDir()
	if r := mpirun(t, "run", dir); r.Err != nil {
		t.Fatalf("mpirun: %v\n%s", r.Err, r.Output)
	}
	rs := readRanks(t, dir, 2)
	for r, res := range rs {
		if len(res.Losses) != mpiSteps {
			t.Fatalf("rank %d ran %d steps, want %d", r, len(res.Losses), mpiSteps)
		}
	}
	checkAgainst(t, rs, wantLosses, wantParams)
}

// A rank killed in the middle of a run stops the whole job (mpirun kills
// the rank waiting in the all-reduce and exits non-zero, naming the dead
// rank); the last checkpoint (step 6) resumes on 1 process at gradient
// accumulation 2. Then the other way: a one-process run interrupted after
// step 7 resumes on 2 ranks. Both end at the weights of an uninterrupted
// run.
func TestMPIRankKilledThenResume(t *testing.T) {
	wantLosses, wantParams := oneProcess(t)

	t.Run("2 ranks -> 1", func(t *testing.T) {
		dir := t.TempDir()
		r := mpirun(t, "kill", dir)
		if r.Err == nil {
			t.Fatalf("mpirun exited 0 after a rank was killed:\n%s", r.Output)
		}
		t.Logf("mpirun after the kill: %v\n%s", r.Err, lastLines(r.Output, 8))
		if !strings.Contains(r.Output, "rank 1") || !strings.Contains(r.Output, "signal 9") {
			t.Errorf("mpirun's output does not name the killed rank:\n%s", r.Output)
		}
		if _, err := os.Stat(filepath.Join(dir, "model.safetensors")); err == nil {
			t.Error("the killed job wrote a final model")
		}
		tr := mpiSetup(t, dir, 2)
		tr.Args.Resume = true
		var losses []float64
		tr.OnStep = func(_ int, loss float64) { losses = append(losses, loss) }
		sum, err := tr.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if sum.ResumedFrom != checkpointDir(dir, 6) {
			t.Errorf("resumed from %s, want checkpoint-6", sum.ResumedFrom)
		}
		checkAgainst(t, []rankResult{{Losses: losses, Params: tr.Model.Params.Data}}, wantLosses, wantParams)
	})

	t.Run("1 rank -> 2", func(t *testing.T) {
		dir := t.TempDir()
		tr := mpiSetup(t, dir, 2)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		tr.OnStep = func(step int, _ float64) {
			if step == 7 {
				cancel()
			}
		}
		if _, err := tr.Run(ctx); !errors.Is(err, ErrInterrupted) {
			t.Fatalf("one process: err = %v, want an interruption", err)
		}
		if r := mpirun(t, "resume", dir); r.Err != nil {
			t.Fatalf("mpirun: %v\n%s", r.Err, r.Output)
		}
		rs := readRanks(t, dir, 2)
		for r, res := range rs {
			if res.ResumedFrom != checkpointDir(dir, 7) || len(res.Losses) != mpiSteps-7 {
				t.Errorf("rank %d resumed from %q and ran %d steps, want checkpoint-7 and %d", r, res.ResumedFrom, len(res.Losses), mpiSteps-7)
			}
		}
		checkAgainst(t, rs, wantLosses, wantParams)
	})
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// The 20 steps again with the two ranks on two hosts that share only a TCP
// link (network namespaces joined by a veth pair; see
// mpitest.RunTwoHosts): the same results over the network path. Every step
// all-reduces the whole gradient, so the link carries at least steps x
// gradient bytes into host A.
func TestMPIDataParallelOverTCP(t *testing.T) {
	if _, ok := mpitest.Helper(); ok {
		t.Skip("a helper runs TestMPIHelper")
	}
	wantLosses, wantParams := oneProcess(t)
	dir := t.TempDir()
	r := mpitest.RunTwoHosts(t, 2*time.Minute, "TestMPIHelper", "run,"+dir)
	if r.Err != nil {
		t.Fatalf("mpirun: %v\n%s", r.Err, r.Output)
	}
	rs := readRanks(t, dir, 2)
	for i, res := range rs {
		if len(res.Losses) != mpiSteps {
			t.Fatalf("rank %d ran %d steps, want %d", i, len(res.Losses), mpiSteps)
		}
	}
	checkAgainst(t, rs, wantLosses, wantParams)
	if min := int64(mpiSteps * 4 * len(wantParams)); r.RxBytes < min {
		t.Errorf("host A received %d bytes over the link, want >= %d (%d steps x the gradient)", r.RxBytes, min, mpiSteps)
	}
	t.Logf("link traffic: host A sent %d, received %d bytes", r.TxBytes, r.RxBytes)
}
