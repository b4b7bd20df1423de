package main

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/distilgo/distilgo/trainer"
)

// trainTiny trains the fixture model for 2 epochs of 5 steps with
// transformers' flag names, and returns the output directory, the data
// flags it used and its log.
func trainTiny(t *testing.T, extra ...string) (out string, data []string, hist []trainer.Record) {
	t.Helper()
	vocab, corpus, config := fixture(t)
	out = filepath.Join(t.TempDir(), "out")
	data = []string{"--vocab", vocab, "--train_file", corpus, "--max_seq_length", "16", "--max_train_samples", "40",
		"--max_eval_samples", "12", "--per_device_eval_batch_size", "5", "--cache-dir", t.TempDir(), "--threads", "1"}
	args := append([]string{"--model_name_or_path", "random:" + config, "--num_train_epochs", "2", "--learning_rate", "1e-3",
		"--per_device_train_batch_size", "8", "--output_dir", out, "--logging_steps", "1", "--do_train", "--do_eval"}, data...)
	if _, stderr, err := runCmd(t, append(args, extra...)...); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	hist, err := trainer.ReadLog(filepath.Join(out, trainer.LogFileName))
	if err != nil {
		t.Fatal(err)
	}
	return out, data, hist
}

func evalJSON(t *testing.T, args ...string) (evalOutput, string) {
	t.Helper()
	stdout, stderr, err := runCmd(t, append([]string{"eval"}, args...)...)
	if err != nil {
		t.Fatalf("eval %v: %v\n%s", args, err, stderr)
	}
	var r evalOutput
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("eval output %q: %v", stdout, err)
	}
	return r, stderr
}

// evalAt returns the run's evaluation at step.
func evalAt(t *testing.T, hist []trainer.Record, step int) evalOutput {
	t.Helper()
	for _, r := range hist {
		if r.Kind == trainer.KindEval && r.Step == step {
			return evalOutput{Loss: *r.EvalLoss, Perplexity: *r.Perplexity, Tokens: r.EvalTokens}
		}
	}
	t.Fatalf("no evaluation at step %d", step)
	return evalOutput{}
}

// finetune eval --model DIR with no data flags draws the run's split from
// its saved arguments and prints exactly the run's final perplexity; on a
// checkpoint folder (which carries its tokenizer) the perplexity of that
// step. Flags that differ from the run's are named in a warning.
func TestEvalReproducesRun(t *testing.T) {
	out, data, hist := trainTiny(t)
	for _, name := range []string{RunArgsName, TrainingArgsName, "checkpoint-5/vocab.txt", "checkpoint-5/tokenizer_config.json",
		"checkpoint-5/" + RunArgsName, "checkpoint-10/" + TrainingArgsName} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("output: %v", err)
		}
	}
	tests := []struct {
		model string
		step  int
	}{
		{out, 10},
		{filepath.Join(out, "checkpoint-5"), 5},
		{filepath.Join(out, "checkpoint-10"), 10},
	}
	for _, tc := range tests {
		got, stderr := evalJSON(t, "--model", tc.model, "--threads", "1")
		if want := evalAt(t, hist, tc.step); got != want {
			t.Errorf("eval --model %s = %+v, the run's evaluation at step %d %+v", tc.model, got, tc.step, want)
		}
		if strings.Contains(stderr, "warning") {
			t.Errorf("eval --model %s warned:\n%s", tc.model, stderr)
		}
		if !strings.Contains(stderr, "eval batch 1/3") {
			t.Errorf("eval --model %s: no progress line in:\n%s", tc.model, stderr)
		}
	}
	// run_mlm.py's --do_eval without --do_train: the model on the split of
	// the data flags.
	stdout, stderr, err := runCmd(t, append([]string{"--model", out, "--do_train=false", "--do_eval"}, data...)...)
	var only evalOutput
	if err != nil || json.Unmarshal([]byte(stdout), &only) != nil || only != evalAt(t, hist, 10) {
		t.Errorf("--do_train=false --do_eval: %v %q, want %+v\n%s", err, stdout, evalAt(t, hist, 10), stderr)
	}
	// A checkpoint of an older run, without tokenizer files or saved
	// arguments, takes them from its run.
	ck := filepath.Join(out, "checkpoint-5")
	for _, name := range []string{"vocab.txt", "tokenizer_config.json", "special_tokens_map.json", RunArgsName, TrainingArgsName} {
		os.Remove(filepath.Join(ck, name))
	}
	if got, _ := evalJSON(t, "--model", ck, "--threads", "1"); got != evalAt(t, hist, 5) {
		t.Errorf("bare checkpoint: %+v, want %+v", got, evalAt(t, hist, 5))
	}
	// Another split: a warning names the flags.
	_, stderr = evalJSON(t, "--model", out, "--threads", "1", "--test-size", "6", "--per_device_eval_batch_size", "5")
	if !strings.Contains(stderr, "warning: --test-size 6 (the run's: 12) differ") || strings.Contains(stderr, "--eval-batch-size") {
		t.Errorf("no warning naming --test-size alone:\n%s", stderr)
	}
}

// The output directory holds transformers' training_args.json with every
// TrainingArguments key in field order, this run's values where finetune
// honours them.
func TestTrainingArgsJSON(t *testing.T) {
	out, _, _ := trainTiny(t, "--lr_scheduler_type", "cosine", "--warmup_ratio", "0.1", "--save_total_limit", "1")
	data, err := os.ReadFile(filepath.Join(out, TrainingArgsName))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if len(m) != len(trainingArgsOrder) || len(trainingArgsOrder) != 132 {
		t.Errorf("%d keys, field order has %d, want 132 (transformers 4.5x)", len(m), len(trainingArgsOrder))
	}
	// Key order is transformers' field order.
	last := -1
	for i, k := range trainingArgsOrder {
		at := strings.Index(string(data), "\n  \""+k+"\":")
		if at < last {
			t.Errorf("key %s (field %d) out of order", k, i)
		}
		last = at
	}
	want := map[string]any{
		"output_dir": out, "learning_rate": 1e-3, "num_train_epochs": 2.0, "per_device_train_batch_size": 8.0,
		"per_device_eval_batch_size": 5.0, "lr_scheduler_type": "cosine", "warmup_ratio": 0.1, "logging_steps": 1.0,
		"eval_strategy": "epoch", "save_strategy": "epoch", "save_total_limit": 1.0, "seed": 42.0, "max_steps": -1.0,
		"do_train": true, "do_eval": true, "eval_on_start": true, "evaluation_strategy": nil, "optim": "adamw_torch",
		"hub_token": "<HUB_TOKEN>", "report_to": []any{}, "fp16": false, "eval_steps": nil, "resume_from_checkpoint": nil,
	}
	got := map[string]any{}
	for k := range want {
		got[k] = m[k]
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("training_args.json (-want +got):\n%s", d)
	}
	for _, s := range []string{`"learning_rate": 0.001,`, `"num_train_epochs": 2.0,`, `"adam_epsilon": 1e-08,`,
		`"lr_scheduler_kwargs": {},`, "{\n  \"output_dir\": "} {
		if !strings.Contains(string(data), s) {
			t.Errorf("training_args.json lacks %q (Python's json.dumps(indent=2) form)", s)
		}
	}
	// The saved arguments read back as a --config giving the same run.
	f1, _, err := parseFor(t, "--config", filepath.Join(out, RunArgsName))
	if err != nil {
		t.Fatal(err)
	}
	if f1.args.LRScheduler != "cosine" || f1.args.WarmupRatio != 0.1 || f1.args.OutputDir != out || f1.chunkSize != 16 {
		t.Errorf("--config finetune_args.json: %+v", f1.args)
	}
}

// gitBlobSHA1 is the ETag the Hub gives a file stored in git.
func gitBlobSHA1(b []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(b))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// fakeHub serves the files of dir as the Hub serves repository id (HEAD and
// GET of /{id}/resolve/main/{file}), on loopback.
func fakeHub(t *testing.T, id, dir string) string {
	t.Helper()
	const commit = "0123456789abcdef0123456789abcdef01234567"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, "/"+id+"/resolve/")
		rev, file, _ := strings.Cut(rest, "/")
		if !ok || (rev != "main" && rev != commit) {
			w.Header().Set("X-Error-Code", "RepoNotFound")
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Header().Set("X-Repo-Commit", commit)
		data, err := os.ReadFile(filepath.Join(dir, filepath.Base(file)))
		if err != nil || strings.Contains(file, "/") {
			w.Header().Set("X-Error-Code", "EntryNotFound")
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Header().Set("ETag", `"`+gitBlobSHA1(data)+`"`)
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		if r.Method == http.MethodHead {
			return
		}
		w.Write(data)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// finetune eval takes a Hub id (here a run's output served by a loopback
// Hub): the same model gives the same perplexity on the same split.
func TestEvalHubID(t *testing.T) {
	out, data, hist := trainTiny(t)
	t.Setenv("HF_ENDPOINT", fakeHub(t, "someone/tiny-imdb", out))
	t.Setenv("HF_HOME", t.TempDir())
	t.Setenv("HF_HUB_CACHE", "")
	t.Setenv("HF_HUB_OFFLINE", "")
	got, stderr := evalJSON(t, append([]string{"--model", "someone/tiny-imdb"}, data...)...)
	if want := evalAt(t, hist, 10); got != want {
		t.Errorf("eval of the Hub id = %+v, of the run %+v\n%s", got, want, stderr)
	}
}

// translateArgs never panics, and what it returns Go's flag package parses
// or refuses with an error.
func FuzzTranslateArgs(f *testing.F) {
	for _, seed := range []string{
		"--learning_rate 2e-5 --fp16", "--resume_from_checkpoint", "--do_train False --report_to=wandb",
		"--num_train_epochs 3.0 --lr", "-h", "--config x.json", "--epochs=1 -- --x", "--=", "---", "--no_such_flag 3",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		var out bytes.Buffer
		fs, _ := newTrainFlags(&out)
		args, err := translateArgs(fs, strings.Fields(line), trainAliases, func(string) {})
		if err != nil {
			return
		}
		fs.SetOutput(&out)
		_ = fs.Parse(args)
	})
}

// --resume_from_checkpoint PATH continues a run from that checkpoint, here
// into a new output directory: the same steps give the same model.
func TestResumeFromCheckpointFlag(t *testing.T) {
	out, _, _ := trainTiny(t)
	saved, _, err := readRunArgs(out)
	if err != nil {
		t.Fatal(err)
	}
	out2 := filepath.Join(t.TempDir(), "out2")
	args := []string{"--config", filepath.Join(out, RunArgsName), "--output_dir", out2,
		"--resume_from_checkpoint", filepath.Join(out, "checkpoint-5"), "--cache-dir", saved["cache-dir"]}
	stdout, stderr, err := runCmd(t, args...)
	if err != nil || !strings.Contains(stdout, "Resuming from "+filepath.Join(out, "checkpoint-5")) {
		t.Fatalf("%v\n%s\n%s", err, stdout, stderr)
	}
	a, _ := os.ReadFile(filepath.Join(out, "model.safetensors"))
	b, _ := os.ReadFile(filepath.Join(out2, "model.safetensors"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Error("the resumed run's model differs from the uninterrupted run's")
	}
}
