//go:build cuda && cgo

package cuda

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distilgo/distilgo/dataset"
	"github.com/distilgo/distilgo/distilbert"
	"github.com/distilgo/distilgo/internal/optest"
	"github.com/distilgo/distilgo/internal/synthdata"
	"github.com/distilgo/distilgo/trainer"
)

// The device is a trainer.Device: the trainer runs on it end to end.
var _ trainer.Device = (*Device)(nil)

// testTok is the part of a tokenizer the collator needs: ids 0-4 special
// ([PAD] [UNK] [CLS] [SEP] [MASK]).
type testTok struct{ v int }

func (testTok) AppendIDs(ids, wordIDs []int32, text string) ([]int32, []int32) {
	panic("testTok.AppendIDs: not used by the trainer")
}
func (k testTok) VocabSize() int        { return k.v }
func (testTok) IsSpecial(id int32) bool { return id < 5 }
func (testTok) MaskID() int32           { return 4 }
func (testTok) PadID() int32            { return 0 }
func (testTok) VocabHash() [32]byte     { return sha256.Sum256([]byte("cuda test")) }

// newTestTrainer returns a Trainer of a small DistilBERT on dev (nil: the
// CPU) for steps optimizer steps of 2 accumulated micro-batches, with
// clipping at 1.0 (below the first steps' gradient norms: the device's
// squared norm and scale run), weight decay, warmup and a checkpoint at
// the end, every step's loss logged.
func newTestTrainer(t *testing.T, dev *Device, cfg distilbert.Config, steps int) *trainer.Trainer {
	t.Helper()
	m, err := distilbert.New(cfg, 21)
	if err != nil {
		t.Fatal(err)
	}
	col := &dataset.Collator{MLMProbability: 0.15, Tok: testTok{cfg.VocabSize}}
	a := trainer.DefaultArgs()
	a.OutputDir = t.TempDir()
	a.MaxSteps, a.LR, a.BatchSize, a.GradAccum, a.WarmupSteps = steps, 5e-3, 4, 2, 1
	a.LogEvery, a.SaveStrategy, a.SaveEvery, a.EvalStrategy = 1, trainer.StrategySteps, steps, trainer.StrategyNo
	tr := &trainer.Trainer{
		Model: m, Train: synthdata.LearnableChunks(64, 32, cfg.VocabSize, 1), Collator: col,
		EvalBatches: dataset.FixedMasked(synthdata.LearnableChunks(8, 32, cfg.VocabSize, 2), col, 4, 42),
		Args:        a,
	}
	if dev != nil {
		tr.Device = dev
	}
	return tr
}

// The real Trainer on the device against the CPU, dropout off and on (the
// masks are the same by construction): every step's loss and gradient
// norm, the evaluations before and after training, and the saved model.
//
// Tolerances (and the run's length, 200 steps at lr 1e-3 on a GPU): the
// first step's loss agrees to 2e-5 relative
// (TestTinyModelMatchesCPU: ~30 float32 reductions, each within 1e-5 of
// the CPU's order). AdamW normalises each update, so the parameters'
// difference grows about linearly with the steps while the loss falls;
// 2e-3 relative over 200 steps at lr 1e-3 is what float32 reordering
// alone leaves room for (the bound of the hand-written loop this test
// replaces), and a wrong kernel, a stale buffer or a missed upload or
// download gives differences of order 0.1 or more within a few steps. The
// gradient norms (a float64 sum of squares on both sides, reordered) get
// the same bound. The weights: each AdamW update moves an element by up to
// about lr, whatever its gradient's size, so a gradient that is rounding
// noise on both sides can move its element by up to 2·lr per step in
// opposite directions; 2·lr·steps is the bound on max|Δw|.
func TestTrainerMatchesCPU(t *testing.T) {
	dev := device(t)
	// On a GPU the hand-written loop's 200 steps at lr 1e-3; the emulator
	// runs each CUDA thread as a coroutine (slow): 10 steps at lr 5e-3,
	// enough to move the weights far more than the devices differ.
	steps, lr := 200, 1e-3
	if testDev.emulated {
		steps, lr = 10, 5e-3
	}
	for _, dropout := range []float64{0, 0.1} {
		t.Run(fmt.Sprintf("dropout=%v", dropout), func(t *testing.T) {
			cfg := smallConfig()
			cfg.Dropout, cfg.AttentionDropout = dropout, dropout
			cpu := newTestTrainer(t, nil, cfg, steps)
			gpu := newTestTrainer(t, dev, cfg, steps)
			cpu.Args.LR, gpu.Args.LR = lr, lr
			want, err := cpu.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			before := dev.Stats()
			got, err := gpu.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			after := dev.Stats()
			if after.Launches-before.Launches < int64(steps) {
				t.Fatalf("the device ran %d kernels for %d steps: the trainer did not use it", after.Launches-before.Launches, steps)
			}
			var b strings.Builder
			worst := 0.0
			check := func(what string, g, w float64, tol float64) {
				e := math.Abs(g-w) / math.Max(1, math.Abs(w))
				worst = math.Max(worst, e)
				fmt.Fprintf(&b, "%-22s cpu %.7f  device %.7f  rel %.2e\n", what, w, g, e)
				if !(e <= tol) {
					t.Errorf("%s: device %v, CPU %v (relative %.3g > %.3g)", what, g, w, e, tol)
				}
			}
			if len(got.History) != len(want.History) {
				t.Fatalf("%d log records on the device, %d on the CPU", len(got.History), len(want.History))
			}
			for i, w := range want.History {
				g := got.History[i]
				if g.Kind != w.Kind || g.Step != w.Step {
					t.Fatalf("record %d: %s at step %d on the device, %s at %d on the CPU", i, g.Kind, g.Step, w.Kind, w.Step)
				}
				tol := 2e-3
				if w.Step <= 1 {
					tol = 2e-5
				}
				switch w.Kind {
				case trainer.KindTrain:
					check(fmt.Sprintf("step %d loss", w.Step), float64(*g.Loss), float64(*w.Loss), tol)
					// The first gradients agree to 2e-4 normwise per
					// parameter (TestTinyModelMatchesCPU), their norm no worse.
					check(fmt.Sprintf("step %d grad norm", w.Step), float64(*g.GradNorm), float64(*w.GradNorm), math.Max(tol, 2e-4))
				case trainer.KindEval:
					check(fmt.Sprintf("step %d eval loss", w.Step), float64(*g.EvalLoss), float64(*w.EvalLoss), tol)
				}
			}
			if *want.History[1].GradNorm <= 1 {
				t.Errorf("first gradient norm %v: clipping at 1.0 never ran", *want.History[1].GradNorm)
			}
			t.Logf("device against CPU over %d steps (worst relative %.3g; device allocations %d):\n%s", steps, worst, after.Allocs-before.Allocs, b.String())
			saved, err := distilbert.LoadDir(gpu.Args.OutputDir)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(saved.Params.Data, gpu.Model.Params.Data) {
				t.Error("the saved model differs from the trained one read back from the device")
			}
			ps := gpu.Model.Params
			for i, p := range ps.Params {
				if !p.OnHost() || !p.Grad.OnHost() || &p.Host()[0] != &ps.Data[ps.Offsets[i]] || &p.Grad.Host()[0] != &ps.Grad[ps.Offsets[i]] {
					t.Fatalf("after Run parameter %s is not a view of ParamSet.Data (and its gradient of Grad) again", ps.Names[i])
				}
			}
			maxDiff := 0.0
			for i, w := range cpu.Model.Params.Data {
				maxDiff = math.Max(maxDiff, math.Abs(float64(gpu.Model.Params.Data[i])-float64(w)))
			}
			if bound := 2 * gpu.Args.LR * float64(steps); !(maxDiff <= bound) {
				t.Errorf("weights differ from the CPU's by up to %.3g, bound %.3g", maxDiff, bound)
			}
			// The comparison means something only if training moved the
			// weights by much more than the devices differ.
			init, _ := distilbert.New(cfg, 21)
			moved := 0.0
			for i, w := range cpu.Model.Params.Data {
				moved = math.Max(moved, math.Abs(float64(w)-float64(init.Params.Data[i])))
			}
			t.Logf("max |w_device - w_cpu| %.3g; training moved the CPU's weights by up to %.3g", maxDiff, moved)
			if !(moved > 10*maxDiff) || moved < gpu.Args.LR {
				t.Errorf("training moved the weights by %.3g only (device difference %.3g): the run checks nothing", moved, maxDiff)
			}
		})
	}
}

// After the first step of a Trainer run the training tape's buffers are
// all known: further steps allocate no device memory, and the gradients
// are zeroed on the device every step.
func TestTrainerNoAllocationAfterFirstStep(t *testing.T) {
	dev := device(t)
	tr := newTestTrainer(t, dev, tinyConfig(), 4)
	tr.Train = synthdata.LearnableChunks(64, 16, tinyConfig().VocabSize, 1)
	tr.EvalBatches = dataset.FixedMasked(synthdata.LearnableChunks(4, 16, tinyConfig().VocabSize, 2), tr.Collator, 4, 42)
	tr.Args.SkipInitialEval, tr.Args.SaveStrategy = true, trainer.StrategyNo
	var s []Stats
	tr.OnStep = func(int, float64) { s = append(s, dev.Stats()) } // before the final evaluation
	if _, err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(s) != 4 {
		t.Fatalf("%d steps seen, want 4", len(s))
	}
	if s[3].Allocs != s[1].Allocs {
		t.Errorf("steps 3 and 4 made %d device allocations, want 0", s[3].Allocs-s[1].Allocs)
	}
	if s[3].Zeroed == s[1].Zeroed {
		t.Errorf("no arena zeroing seen in steps 3 and 4: gradients would accumulate across steps")
	}
}

// A run resumed on the device from a checkpoint it wrote ends with the
// same weights, bit for bit, as the uninterrupted run: the checkpoint got
// the device's parameters and moments (download), and the resumed run put
// them back (upload).
func TestTrainerResumeOnDevice(t *testing.T) {
	dev := device(t)
	cfg := tinyConfig()
	whole := newTestTrainer(t, dev, cfg, 6)
	whole.Train = synthdata.LearnableChunks(64, 16, cfg.VocabSize, 1)
	whole.EvalBatches = dataset.FixedMasked(synthdata.LearnableChunks(4, 16, cfg.VocabSize, 2), whole.Collator, 4, 42)
	whole.Args.SaveEvery = 3
	if _, err := whole.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	resumed := newTestTrainer(t, dev, cfg, 6)
	resumed.Train, resumed.EvalBatches = whole.Train, whole.EvalBatches
	resumed.Args.SaveEvery = 3
	resumed.Args.Resume, resumed.Args.ResumeFrom = true, filepath.Join(whole.Args.OutputDir, "checkpoint-3")
	sum, err := resumed.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if sum.ResumedFrom == "" {
		t.Fatal("the run did not resume")
	}
	if !slices.Equal(resumed.Model.Params.Data, whole.Model.Params.Data) {
		t.Errorf("resumed run's weights differ from the uninterrupted run's (normwise %.3g)", optest.RelErr(resumed.Model.Params.Data, whole.Model.Params.Data))
	}
}
