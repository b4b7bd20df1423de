package dataset

import (
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkPreprocessIMDB is the whole preprocessing of all 100,000 IMDB
// reviews on all cores: read the archive (one pass, decompressing in a
// stream), tokenize and group the three splits into chunks of 128, and
// write their caches.
func BenchmarkPreprocessIMDB(b *testing.B) {
	archive := imdbArchive(b)
	tok := realTokenizer(b)
	dir := b.TempDir()
	for b.Loop() {
		docs, err := readIMDBSplits(archive, Train, Test, Unsup)
		if err != nil {
			b.Fatal(err)
		}
		for _, s := range allSplits {
			c, err := BuildChunks(docs[s], tok, 128)
			if err != nil {
				b.Fatal(err)
			}
			if err := writeCache(filepath.Join(dir, s.String()), "bench", c); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N)*100000/b.Elapsed().Seconds(), "reviews/s")
}

// BenchmarkReadIMDBArchive reads the three splits from the archive.
func BenchmarkReadIMDBArchive(b *testing.B) {
	archive := imdbArchive(b)
	for b.Loop() {
		if _, err := readIMDBSplits(archive, Train, Test, Unsup); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuildChunksIMDB tokenizes and groups all 100,000 reviews
// (already in memory).
func BenchmarkBuildChunksIMDB(b *testing.B) {
	docs, err := readIMDBSplits(imdbArchive(b), Train, Test, Unsup)
	if err != nil {
		b.Fatal(err)
	}
	tok := realTokenizer(b)
	bytes := 0
	for _, s := range allSplits {
		for _, d := range docs[s] {
			bytes += len(d.Text)
		}
	}
	b.SetBytes(int64(bytes))
	for b.Loop() {
		for _, s := range allSplits {
			if _, err := BuildChunks(docs[s], tok, 128); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkCacheLoad loads the cached training split of the course
// (61,289 chunks of 128: what a second run of Prepare reads).
func BenchmarkCacheLoad(b *testing.B) {
	docs, err := ReadIMDB(imdbArchive(b), Train)
	if err != nil {
		b.Fatal(err)
	}
	c, err := BuildChunks(docs, realTokenizer(b), 128)
	if err != nil {
		b.Fatal(err)
	}
	p := filepath.Join(b.TempDir(), "train.chunks")
	if err := writeCache(p, "bench", c); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(c.IDs)) * 4) // per id: 2 bytes of id + 2 of word id on disk
	for b.Loop() {
		got, err := readCache(p, "bench")
		if err != nil {
			b.Fatal(err)
		}
		if got.Len() != c.Len() {
			b.Fatal(fmt.Sprint(got.Len()))
		}
	}
}

// BenchmarkCollate masks one batch of the course (64 chunks of 128).
func BenchmarkCollate(b *testing.B) {
	chunks := testChunks(b, 3000, 128)
	for _, ww := range []bool{false, true} {
		b.Run(fmt.Sprintf("wholeword=%v", ww), func(b *testing.B) {
			col := &Collator{MLMProbability: 0.15, WholeWord: ww, Tok: newFakeTok()}
			idx := seq(0, 64)
			var batch Batch
			step := 0
			for b.Loop() {
				col.Collate(&batch, chunks, idx, 42, 0, step)
				step++
			}
		})
	}
}

// BenchmarkPrepareCourseFirstRun is the first run of the course's
// preparation: the train split streamed from the archive, tokenized while
// it decompresses, grouped, cached (a fresh cache directory each time), and
// downsampled to 10,000 / 1,000 chunks.
func BenchmarkPrepareCourseFirstRun(b *testing.B) {
	opt := CourseOptions(imdbArchive(b), realTokenizer(b), "")
	for b.Loop() {
		opt.CacheDir = b.TempDir()
		if _, _, err := Prepare(opt); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPrepareCourseCached is a later run: the cache is loaded and
// downsampled.
func BenchmarkPrepareCourseCached(b *testing.B) {
	opt := CourseOptions(imdbArchive(b), realTokenizer(b), b.TempDir())
	if _, _, err := Prepare(opt); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := Prepare(opt); err != nil {
			b.Fatal(err)
		}
	}
}
