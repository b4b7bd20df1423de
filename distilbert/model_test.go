package distilbert

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distilgo/distilgo/safetensors"
	"github.com/distilgo/distilgo/tensor"
	"github.com/google/go-cmp/cmp"
)

func tinyConfig() Config {
	cfg := DefaultConfig()
	cfg.VocabSize, cfg.Dim, cfg.NLayers, cfg.NHeads, cfg.HiddenDim, cfg.MaxPositionEmbeddings = 100, 32, 2, 4, 64, 16
	return cfg
}

func tinyBatch() (Input, []int32) {
	B, T := 3, 8
	in := Input{B: B, T: T, InputIDs: make([]int32, B*T), AttentionMask: make([]int32, B*T)}
	labels := make([]int32, B*T)
	for i := range in.InputIDs {
		in.InputIDs[i] = int32((i*37 + 11) % 100)
		in.AttentionMask[i] = 1
		labels[i] = tensor.IgnoreIndex
	}
	for t := 5; t < T; t++ { // row 1 padded after 5 tokens
		in.AttentionMask[T+t] = 0
		in.InputIDs[T+t] = 0
	}
	labels[2], labels[T+1], labels[2*T+7], labels[2*T] = 5, 17, 99, 0
	return in, labels
}

// The parameter names and count of distilbert-base-uncased's
// DistilBertForMaskedLM: 106 state-dict keys (4 embeddings + 6×16 layer + 6 head) (vocab_projector.weight tied),
// 66,985,530 parameters.
func TestBaseParameterNamesAndCount(t *testing.T) {
	m := build(DefaultConfig())
	names := m.Params.AllNames()
	if len(names) != 106 {
		t.Errorf("%d state-dict names, want 106", len(names))
	}
	for _, want := range []string{
		"distilbert.embeddings.word_embeddings.weight",
		"distilbert.embeddings.position_embeddings.weight",
		"distilbert.embeddings.LayerNorm.weight",
		"distilbert.embeddings.LayerNorm.bias",
		"distilbert.transformer.layer.0.attention.q_lin.weight",
		"distilbert.transformer.layer.5.attention.out_lin.bias",
		"distilbert.transformer.layer.3.sa_layer_norm.weight",
		"distilbert.transformer.layer.2.ffn.lin1.weight",
		"distilbert.transformer.layer.4.ffn.lin2.bias",
		"distilbert.transformer.layer.1.output_layer_norm.bias",
		"vocab_transform.weight", "vocab_transform.bias",
		"vocab_layer_norm.weight", "vocab_layer_norm.bias",
		"vocab_projector.weight", "vocab_projector.bias",
	} {
		if _, ok := m.Params.Lookup(want); !ok {
			t.Errorf("missing parameter %q", want)
		}
	}
	if got := m.Params.Len(); got != 66985530 {
		t.Errorf("%d parameters, want 66,985,530", got)
	}
	w, _ := m.Params.Lookup("vocab_projector.weight")
	if w != m.DistilBert.Embeddings.WordEmbeddings.Weight {
		t.Errorf("vocab_projector.weight is not tied to the word embeddings")
	}
}

// New follows _init_weights: N(0, 0.02²) weights, zero biases, LayerNorm
// 1/0, zero padding row; and the same seed gives the same model.
func TestRandomInit(t *testing.T) {
	cfg := tinyConfig()
	cfg.VocabSize, cfg.Dim = 1000, 64
	m, err := New(cfg, 42)
	if err != nil {
		t.Fatal(err)
	}
	w := m.DistilBert.Embeddings.WordEmbeddings.Weight.Host()
	for _, v := range w[:cfg.Dim] {
		if v != 0 {
			t.Fatalf("padding row not zero")
		}
	}
	var s, ss float64
	rest := w[cfg.Dim:]
	for _, v := range rest {
		s += float64(v)
		ss += float64(v) * float64(v)
	}
	n := float64(len(rest))
	mean, std := s/n, math.Sqrt(ss/n-(s/n)*(s/n))
	// 63,936 samples: the sample std of N(0, 0.02²) is within 1% of 0.02 and
	// the mean within 5 standard errors (5*0.02/√n = 4e-4) of 0.
	if math.Abs(std-0.02) > 0.0002 || math.Abs(mean) > 4e-4 {
		t.Errorf("word embeddings mean %g std %g, want N(0, 0.02²)", mean, std)
	}
	for i, name := range m.Params.Names {
		p := m.Params.Params[i].Host()
		switch {
		case strings.Contains(name, "LayerNorm.weight") || strings.Contains(name, "layer_norm.weight"):
			for _, v := range p {
				if v != 1 {
					t.Fatalf("%s not 1", name)
				}
			}
		case strings.HasSuffix(name, ".bias"):
			for _, v := range p {
				if v != 0 {
					t.Fatalf("%s not 0", name)
				}
			}
		}
	}
	m2, _ := New(cfg, 42)
	if !cmp.Equal(m.Params.Data, m2.Params.Data) {
		t.Errorf("same seed gave different parameters")
	}
	m3, _ := New(cfg, 43)
	if cmp.Equal(m.Params.Data, m3.Params.Data) {
		t.Errorf("different seeds gave the same parameters")
	}
}

// Only labelled positions go through the head in training; the loss and
// every gradient must equal those of the full-logits computation. The two
// paths do the same float32 ops on the same rows, but the head's products
// have 4 rows in one and 24 in the other, and SGEMM picks a different
// kernel (and so summation order) for ≤ 8 rows; with K ≤ 100 terms of O(1)
// the results then differ by a few K·u ≈ 1e-5 of the gradient's scale. A
// wrong gradient (a missed or double-counted position) is off by O(1).
func TestLabelledOnlyHeadMatchesFullLogits(t *testing.T) {
	m, err := New(tinyConfig(), 3)
	if err != nil {
		t.Fatal(err)
	}
	in, labels := tinyBatch()
	tp := tensor.NewTape()
	loss, n, err := m.Loss(tp, in, labels)
	if err != nil {
		t.Fatal(err)
	}
	tp.Backward(loss)
	gotGrad := append([]float32(nil), m.Params.Grad...)
	m.Params.ZeroGrad()

	tp2 := tensor.NewTape()
	logits, err := m.Logits(tp2, in)
	if err != nil {
		t.Fatal(err)
	}
	full := tp2.CrossEntropy(logits, labels)
	tp2.Backward(full)
	if n != 4 || math.Abs(float64(loss.Item()-full.Item())) > 1e-6*math.Abs(float64(full.Item())) {
		t.Fatalf("loss %v (n=%d), full-logits loss %v", loss.Item(), n, full.Item())
	}
	scale := 0.0
	for _, w := range m.Params.Grad {
		scale = math.Max(scale, math.Abs(float64(w)))
	}
	for i, g := range gotGrad {
		w := m.Params.Grad[i]
		if math.Abs(float64(g-w)) > 1e-5*scale {
			t.Fatalf("grad[%d] = %v, full-logits %v", i, g, w)
		}
	}
}

// A padded sequence gives the same hidden states at its real tokens as the
// same sequence alone: padding is masked out of attention as in transformers.
// Tolerance 1e-5: the softmax rows differ only by exact zeros.
func TestPaddingIsMaskedOut(t *testing.T) {
	m, err := New(tinyConfig(), 4)
	if err != nil {
		t.Fatal(err)
	}
	m.Train(false)
	in, _ := tinyBatch()
	tp := tensor.NewNoGradTape()
	h, err := m.Hidden(tp, in)
	if err != nil {
		t.Fatal(err)
	}
	T, C := in.T, m.Config.Dim
	alone := Input{B: 1, T: 5, InputIDs: in.InputIDs[T : T+5]}
	h1, err := m.Hidden(tp, alone)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5*C; i++ {
		if d := math.Abs(float64(h.Host()[T*C+i] - h1.Host()[i])); d > 1e-5 {
			t.Fatalf("hidden[%d] padded %v vs alone %v", i, h.Host()[T*C+i], h1.Host()[i])
		}
	}
}

func TestNoLabelsGivesZeroLoss(t *testing.T) {
	m, _ := New(tinyConfig(), 5)
	in, labels := tinyBatch()
	for i := range labels {
		labels[i] = tensor.IgnoreIndex
	}
	tp := tensor.NewTape()
	loss, n, err := m.Loss(tp, in, labels)
	if err != nil || n != 0 || loss.Item() != 0 {
		t.Fatalf("loss %v n %d err %v, want 0 0 nil", loss.Item(), n, err)
	}
	tp.Backward(loss)
	for _, g := range m.Params.Grad {
		if g != 0 {
			t.Fatalf("non-zero gradient without labels")
		}
	}
}

func TestBadInputErrors(t *testing.T) {
	m, _ := New(tinyConfig(), 6)
	in, labels := tinyBatch()
	tp := tensor.NewTape()
	cases := []struct {
		name string
		in   Input
		lab  []int32
		want string
	}{
		{"id out of vocab", Input{B: 1, T: 2, InputIDs: []int32{1, 100}}, []int32{-100, -100}, "outside vocabulary"},
		{"too long", Input{B: 1, T: 17, InputIDs: make([]int32, 17)}, make([]int32, 17), "max_position_embeddings"},
		{"ids/shape mismatch", Input{B: 2, T: 2, InputIDs: []int32{1}}, make([]int32, 4), "input ids"},
		{"label out of vocab", in, append(append([]int32(nil), labels[:23]...), 100), "label 100"},
		{"labels/shape mismatch", in, labels[:3], "labels"},
	}
	for _, c := range cases {
		_, _, err := m.Loss(tp, c.in, c.lab)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want containing %q", c.name, err, c.want)
		}
	}
}

func TestModelSaveLoadRoundTrip(t *testing.T) {
	m, _ := New(tinyConfig(), 7)
	dir := t.TempDir()
	if err := m.SaveDir(dir); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Open(filepath.Join(dir, safetensors.SingleFileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Info(tiedName); ok {
		t.Errorf("saved file holds the tied %s; transformers drops it", tiedName)
	}
	f.Close()
	m2, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(m.Params.Data, m2.Params.Data) {
		t.Fatalf("parameters differ after save/load")
	}
	in, _ := tinyBatch()
	m.Train(false)
	m2.Train(false)
	l1, _ := m.Logits(tensor.NewNoGradTape(), in)
	l2, _ := m2.Logits(tensor.NewNoGradTape(), in)
	if !cmp.Equal(l1.Host(), l2.Host()) {
		t.Fatalf("logits differ after save/load")
	}
}

func TestLoadErrorsNameTheTensor(t *testing.T) {
	m, _ := New(tinyConfig(), 8)
	write := func(t *testing.T, edit func([]safetensors.Tensor) []safetensors.Tensor) string {
		dir := t.TempDir()
		if err := m.SaveDir(dir); err != nil {
			t.Fatal(err)
		}
		ts := edit(m.stateDict())
		if err := safetensors.Write(filepath.Join(dir, safetensors.SingleFileName), ts, nil); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	cases := []struct {
		name string
		edit func([]safetensors.Tensor) []safetensors.Tensor
		want string
	}{
		{"missing", func(ts []safetensors.Tensor) []safetensors.Tensor { return ts[1:] }, `"distilbert.embeddings.word_embeddings.weight" missing`},
		{"unexpected", func(ts []safetensors.Tensor) []safetensors.Tensor {
			return append(ts, safetensors.Tensor{Name: "classifier.weight", Shape: []int{1}, Data: []float32{1}})
		}, "classifier.weight"},
		{"shape", func(ts []safetensors.Tensor) []safetensors.Tensor {
			ts[2] = safetensors.Tensor{Name: ts[2].Name, Shape: []int{2}, Data: []float32{1, 2}}
			return ts
		}, "distilbert.embeddings.LayerNorm.weight"},
		{"tied copy differs", func(ts []safetensors.Tensor) []safetensors.Tensor {
			w := make([]float32, 100*32)
			return append(ts, safetensors.Tensor{Name: tiedName, Shape: []int{100, 32}, Data: w})
		}, "tied"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadDir(write(t, c.edit))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want containing %q", err, c.want)
			}
		})
	}
	t.Run("tied copy equal is accepted", func(t *testing.T) {
		dir := write(t, func(ts []safetensors.Tensor) []safetensors.Tensor {
			w := m.DistilBert.Embeddings.WordEmbeddings.Weight
			return append(ts, safetensors.Tensor{Name: tiedName, Shape: []int{100, 32}, Data: w.Host()})
		})
		if _, err := LoadDir(dir); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("no directory", func(t *testing.T) {
		_, err := LoadDir(filepath.Join(t.TempDir(), "nope"))
		if err == nil || !strings.Contains(err.Error(), "nope") {
			t.Fatalf("err %v, want naming the path", err)
		}
	})
	t.Run("corrupt file", func(t *testing.T) {
		dir := t.TempDir()
		m.SaveDir(dir)
		os.WriteFile(filepath.Join(dir, safetensors.SingleFileName), []byte("garbage"), 0o644)
		if _, err := LoadDir(dir); err == nil {
			t.Fatal("corrupt checkpoint loaded")
		}
	})
}
