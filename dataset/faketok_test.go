package dataset

import (
	"crypto/sha256"
	"fmt"
	"hash/fnv"
	"strings"
	"unicode/utf8"

	"github.com/distilgo/distilgo/internal/rng"
)

// fakeTok is a stand-in tokenizer with BERT's special ids: words are split
// on white space, words longer than 6 runes are cut into pieces of 4 runes
// sharing one word id (like WordPiece continuations), and each piece maps
// to an id by hashing. The word "[unk]" gives [UNK], as an unknown word
// does in BERT.
type fakeTok struct{ v int }

const (
	fakePad  = 0
	fakeUnk  = 100
	fakeCLS  = 101
	fakeSEP  = 102
	fakeMask = 103
)

func newFakeTok() *fakeTok { return &fakeTok{v: 30522} }

func (f *fakeTok) VocabSize() int { return f.v }
func (f *fakeTok) MaskID() int32  { return fakeMask }
func (f *fakeTok) PadID() int32   { return fakePad }
func (f *fakeTok) VocabHash() [32]byte {
	return sha256.Sum256([]byte(fmt.Sprintf("fake tokenizer V=%d", f.v)))
}
func (f *fakeTok) IsSpecial(id int32) bool {
	switch id {
	case fakePad, fakeUnk, fakeCLS, fakeSEP, fakeMask:
		return true
	}
	return false
}

func (f *fakeTok) pieceID(p string) int32 {
	h := fnv.New32a()
	h.Write([]byte(p))
	return int32(1000 + h.Sum32()%uint32(f.v-1000))
}

func (f *fakeTok) AppendIDs(ids, wordIDs []int32, text string) ([]int32, []int32) {
	ids, wordIDs = append(ids, fakeCLS), append(wordIDs, -1)
	for w, word := range strings.Fields(strings.ToLower(text)) {
		if word == "[unk]" {
			ids, wordIDs = append(ids, fakeUnk), append(wordIDs, int32(w))
			continue
		}
		if utf8.RuneCountInString(word) <= 6 {
			ids, wordIDs = append(ids, f.pieceID(word)), append(wordIDs, int32(w))
			continue
		}
		r := []rune(word)
		for lo := 0; lo < len(r); lo += 4 {
			ids, wordIDs = append(ids, f.pieceID(string(r[lo:min(lo+4, len(r))]))), append(wordIDs, int32(w))
		}
	}
	return append(ids, fakeSEP), append(wordIDs, -1)
}

// lookupTok returns stored token lists for texts "doc<i>" (for goldens
// whose inputs are token ids, not text).
type lookupTok struct {
	fakeTok
	ids, wids [][]int32
}

func (l *lookupTok) AppendIDs(ids, wordIDs []int32, text string) ([]int32, []int32) {
	var i int
	if _, err := fmt.Sscanf(text, "doc%d", &i); err != nil {
		panic("lookupTok: " + text)
	}
	return append(ids, l.ids[i]...), append(wordIDs, l.wids[i]...)
}

// badTok returns one word id too few for texts containing "bad".
type badTok struct{ fakeTok }

func (b *badTok) AppendIDs(ids, wordIDs []int32, text string) ([]int32, []int32) {
	ids, wordIDs = b.fakeTok.AppendIDs(ids, wordIDs, text)
	if strings.Contains(text, "bad") {
		wordIDs = wordIDs[:len(wordIDs)-1]
	}
	return ids, wordIDs
}

// words are a small vocabulary of random texts, some long enough to be cut
// into pieces.
var words = strings.Fields("the a movie film was great bad awful plot acting director " +
	"cinematography extraordinarily unwatchable br / > < i it is not [unk] characters screenplay")

// randomDocs returns n documents of 0 to maxWords words drawn from r.
func randomDocs(r *rng.PCG, n, maxWords int) []Document {
	docs := make([]Document, n)
	for i := range docs {
		k := int(r.IntN(uint64(maxWords + 1)))
		var sb strings.Builder
		for j := range k {
			if j > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(words[r.IntN(uint64(len(words)))])
		}
		docs[i] = Document{Text: sb.String(), Label: LabelUnsup, Source: fmt.Sprintf("doc %d", i)}
	}
	return docs
}

// diffInts describes the first difference between two int32 slices, or
// returns "" (cmp.Diff is too slow for slices of a million elements).
func diffInts(want, got []int32) string {
	for i := range min(len(want), len(got)) {
		if want[i] != got[i] {
			return fmt.Sprintf("first difference at %d: want %d, got %d", i, want[i], got[i])
		}
	}
	if len(want) != len(got) {
		return fmt.Sprintf("lengths differ: want %d, got %d", len(want), len(got))
	}
	return ""
}

// diffChunks describes how two Chunks differ, or returns "".
func diffChunks(want, got *Chunks) string {
	if want.ChunkSize != got.ChunkSize {
		return fmt.Sprintf("chunk size: want %d, got %d", want.ChunkSize, got.ChunkSize)
	}
	if d := diffInts(want.IDs, got.IDs); d != "" {
		return "ids: " + d
	}
	if d := diffInts(want.WordIDs, got.WordIDs); d != "" {
		return "word ids: " + d
	}
	return ""
}

// diffBatch describes how two batches differ, or returns "".
func diffBatch(want, got Batch) string {
	if want.B != got.B || want.T != got.T {
		return fmt.Sprintf("shape: want %dx%d, got %dx%d", want.B, want.T, got.B, got.T)
	}
	for _, f := range []struct {
		name      string
		want, got []int32
	}{{"input ids", want.InputIDs, got.InputIDs}, {"attention mask", want.AttentionMask, got.AttentionMask}, {"labels", want.Labels, got.Labels}} {
		if d := diffInts(f.want, f.got); d != "" {
			return f.name + ": " + d
		}
	}
	return ""
}
