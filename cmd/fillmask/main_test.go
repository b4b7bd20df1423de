package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/distilgo/distilgo/cuda"
	"github.com/distilgo/distilgo/distilbert"
	"github.com/distilgo/distilgo/hub"
	"github.com/distilgo/distilgo/internal/fakehub"
	"github.com/distilgo/distilgo/pipeline"
	"github.com/distilgo/distilgo/safetensors"
	"github.com/distilgo/distilgo/trainer"
)

// tinyHF is a checkpoint written in transformers' layout by the PyTorch
// reference (tools/golden), with a 100-token vocabulary; its logits for
// "the [MASK] was boring ." are recorded in tiny_hf_logits.safetensors.
var tinyHF = filepath.Join("..", "..", "distilbert", "testdata", "tiny-hf")

func runArgs(args []string, stdin string) (stdout, stderr string, err error) {
	var out, errb bytes.Buffer
	err = run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), err
}

func softmax64(x []float32) []float64 {
	mx := math.Inf(-1)
	for _, v := range x {
		mx = math.Max(mx, float64(v))
	}
	p := make([]float64, len(x))
	var s float64
	for i, v := range x {
		p[i] = math.Exp(float64(v) - mx)
		s += p[i]
	}
	for i := range p {
		p[i] /= s
	}
	return p
}

// The top-5 predictions equal the softmax of PyTorch's logits at the mask
// (row 1, position 2 of the golden): same token order, scores within 1e-5
// relative (the logits agree to ~5e-7 of scale; softmax keeps that), and the
// pipeline's sequence: the text with the mask filled, special tokens
// dropped, spaces before punctuation cleaned.
func TestFillMaskMatchesReferenceLogits(t *testing.T) {
	out, errs, err := runArgs([]string{"--model", tinyHF, "--json", "the [MASK] was boring ."}, "")
	if err != nil {
		t.Fatalf("run: %v (stderr %s)", err, errs)
	}
	var got []pipeline.Prediction
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	f, err := safetensors.Open(filepath.Join(tinyHF, "..", "tiny_hf_logits.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	logits, shape, err := f.Float32("logits") // [2, 7, 100]
	if err != nil {
		t.Fatal(err)
	}
	V := shape[2]
	p := softmax64(logits[(1*shape[1]+2)*V : (1*shape[1]+3)*V])
	idx := make([]int, V)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] > p[idx[b]] })
	if len(got) != 5 {
		t.Fatalf("%d predictions, want 5", len(got))
	}
	for i, g := range got {
		if int(g.Token) != idx[i] {
			t.Fatalf("prediction %d: token %d, reference %d", i, g.Token, idx[i])
		}
		if math.Abs(g.Score-p[idx[i]]) > 1e-5*p[idx[i]] {
			t.Errorf("prediction %d: score %v, reference %v", i, g.Score, p[idx[i]])
		}
		if strings.HasPrefix(g.TokenStr, "##") || strings.ContainsAny(g.TokenStr, ".,!?'") {
			continue // joined or cleaned differently; the token check above covers it
		}
		if want := "the " + g.TokenStr + " was boring."; g.Sequence != want {
			t.Errorf("prediction %d: sequence %q, want %q", i, g.Sequence, want)
		}
	}
}

// Plain output prints each prediction as the course's loop would, with its
// score: ">>> sequence (score)", the same predictions as --json.
var plainLine = regexp.MustCompile(`^>>> (.+) \((0\.[0-9]{4})\)$`)

func TestFillMaskTextOutputAndSeveralMasks(t *testing.T) {
	out, _, err := runArgs([]string{"--model", tinyHF, "--top-k", "2", "this movie is [MASK] !"}, "")
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	js, _, err := runArgs([]string{"--model", tinyHF, "--top-k", "2", "--json", "this movie is [MASK] !"}, "")
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	var preds []pipeline.Prediction
	if err := json.Unmarshal([]byte(js), &preds); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("output %q, want two lines", out)
	}
	for i, l := range lines {
		m := plainLine.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("line %q is not '>>> sequence (score)'", l)
		}
		score, _ := strconv.ParseFloat(m[2], 64)
		if m[1] != preds[i].Sequence || math.Abs(score-preds[i].Score) > 5e-5 {
			t.Errorf("line %q, --json says %q (%v)", l, preds[i].Sequence, preds[i].Score)
		}
	}
	// Two masks: one list per mask, special tokens kept (the pipeline's rule).
	js, _, err = runArgs([]string{"--model", tinyHF, "--json", "--top-k", "3", "[MASK] movie is [MASK] ."}, "")
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	var got [][]pipeline.Prediction
	if err := json.Unmarshal([]byte(js), &got); err != nil || len(got) != 2 || len(got[0]) != 3 {
		t.Fatalf("output %q: want 2 lists of 3 (%v)", js, err)
	}
	if !strings.Contains(got[0][0].Sequence, "[MASK]") {
		t.Errorf("with two masks the other mask stays in the sequence: %q", got[0][0].Sequence)
	}
	// Texts on stdin run as one batch.
	out, _, err = runArgs([]string{"--model", tinyHF, "--top-k", "1"}, "this [MASK] is great\n\nthe film was [MASK]\n")
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if n := strings.Count(out, ">>> "); n != 2 {
		t.Fatalf("stdin batch: %d predictions in %q, want 2", n, out)
	}
	// Targets restrict the candidates.
	js, _, err = runArgs([]string{"--model", tinyHF, "--json", "--targets", "movie,film", "the [MASK] was boring ."}, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(js), &preds); err != nil || len(preds) != 2 {
		t.Fatalf("targets: output %q (%v)", js, err)
	}
	for _, p := range preds {
		if p.TokenStr != "movie" && p.TokenStr != "film" {
			t.Errorf("targets movie,film: prediction %q", p.TokenStr)
		}
	}
}

// A text longer than max_position_embeddings (16 in the tiny config) is
// truncated with a warning, as the pipeline does, when its [MASK] survives.
func TestFillMaskTruncates(t *testing.T) {
	_, errs, err := runArgs([]string{"--model", tinyHF, "--top-k", "1", "the [MASK] was boring" + strings.Repeat(" very", 20)}, "")
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.Contains(errs, "truncated") {
		t.Errorf("no truncation warning in %q", errs)
	}
	_, _, err = runArgs([]string{"--model", tinyHF, strings.Repeat("very ", 20) + "[MASK]"}, "")
	if err == nil || !strings.Contains(err.Error(), "no [MASK] token in the first 16 tokens") {
		t.Errorf("mask cut off by truncation: err %v", err)
	}
}

func TestFillMaskErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		// Nothing was truncated: no word of truncation.
		{[]string{"--model", tinyHF, "no mask here"}, "text 1: no [MASK] token in the text"},
		{[]string{"--model", filepath.Join(t.TempDir(), "missing"), "a [MASK]"}, "no such directory"},
		{[]string{"--model", tinyHF, "--top-k", "0", "a [MASK]"}, "--top-k"},
		{[]string{"--model", tinyHF, "--precision", "fp8", "a [MASK]"}, "--precision"},
		{[]string{"--model", tinyHF}, "no text"},
		{[]string{"--model", tinyHF, "--device", "tpu", "a [MASK]"}, `--device "tpu": want cpu or cuda`},
	}
	if _, err := cuda.Open(cuda.Options{}); errors.Is(err, cuda.ErrNotBuilt) {
		cases = append(cases, struct {
			args []string
			want string
		}{[]string{"--model", tinyHF, "--device", "cuda", "a [MASK]"}, "--device cuda: this binary was built without CUDA support: rebuild it with CGO_ENABLED=1 go build -tags cuda"})
	}
	for _, c := range cases {
		_, _, err := runArgs(c.args, "")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err %v, want containing %q", c.args, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "truncation") {
			t.Errorf("%v: %v mentions truncation", c.args, err)
		}
	}
}

// --help prints the usage and succeeds.
func TestHelp(t *testing.T) {
	for _, arg := range []string{"--help", "-h"} {
		out, errs, err := runArgs([]string{arg}, "")
		if err != nil || !strings.Contains(errs+out, "usage: fillmask") {
			t.Errorf("%s: err %v, output %q", arg, err, errs+out)
		}
	}
}

// A run's output directory: interrupted (checkpoints only) it is refused
// with the newest checkpoint named; that checkpoint folder works as
// --model, with the run's tokenizer files when it has none of its own.
func TestCheckpointFolderAndUnfinishedRun(t *testing.T) {
	out := t.TempDir()
	m, err := distilbert.LoadDir(tinyHF)
	if err != nil {
		t.Fatal(err)
	}
	opt := trainer.NewAdamW(m.Params, trainer.DefaultAdamWConfig(0.01))
	if _, err := trainer.SaveCheckpoint(out, m, opt, &trainer.State{GlobalStep: 0}); err != nil {
		t.Fatal(err)
	}
	opt.Steps = 8 // as if 8 steps had run
	ck8, err := trainer.SaveCheckpoint(out, m, opt, &trainer.State{GlobalStep: 8})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"vocab.txt", "tokenizer_config.json", "special_tokens_map.json"} {
		data, err := os.ReadFile(filepath.Join(tinyHF, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err = runArgs([]string{"--model", out, "the [MASK] was boring ."}, "")
	if err == nil || !strings.Contains(err.Error(), "not finished") || !strings.Contains(err.Error(), ck8) {
		t.Errorf("unfinished run: err %v, want 'not finished' naming %s", err, ck8)
	}
	want, _, err := runArgs([]string{"--model", tinyHF, "--json", "the [MASK] was boring ."}, "")
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := runArgs([]string{"--model", ck8, "--json", "the [MASK] was boring ."}, "")
	if err != nil {
		t.Fatalf("checkpoint folder: %v", err)
	}
	if got != want {
		t.Errorf("checkpoint folder: %s\nthe same weights in tiny-hf: %s", got, want)
	}
}

// A Hub id resolves through the huggingface_hub cache (offline: a snapshot
// laid out as huggingface_hub writes it).
func TestHubID(t *testing.T) {
	fakehub.OfflineCache(t, "someone/tiny", tinyHF)
	out, _, err := runArgs([]string{"--model", "someone/tiny", "the [MASK] was boring ."}, "")
	if err != nil || !strings.HasPrefix(out, ">>> the") {
		t.Errorf("Hub id: err %v, output %q", err, out)
	}
}

// The push round trip of issue 13 from fillmask's side: a model folder
// pushed with the Hub upload client to the loopback fake Hub (a private
// repository, so the token matters), then `fillmask --model alice/tiny`
// downloads it and prints exactly what the local folder prints.
func TestPushedModelByHubID(t *testing.T) {
	h := fakehub.New(t)
	t.Setenv("HF_ENDPOINT", h.URL)
	t.Setenv("HF_TOKEN", h.Token)
	t.Setenv("HF_HOME", t.TempDir())
	t.Setenv("HF_HUB_CACHE", "")
	t.Setenv("HF_HUB_OFFLINE", "")
	ctx := context.Background()
	opt := hub.DefaultOptions()
	const id = "alice/tiny"
	if _, err := hub.CreateRepo(ctx, id, true, opt); err != nil {
		t.Fatal(err)
	}
	if _, err := hub.UploadFolder(ctx, id, tinyHF, hub.UploadOptions{Options: opt, CommitMessage: "upload"}); err != nil {
		t.Fatal(err)
	}
	const text = "the [MASK] was boring ."
	local, _, err := runArgs([]string{"--model", tinyHF, "--json", text}, "")
	if err != nil {
		t.Fatal(err)
	}
	remote, stderr, err := runArgs([]string{"--model", id, "--json", text}, "")
	if err != nil {
		t.Fatalf("fillmask --model %s: %v\n%s", id, err, stderr)
	}
	if remote != local {
		t.Errorf("fillmask of the pushed model differs from the local folder's:\nhub:   %s\nlocal: %s", remote, local)
	}
}
