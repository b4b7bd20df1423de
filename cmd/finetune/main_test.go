package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distilgo/distilgo/dataset"
	"github.com/distilgo/distilgo/distilbert"
	"github.com/distilgo/distilgo/tokenizer"
	"github.com/distilgo/distilgo/trainer"
)

var words = strings.Fields(`the a movie film was is great bad good terrible acting plot story
	i it this that and but not very really so love hate loved boring funny actor actress
	scene scenes end ending director character characters watch watched time best worst
	one two more most some all just like even well how`)

// fixture writes a tiny vocabulary, a corpus of sentences from it and a
// tiny model config, and returns their paths.
func fixture(t *testing.T) (vocab, corpus, config string) {
	t.Helper()
	dir := t.TempDir()
	vocab = filepath.Join(dir, "vocab.txt")
	toks := append([]string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ","}, words...)
	if err := os.WriteFile(vocab, []byte(strings.Join(toks, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	for range 300 {
		n := 6 + r.IntN(12)
		for i := range n {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(words[r.IntN(len(words))])
		}
		b.WriteString(" .\n")
	}
	corpus = filepath.Join(dir, "corpus.txt")
	if err := os.WriteFile(corpus, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := distilbert.DefaultConfig()
	cfg.VocabSize, cfg.Dim, cfg.NLayers, cfg.NHeads, cfg.HiddenDim, cfg.MaxPositionEmbeddings = len(toks), 16, 1, 2, 32, 32
	config = filepath.Join(dir, "config.json")
	if err := cfg.Save(config); err != nil {
		t.Fatal(err)
	}
	return vocab, corpus, config
}

func runCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), err
}

func TestHelpListsEveryFlag(t *testing.T) {
	_, stderr, err := runCmd(t, "--help")
	if !errors.Is(err, errHelp) {
		t.Fatalf("err = %v", err)
	}
	// The flags of the issue, with the course's defaults.
	for _, want := range []string{
		"-model string", `(default "distilbert-base-uncased")`, "-data string", `(default "imdb")`,
		"-epochs int", "(default 3)", "-lr float", "(default 2e-05)", "-weight-decay float", "(default 0.01)",
		"-batch-size int", "(default 64)", "-grad-accum int", "-mlm-probability float", "(default 0.15)",
		"-whole-word-masking", "-chunk-size int", "(default 128)", "-train-size int", "(default 10000)",
		"-test-size int", "(default 1000)", "-seed uint", "(default 42)", "-warmup-steps int",
		"-max-grad-norm float", "(default 1)", "-max-steps int", "-eval-every int", "-save-every int",
		"-output-dir string", `(default "distilbert-finetuned-imdb")`, "-resume", "-overwrite", "-threads int",
		"-vocab string", "../shared/data/bert-base-uncased/vocab.txt",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	_, stderr, err = runCmd(t, "eval", "-h")
	if !errors.Is(err, errHelp) || !strings.Contains(stderr, "-masked string") {
		t.Errorf("eval -h: err %v, output:\n%s", err, stderr)
	}
}

func TestParseModel(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f.json")
	os.WriteFile(file, []byte("{}"), 0o644)
	tests := []struct {
		spec, kind, path, err string
	}{
		{"random", "random", "", ""},
		{"random:" + file, "random", file, ""},
		{"random:", "", "", "needs the path"},
		{dir, "dir", dir, ""},
		{file, "", "", "is a file"},
		{"distilbert-base-uncased", "hub", "distilbert-base-uncased", ""},
		{"huggingface-course/distilbert-base-uncased-finetuned-imdb", "hub", "huggingface-course/distilbert-base-uncased-finetuned-imdb", ""},
		{"./missing", "", "", "no such directory"},
		{"/no/such/dir", "", "", "no such directory"},
		{"a/b/c", "", "", "no such directory"},
	}
	for _, tc := range tests {
		got, err := parseModel(tc.spec)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseModel(%q) err = %v, want %q", tc.spec, err, tc.err)
			}
			continue
		}
		if err != nil || got.kind != tc.kind || got.path != tc.path {
			t.Errorf("parseModel(%q) = %+v, %v; want %s %q", tc.spec, got, err, tc.kind, tc.path)
		}
	}
}

// Offline, a Hub id not in the cache is a clear error and no request is
// made (HF_HUB_OFFLINE); so is --data imdb.
func TestOfflineHubErrors(t *testing.T) {
	t.Setenv("HF_HUB_OFFLINE", "1")
	t.Setenv("HF_HOME", t.TempDir())
	t.Setenv("HF_HUB_CACHE", "")
	t.Setenv("HF_ENDPOINT", "http://127.0.0.1:1")
	out := filepath.Join(t.TempDir(), "out")
	_, _, err := runCmd(t, "--model", "distilbert-base-uncased", "--output-dir", out)
	if err == nil || !strings.Contains(err.Error(), "distilbert-base-uncased") || !strings.Contains(err.Error(), "HF_HUB_OFFLINE") ||
		!strings.Contains(err.Error(), "--model random") {
		t.Errorf("offline Hub model: err = %v, want HF_HUB_OFFLINE and --model random suggested", err)
	}
	vocab, _, config := fixture(t)
	_, _, err = runCmd(t, "--model", "random:"+config, "--vocab", vocab, "--data", "imdb", "--output-dir", out)
	if err == nil || !strings.Contains(err.Error(), "--data imdb") || !strings.Contains(err.Error(), "aclImdb_v1.tar.gz") {
		t.Errorf("offline IMDB: err = %v", err)
	}
	_, _, err = runCmd(t, "--model", "random:"+config, "--output-dir", out, "--data", "x.txt")
	if err == nil || !strings.Contains(err.Error(), "--vocab") {
		t.Errorf("offline vocabulary: err = %v", err)
	}
}

func TestBadInputs(t *testing.T) {
	vocab, corpus, config := fixture(t)
	out := filepath.Join(t.TempDir(), "out")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--model", "random:" + config, "--vocab", vocab, "--data", "/no/such/file.txt"}, "no such file"},
		{[]string{"--model", "random:/no/config.json", "--vocab", vocab, "--data", corpus}, "/no/config.json"},
		{[]string{"--model", "random:" + config, "--vocab", "/no/vocab.txt", "--data", corpus}, "/no/vocab.txt"},
		{[]string{"--model", "random", "--vocab", vocab, "--data", corpus}, "vocab_size is 30522"},
		{[]string{"--batch-size", "0"}, "--batch-size"},
		{[]string{"--mlm-probability", "1.5"}, "--mlm-probability"},
		{[]string{"--resume", "--overwrite"}, "exclude"},
		{[]string{"stray"}, "unexpected argument"},
		{[]string{"eval", "--model", "random"}, "give --data SOURCE"},
		{[]string{"eval", "--model", "random", "--masked", "x.jsonl", "--data", "y.txt"}, "one of --masked"},
	}
	for _, tc := range tests {
		args := append(tc.args, "--cache-dir", "")
		if tc.args[0] != "eval" {
			args = append(args, "--output-dir", out)
		}
		_, _, err := runCmd(t, args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.args, err, tc.want)
		}
	}
}

// The whole command on a tiny model and corpus: training writes a model
// directory that the tokenizer and model loaders read back, refuses to
// overwrite it, resumes a finished run, and eval gives the same numbers
// on --data and on the same batches written as JSON Lines.
func TestTrainEvalEndToEnd(t *testing.T) {
	vocab, corpus, config := fixture(t)
	out := filepath.Join(t.TempDir(), "out")
	cache := t.TempDir()
	common := []string{"--vocab", vocab, "--data", corpus, "--chunk-size", "16", "--train-size", "40", "--test-size", "8",
		"--batch-size", "8", "--cache-dir", cache, "--threads", "1"}
	train := append([]string{"--model", "random:" + config, "--epochs", "2", "--lr", "1e-3", "--output-dir", out, "--log-every", "1"}, common...)
	stdout, _, err := runCmd(t, train...)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Before training: eval loss", "Epoch | Training Loss | Validation Loss | Perplexity", "\n1     | ", "\n2     | ", "Model saved to"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	// The first evaluation shows its progress before its result: a long
	// one is not silent.
	if i, j := strings.Index(stdout, "eval batch 1/1 (100%)"), strings.Index(stdout, "Before training"); i < 0 || i > j {
		t.Errorf("no evaluation progress line before the first result:\n%s", stdout)
	}
	for _, name := range []string{"config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json", "log.jsonl", "loss.png", "checkpoint-10"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("output: %v", err)
		}
	}
	if _, err := tokenizer.Load(out); err != nil {
		t.Errorf("tokenizer of the output: %v", err)
	}
	if _, err := distilbert.LoadDir(out); err != nil {
		t.Errorf("model of the output: %v", err)
	}
	var cfg map[string]any
	data, _ := os.ReadFile(filepath.Join(out, "tokenizer_config.json"))
	if err := json.Unmarshal(data, &cfg); err != nil || cfg["tokenizer_class"] != "DistilBertTokenizer" {
		t.Errorf("tokenizer_config.json: %v %v", cfg, err)
	}
	hist, err := trainer.ReadLog(filepath.Join(out, trainer.LogFileName))
	if err != nil {
		t.Fatal(err)
	}
	last := hist[len(hist)-1]
	if last.Kind != trainer.KindEval || last.Step != 10 {
		t.Fatalf("last log record %+v, want the final evaluation at step 10", last)
	}

	// Another run into the same directory is refused.
	if _, _, err := runCmd(t, train...); err == nil || !strings.Contains(err.Error(), "--overwrite") {
		t.Errorf("second run: err = %v, want a refusal naming --overwrite", err)
	}
	// --resume of the finished run completes at once with the same model.
	before, _ := os.ReadFile(filepath.Join(out, "model.safetensors"))
	if stdout, _, err := runCmd(t, append(train, "--resume")...); err != nil || !strings.Contains(stdout, "Resuming from") {
		t.Errorf("resume: %v\n%s", err, stdout)
	}
	after, _ := os.ReadFile(filepath.Join(out, "model.safetensors"))
	if !bytes.Equal(before, after) {
		t.Error("resuming a finished run changed the model")
	}

	// eval --data evaluates the same fixed-masked split: the final record.
	evalData, _, err := runCmd(t, append([]string{"eval", "--model", out}, common...)...)
	if err != nil {
		t.Fatal(err)
	}
	var got evalOutput
	if err := json.Unmarshal([]byte(evalData), &got); err != nil {
		t.Fatalf("eval output %q: %v", evalData, err)
	}
	if got.Loss != *last.EvalLoss || got.Perplexity != *last.Perplexity || got.Tokens != last.EvalTokens {
		t.Errorf("eval --data = %+v, training's final evaluation %v %v %d", got, *last.EvalLoss, *last.Perplexity, last.EvalTokens)
	}
	// The same batches as JSON Lines give the same result.
	tok, _ := tokenizer.LoadVocab(vocab)
	_, test, err := prepare(dataFlags{chunkSize: 16, trainSize: 40, testSize: 8, seed: 42, cacheDir: cache}, corpus, tok, 32, func(string, ...any) {})
	if err != nil {
		t.Fatal(err)
	}
	jsonl := filepath.Join(t.TempDir(), "masked.jsonl")
	col := &dataset.Collator{MLMProbability: 0.15, Tok: tok}
	if err := dataset.WriteMaskedJSONL(jsonl, dataset.FixedMasked(test, col, 8, 42)); err != nil {
		t.Fatal(err)
	}
	evalMasked, _, err := runCmd(t, "eval", "--model", out, "--masked", jsonl, "--batch-size", "8")
	if err != nil {
		t.Fatal(err)
	}
	if evalMasked != evalData {
		t.Errorf("eval --masked printed %s, eval --data %s", evalMasked, evalData)
	}
	if !strings.HasPrefix(evalMasked, `{"loss":`) || !strings.Contains(evalMasked, `"perplexity":`) || !strings.Contains(evalMasked, fmt.Sprintf(`"tokens":%d}`, got.Tokens)) {
		t.Errorf("eval output format: %s", evalMasked)
	}
}
