//go:build cuda && cgo

package main

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/distilgo/distilgo/internal/cudaemu"
	"github.com/distilgo/distilgo/pipeline"
)

// fillmask --device cuda (a GPU, else the CUDA emulator) predicts what the
// CPU does: the same tokens in the same order, each score within 1e-4
// absolute. The logits agree to 2e-5 of their largest magnitude
// (cuda.TestTinyModelLogitsMatchCPU, forward only); a softmax probability
// moves by at most about twice the largest logit error, ~1e-4 here, and a
// wrong kernel or a stale upload changes the scores by far more.
func TestFillMaskOnCUDA(t *testing.T) {
	old := cudaOptions
	cudaOptions = cudaemu.Options(t)
	t.Cleanup(func() { cudaOptions = old })
	texts := "the [MASK] was boring .\nthis movie is [MASK] !\n"
	predict := func(device string) [][]pipeline.Prediction {
		out, stderr, err := runArgs([]string{"--model", tinyHF, "--json", "--top-k", "5", "--device", device}, texts)
		if err != nil {
			t.Fatalf("--device %s: %v\n%s", device, err, stderr)
		}
		var r [][]pipeline.Prediction
		dec := json.NewDecoder(strings.NewReader(out))
		for dec.More() {
			var p []pipeline.Prediction
			if err := dec.Decode(&p); err != nil {
				t.Fatalf("--device %s: output %q: %v", device, out, err)
			}
			r = append(r, p)
		}
		return r
	}
	want, got := predict("cpu"), predict("cuda")
	if len(got) != len(want) || len(want) != 2 {
		t.Fatalf("%d results on cuda, %d on the CPU, want 2", len(got), len(want))
	}
	for i := range want {
		for j, w := range want[i] {
			g := got[i][j]
			if g.Token != w.Token || math.Abs(g.Score-w.Score) > 1e-4 {
				t.Errorf("text %d, prediction %d: cuda %q (%.6f), CPU %q (%.6f)", i, j, g.TokenStr, g.Score, w.TokenStr, w.Score)
			}
		}
	}
}
