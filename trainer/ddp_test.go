package trainer

import (
	"context"
	"math"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/distilgo/distilgo/distributed"
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

// runRanks runs n ranks of the tiny trainer as goroutines on a local
// communicator, each with batch size B and gradient accumulation k, on
// chunks training chunks, into dir.
func runRanks(t *testing.T, n, B, k, chunks, epochs int, dropout float64, dir string) []ddpRun {
	t.Helper()
	comms := distributed.NewLocal(n)
	runs := make([]ddpRun, n)
	var wg sync.WaitGroup
	for r := range n {
		tr := newTinyTrainer(t, dir, dropout)
		tr.Train = tinyChunks(chunks, 8, 1)
		tr.Args.BatchSize, tr.Args.GradAccum, tr.Args.Epochs = B, k, epochs
		tr.Comm = comms[r]
		tr.OnStep = func(_ int, loss float64) { runs[r].losses = append(runs[r].losses, loss) }
		wg.Go(func() {
			runs[r].sum, runs[r].err = tr.Run(context.Background())
			runs[r].params = tr.Model.Params.Data
		})
	}
	wg.Wait()
	for r, run := range runs {
		if run.err != nil {
			t.Fatalf("rank %d of %d: %v", r, n, run.err)
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
			ref := runRanks(t, 1, B, tc.ranks*tc.k, tc.chunks, epochs, tc.dropout, t.TempDir())[0]
			runs := runRanks(t, tc.ranks, B, tc.k, tc.chunks, epochs, tc.dropout, t.TempDir())
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
