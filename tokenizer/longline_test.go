package tokenizer

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// onePass is Encode's single-pass path, whatever the text's length: the
// reference the two-pass path of long texts must match exactly.
func onePass(t *Tokenizer, text string, opt EncodeOptions) Encoding {
	e := t.getEncoder(true)
	defer putEncoder(e)
	e.run(text)
	return e.encoding("Encode", opt)
}

// Long texts (over countFirstBytes) are encoded in two passes; ids,
// offsets, word ids and masks must be those of one pass, with and without
// special tokens, truncation and padding, for ASCII, Unicode (accents, CJK,
// punctuation), added tokens in the text, and words over the 100-character
// limit ([UNK] spanning the whole word).
func TestLongTextTwoPassesMatchOnePass(t *testing.T) {
	tk := bertTokenizer(t)
	long := strings.Repeat("x", 150)
	pieces := []string{
		"This movie was great, but the ending [MASK] was not!",
		"Café déjà vu — naïve 東京 films [SEP] ", long + "é",
		strings.Repeat("é", 120), "unbelievably-overrated(plot)...", "\t\n ",
	}
	var b strings.Builder
	for i := 0; b.Len() < 3*countFirstBytes; i++ {
		b.WriteString(pieces[i%len(pieces)])
		b.WriteByte(' ')
	}
	text := b.String()
	texts := []string{text, longLine(countFirstBytes+1000, 90), longLine(countFirstBytes+10, 0), text[:countFirstBytes+1]}
	opts := []EncodeOptions{{}, {AddSpecial: true}, {AddSpecial: true, MaxLength: 512}, {MaxLength: 7}, {AddSpecial: true, MaxLength: 2},
		{AddSpecial: true, PadTo: 1 << 18}, {MaxLength: 100, PadTo: 200}}
	for ti, text := range texts {
		for _, opt := range opts {
			want := onePass(tk, text, opt)
			got := tk.Encode(text, opt)
			if !sameEncoding(want, got) {
				t.Fatalf("text %d (%d bytes), %+v: two passes differ from one (-one +two):\n%.2000s", ti, len(text), opt, cmp.Diff(want, got))
			}
			if batch := tk.EncodeBatch([]string{text, "short"}, opt); !sameEncoding(batch[0], want) {
				t.Fatalf("text %d, %+v: EncodeBatch differs", ti, opt)
			}
		}
	}
}

// sameEncoding compares quickly (cmp.Equal reflects over every element).
func sameEncoding(a, b Encoding) bool {
	return slices.Equal(a.IDs, b.IDs) && slices.Equal(a.Offsets, b.Offsets) && slices.Equal(a.WordIDs, b.WordIDs) &&
		slices.Equal(a.AttentionMask, b.AttentionMask)
}

// A word over max_input_chars_per_word (100) is one [UNK] spanning the
// whole word, however long, and only its first characters are kept while
// it is read.
func TestLongWordIsOneUnk(t *testing.T) {
	tk := bertTokenizer(t)
	unk := tk.UnkID()
	for _, tc := range []struct {
		text string
		end  int
	}{
		{strings.Repeat("a", 101), 101},
		{strings.Repeat("é", 101), 202},
		{strings.Repeat("ab", 1<<20), 2 << 20},
	} {
		enc := tk.Encode(tc.text+" film", EncodeOptions{})
		film, _ := tk.TokenToID("film")
		want := Encoding{IDs: []int32{unk, film}, Offsets: [][2]int{{0, tc.end}, {tc.end + 1, tc.end + 5}}, WordIDs: []int32{0, 1}, AttentionMask: []int32{1, 1}}
		if d := cmp.Diff(want, enc); d != "" {
			t.Errorf("%d-byte word (-want +got):\n%s", len(tc.text), d)
		}
	}
	exact := strings.Repeat("a", 100) // at the limit: WordPiece runs
	if ids := tk.Encode(exact, EncodeOptions{}).IDs; len(ids) < 2 || ids[0] == unk {
		t.Errorf("100-character word: %v, want WordPiece pieces", ids)
	}
}

// The working memory of a long line is bounded: encoding a 4 MB word
// allocates far less than the line, and a line of 90-character
// words allocates about its output (28 bytes per token) and not the ~1 GB
// it used to.
func TestLongLineMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("tokenizes 8 MB")
	}
	tk := bertTokenizer(t)
	word := longLine(4<<20, 0)
	if a := testing.AllocsPerRun(1, func() { tk.Encode(word, EncodeOptions{}) }); a > 20 {
		t.Errorf("4 MB word: %v allocations", a)
	}
	res := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			tk.Encode(word, EncodeOptions{AddSpecial: true})
		}
	})
	if per := res.AllocedBytesPerOp(); per > 1<<20 {
		t.Errorf("4 MB word: %d bytes allocated, want under 1 MiB", per)
	}
	line := longLine(4<<20, 90)
	var n int
	res = testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			n = len(tk.Encode(line, EncodeOptions{AddSpecial: true}).IDs)
		}
	})
	// The output: ids, word ids and mask (4 bytes each) and offsets (16).
	if per, out := res.AllocedBytesPerOp(), int64(28*n); per > out+out/8 {
		t.Errorf("4 MB line: %d bytes allocated for %d tokens (output %d bytes)", per, n, out)
	}
}
