package trainer

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/distilgo/distilgo/dataset"
	"github.com/distilgo/distilgo/distilbert"
	"github.com/distilgo/distilgo/tensor"
)

// rows copies rows [lo, hi) of b into a new batch.
func rows(b dataset.Batch, lo, hi int) dataset.Batch {
	T := b.T
	return dataset.Batch{B: hi - lo, T: T,
		InputIDs:      slices.Clone(b.InputIDs[lo*T : hi*T]),
		AttentionMask: slices.Clone(b.AttentionMask[lo*T : hi*T]),
		Labels:        slices.Clone(b.Labels[lo*T : hi*T])}
}

// k micro-batches give the gradient and loss of one batch holding them all,
// because each micro-batch's summed loss is divided by the label count of
// the whole step. Splits of unequal size (and so unequal label counts) would
// give another result with a mean of per-micro-batch means.
// Tolerance: the same float32 terms are summed in another order (weight
// gradients sum over 8 or 4 rows of T positions, then across micro-batches),
// so elements agree to a few float32 ulps of the largest gradient: 1e-5 of
// max|g| absolute; the loss to 1e-6 relative.
func TestGradAccumulationEqualsOneBatch(t *testing.T) {
	chunks := tinyChunks(8, 8, 11)
	var big dataset.Batch
	tinyCollator().Collate(&big, chunks, []int{0, 1, 2, 3, 4, 5, 6, 7}, 3, 0, 0)
	tp := tensor.NewTape()
	noSeed := func(int) uint64 { return 0 }

	ref := tinyModel(t, 0)
	refLoss, refLabels, _, err := accumulateGradients(CPU, ref, tp, []dataset.Batch{big}, noSeed)
	if err != nil {
		t.Fatal(err)
	}
	scale := 0.0
	for _, g := range ref.Params.Grad {
		scale = math.Max(scale, math.Abs(float64(g)))
	}
	splits := map[string][]dataset.Batch{
		"2x4":   {rows(big, 0, 4), rows(big, 4, 8)},
		"3+5":   {rows(big, 0, 3), rows(big, 3, 8)},
		"1+2+5": {rows(big, 0, 1), rows(big, 1, 3), rows(big, 3, 8)},
	}
	for name, micro := range splits {
		m := tinyModel(t, 0)
		loss, labels, _, err := accumulateGradients(CPU, m, tp, micro, noSeed)
		if err != nil {
			t.Fatal(err)
		}
		if labels != refLabels || math.Abs(loss-refLoss) > 1e-6*refLoss {
			t.Errorf("%s: loss %v over %d labels, one batch: %v over %d", name, loss, labels, refLoss, refLabels)
		}
		for i, g := range m.Params.Grad {
			if d := math.Abs(float64(g - ref.Params.Grad[i])); d > 1e-5*scale {
				t.Fatalf("%s: grad[%d] = %v, one batch %v (|diff| %g > %g)", name, i, g, ref.Params.Grad[i], d, 1e-5*scale)
			}
		}
	}
}

// A step whose micro-batches hold no label has loss 0 and zero gradients.
func TestNoLabelsGivesZeroGradient(t *testing.T) {
	chunks := tinyChunks(2, 8, 11)
	var b dataset.Batch
	tinyCollator().Collate(&b, chunks, []int{0, 1}, 3, 0, 0)
	for i := range b.Labels {
		b.Labels[i] = tensor.IgnoreIndex
	}
	m := tinyModel(t, 0)
	for i := range m.Params.Grad {
		m.Params.Grad[i] = 1 // must be cleared
	}
	loss, labels, tokens, err := accumulateGradients(CPU, m, tensor.NewTape(), []dataset.Batch{b}, func(int) uint64 { return 0 })
	if err != nil || loss != 0 || labels != 0 || tokens != 16 {
		t.Fatalf("loss %v labels %d tokens %d err %v", loss, labels, tokens, err)
	}
	for i, g := range m.Params.Grad {
		if g != 0 {
			t.Fatalf("grad[%d] = %v", i, g)
		}
	}
}

// stepLosses runs tr and collects the loss of each step.
func runCollect(t *testing.T, tr *Trainer, ctx context.Context) (map[int]float64, *Summary, error) {
	t.Helper()
	losses := map[int]float64{}
	prev := tr.OnStep
	tr.OnStep = func(step int, loss float64) {
		losses[step] = loss
		if prev != nil {
			prev(step, loss)
		}
	}
	sum, err := tr.Run(ctx)
	return losses, sum, err
}

// timeless drops the wall-clock fields of log records.
func timeless(rs []Record) []Record {
	out := slices.Clone(rs)
	for i := range out {
		out[i].ElapsedSec = 0
		out[i].TokensPerSec = nil
	}
	return out
}

// A run stopped after step k and resumed gives exactly (bit for bit) the
// losses, weights and log of an uninterrupted run: dropout is on,
// gradients accumulate over 2 micro-batches, and the stop falls inside an
// epoch.
func TestResumeEqualsUninterrupted(t *testing.T) {
	setup := func(dir string) *Trainer {
		tr := newTinyTrainer(t, dir, 0.1)
		tr.Args.GradAccum = 2 // 10 micro-batches of 4: 5 steps per epoch, 10 in all
		tr.Args.SaveEvery = 3
		return tr
	}
	full := setup(filepath.Join(t.TempDir(), "full"))
	wantLosses, wantSum, err := runCollect(t, full, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(wantLosses) != 10 || wantSum.Steps != 10 {
		t.Fatalf("uninterrupted run: %d steps", len(wantLosses))
	}
	wantLog, err := ReadLog(filepath.Join(full.Args.OutputDir, LogFileName))
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name     string
		stop     int
		dropLast bool // delete the checkpoint the interrupt wrote: resume from an older one
		resumeAt int
	}{
		{"from interrupt", 7, false, 7},
		{"from periodic", 7, true, 6},
		{"from epoch end", 5, false, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			first := setup(dir)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			first.OnStep = func(step int, _ float64) {
				if step == tc.stop {
					cancel()
				}
			}
			_, _, err := runCollect(t, first, ctx)
			if !errors.Is(err, ErrInterrupted) || !strings.Contains(err.Error(), "--resume") {
				t.Fatalf("interrupted run: err = %v", err)
			}
			if tc.dropLast {
				os.RemoveAll(checkpointDir(dir, tc.stop))
			}
			second := setup(dir) // a fresh model from the same initialisation
			second.Args.Resume = true
			got, sum, err := runCollect(t, second, context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if sum.ResumedFrom != checkpointDir(dir, tc.resumeAt) {
				t.Errorf("resumed from %s, want checkpoint-%d", sum.ResumedFrom, tc.resumeAt)
			}
			for s := tc.resumeAt + 1; s <= 10; s++ {
				if got[s] != wantLosses[s] {
					t.Errorf("step %d: loss %v, uninterrupted %v", s, got[s], wantLosses[s])
				}
			}
			if len(got) != 10-tc.resumeAt {
				t.Errorf("resumed run did %d steps, want %d", len(got), 10-tc.resumeAt)
			}
			if !slices.Equal(second.Model.Params.Data, full.Model.Params.Data) {
				t.Error("final weights differ from the uninterrupted run")
			}
			log, err := ReadLog(filepath.Join(dir, LogFileName))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(timeless(wantLog), timeless(log)); d != "" {
				t.Errorf("log differs from the uninterrupted run (-want +got):\n%s", d)
			}
			if d := cmp.Diff(FormatEpochTable(wantSum.Epochs), FormatEpochTable(sum.Epochs)); d != "" {
				t.Errorf("epoch table differs:\n%s", d)
			}
		})
	}
}

func TestResumeRefusesAnotherRun(t *testing.T) {
	dir := t.TempDir()
	tr := newTinyTrainer(t, dir, 0)
	tr.Args.MaxSteps = 3
	if _, err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(*Trainer)
		want   string
	}{
		{"learning rate", func(tr *Trainer) { tr.Args.LR = 2e-3 }, "learning_rate"},
		{"seed", func(tr *Trainer) { tr.Args.Seed = 1 }, "seed"},
		{"precision", func(tr *Trainer) { tr.Args.Precision = "bf16" }, "precision: checkpoint fp32, now bf16"},
		{"schedule", func(tr *Trainer) { tr.Args.LRScheduler = SchedulerCosine }, "lr_scheduler_type: checkpoint , now cosine"},
		{"data", func(tr *Trainer) { tr.Train = tinyChunks(40, 8, 99) }, "data differ"},
		{"model", func(tr *Trainer) {
			cfg := tinyConfig(0)
			cfg.HiddenDim = 48
			tr.Model, _ = distilbert.New(cfg, 7)
		}, "HiddenDim"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			again := newTinyTrainer(t, dir, 0)
			again.Args.MaxSteps, again.Args.Resume = 3, true
			tc.change(again)
			if _, err := again.Run(context.Background()); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one naming %q", err, tc.want)
			}
		})
	}
	// Nothing to resume from.
	empty := newTinyTrainer(t, t.TempDir(), 0)
	empty.Args.Resume = true
	if _, err := empty.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "no valid checkpoint") {
		t.Errorf("resume without checkpoints: err = %v", err)
	}
}

// A NaN loss stops the run with an error naming the step and the last good
// checkpoint, which stays valid; nothing is saved after it.
func TestNaNLossStops(t *testing.T) {
	dir := t.TempDir()
	tr := newTinyTrainer(t, dir, 0)
	tr.Args.SaveEvery = 2
	tr.OnStep = func(step int, _ float64) {
		if step == 3 { // poison the weights after step 3: step 4 diverges
			tr.Model.VocabLayerNorm.Bias.Host()[0] = float32(math.NaN())
		}
	}
	_, err := tr.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "step 4:") || !strings.Contains(err.Error(), "checkpoint-2") {
		t.Fatalf("err = %v, want one naming step 4 and checkpoint-2", err)
	}
	if dir, _, _ := LatestCheckpoint(dir); dir != checkpointDir(tr.Args.OutputDir, 2) {
		t.Errorf("latest checkpoint %q, want checkpoint-2", dir)
	}
	c, err := LoadCheckpoint(checkpointDir(dir, 2))
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range c.Model.Params.Data {
		if math.IsNaN(float64(x)) {
			t.Fatal("the kept checkpoint holds NaN")
		}
	}
}

// A full run writes the final model (loadable, equal to the trained
// weights), the log with the evaluation before training, per-epoch records
// and a final evaluation, and the plot.
func TestRunOutputs(t *testing.T) {
	dir := t.TempDir()
	tr := newTinyTrainer(t, dir, 0.1)
	tr.Args.KeepCheckpoints = 1
	obs := &recorder{}
	tr.Observer = obs
	sum, err := tr.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m, err := distilbert.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Params.Data, tr.Model.Params.Data) {
		t.Error("saved model differs from the trained one")
	}
	if n := len(obs.saved); n == 0 || obs.saved[n-1].dir != dir || len(obs.saved[n-1].history) != len(sum.History) {
		t.Errorf("observer's Saved calls %+v: the last one is not the final model's with the whole history", obs.saved)
	}
	log, err := ReadLog(filepath.Join(dir, LogFileName))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, r := range log {
		kinds = append(kinds, r.Kind+":"+itoa(r.Step))
	}
	// 40 chunks / 4 = 10 steps per epoch, 2 epochs, a train record every 2.
	want := []string{"eval:0", "train:2", "train:4", "train:6", "train:8", "train:10", "epoch:10", "eval:10",
		"train:12", "train:14", "train:16", "train:18", "train:20", "epoch:20", "eval:20"}
	if d := cmp.Diff(want, kinds); d != "" {
		t.Errorf("log records (-want +got):\n%s", d)
	}
	if len(sum.Epochs) != 2 || !sum.Epochs[1].HasEval || sum.Epochs[1].EvalLoss != sum.Final.Loss {
		t.Errorf("epochs %+v, final %+v", sum.Epochs, sum.Final)
	}
	if d := cmp.Diff(log, sum.History, cmpopts.EquateNaNs()); d != "" {
		t.Errorf("log file and history differ:\n%s", d)
	}
	// Checkpoints of both epoch ends were written; one is kept.
	entries, _ := os.ReadDir(dir)
	var ckpts []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), CheckpointPrefix) {
			ckpts = append(ckpts, e.Name())
		}
	}
	if !slices.Equal(ckpts, []string{"checkpoint-20"}) {
		t.Errorf("checkpoints %v, want [checkpoint-20]", ckpts)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
