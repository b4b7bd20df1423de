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

	"github.com/distilgo/distilgo/distilbert"
	"github.com/distilgo/distilgo/internal/mpitest"
	"github.com/distilgo/distilgo/internal/shareddata"
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

// mpirun -np 2 finetune (the MPI launch detected, no --ddp) for 20 steps
// of the README's small config (BERT's vocabulary, dim 64, 2 layers) at
// --batch-size 4 trains what one process does at --batch-size 4
// --grad-accum 2: the same data order and masks, so every step's training
// loss (log.jsonl, written by rank 0 alone) and the final weights agree to
// the tolerances of trainer's TestDataParallelEqualsOneProcess (same
// summation-order argument): 1e-6 relative and 1e-6 absolute.
func TestFinetuneUnderMpirun(t *testing.T) {
	vocab := shareddata.Path(t, "bert-base-uncased/vocab.txt")
	_, corpus, _ := fixture(t)
	config := filepath.Join(t.TempDir(), "small.json")
	small := `{"model_type":"distilbert","vocab_size":30522,"dim":64,"n_layers":2,"n_heads":2,"hidden_dim":256,"max_position_embeddings":512}`
	if err := os.WriteFile(config, []byte(small), 0o644); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	common := []string{"--model", "random:" + config, "--vocab", vocab, "--data", corpus, "--chunk-size", "16", "--train-size", "40", "--test-size", "8",
		"--batch-size", "4", "--cache-dir", cache, "--max-steps", "20", "--lr", "1e-3", "--log-every", "1", "--save-every", "0"}

	one := filepath.Join(t.TempDir(), "one")
	if _, _, err := runCmd(t, append(common, "--grad-accum", "2", "--threads", "1", "--output-dir", one)...); err != nil {
		t.Fatal(err)
	}
	two := filepath.Join(t.TempDir(), "two")
	args, _ := json.Marshal(append(common, "--output-dir", two))
	r := mpitest.Run(t, 2*time.Minute, []string{"-np", "2", "--oversubscribe"}, "TestFinetuneMPIHelper", string(args))
	if r.Err != nil {
		t.Fatalf("mpirun: %v\n%s", r.Err, r.Output)
	}
	if !strings.Contains(r.Output, "Data-parallel over 2 ranks: global batch 2 x 4 x 1") || strings.Count(r.Output, "Model saved to") != 1 {
		t.Errorf("output of the 2 ranks: want one announcement of the data-parallel run and one final message:\n%s", r.Output)
	}

	want, got := trainLosses(t, one), trainLosses(t, two)
	if len(want) != 20 || len(got) != len(want) {
		t.Fatalf("%d training records on 2 ranks, %d in one process, want 20", len(got), len(want))
	}
	for s := range want {
		if e := relErr(got[s], want[s]); e > 1e-6 {
			t.Errorf("step %d: loss %v on 2 ranks, %v in one process (rel. error %.2g > 1e-6)", s+1, got[s], want[s], e)
		}
	}
	m1, err := distilbert.LoadDir(one)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := distilbert.LoadDir(two)
	if err != nil {
		t.Fatal(err)
	}
	maxW := 0.0
	for i, w := range m1.Params.Data {
		d := float64(m2.Params.Data[i] - w)
		maxW = max(maxW, d, -d)
	}
	if maxW > 1e-6 {
		t.Errorf("final weights differ by %.2g > 1e-6", maxW)
	}
	t.Logf("20 steps: max weight difference %.2g", maxW)
	for _, name := range []string{"vocab.txt", "loss.png", "tokenizer_config.json"} {
		if _, err := os.Stat(filepath.Join(two, name)); err != nil {
			t.Error(err)
		}
	}
}

// trainLosses returns the training losses logged in out's log.jsonl.
func trainLosses(t *testing.T, out string) []float64 {
	t.Helper()
	hist, err := trainer.ReadLog(filepath.Join(out, trainer.LogFileName))
	if err != nil {
		t.Fatal(err)
	}
	var ls []float64
	for _, r := range hist {
		if r.Kind == trainer.KindTrain && r.Loss != nil {
			ls = append(ls, float64(*r.Loss))
		}
	}
	return ls
}

func relErr(a, b float64) float64 {
	if a == b {
		return 0
	}
	return max(a-b, b-a) / max(a, -a, b, -b)
}
