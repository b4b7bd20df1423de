//go:build cuda && cgo

package main

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/distilgo/distilgo/cuda"
	"github.com/distilgo/distilgo/trainer"
)

// useEmulator points --device cuda at a real GPU if one opens, else at the
// CPU emulator of the CUDA kernels (cuda/testdata/emu, built with g++), or
// skips.
func useEmulator(t *testing.T) {
	t.Helper()
	if d, err := cuda.Open(cuda.Options{}); err == nil {
		d.Close()
		return
	}
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("no GPU, and the CUDA emulator runs on linux/amd64 only")
	}
	cxx, err := exec.LookPath("g++")
	if err != nil {
		t.Skip("no GPU, and no g++ to build the CUDA emulator")
	}
	lib := filepath.Join(t.TempDir(), "libdistilgo_emucuda.so")
	out, err := exec.Command(cxx, "-O2", "-std=c++17", "-shared", "-fPIC", "-o", lib, filepath.Join("..", "..", "cuda", "testdata", "emu", "emu.cpp")).CombinedOutput()
	if err != nil {
		t.Fatalf("build the CUDA emulator: %v\n%s", err, out)
	}
	t.Logf("no GPU: running on the CUDA emulator %s", lib)
	old := cudaOptions
	cudaOptions = cuda.Options{LibCUDA: lib, LibCUBLAS: lib, LibNVRTC: lib}
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
