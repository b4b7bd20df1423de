//go:build cuda && cgo

package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distilgo/distilgo/internal/cudaemu"
	"github.com/distilgo/distilgo/trainer"
)

// useEmulator points --device cuda at a GPU or the CUDA emulator.
func useEmulator(t *testing.T) {
	t.Helper()
	old := cudaOptions
	cudaOptions = cudaemu.Options(t)
	t.Cleanup(func() { cudaOptions = old })
}

// finetune --device cuda trains through the real Trainer on the device
// (the emulator in CI) with the CPU's losses: every logged training loss,
// gradient norm and evaluation loss within 2e-3 relative (the bound and
// its reasons are cuda.TestTrainerMatchesCPU's: float32 reductions in
// another order, growing about linearly over the run's 10 steps).
func TestFinetuneOnCUDA(t *testing.T) {
	useEmulator(t)
	if testing.Short() {
		t.Skip("slow on the emulator")
	}
	_, _, want := trainTiny(t)
	out, _, got := trainTiny(t, "--device", "cuda")
	if len(got) != len(want) {
		t.Fatalf("%d log records on cuda, %d on the CPU", len(got), len(want))
	}
	var b strings.Builder
	check := func(what string, g, w *trainer.Float) {
		if (g == nil) != (w == nil) {
			t.Errorf("%s: cuda %v, CPU %v", what, g, w)
			return
		}
		if w == nil {
			return
		}
		e := math.Abs(float64(*g-*w)) / math.Max(1, math.Abs(float64(*w)))
		fmt.Fprintf(&b, "%-28s cpu %.7f  cuda %.7f  rel %.2e\n", what, float64(*w), float64(*g), e)
		if !(e <= 2e-3) {
			t.Errorf("%s: cuda %v, CPU %v (relative %.3g > 2e-3)", what, *g, *w, e)
		}
	}
	for i, w := range want {
		g := got[i]
		if g.Kind != w.Kind || g.Step != w.Step {
			t.Fatalf("record %d: %s at step %d on cuda, %s at %d on the CPU", i, g.Kind, g.Step, w.Kind, w.Step)
		}
		at := fmt.Sprintf("step %d %s", w.Step, w.Kind)
		check(at+" loss", g.Loss, w.Loss)
		check(at+" grad norm", g.GradNorm, w.GradNorm)
		check(at+" eval loss", g.EvalLoss, w.EvalLoss)
	}
	t.Logf("cuda against the CPU:\n%s", b.String())
	for _, name := range []string{"model.safetensors", "checkpoint-5/optimizer.safetensors", "loss.png"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}
}

// --device cuda refuses --ddp before any work, naming both flags.
func TestFinetuneCUDARefusesDDP(t *testing.T) {
	useEmulator(t)
	_, _, err := runCmd(t, "--device", "cuda", "--ddp", "--output-dir", t.TempDir(), "--data", "nonexistent.txt")
	if err == nil || !strings.Contains(err.Error(), "--device cuda with --ddp") {
		t.Errorf("err = %v", err)
	}
}
