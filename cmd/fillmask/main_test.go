package main

import (
	"bytes"
	"encoding/json"
	"math"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/distilgo/distilgo/safetensors"
)

// tinyHF is a checkpoint written in transformers' layout by the PyTorch
// reference (tools/golden), with a 100-token vocabulary; its logits for
// "the [MASK] was boring ." are recorded in tiny_hf_logits.safetensors.
var tinyHF = filepath.Join("..", "..", "distilbert", "testdata", "tiny-hf")

// The top-5 predictions equal the softmax of PyTorch's logits at the mask
// (row 1, position 2 of the golden): same token order, scores within 1e-5
// relative (the logits agree to ~5e-7 of scale; softmax keeps that), and the
// pipeline's sequence: the text with the mask filled, special tokens
// dropped, spaces before punctuation cleaned.
func TestFillMaskMatchesReferenceLogits(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run([]string{"--model", tinyHF, "--json", "the [MASK] was boring ."}, nil, &out, &errb); err != nil {
		t.Fatalf("run: %v (stderr %s)", err, errb.String())
	}
	var got []Prediction
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("output %q: %v", out.String(), err)
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
	row := logits[(1*shape[1]+2)*V : (1*shape[1]+3)*V]
	p := softmax64(row)
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
		want := "the " + g.TokenStr + " was boring."
		if strings.HasPrefix(g.TokenStr, "##") || g.TokenStr == "." || g.TokenStr == "," || g.TokenStr == "!" || g.TokenStr == "?" || g.TokenStr == "'" {
			continue // joined or cleaned differently; the token check above covers it
		}
		if g.Sequence != want {
			t.Errorf("prediction %d: sequence %q, want %q", i, g.Sequence, want)
		}
	}
}

func TestFillMaskTextOutputAndSeveralMasks(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run([]string{"--model", tinyHF, "--top-k", "2", "this movie is [MASK] !"}, nil, &out, &errb); err != nil {
		t.Fatalf("run: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], ">>> this movie is ") {
		t.Fatalf("output %q, want two '>>> this movie is ...' lines", out.String())
	}
	// Two masks: one list per mask, special tokens kept (the pipeline's rule).
	out.Reset()
	if err := run([]string{"--model", tinyHF, "--json", "--top-k", "3", "[MASK] movie is [MASK] ."}, nil, &out, &errb); err != nil {
		t.Fatalf("run: %v", err)
	}
	var got [][]Prediction
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || len(got) != 2 || len(got[0]) != 3 {
		t.Fatalf("output %q: want 2 lists of 3 (%v)", out.String(), err)
	}
	if !strings.Contains(got[0][0].Sequence, "[MASK]") {
		t.Errorf("with two masks the other mask stays in the sequence: %q", got[0][0].Sequence)
	}
	// Texts on stdin run as one batch.
	out.Reset()
	if err := run([]string{"--model", tinyHF, "--top-k", "1"}, strings.NewReader("this [MASK] is great\n\nthe film was [MASK]\n"), &out, &errb); err != nil {
		t.Fatalf("run: %v", err)
	}
	if n := strings.Count(out.String(), ">>> "); n != 2 {
		t.Fatalf("stdin batch: %d predictions in %q, want 2", n, out.String())
	}
}

// A text longer than max_position_embeddings (16 in the tiny config) is
// truncated with a warning, as the pipeline does, when its [MASK] survives.
func TestFillMaskTruncates(t *testing.T) {
	var out, errb bytes.Buffer
	text := "the [MASK] was boring" + strings.Repeat(" very", 20)
	if err := run([]string{"--model", tinyHF, "--top-k", "1", text}, nil, &out, &errb); err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.Contains(errb.String(), "truncated") {
		t.Errorf("no truncation warning in %q", errb.String())
	}
	var errb2 bytes.Buffer
	err := run([]string{"--model", tinyHF, strings.Repeat("very ", 20) + "[MASK]"}, nil, &out, &errb2)
	if err == nil || !strings.Contains(err.Error(), "no [MASK]") {
		t.Errorf("mask cut off by truncation: err %v", err)
	}
}

func TestFillMaskErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--model", tinyHF, "no mask here"}, "no [MASK]"},
		{[]string{"--model", filepath.Join(t.TempDir(), "missing"), "a [MASK]"}, "missing"},
		{[]string{"--model", tinyHF, "--top-k", "0", "a [MASK]"}, "--top-k"},
		{[]string{"--model", tinyHF}, "no text"},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		err := run(c.args, strings.NewReader(""), &out, &errb)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err %v, want containing %q", c.args, err, c.want)
		}
	}
}
