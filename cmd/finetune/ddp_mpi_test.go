//go:build mpi

package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distilgo/distilgo/internal/mpitest"
	"github.com/distilgo/distilgo/trainer"
)

// TestFinetuneMPIHelper runs the command with the arguments (JSON) of
// DISTILGO_MPI_HELPER when mpirun starts it; skipped otherwise.
func TestFinetuneMPIHelper(t *testing.T) {
	arg, ok := mpitest.Helper()
	if !ok {
		t.Skip("run by mpirun from TestFinetuneUnderMpirun")
	}
	var args []string
	if err := json.Unmarshal([]byte(arg), &args); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), args, os.Stdout, os.Stderr); err != nil {
		t.Fatal(err)
	}
}

// finalEval returns the last evaluation record of the run in out.
func finalEval(t *testing.T, out string) (trainer.Record, int) {
	t.Helper()
	hist, err := trainer.ReadLog(filepath.Join(out, trainer.LogFileName))
	if err != nil {
		t.Fatal(err)
	}
	last := hist[len(hist)-1]
	if last.Kind != trainer.KindEval || last.EvalLoss == nil {
		t.Fatalf("last record of %s: %+v, want an evaluation", out, last)
	}
	return last, len(hist)
}

// mpirun -np 2 finetune (the MPI launch detected, no --ddp) at --batch-size
// 4 trains what one process does at --batch-size 4 --grad-accum 2: the same
// log (rank 0 alone writes it) and a final evaluation loss equal to 1e-6
// relative (the tolerance of trainer's TestDataParallelEqualsOneProcess,
// same argument).
func TestFinetuneUnderMpirun(t *testing.T) {
	vocab, corpus, config := fixture(t)
	cache := t.TempDir()
	common := []string{"--model", "random:" + config, "--vocab", vocab, "--data", corpus, "--chunk-size", "16", "--train-size", "40", "--test-size", "8",
		"--batch-size", "4", "--cache-dir", cache, "--epochs", "2", "--lr", "1e-3", "--log-every", "1"}

	one := filepath.Join(t.TempDir(), "one")
	if _, _, err := runCmd(t, append(common, "--grad-accum", "2", "--threads", "1", "--output-dir", one)...); err != nil {
		t.Fatal(err)
	}
	want, wantN := finalEval(t, one)

	two := filepath.Join(t.TempDir(), "two")
	args, _ := json.Marshal(append(common, "--output-dir", two))
	r := mpitest.Run(t, 2*time.Minute, []string{"-np", "2", "--oversubscribe"}, "TestFinetuneMPIHelper", string(args))
	if r.Err != nil {
		t.Fatalf("mpirun: %v\n%s", r.Err, r.Output)
	}
	if !strings.Contains(r.Output, "Data-parallel over 2 ranks: global batch 2 x 4 x 1") || strings.Count(r.Output, "Model saved to") != 1 {
		t.Errorf("output of the 2 ranks: want one announcement of the data-parallel run and one final message:\n%s", r.Output)
	}
	got, gotN := finalEval(t, two)
	if gotN != wantN || got.Step != want.Step || got.EvalTokens != want.EvalTokens {
		t.Errorf("2 ranks logged %d records, last at step %d over %d tokens; one process %d, step %d, %d tokens", gotN, got.Step, got.EvalTokens, wantN, want.Step, want.EvalTokens)
	}
	if e := relErr(float64(*got.EvalLoss), float64(*want.EvalLoss)); e > 1e-6 {
		t.Errorf("final eval loss %v on 2 ranks, %v in one process (rel. error %.2g > 1e-6)", *got.EvalLoss, *want.EvalLoss, e)
	}
	for _, name := range []string{"model.safetensors", "vocab.txt", "loss.png"} {
		if _, err := os.Stat(filepath.Join(two, name)); err != nil {
			t.Error(err)
		}
	}
}

func relErr(a, b float64) float64 {
	if a == b {
		return 0
	}
	return max(a-b, b-a) / max(a, -a, b, -b)
}
