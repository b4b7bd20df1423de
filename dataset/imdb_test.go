package dataset

import (
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distilgo/distilgo/internal/shareddata"
	"github.com/distilgo/distilgo/tensor"
	"github.com/distilgo/distilgo/tokenizer"
)

// The real archive and tokenizer are loaded once for all tests that need
// them: reading the archive and tokenizing 100,000 reviews is the slow part.
var real struct {
	once   sync.Once
	docs   map[Split][]Document
	tok    *tokenizer.Tokenizer
	chunks map[Split]*Chunks
	err    error
}

func imdbArchive(t testing.TB) string {
	return shareddata.Path(t, "imdb/aclImdb_v1.tar.gz")
}

func realTokenizer(t testing.TB) *tokenizer.Tokenizer {
	tok, err := tokenizer.LoadVocab(shareddata.Path(t, "bert-base-uncased/vocab.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// realData reads the three splits and builds their chunks of 128.
func realData(t testing.TB) (map[Split][]Document, *tokenizer.Tokenizer, map[Split]*Chunks) {
	t.Helper()
	archive := imdbArchive(t)
	tok := realTokenizer(t)
	real.once.Do(func() {
		t0 := time.Now()
		real.tok = tok
		real.docs, real.err = readIMDBSplits(archive, Train, Test, Unsup)
		if real.err != nil {
			return
		}
		t1 := time.Now()
		real.chunks = map[Split]*Chunks{}
		for _, s := range allSplits {
			if real.chunks[s], real.err = BuildChunks(real.docs[s], tok, 128); real.err != nil {
				return
			}
		}
		t.Logf("read the archive in %v, tokenized and grouped 100,000 reviews in %v", t1.Sub(t0).Round(time.Millisecond), time.Since(t1).Round(time.Millisecond))
	})
	if real.err != nil {
		t.Fatal(real.err)
	}
	return real.docs, real.tok, real.chunks
}

// TestIMDBArchiveOrder checks the split sizes and the document order
// against the course's printed outputs: its first training review is
// "Bromwell High..." (train/pos/0_9.txt) and its second chunk continues
// into "Homelessness..." (train/pos/10000_8.txt).
func TestIMDBArchiveOrder(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the 57 MB archive")
	}
	docs, _, _ := realData(t)
	for s, n := range imdbSize {
		if len(docs[s]) != n {
			t.Errorf("%s: %d reviews, want %d", s, len(docs[s]), n)
		}
	}
	train := docs[Train]
	for i, want := range []struct{ source, prefix string }{
		{"aclImdb/train/pos/0_9.txt", "Bromwell High is a cartoon comedy."},
		{"aclImdb/train/pos/10000_8.txt", "Homelessness (or Houselessness as George Carlin stated)"},
		{"aclImdb/train/pos/10001_10.txt", ""},
	} {
		if train[i].Source != want.source || !strings.HasPrefix(train[i].Text, want.prefix) {
			t.Errorf("train[%d] = %s %.40q, want %s %q", i, train[i].Source, train[i].Text, want.source, want.prefix)
		}
	}
	for _, s := range []Split{Train, Test} {
		for i, d := range docs[s] {
			if want := map[bool]int{true: LabelPos, false: LabelNeg}[i < 12500]; d.Label != want {
				t.Fatalf("%s[%d] (%s): label %d, want %d", s, i, d.Source, d.Label, want)
			}
		}
	}
	if d := docs[Unsup][0]; d.Label != LabelUnsup || d.Source != "aclImdb/train/unsup/0_0.txt" {
		t.Errorf("unsup[0] = %s label %d", d.Source, d.Label)
	}
	if !strings.Contains(train[0].Text, "<br /><br />") && !strings.Contains(train[1].Text, "<br />") {
		t.Error("the <br /> tags were removed")
	}
}

// TestIMDBCourseChunkCounts is the end-to-end check of tokenization and
// grouping: the course reports 61,289 / 59,905 / 122,963 chunks of 128 for
// train / test / unsupervised. The issue asks for agreement within 0.1%,
// allowing for another document order (the count depends on the order only
// through the remainders dropped per group of 1,000 reviews). Our order is
// the course's, so the counts must be equal: any difference means a review
// tokenized to another length than Hugging Face's tokenizer gives.
func TestIMDBCourseChunkCounts(t *testing.T) {
	if testing.Short() {
		t.Skip("tokenizes all 100,000 reviews")
	}
	docs, tok, chunks := realData(t)
	course := map[Split]int{Train: 61289, Test: 59905, Unsup: 122963}
	for _, s := range allSplits {
		got, want := chunks[s].Len(), course[s]
		rel := math.Abs(float64(got-want)) / float64(want)
		t.Logf("%s: %d chunks of 128, course %d (difference %+d, %.4f%%)", s, got, want, got-want, 100*rel)
		if got != want {
			t.Errorf("%s: %d chunks, course %d", s, got, want)
		}
	}
	// The course prints the lengths of the first three tokenized training
	// reviews: 200, 559 and 192 tokens.
	for i, want := range []int{200, 559, 192} {
		ids, _ := tok.AppendIDs(nil, nil, docs[Train][i].Text)
		if len(ids) != want {
			t.Errorf("train review %d (%s): %d tokens, the course has %d", i, docs[Train][i].Source, len(ids), want)
		}
	}
	// And it decodes the second chunk (lm_datasets["train"][1]); compared
	// without spaces, which depend only on the decoder's cleanup rules.
	const courseChunk1 = ".... at.......... high. a classic line : inspector : i'm here to sack one of your teachers. student : welcome to bromwell high. i expect that many adults of my age think that bromwell high is far fetched. what a pity that it isn't! [SEP] [CLS] homelessness ( or houselessness as george carlin stated ) has been an issue for years but never a plan to help those on the street that were once considered human who did everything from going to school, work, or vote for the matter. most people think of the homeless"
	ids, wids := chunks[Train].Chunk(1)
	noSpace := func(s string) string { return strings.Join(strings.Fields(s), "") }
	if got := tok.Decode(ids, false); noSpace(got) != noSpace(courseChunk1) {
		t.Errorf("train chunk 1 decodes to\n%q\nthe course has\n%q", got, courseChunk1)
	}
	// Word ids restart at 0 in each review and are -1 on [CLS]/[SEP].
	for k, id := range ids {
		if tok.IsSpecial(id) != (wids[k] == -1) {
			t.Fatalf("chunk 1 token %d (id %d): word id %d", k, id, wids[k])
		}
		if k > 0 && ids[k-1] == tok.CLSID() && wids[k] != 0 {
			t.Errorf("first word after [CLS] has word id %d", wids[k])
		}
	}
}

// TestIMDBPrepareCourse runs the course's preparation on the real archive
// twice: the first run builds and caches the training chunks, the second
// loads them, and both give the same 10,000 / 1,000 chunks.
func TestIMDBPrepareCourse(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the archive and tokenizes 25,000 reviews")
	}
	_, tok, chunks := realData(t)
	var log logRecorder
	opt := CourseOptions(imdbArchive(t), tok, filepath.Join(t.TempDir(), "cache"))
	opt.Logf = log.logf
	train, test, err := Prepare(opt)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 10000 || test.Len() != 1000 || train.ChunkSize != 128 {
		t.Fatalf("train %d, test %d chunks of %d", train.Len(), test.Len(), train.ChunkSize)
	}
	wantTrain, wantTest, _ := SplitTrainTest(chunks[Train], 10000, 1000, 42)
	if d := diffChunks(wantTrain, train); d != "" {
		t.Errorf("train: %s", d)
	}
	if d := diffChunks(wantTest, test); d != "" {
		t.Errorf("test: %s", d)
	}
	t0 := time.Now()
	train2, test2, err := Prepare(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("second Prepare (cache load + split) in %v; log:\n%s", time.Since(t0).Round(time.Millisecond), strings.Join(log.lines, "\n"))
	if !log.has("loaded") {
		t.Error("second Prepare did not load the cache")
	}
	if diffChunks(train, train2) != "" || diffChunks(test, test2) != "" {
		t.Error("cached preparation differs from the built one")
	}
}

// TestIMDBCollateRealTokenizer masks real chunks with the real tokenizer:
// its special tokens ([CLS], [SEP], [PAD], [UNK], [MASK]) are never
// selected, and the selected fraction of the others is 0.15 within 5
// standard deviations.
func TestIMDBCollateRealTokenizer(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the tokenized archive")
	}
	_, tok, chunks := realData(t)
	for _, name := range []string{"[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]"} {
		id, ok := tok.TokenToID(name)
		if !ok || !tok.IsSpecial(id) {
			t.Errorf("%s (id %d, found %v) is not special", name, id, ok)
		}
	}
	col := &Collator{MLMProbability: 0.15, Tok: tok}
	batches := FixedMasked(chunks[Test].subset(seq(0, 2000)), col, 64, 42)
	var nonSpecial, selected, unk int
	for _, b := range batches {
		for k, l := range b.Labels {
			id := b.InputIDs[k]
			if l != tensor.IgnoreIndex {
				id = l
				if tok.IsSpecial(l) {
					t.Fatalf("special token %d selected", l)
				}
				selected++
			}
			if id == tok.UnkID() {
				unk++
			}
			if !tok.IsSpecial(id) {
				nonSpecial++
			}
		}
	}
	t.Logf("%d [UNK] tokens left alone", unk)
	within(t, "selected", selected, nonSpecial, 0.15)
	p := filepath.Join(t.TempDir(), "eval.jsonl")
	if err := WriteMaskedJSONL(p, batches); err != nil {
		t.Fatal(err)
	}
	ex, err := ReadMaskedJSONL(p)
	if err != nil {
		t.Fatal(err)
	}
	again := BatchExamples(ex, 64, tok.PadID())
	for i := range batches {
		if d := diffBatch(batches[i], again[i]); d != "" {
			t.Fatalf("JSONL round trip, batch %d: %s", i, d)
		}
	}
}
