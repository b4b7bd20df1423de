package dataset

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// pipelineVersion identifies the preprocessing (document order, grouping,
// chunking). It is part of every cache key: bump it whenever a change would
// make BuildChunks produce other chunks from the same inputs, and old caches
// are rebuilt.
const pipelineVersion = 1

// PrepareOptions configures Prepare.
type PrepareOptions struct {
	// Source is the IMDB archive (.tar.gz or .tgz) or its extracted
	// directory, or a corpus of one's own (.txt or .jsonl, see ReadCorpus).
	Source string
	// Split is the IMDB split to use (the course uses Train); ignored for
	// corpora.
	Split Split
	// Tokenizer tokenizes the documents.
	Tokenizer Tokenizer
	// ChunkSize is the number of tokens per chunk, T (the course: 128). It
	// must be in [1, MaxPositions].
	ChunkSize int
	// MaxPositions is the model's number of positions; 0 means 512
	// (DistilBERT's max_position_embeddings).
	MaxPositions int
	// TrainSize and TestSize are the numbers of chunks to draw for training
	// and evaluation (the course: 10,000 and 1,000), with Seed (the course:
	// 42); see SplitTrainTest.
	TrainSize, TestSize int
	Seed                uint64
	// CacheDir holds the cache of grouped chunks; "" disables caching.
	CacheDir string
	// Logf, if not nil, receives progress and cache decisions.
	Logf func(format string, args ...any)
}

// CourseOptions returns the options of the Hugging Face course for source:
// the train split, chunks of 128, 10,000 training and 1,000 test chunks
// drawn with seed 42.
func CourseOptions(source string, tok Tokenizer, cacheDir string) PrepareOptions {
	return PrepareOptions{
		Source: source, Split: Train, Tokenizer: tok, ChunkSize: 128,
		TrainSize: 10000, TestSize: 1000, Seed: 42, CacheDir: cacheDir,
	}
}

// Prepare turns opt.Source into the course's downsampled training and test
// chunks: all its chunks, built or loaded from the cache, then
// SplitTrainTest.
func Prepare(opt PrepareOptions) (train, test *Chunks, err error) {
	c, err := prepareChunks(opt)
	if err != nil {
		return nil, nil, err
	}
	train, test, err = SplitTrainTest(c, opt.TrainSize, opt.TestSize, opt.Seed)
	if err != nil {
		return nil, nil, fmt.Errorf("prepare %s: %w", opt.Source, err)
	}
	return train, test, nil
}

// prepareChunks reads opt.Source and builds all its chunks (BuildChunks),
// or loads them from the cache in opt.CacheDir. The cache is keyed by the
// source (absolute path, and size and modification time of the file, or of
// every review file of an IMDB directory), the split, the vocabulary hash,
// the chunk size and pipelineVersion; a stale or corrupt cache is rebuilt,
// never used. The cache is written atomically.
func prepareChunks(opt PrepareOptions) (*Chunks, error) {
	logf := opt.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if opt.Tokenizer == nil {
		return nil, fmt.Errorf("prepare %s: no tokenizer", opt.Source)
	}
	maxPos := opt.MaxPositions
	if maxPos == 0 {
		maxPos = defaultMaxPositions
	}
	if opt.ChunkSize <= 0 || opt.ChunkSize > maxPos {
		return nil, fmt.Errorf("prepare %s: chunk size %d outside [1, %d] (the model's max positions)", opt.Source, opt.ChunkSize, maxPos)
	}
	src, err := identify(opt.Source, opt.Split)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	key := cacheKey(src, opt.Tokenizer.VocabHash(), opt.ChunkSize)
	var cachePath string
	if opt.CacheDir != "" {
		cachePath = filepath.Join(opt.CacheDir, cacheName(src, opt.Tokenizer.VocabHash(), opt.ChunkSize))
		t0 := time.Now()
		c, err := readCache(cachePath, key)
		switch {
		case err == nil:
			logf("dataset: loaded %d chunks of %d from cache %s in %v", c.Len(), c.ChunkSize, cachePath, time.Since(t0).Round(time.Millisecond))
			return c, nil
		case errors.Is(err, fs.ErrNotExist):
			logf("dataset: no cache %s yet: building", cachePath)
		default:
			logf("dataset: rebuilding: %v", err)
		}
	}

	t0 := time.Now()
	c, nDocs, err := src.build(opt.Tokenizer, opt.ChunkSize)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	logf("dataset: %d documents read, tokenized and grouped into %d chunks of %d in %v", nDocs, c.Len(), c.ChunkSize, time.Since(t0).Round(time.Millisecond))
	if cachePath != "" {
		if err := os.MkdirAll(opt.CacheDir, 0o755); err != nil {
			return nil, fmt.Errorf("prepare: cache directory: %w", err)
		}
		if err := writeCache(cachePath, key, c); err != nil {
			return nil, fmt.Errorf("prepare: %w", err)
		}
		logf("dataset: cached in %s", cachePath)
	}
	return c, nil
}

// source is an identified input: what to read and what identifies its
// content for the cache.
type source struct {
	kind  string // "imdb-archive", "imdb-dir", "txt" or "jsonl"
	abs   string // absolute path
	split string // IMDB split name, or "corpus"
	id    string // size and modification time(s)
	read  func() ([]Document, error)
}

// build reads the source and builds its chunks on all cores, returning
// them and the number of documents. An archive is tokenized while it is
// being decompressed.
func (s *source) build(tok Tokenizer, chunkSize int) (*Chunks, int, error) {
	workers := runtime.GOMAXPROCS(0)
	if s.kind == "imdb-archive" {
		split, err := parseSplit(s.split)
		if err != nil {
			panic("dataset: source.build: " + err.Error())
		}
		return buildIMDBArchiveChunks(s.abs, split, tok, chunkSize, workers, imdbSize)
	}
	docs, err := s.read()
	if err != nil {
		return nil, 0, err
	}
	c, err := buildChunks(docs, tok, chunkSize, groupDocs, workers)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", s.abs, err)
	}
	return c, len(docs), nil
}

// identify classifies p and computes its identity. For an IMDB directory
// the identity covers every review file of the split (name, size, mtime),
// since a directory's own mtime does not change when a file is edited.
func identify(p string, split Split) (*source, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, err
	}
	s := &source{abs: abs, split: "corpus"}
	lower := strings.ToLower(abs)
	switch {
	case st.IsDir():
		if err := validSplit(split); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		s.kind, s.split = "imdb-dir", split.String()
		root, err := imdbRoot(abs)
		if err != nil {
			return nil, err
		}
		kd, err := imdbFiles(root, split)
		if err != nil {
			return nil, err
		}
		h := sha256.New()
		for _, k := range kd {
			fi, err := os.Stat(k.doc.Source)
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(h, "%s %d %d\n", k.doc.Source, fi.Size(), fi.ModTime().UnixNano())
		}
		s.id = fmt.Sprintf("files=%d listing-sha256=%x", len(kd), h.Sum(nil))
		s.read = func() ([]Document, error) { return ReadIMDB(abs, split) }
	case strings.HasSuffix(lower, ".tar.gz") || strings.HasSuffix(lower, ".tgz"):
		if err := validSplit(split); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		s.kind, s.split = "imdb-archive", split.String()
		s.read = func() ([]Document, error) { return ReadIMDB(abs, split) }
	case strings.HasSuffix(lower, ".txt"), strings.HasSuffix(lower, ".jsonl"):
		s.kind = strings.TrimPrefix(filepath.Ext(lower), ".")
		s.read = func() ([]Document, error) { return ReadCorpus(abs) }
	default:
		return nil, fmt.Errorf("%s: unknown source (want an IMDB .tar.gz or directory, or a .txt or .jsonl corpus)", p)
	}
	if s.id == "" {
		s.id = fmt.Sprintf("size=%d mtime=%d", st.Size(), st.ModTime().UnixNano())
	}
	return s, nil
}

// cacheKey is the text stored in a cache file that must match for the
// cache to be used.
func cacheKey(s *source, vocab [32]byte, chunkSize int) string {
	return fmt.Sprintf("distilgo dataset chunks\npipeline %d\nsource %s %s\nidentity %s\nsplit %s\nvocab-sha256 %x\nchunk-size %d\ngroup-docs %d\n",
		pipelineVersion, s.kind, s.abs, s.id, s.split, vocab, chunkSize, groupDocs)
}

// cacheName is the cache's file name: readable, and unique per source,
// split, vocabulary and chunk size, so that changing the content of a
// source overwrites its old cache instead of adding files.
func cacheName(s *source, vocab [32]byte, chunkSize int) string {
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%x\x00%d", s.abs, s.split, vocab, chunkSize))
	base := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, filepath.Base(s.abs))
	if len(base) > 40 {
		base = base[:40]
	}
	return fmt.Sprintf("%s.%s.T%d.%s.chunks", base, s.split, chunkSize, hex.EncodeToString(h[:6]))
}
