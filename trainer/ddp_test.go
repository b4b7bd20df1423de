package trainer

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/distilgo/distilgo/dataset"
	"github.com/distilgo/distilgo/distilbert"
	"github.com/distilgo/distilgo/distributed"
	"github.com/distilgo/distilgo/tensor"
)

func TestShardMicro(t *testing.T) {
	for _, tc := range []struct {
		m0, m1, size int
		want         [][]int
	}{
		{0, 2, 2, [][]int{{0}, {1}}},
		{6, 10, 2, [][]int{{6, 8}, {7, 9}}},
		{9, 10, 3, [][]int{{9}, nil, nil}}, // a short last step leaves ranks idle
		{4, 6, 1, [][]int{{4, 5}}},
	} {
		var got [][]int
		for r := range tc.size {
			got = append(got, shardMicro(tc.m0, tc.m1, r, tc.size))
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("shardMicro(%d, %d, ·, %d) (-want +got):\n%s", tc.m0, tc.m1, tc.size, d)
		}
	}
}

// ddpRun is one rank's run: its per-step losses and final parameters.
type ddpRun struct {
	losses []float64
	params []float32
	sum    *Summary
	err    error
}

// rankSetup describes a job of the tiny trainer on n goroutine ranks.
type rankSetup struct {
	n, B, k, chunks, epochs int
	dropout                 float64
	dir                     string
	resume                  bool
	saveEvery               int
	// stopRank's context is cancelled after step stopAt (0: never).
	stopRank, stopAt int
}

// runRanks runs the job s describes, each rank with batch size s.B and
// gradient accumulation s.k, and returns each rank's run.
func runRanks(t *testing.T, s rankSetup) []ddpRun {
	t.Helper()
	comms := distributed.NewLocal(s.n)
	runs := make([]ddpRun, s.n)
	var wg sync.WaitGroup
	for r := range s.n {
		tr := newTinyTrainer(t, s.dir, s.dropout)
		tr.Train = tinyChunks(s.chunks, 8, 1)
		tr.Args.BatchSize, tr.Args.GradAccum, tr.Args.Epochs = s.B, s.k, s.epochs
		tr.Args.Resume, tr.Args.SaveEvery = s.resume, s.saveEvery
		tr.Comm = comms[r]
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		tr.OnStep = func(step int, loss float64) {
			runs[r].losses = append(runs[r].losses, loss)
			if r == s.stopRank && step == s.stopAt {
				cancel()
			}
		}
		wg.Go(func() {
			runs[r].sum, runs[r].err = tr.Run(ctx)
			runs[r].params = tr.Model.Params.Data
		})
	}
	wg.Wait()
	return runs
}

// mustRunRanks is runRanks failing t on any rank's error.
func mustRunRanks(t *testing.T, s rankSetup) []ddpRun {
	t.Helper()
	runs := runRanks(t, s)
	for r, run := range runs {
		if run.err != nil {
			t.Fatalf("rank %d of %d: %v", r, s.n, run.err)
		}
	}
	return runs
}

// N ranks at gradient accumulation k train the run of one process at
// accumulation N·k: same micro-batches, masks and dropout, so the losses
// and weights agree up to the order in which the micro-batches' gradients
// are summed (all-reduce after each rank's backward instead of
// accumulation into one buffer inside the backward GEMMs).
//
// Tolerances: the first step's loss is the same float64 sum of the same
// float32 per-micro-batch losses, in another order, so it agrees to 1e-12
// relative. The gradients then differ by a few float32 ulps (relative
// 1e-7), which AdamW passes on to the updates about unchanged (the update
// m/√v is scale-free), so after s steps a weight differs by about
// s·lr·1e-7 = 2e-9 at s=20, lr=1e-3, and a loss by the effect of such weight
// noise. The bounds, 1e-6 relative for the losses and 1e-6 absolute for
// the weights (5e-5 of the up to 2e-2 a weight moves), leave a margin of
// about 20x over the measured differences (5e-8 and 3e-8: see the log) for
// other kernel levels and thread counts; a wrong micro-batch, mask, dropout
// seed or normalisation changes the losses by 1e-3 or more. Every rank ends
// with bitwise identical weights, since all apply the same reduced
// gradients.
func TestDataParallelEqualsOneProcess(t *testing.T) {
	for _, tc := range []struct {
		name             string
		ranks, k, chunks int
		dropout          float64
	}{
		{"2 ranks, dropout", 2, 1, 40, 0.1},
		{"3 ranks, short last step and micro-batch", 3, 1, 42, 0},
		{"2 ranks x 2 accumulation", 2, 2, 40, 0.1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const B, epochs = 4, 2
			ref := mustRunRanks(t, rankSetup{n: 1, B: B, k: tc.ranks * tc.k, chunks: tc.chunks, epochs: epochs, dropout: tc.dropout, dir: t.TempDir()})[0]
			runs := mustRunRanks(t, rankSetup{n: tc.ranks, B: B, k: tc.k, chunks: tc.chunks, epochs: epochs, dropout: tc.dropout, dir: t.TempDir()})
			if len(ref.losses) == 0 {
				t.Fatal("no step")
			}
			for r, run := range runs {
				if d := cmp.Diff(runs[0].losses, run.losses); d != "" {
					t.Errorf("rank %d's losses differ from rank 0's:\n%s", r, d)
				}
				if d := cmp.Diff(runs[0].params, run.params); d != "" {
					t.Errorf("rank %d's weights differ from rank 0's", r)
				}
			}
			got := runs[0]
			if len(got.losses) != len(ref.losses) {
				t.Fatalf("%d steps, one process %d", len(got.losses), len(ref.losses))
			}
			if e := relErr(got.losses[0], ref.losses[0]); e > 1e-12 {
				t.Errorf("step 1 loss %v, one process %v (rel. error %.2g > 1e-12)", got.losses[0], ref.losses[0], e)
			}
			worst := 0.0
			for s := range ref.losses {
				worst = math.Max(worst, relErr(got.losses[s], ref.losses[s]))
			}
			if worst > 1e-6 {
				t.Errorf("losses differ from one process's by %.2g relative > 1e-6:\n got %v\nwant %v", worst, got.losses, ref.losses)
			}
			maxW := 0.0
			for i := range ref.params {
				maxW = math.Max(maxW, math.Abs(float64(got.params[i]-ref.params[i])))
			}
			if maxW > 1e-6 {
				t.Errorf("weights differ from one process's by %.2g > 1e-6", maxW)
			}
			if d := cmp.Diff(ref.sum.Final, got.sum.Final, cmp.Comparer(func(a, b float64) bool { return relErr(a, b) <= 1e-6 })); d != "" {
				t.Errorf("final evaluation differs (-one process +ranks):\n%s", d)
			}
			t.Logf("%d steps: max loss rel. error %.2g, max weight error %.2g", len(ref.losses), worst, maxW)
		})
	}
}

func relErr(a, b float64) float64 {
	if a == b {
		return 0
	}
	return math.Abs(a-b) / math.Max(math.Abs(a), math.Abs(b))
}

// A checkpoint resumes on another number of ranks that gives the same
// global batch (2 ranks at k=1 <-> 1 process at k=2), and the run ends
// where an uninterrupted one-process run does (weights to the tolerance of
// TestDataParallelEqualsOneProcess: the part run on 2 ranks sums in
// another order). Interrupting one rank stops all of them after the same
// step, with a checkpoint. A rank count that changes the global batch is
// refused, naming grad_accum.
func TestDataParallelResumeOnOtherRankCount(t *testing.T) {
	base := rankSetup{B: 4, chunks: 40, epochs: 2, dropout: 0.1, saveEvery: 3}
	full := base
	full.n, full.k, full.dir = 1, 2, t.TempDir()
	want := mustRunRanks(t, full)[0]
	if len(want.losses) != 10 {
		t.Fatalf("uninterrupted run: %d steps, want 10", len(want.losses))
	}
	for _, tc := range []struct {
		name             string
		first, second    int // ranks
		stopRank, stopAt int
	}{
		{"2 ranks -> 1", 2, 1, 1, 7},
		{"1 rank -> 2", 1, 2, 0, 7},
		{"2 ranks -> 3", 2, 3, 0, 4}, // refused: 3 ranks make a global batch of 3 micro-batches
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := base
			s.dir = t.TempDir()
			s.n, s.k, s.stopRank, s.stopAt = tc.first, 2/tc.first, tc.stopRank, tc.stopAt
			for r, run := range runRanks(t, s) {
				if !errors.Is(run.err, ErrInterrupted) {
					t.Fatalf("first part, rank %d: err = %v, want an interruption", r, run.err)
				}
				if len(run.losses) != tc.stopAt {
					t.Errorf("first part, rank %d stopped after %d steps, want %d", r, len(run.losses), tc.stopAt)
				}
			}
			s.n, s.k, s.stopAt, s.resume = tc.second, max(1, 2/tc.second), 0, true
			runs := runRanks(t, s)
			if tc.second == 3 {
				for r, run := range runs {
					if run.err == nil || !strings.Contains(run.err.Error(), "grad_accum: checkpoint 2, now 3") {
						t.Errorf("rank %d: err = %v, want the global batch refused", r, run.err)
					}
				}
				return
			}
			for r, run := range runs {
				if run.err != nil {
					t.Fatalf("resumed, rank %d: %v", r, run.err)
				}
				if got, want := run.sum.ResumedFrom, checkpointDir(s.dir, tc.stopAt); got != want {
					t.Errorf("rank %d resumed from %s, want %s", r, got, want)
				}
				if len(run.losses) != 10-tc.stopAt {
					t.Errorf("rank %d: %d steps after the resume, want %d", r, len(run.losses), 10-tc.stopAt)
				}
				maxW := 0.0
				for i := range want.params {
					maxW = math.Max(maxW, math.Abs(float64(run.params[i]-want.params[i])))
				}
				if maxW > 1e-6 {
					t.Errorf("rank %d: final weights differ from the uninterrupted run's by %.2g > 1e-6", r, maxW)
				}
			}
			log, err := ReadLog(filepath.Join(s.dir, LogFileName))
			if err != nil {
				t.Fatal(err)
			}
			var steps []int
			for _, r := range log {
				if r.Kind == KindTrain {
					steps = append(steps, r.Step)
				}
			}
			if d := cmp.Diff([]int{2, 4, 6, 8, 10}, steps); d != "" {
				t.Errorf("log.jsonl train records (-want +got):\n%s", d)
			}
		})
	}
}

// On the model itself, the tape's grad-ready hook reports every parameter
// (the tied word embeddings included, read by the first and the last op)
// exactly once, with its final gradient.
func TestGradReadyOnModel(t *testing.T) {
	m := tinyModel(t, 0.1)
	var b dataset.Batch
	tinyCollator().Collate(&b, tinyChunks(4, 8, 3), []int{0, 1, 2, 3}, 5, 0, 0)
	tp := tensor.NewTape()
	tp.Seed(9)
	seen := map[*tensor.Tensor][]float32{}
	tp.SetGradReadyHook(func(p *tensor.Tensor) {
		if _, dup := seen[p]; dup {
			t.Errorf("parameter reported twice")
		}
		seen[p] = slices.Clone(p.Grad.Host())
	})
	m.Params.ZeroGrad()
	l, _, err := m.LossSum(tp, distilbert.Input{B: b.B, T: b.T, InputIDs: b.InputIDs, AttentionMask: b.AttentionMask}, b.Labels)
	if err != nil {
		t.Fatal(err)
	}
	tp.Backward(l)
	for i, p := range m.Params.Params {
		got, ok := seen[p]
		if !ok {
			t.Errorf("%s: never reported", m.Params.Names[i])
			continue
		}
		if !slices.Equal(got, p.Grad.Host()) {
			t.Errorf("%s: reported before its gradient was complete", m.Params.Names[i])
		}
	}
}

// Bucketed all-reduce (overlapping the backward pass) gives bitwise the
// fused result: the same element-wise sums, whatever the buckets. A bucket
// reduced before its gradients are complete would not.
func TestDataParallelBucketsEqualFused(t *testing.T) {
	defer func(b int) { BucketBytes = b }(BucketBytes)
	run := func(bytes int) []ddpRun {
		BucketBytes = bytes
		return mustRunRanks(t, rankSetup{n: 2, B: 4, k: 2, chunks: 40, epochs: 1, dropout: 0.1, dir: t.TempDir()})
	}
	fused := run(0)
	for _, bytes := range []int{1, 4 << 10, 25 << 20} {
		for r, got := range run(bytes) {
			if !slices.Equal(got.params, fused[r].params) || !slices.Equal(got.losses, fused[r].losses) {
				t.Errorf("buckets of %d bytes, rank %d: weights or losses differ from the fused all-reduce's", bytes, r)
			}
		}
	}
}

func TestGradReducerBuckets(t *testing.T) {
	ps := tinyModel(t, 0).Params
	for _, bytes := range []int{0, 1, 4 << 10} {
		r := newGradReducer(distributed.Single{}, ps, bytes)
		// Buckets tile the gradient from its end, each parameter in one.
		hi, count := len(ps.Grad), 0
		for i, b := range r.buckets {
			if b.hi != hi || b.lo >= b.hi || r.size[i] < 1 {
				t.Fatalf("%d bytes: bucket %d = %+v (%d parameters), want it to end at %d", bytes, i, b, r.size[i], hi)
			}
			hi = b.lo
			count += r.size[i]
		}
		if hi != 0 || count != len(ps.Params) {
			t.Errorf("%d bytes: buckets end at %d and hold %d parameters, want 0 and %d", bytes, hi, count, len(ps.Params))
		}
		want := map[int]int{0: 1, 1: len(ps.Params)}[bytes]
		if want > 0 && len(r.buckets) != want {
			t.Errorf("%d bytes: %d buckets, want %d", bytes, len(r.buckets), want)
		}
	}
}
