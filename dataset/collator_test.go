package dataset

import (
	"math"
	"testing"

	"github.com/distilgo/distilgo/internal/rng"
	"github.com/distilgo/distilgo/internal/stattest"
	"github.com/distilgo/distilgo/tensor"
)

// testChunks builds chunks of T tokens from random documents with the fake
// tokenizer (so they contain [CLS], [SEP], [UNK] and multi-token words).
func testChunks(t testing.TB, nDocs, T int) *Chunks {
	t.Helper()
	c, err := buildChunks(randomDocs(rng.Keyed(9, 0, 0, 0), nDocs, 80), newFakeTok(), T, groupDocs, 2)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func seq(lo, hi int) []int {
	s := make([]int, 0, hi-lo)
	for i := lo; i < hi; i++ {
		s = append(s, i)
	}
	return s
}

// within checks a count k of n Bernoulli(p) trials against p with a bound
// of 5 standard deviations, sqrt(n p (1-p)): a correct sampler fails with
// probability below 6e-7.
func within(t *testing.T, what string, k, n int, p float64) {
	t.Helper()
	sd := math.Sqrt(float64(n) * p * (1 - p))
	if d := math.Abs(float64(k) - float64(n)*p); d > 5*sd {
		t.Errorf("%s: %d of %d = %.5f, want %.5f +- %.5f (5 sd)", what, k, n, float64(k)/float64(n), p, 5*sd/float64(n))
	} else {
		t.Logf("%s: %d of %d = %.5f (want %.5f +- %.5f)", what, k, n, float64(k)/float64(n), p, 5*sd/float64(n))
	}
}

func TestCollateTokenMaskingStatistics(t *testing.T) {
	tok := newFakeTok()
	chunks := testChunks(t, 3000, 128)
	col := &Collator{MLMProbability: 0.15, Tok: tok}
	V := float64(tok.VocabSize())
	var b Batch
	var nonSpecial, selected, toMask, kept, toOther int
	const B = 64
	for step := 0; (step+1)*B <= chunks.Len(); step++ {
		col.Collate(&b, chunks, seq(step*B, (step+1)*B), 7, 0, step)
		if b.B != B || b.T != 128 {
			t.Fatalf("batch %dx%d", b.B, b.T)
		}
		for i := range B {
			orig, _ := chunks.Chunk(step*B + i)
			for j, id := range orig {
				k := i*128 + j
				if b.AttentionMask[k] != 1 {
					t.Fatalf("attention mask %d at %d", b.AttentionMask[k], k)
				}
				if tok.IsSpecial(id) {
					if b.Labels[k] != tensor.IgnoreIndex || b.InputIDs[k] != id {
						t.Fatalf("special token %d selected: input %d, label %d", id, b.InputIDs[k], b.Labels[k])
					}
					continue
				}
				nonSpecial++
				if b.Labels[k] == tensor.IgnoreIndex {
					if b.InputIDs[k] != id {
						t.Fatalf("unselected token %d changed to %d", id, b.InputIDs[k])
					}
					continue
				}
				if b.Labels[k] != id {
					t.Fatalf("label %d, want the original id %d", b.Labels[k], id)
				}
				selected++
				switch in := b.InputIDs[k]; {
				case in == fakeMask:
					toMask++
				case in == id:
					kept++
				default:
					if in < 0 || int(in) >= tok.VocabSize() {
						t.Fatalf("random token %d outside [0, %d)", in, tok.VocabSize())
					}
					toOther++
				}
			}
		}
	}
	within(t, "selected", selected, nonSpecial, 0.15)
	// A random replacement can draw [MASK] or the original id (1/V each):
	// P([MASK]) = 0.8 + 0.1/V, P(unchanged) = 0.1 + 0.1/V.
	within(t, "replaced by [MASK]", toMask, selected, 0.8+0.1/V)
	within(t, "unchanged", kept, selected, 0.1+0.1/V)
	within(t, "replaced by another token", toOther, selected, 0.1*(1-2/V))
}

// TestCollateRandomTokensUniform checks that random replacements are
// uniform over [0, V): with V = 16 (small, so that every id is drawn often)
// and p = 1, the ids drawn where the token changed to something other than
// [MASK] and the original must be uniform over the 14 remaining ids.
func TestCollateRandomTokensUniform(t *testing.T) {
	tok := &fakeTok{v: 16}
	const T = 64
	c := &Chunks{ChunkSize: T}
	for i := range 500 * T {
		c.IDs = append(c.IDs, 5+int32(i%2)) // ids 5 and 6, not special for fakeTok
		c.WordIDs = append(c.WordIDs, int32(i))
	}
	// fakeTok's specials are 0, 100..103: with V = 16, only 0 lies below V.
	col := &Collator{MLMProbability: 1, Tok: tok}
	var b Batch
	counts := make([]int, 16)
	for step := range 50 {
		col.Collate(&b, c, seq(step*10, step*10+10), 1, 0, step)
		for k, in := range b.InputIDs {
			if in != fakeMask && in != b.Labels[k] {
				counts[in]++
			}
		}
	}
	// Exclude ids 5 and 6 (each is the original, hence not counted, half
	// of the time) and compare the counts of the 14 other ids.
	var rest []int
	total := 0
	for id, n := range counts {
		if id != 5 && id != 6 {
			rest = append(rest, n)
			total += n
		}
	}
	if x, bound := stattest.ChiSquare(rest, float64(total)/float64(len(rest))), stattest.ChiSquareBound(len(rest)-1); x > bound {
		t.Errorf("random ids not uniform: chi-square %.1f > %.1f, counts %v", x, bound, counts)
	}
}

func TestCollateExtremes(t *testing.T) {
	tok := newFakeTok()
	chunks := testChunks(t, 200, 32)
	idx := seq(0, 20)
	var b Batch
	(&Collator{MLMProbability: 0, Tok: tok}).Collate(&b, chunks, idx, 1, 0, 0)
	for k, l := range b.Labels {
		if l != tensor.IgnoreIndex || b.InputIDs[k] != chunks.IDs[k] {
			t.Fatalf("p=0: position %d selected", k)
		}
	}
	(&Collator{MLMProbability: 1, Tok: tok}).Collate(&b, chunks, idx, 1, 0, 0)
	for k, l := range b.Labels {
		if special := tok.IsSpecial(chunks.IDs[k]); special != (l == tensor.IgnoreIndex) {
			t.Fatalf("p=1: position %d (id %d, special %v) has label %d", k, chunks.IDs[k], special, l)
		}
	}
}

func TestCollateReproducible(t *testing.T) {
	tok := newFakeTok()
	chunks := testChunks(t, 400, 64)
	for _, ww := range []bool{false, true} {
		col := &Collator{MLMProbability: 0.15, WholeWord: ww, Tok: tok}
		idx := []int{5, 3, 90, 11}
		var a, b, c Batch
		col.Collate(&a, chunks, idx, 42, 2, 17)
		col.Collate(&c, chunks, idx, 42, 2, 18) // in between, on another batch
		col.Collate(&b, chunks, idx, 42, 2, 17)
		if diff := diffBatch(a, b); diff != "" {
			t.Errorf("whole word %v: same (seed, epoch, step), different batches:\n%s", ww, diff)
		}
		if diffInts(a.InputIDs, c.InputIDs) == "" {
			t.Errorf("whole word %v: steps 17 and 18 give the same masks", ww)
		}
		col.Collate(&c, chunks, idx, 42, 3, 17)
		if diffInts(a.InputIDs, c.InputIDs) == "" {
			t.Errorf("whole word %v: epochs 2 and 3 give the same masks", ww)
		}
		col.Collate(&c, chunks, idx, 43, 2, 17)
		if diffInts(a.InputIDs, c.InputIDs) == "" {
			t.Errorf("whole word %v: seeds 42 and 43 give the same masks", ww)
		}
	}
}

func TestCollateReusesBuffers(t *testing.T) {
	tok := newFakeTok()
	chunks := testChunks(t, 400, 64)
	col := &Collator{MLMProbability: 0.15, Tok: tok}
	idx := seq(0, 16)
	var b Batch
	col.Collate(&b, chunks, idx, 1, 0, 0)
	step := 0
	allocs := testing.AllocsPerRun(20, func() {
		step++
		col.Collate(&b, chunks, idx, 1, 0, step)
	})
	if allocs != 0 {
		t.Errorf("Collate allocates %.1f times per call with a reused batch", allocs)
	}
}

// courseWordMapping is a transcription of the course's mapping in
// whole_word_masking_data_collator: word index -> token positions.
func courseWordMapping(wordIDs []int32) [][]int {
	var mapping [][]int
	currentWordIndex := -1
	var currentWord *int32
	for idx, w := range wordIDs {
		if w >= 0 { // word_id is not None
			if currentWord == nil || w != *currentWord {
				currentWord = &wordIDs[idx]
				currentWordIndex++
				mapping = append(mapping, nil)
			}
			mapping[currentWordIndex] = append(mapping[currentWordIndex], idx)
		}
	}
	return mapping
}

func TestCollateWholeWord(t *testing.T) {
	tok := newFakeTok()
	chunks := testChunks(t, 3000, 128)
	col := &Collator{MLMProbability: 0.2, WholeWord: true, Tok: tok}
	var b Batch
	var nWords, nSelected, multi int
	const B = 32
	for step := 0; (step+1)*B <= chunks.Len(); step++ {
		col.Collate(&b, chunks, seq(step*B, (step+1)*B), 3, 1, step)
		for i := range B {
			ids, wids := chunks.Chunk(step*B + i)
			in, lab := b.InputIDs[i*128:(i+1)*128], b.Labels[i*128:(i+1)*128]
			covered := make([]bool, 128)
			for _, pos := range courseWordMapping(wids) {
				nWords++
				if len(pos) > 1 {
					multi++
				}
				sel := lab[pos[0]] != tensor.IgnoreIndex
				if sel {
					nSelected++
				}
				for _, k := range pos {
					covered[k] = true
					if (lab[k] != tensor.IgnoreIndex) != sel {
						t.Fatalf("word at %v partly masked: labels %v", pos, lab)
					}
					if sel && (in[k] != fakeMask || lab[k] != ids[k]) {
						t.Fatalf("selected token %d: input %d label %d", ids[k], in[k], lab[k])
					}
					if !sel && in[k] != ids[k] {
						t.Fatalf("unselected token %d changed to %d", ids[k], in[k])
					}
				}
			}
			for k := range 128 {
				if !covered[k] && (lab[k] != tensor.IgnoreIndex || in[k] != ids[k]) {
					t.Fatalf("token %d with word id %d selected", ids[k], wids[k])
				}
			}
		}
	}
	if multi == 0 {
		t.Fatal("no multi-token words: the test cannot tell word masking from token masking")
	}
	within(t, "words selected", nSelected, nWords, 0.2)
}

func TestFixedMasked(t *testing.T) {
	tok := newFakeTok()
	test := testChunks(t, 1500, 32)
	if test.Len() < 2*mapBatch+1 {
		t.Fatalf("only %d chunks: want several map batches", test.Len())
	}
	col := &Collator{MLMProbability: 0.15, Tok: tok}
	a := FixedMasked(test, col, 64, 42)
	flat := func(bs []Batch) Batch {
		var all Batch
		all.T = bs[0].T
		for _, b := range bs {
			all.B += b.B
			all.InputIDs = append(all.InputIDs, b.InputIDs...)
			all.AttentionMask = append(all.AttentionMask, b.AttentionMask...)
			all.Labels = append(all.Labels, b.Labels...)
		}
		return all
	}
	if want := (test.Len() + 63) / 64; len(a) != want {
		t.Fatalf("%d batches, want %d", len(a), want)
	}
	if last := a[len(a)-1]; last.B != test.Len()-64*(len(a)-1) || last.T != 32 {
		t.Errorf("last batch %dx%d", last.B, last.T)
	}
	if diff := diffBatch(flat(a), flat(FixedMasked(test, col, 64, 42))); diff != "" {
		t.Errorf("two calls differ:\n%s", diff)
	}
	if diff := diffBatch(flat(a), flat(FixedMasked(test, col, 7, 42))); diff != "" {
		t.Errorf("masks depend on the batch size:\n%s", diff)
	}
	if diffBatch(flat(a), flat(FixedMasked(test, col, 64, 43))) == "" {
		t.Error("seeds 42 and 43 give the same masks")
	}
	// The masks are the collator's: map batch g is Collate's masking with
	// the "eval" stream of (seed, 0, g).
	var r rng.PCG
	r.Seed(rng.Keys(42, rng.PurposeEval, 0, 1))
	var want Batch
	col.collate(&want, test, seq(mapBatch, 2*mapBatch), &r)
	got := flat(a)
	if diff := diffInts(want.Labels, got.Labels[mapBatch*32:2*mapBatch*32]); diff != "" {
		t.Errorf("map batch 1 (-want +got):\n%s", diff)
	}
}
