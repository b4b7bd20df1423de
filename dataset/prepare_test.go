package dataset

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distilgo/distilgo/internal/rng"
	"github.com/google/go-cmp/cmp"
)

// logRecorder collects Logf lines.
type logRecorder struct{ lines []string }

func (l *logRecorder) logf(format string, args ...any) {
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logRecorder) has(sub string) bool {
	for _, s := range l.lines {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func corpusFile(t *testing.T, dir string, n int, seed uint64) string {
	t.Helper()
	var sb strings.Builder
	for _, d := range randomDocs(rng.Keyed(seed, 0, 0, 0), n, 50) {
		if strings.TrimSpace(d.Text) == "" {
			d.Text = "empty"
		}
		fmt.Fprintf(&sb, "%s\n", d.Text)
	}
	return writeFile(t, filepath.Join(dir, "corpus.txt"), []byte(sb.String()))
}

func TestPrepareCache(t *testing.T) {
	dir := t.TempDir()
	src := corpusFile(t, dir, 2500, 1)
	cacheDir := filepath.Join(dir, "cache")
	tok := newFakeTok()
	var log logRecorder
	opt := PrepareOptions{Source: src, Tokenizer: tok, ChunkSize: 16, TrainSize: 100, TestSize: 10, Seed: 42, CacheDir: cacheDir, Logf: log.logf}

	docs, err := ReadCorpus(src)
	if err != nil {
		t.Fatal(err)
	}
	want, err := BuildChunks(docs, tok, 16)
	if err != nil {
		t.Fatal(err)
	}

	// First run builds and writes the cache; the second loads it.
	first, err := prepareChunks(opt)
	if err != nil {
		t.Fatal(err)
	}
	if !log.has("no cache") || !log.has("cached in") {
		t.Errorf("first run log %q", log.lines)
	}
	log.lines = nil
	second, err := prepareChunks(opt)
	if err != nil {
		t.Fatal(err)
	}
	if !log.has("loaded") {
		t.Errorf("second run log %q", log.lines)
	}
	for name, got := range map[string]*Chunks{"built": first, "cached": second} {
		if diff := diffChunks(want, got); diff != "" {
			t.Errorf("%s chunks differ from BuildChunks (-want +got):\n%s", name, diff)
		}
	}
	files, _ := filepath.Glob(filepath.Join(cacheDir, "*"))
	if len(files) != 1 {
		t.Fatalf("cache files %q, want one", files)
	}

	// Prepare = prepareChunks + SplitTrainTest.
	train, test, err := Prepare(opt)
	if err != nil {
		t.Fatal(err)
	}
	wantTrain, wantTest, _ := SplitTrainTest(want, 100, 10, 42)
	if diffChunks(wantTrain, train) != "" || diffChunks(wantTest, test) != "" {
		t.Error("Prepare differs from SplitTrainTest of the built chunks")
	}

	// A corrupt cache is rebuilt, then valid again.
	b, _ := os.ReadFile(files[0])
	b[len(b)/2] ^= 0x55
	os.WriteFile(files[0], b, 0o644)
	log.lines = nil
	got, err := prepareChunks(opt)
	if err != nil {
		t.Fatal(err)
	}
	if !log.has("rebuilding") || !log.has("corrupt") || diffChunks(want, got) != "" {
		t.Errorf("corrupt cache: log %q", log.lines)
	}
	if _, err := readCache(files[0], mustKey(t, opt)); err != nil {
		t.Errorf("rebuilt cache unreadable: %v", err)
	}

	// A changed source (new content, new mtime) makes the cache stale.
	newSrc := corpusFile(t, dir, 2500, 2)
	future := time.Now().Add(time.Hour)
	os.Chtimes(newSrc, future, future)
	log.lines = nil
	got, err = prepareChunks(opt)
	if err != nil {
		t.Fatal(err)
	}
	if !log.has("rebuilding") || !log.has("stale cache") {
		t.Errorf("changed source: log %q", log.lines)
	}
	docs, _ = ReadCorpus(newSrc)
	want, _ = BuildChunks(docs, tok, 16)
	if diffChunks(want, got) != "" {
		t.Error("changed source: chunks are not those of the new content")
	}

	// Another chunk size or vocabulary gets its own file.
	opt.ChunkSize = 8
	if _, err := prepareChunks(opt); err != nil {
		t.Fatal(err)
	}
	opt.Tokenizer = &fakeTok{v: 30000}
	if _, err := prepareChunks(opt); err != nil {
		t.Fatal(err)
	}
	if files, _ := filepath.Glob(filepath.Join(cacheDir, "*")); len(files) != 3 {
		t.Errorf("cache files %q, want three", files)
	}
	// No temporary files are left behind.
	if tmp, _ := filepath.Glob(filepath.Join(cacheDir, ".*")); len(tmp) != 0 {
		t.Errorf("temporary files left: %q", tmp)
	}
}

func mustKey(t *testing.T, opt PrepareOptions) string {
	t.Helper()
	s, err := identify(opt.Source, opt.Split)
	if err != nil {
		t.Fatal(err)
	}
	return cacheKey(s, opt.Tokenizer.VocabHash(), opt.ChunkSize)
}

// TestPrepareIMDBDirectoryIdentity checks that editing one review of an
// extracted IMDB directory invalidates the cache.
func TestPrepareIMDBDirectoryIdentity(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, miniIMDB)
	opt := PrepareOptions{Source: dir, Split: Unsup, Tokenizer: newFakeTok(), ChunkSize: 2}
	k1 := mustKey(t, opt)
	review := filepath.Join(dir, "aclImdb", "train", "unsup", "1_0.txt")
	os.WriteFile(review, []byte("unsup one, edited"), 0o644)
	future := time.Now().Add(time.Hour)
	os.Chtimes(review, future, future)
	if k2 := mustKey(t, opt); k1 == k2 {
		t.Error("editing a review does not change the cache key")
	}
	opt.Split = Train
	if k3 := mustKey(t, opt); k3 == k1 {
		t.Error("two splits share a cache key")
	}
}

func TestPrepareErrors(t *testing.T) {
	dir := t.TempDir()
	src := corpusFile(t, dir, 50, 1)
	tok := newFakeTok()
	for _, tc := range []struct {
		name string
		opt  PrepareOptions
		want string
	}{
		{"chunk too large", PrepareOptions{Source: src, Tokenizer: tok, ChunkSize: 513}, "chunk size 513 outside [1, 512]"},
		{"chunk too large for model", PrepareOptions{Source: src, Tokenizer: tok, ChunkSize: 200, MaxPositions: 128}, "chunk size 200 outside [1, 128]"},
		{"zero chunk", PrepareOptions{Source: src, Tokenizer: tok}, "chunk size 0 outside"},
		{"no tokenizer", PrepareOptions{Source: src, ChunkSize: 8}, "no tokenizer"},
		{"missing source", PrepareOptions{Source: filepath.Join(dir, "none.txt"), Tokenizer: tok, ChunkSize: 8}, "none.txt: no such file"},
		{"unknown source", PrepareOptions{Source: writeFile(t, filepath.Join(dir, "x.csv"), []byte("a")), Tokenizer: tok, ChunkSize: 8}, "x.csv: unknown source"},
		{"downsample too large", PrepareOptions{Source: src, Tokenizer: tok, ChunkSize: 8, TrainSize: 10000, TestSize: 1000}, "train size 10000 + test size 1000 = 11000 is more than the"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Prepare(tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestCourseOptions(t *testing.T) {
	o := CourseOptions("imdb.tar.gz", nil, "c")
	want := PrepareOptions{Source: "imdb.tar.gz", Split: Train, ChunkSize: 128, TrainSize: 10000, TestSize: 1000, Seed: 42, CacheDir: "c"}
	if diff := cmp.Diff(want, o); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
