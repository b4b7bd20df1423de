package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// --bf16 trains and --precision bf16 evaluates: the tiny run completes, and
// eval at bf16 differs from fp32 (bf16 matmuls did run) by less than 1% of
// the loss. distilbert's TestBF16MatchesFP32 derives the model-level bounds;
// here, on a 2-layer model, the logits' error is a few 2^-8 of their scale
// and |Δloss| ≤ 2·max|Δlogit|, well under 1% of a loss of about ln(V).
func TestBF16TrainAndEval(t *testing.T) {
	vocab, corpus, config := fixture(t)
	out := filepath.Join(t.TempDir(), "out")
	common := []string{"--vocab", vocab, "--data", corpus, "--chunk-size", "16", "--train-size", "40", "--test-size", "8",
		"--batch-size", "8", "--cache-dir", t.TempDir(), "--threads", "1"}
	stdout, _, err := runCmd(t, append([]string{"--model", "random:" + config, "--epochs", "1", "--lr", "1e-3", "--output-dir", out, "--bf16"}, common...)...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "Model saved to") {
		t.Fatalf("--bf16 training output:\n%s", stdout)
	}
	eval := func(precision string) evalOutput {
		t.Helper()
		s, _, err := runCmd(t, append([]string{"eval", "--model", out, "--precision", precision}, common...)...)
		if err != nil {
			t.Fatal(err)
		}
		var o evalOutput
		if err := json.Unmarshal([]byte(s), &o); err != nil {
			t.Fatalf("eval output %q: %v", s, err)
		}
		return o
	}
	fp32, bf16 := eval("fp32"), eval("bf16")
	d := math.Abs(float64(bf16.Loss - fp32.Loss))
	if d == 0 || d > 0.01*float64(fp32.Loss) || bf16.Tokens != fp32.Tokens {
		t.Errorf("eval bf16 %+v vs fp32 %+v: want a nonzero difference under 1%%", bf16, fp32)
	}
	if _, _, err := runCmd(t, "eval", "--model", out, "--data", corpus, "--precision", "fp16"); err == nil || !strings.Contains(err.Error(), "--precision") {
		t.Errorf("--precision fp16: err = %v, want one naming --precision", err)
	}
}

// --bf16 is part of what a checkpoint records: resuming an fp32 run with
// --bf16 (or the reverse) is refused, naming the precision both ways.
func TestResumeRefusesOtherPrecision(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	args := tinyTrainArgs(t, out, "1e-3")
	if _, _, err := runCmd(t, args...); err != nil {
		t.Fatal(err)
	}
	_, _, err := runCmd(t, append(args, "--resume", "--bf16")...)
	if err == nil || !strings.Contains(err.Error(), "precision: checkpoint fp32, now bf16") {
		t.Errorf("resume of an fp32 run with --bf16: %v", err)
	}
}
