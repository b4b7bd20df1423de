package detinit

import (
	"math"
	"strings"
	"testing"

	"github.com/distilgo/distilgo/internal/rng"
	"github.com/distilgo/distilgo/safetensors"
)

// TestReferenceVectors pins the two hash functions to published test
// vectors: FNV-1a 64 of "" and "a", and SplitMix64's first output for
// state 0 (0xe220a8397b1dcdaf in the reference C code by Vigna).
func TestReferenceVectors(t *testing.T) {
	for _, tc := range []struct {
		got, want uint64
		what      string
	}{
		{fnv1a64(""), 0xcbf29ce484222325, `fnv1a64("")`},
		{fnv1a64("a"), 0xaf63dc4c8601ec8c, `fnv1a64("a")`},
		{rng.SplitMix64(0), 0xe220a8397b1dcdaf, "SplitMix64(0)"},
		// Printed by tools/golden/detinit.py.
		{fnv1a64("distilbert.embeddings.word_embeddings.weight"), 16819233697499795078, "fnv1a64(word_embeddings)"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %#x, want %#x", tc.what, tc.got, tc.want)
		}
	}
	// Values printed by tools/golden/detinit.py (str of numpy float32 scalars: the shortest
	// repr, which round-trips exactly).
	want := []float32{-0.0986826, -0.006432998, -0.086080834, -0.07095512}
	for i, w := range want {
		if got := Tiny.Value("vocab_transform.bias", i); got != w {
			t.Errorf("Tiny vocab_transform.bias[%d] = %v, want %v", i, got, w)
		}
	}
	want = []float32{0.9702707, 1.0965031, 1.0431011, 0.974228}
	for i, w := range want {
		if got := Base.Value("distilbert.embeddings.LayerNorm.weight", i); got != w {
			t.Errorf("Base LayerNorm.weight[%d] = %v, want %v", i, got, w)
		}
	}
}

// TestMatchesPythonTiny regenerates every parameter stored in the
// tiny golden (written from detinit.py's TINY values) and requires
// bit-identical values.
func TestMatchesPythonTiny(t *testing.T) {
	f, err := safetensors.Open("../../distilbert/testdata/tiny_mlm.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for _, name := range f.Names() {
		if !strings.HasPrefix(name, "distilbert.") && !strings.HasPrefix(name, "vocab_") {
			continue // inputs, outputs and grad.* entries
		}
		want, _, err := f.Float32(name)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]float32, len(want))
		Tiny.Fill(name, got)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s[%d] = %v, Python wrote %v", name, i, got[i], want[i])
			}
		}
		n++
	}
	if n != 41 { // 4 embedding + 2 x 16 per layer + 5 head parameters
		t.Errorf("checked %d parameters, want 41", n)
	}
}

// TestMatchesPythonBase checks samples of every full-size parameter
// (including the last element of the 23M-element word embeddings) against
// detinit.py's BASE values, bit for bit.
func TestMatchesPythonBase(t *testing.T) {
	f, err := safetensors.Open("../../distilbert/testdata/detinit_base.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for _, key := range f.Names() {
		name, ok := strings.CutPrefix(key, "index.")
		if !ok {
			continue
		}
		idx, _, err := f.Int64(key)
		if err != nil {
			t.Fatal(err)
		}
		vals, _, err := f.Float32("value." + name)
		if err != nil {
			t.Fatal(err)
		}
		for k, i := range idx {
			if got := Base.Value(name, int(i)); math.Float32bits(got) != math.Float32bits(vals[k]) {
				t.Errorf("%s[%d] = %v, Python wrote %v", name, i, got, vals[k])
			}
		}
		n++
	}
	if n != 6*16+4+5 {
		t.Errorf("checked %d parameters, want %d", n, 6*16+4+5)
	}
}

func BenchmarkFill(b *testing.B) {
	dst := make([]float32, 1<<20)
	b.SetBytes(4 << 20)
	for b.Loop() {
		Base.Fill("distilbert.embeddings.word_embeddings.weight", dst)
	}
}
