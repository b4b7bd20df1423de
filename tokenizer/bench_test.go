package tokenizer

import (
	"crypto/sha256"
	"encoding/binary"
	"runtime"
	"testing"
	"time"
)

// The IMDB benchmarks tokenize all 100,000 reviews (train, test, unsup:
// 132 MB) per iteration and report MB/s (from SetBytes) and reviews/s. The
// thread count is GOMAXPROCS: run with -cpu 1,2 for one thread and all
// threads. tools/tokenizer/bench.sh runs them beside Hugging Face's Rust
// tokenizer on the same texts and thread counts.

func imdbTexts(b *testing.B) ([]string, int64) {
	reviews := imdbReviews(b)
	texts := make([]string, len(reviews))
	var n int64
	for i, r := range reviews {
		texts[i] = r.text
		n += int64(len(r.text))
	}
	return texts, n
}

func reportReviews(b *testing.B, n int, start time.Time) {
	b.ReportMetric(float64(n)*float64(b.N)/time.Since(start).Seconds(), "reviews/s")
}

// BenchmarkIMDBAppendIDs is the dataset pipeline's path: ids and word ids of
// every review, in parallel over GOMAXPROCS goroutines.
func BenchmarkIMDBAppendIDs(b *testing.B) {
	tk := bertTokenizer(b)
	texts, size := imdbTexts(b)
	b.SetBytes(size)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		parallelChunks(len(texts), func(lo, hi int) {
			var ids, words []int32
			for _, s := range texts[lo:hi] {
				ids, words = tk.AppendIDs(ids[:0], words[:0], s)
			}
		})
	}
	reportReviews(b, len(texts), start)
	b.StopTimer()
	// The digest that tools/tokenizer/bench_rust.js prints for the
	// reference: SHA-256 of all ids as little-endian int32.
	h := sha256.New()
	var ids []int32
	for _, s := range texts {
		ids, _ = tk.AppendIDs(ids[:0], nil, s)
		binary.Write(h, binary.LittleEndian, ids)
	}
	b.Logf("ids_sha256 %x", h.Sum(nil))
}

// BenchmarkIMDBEncodeBatch is EncodeBatch (ids, offsets, word ids, attention
// mask) over all reviews in batches of 1,000, as the Rust side runs.
func BenchmarkIMDBEncodeBatch(b *testing.B) {
	tk := bertTokenizer(b)
	texts, size := imdbTexts(b)
	b.SetBytes(size)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		for lo := 0; lo < len(texts); lo += 1000 {
			tk.EncodeBatch(texts[lo:min(lo+1000, len(texts))], EncodeOptions{AddSpecial: true})
		}
	}
	reportReviews(b, len(texts), start)
}

// parallelChunks runs fn over [0,n) split into GOMAXPROCS contiguous parts.
func parallelChunks(n int, fn func(lo, hi int)) {
	w := runtime.GOMAXPROCS(0)
	done := make(chan struct{}, w)
	for k := 0; k < w; k++ {
		go func() {
			fn(k*n/w, (k+1)*n/w)
			done <- struct{}{}
		}()
	}
	for k := 0; k < w; k++ {
		<-done
	}
}

// BenchmarkEncodeShort is one short sentence, for per-call overhead.
func BenchmarkEncodeShort(b *testing.B) {
	tk := bertTokenizer(b)
	const s = "This is a great [MASK]. I loved the acting, but the plot was thin."
	b.SetBytes(int64(len(s)))
	for range b.N {
		tk.Encode(s, EncodeOptions{AddSpecial: true})
	}
}

// BenchmarkLoadVocab is the cost of building a tokenizer.
func BenchmarkLoadVocab(b *testing.B) {
	bertTokenizer(b) // skip early when the data is absent
	path := vocabPath(b)
	for range b.N {
		if _, err := LoadVocab(path); err != nil {
			b.Fatal(err)
		}
	}
}
