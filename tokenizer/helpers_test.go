package tokenizer

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"sync"
	"testing"

	"github.com/distilgo/distilgo/internal/shareddata"
)

var (
	vocabOnce sync.Once
	vocabTok  *Tokenizer
	vocabErr  error
)

// bertTokenizer loads the shared bert-base-uncased vocabulary once per test
// binary (skips when the shared data folder is absent, fails under CI).
func bertTokenizer(tb testing.TB) *Tokenizer {
	tb.Helper()
	path := shareddata.Path(tb, "bert-base-uncased/vocab.txt")
	vocabOnce.Do(func() { vocabTok, vocabErr = LoadVocab(path) })
	if vocabErr != nil {
		tb.Fatal(vocabErr)
	}
	return vocabTok
}

// review is one IMDB review of the shared archive.
type review struct {
	name string
	text string
}

var (
	reviewsOnce sync.Once
	reviewsAll  []review
	reviewsErr  error
)

var reviewName = regexp.MustCompile(`^aclImdb/(train|test)/(pos|neg|unsup)/[^/]+\.txt$`)

// imdbReviews reads all 100,000 reviews of the shared archive once per test
// binary, sorted by member name (the order of the golden files).
func imdbReviews(tb testing.TB) []review {
	tb.Helper()
	path := shareddata.Path(tb, "imdb/aclImdb_v1.tar.gz")
	reviewsOnce.Do(func() { reviewsAll, reviewsErr = readReviews(path) })
	if reviewsErr != nil {
		tb.Fatal(reviewsErr)
	}
	return reviewsAll
}

func readReviews(path string) ([]review, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	tr := tar.NewReader(zr)
	var out []review
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if h.Typeflag != tar.TypeReg || !reviewName.MatchString(h.Name) {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("%s: member %s: %w", path, h.Name, err)
		}
		out = append(out, review{h.Name, string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	if len(out) != 100000 {
		return nil, fmt.Errorf("%s: %d reviews, want 100000", path, len(out))
	}
	return out, nil
}

// hashEncoding feeds one encoding to h in the layout of the golden hashes
// (tools/tokenizer/gen_golden.js): count, ids, character offsets, word ids,
// all little-endian 32-bit.
func hashEncoding(h io.Writer, text string, e Encoding) {
	n := len(e.IDs)
	b := make([]byte, 0, 4+16*n)
	b = binary.LittleEndian.AppendUint32(b, uint32(n))
	for _, id := range e.IDs {
		b = binary.LittleEndian.AppendUint32(b, uint32(id))
	}
	for _, o := range CharOffsets(text, e.Offsets) {
		b = binary.LittleEndian.AppendUint32(b, uint32(o[0]))
		b = binary.LittleEndian.AppendUint32(b, uint32(o[1]))
	}
	for _, w := range e.WordIDs {
		b = binary.LittleEndian.AppendUint32(b, uint32(w))
	}
	h.Write(b)
}

func hashEncodings(texts []string, encs []Encoding) string {
	h := sha256.New()
	for i := range encs {
		hashEncoding(h, texts[i], encs[i])
	}
	return hex.EncodeToString(h.Sum(nil))
}

func vocabPath(tb testing.TB) string { return shareddata.Path(tb, "bert-base-uncased/vocab.txt") }
