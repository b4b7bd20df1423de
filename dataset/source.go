package dataset

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// Split names one of the IMDB dataset's splits, as Hugging Face's "imdb"
// dataset has them.
type Split int

// The IMDB splits.
const (
	Train Split = iota // aclImdb/train/{pos,neg}: 25,000 labelled reviews
	Test               // aclImdb/test/{pos,neg}: 25,000 labelled reviews
	Unsup              // aclImdb/train/unsup: 50,000 unlabelled reviews (label -1)
)

// String returns the Hugging Face name of the split: "train", "test" or
// "unsupervised".
func (s Split) String() string {
	switch s {
	case Train:
		return "train"
	case Test:
		return "test"
	case Unsup:
		return "unsupervised"
	}
	return fmt.Sprintf("Split(%d)", int(s))
}

// parseSplit parses a split name: "train", "test", "unsupervised" (or
// "unsup").
func parseSplit(s string) (Split, error) {
	switch s {
	case "train":
		return Train, nil
	case "test":
		return Test, nil
	case "unsupervised", "unsup":
		return Unsup, nil
	}
	return 0, fmt.Errorf("unknown split %q (want train, test or unsupervised)", s)
}

// imdbSize is the number of reviews in each split of the published dataset.
var imdbSize = map[Split]int{Train: 25000, Test: 25000, Unsup: 50000}

// numReviews returns the number of reviews of the split in the published
// dataset: 25,000 for train and test, 50,000 for unsupervised. ReadIMDB
// checks it, so that a truncated archive or a partial directory is an error
// and never a silently smaller dataset.
func (s Split) numReviews() int { return imdbSize[s] }

// Labels of IMDB documents (Hugging Face's ClassLabel names ["neg", "pos"]).
const (
	LabelNeg   = 0
	LabelPos   = 1
	LabelUnsup = -1 // unlabelled reviews and plain corpora
)

// Document is one text of a corpus.
type Document struct {
	Text   string // as stored (IMDB reviews keep their "<br />" tags)
	Label  int    // LabelNeg, LabelPos, or LabelUnsup (-1) when unlabelled
	Source string // where it came from: a tar member, a file, or "file:line"
}

// imdbClass is one class directory of a split, in the order the split lists
// it (pos before neg, as the Hugging Face loading script did).
type imdbClass struct {
	dir   string // path inside aclImdb/, e.g. "train/pos"
	label int
}

func imdbClasses(s Split) []imdbClass {
	switch s {
	case Train:
		return []imdbClass{{"train/pos", LabelPos}, {"train/neg", LabelNeg}}
	case Test:
		return []imdbClass{{"test/pos", LabelPos}, {"test/neg", LabelNeg}}
	case Unsup:
		return []imdbClass{{"train/unsup", LabelUnsup}}
	}
	panic(fmt.Sprintf("dataset: imdbClasses: invalid split %d", int(s)))
}

func validSplit(s Split) error {
	if s < Train || s > Unsup {
		return fmt.Errorf("invalid split %d", int(s))
	}
	return nil
}

// ReadIMDB reads one split of the Large Movie Review Dataset from the
// original archive (aclImdb_v1.tar.gz, read as a stream, never extracted) or
// from its extracted directory (the aclImdb folder itself or the folder that
// holds it). Documents come in the package's documented order (pos then neg,
// each by file name in byte order). Every review must be valid UTF-8 and the
// split must have its published size (25,000 reviews for train and test,
// 50,000 for unsupervised).
func ReadIMDB(path string, split Split) ([]Document, error) {
	all, err := readIMDB(path, []Split{split}, imdbSize)
	if err != nil {
		return nil, err
	}
	return all[split], nil
}

// readIMDBSplits reads several splits in one pass over the source (one
// decompression of the archive).
func readIMDBSplits(path string, splits ...Split) (map[Split][]Document, error) {
	return readIMDB(path, splits, imdbSize)
}

// readIMDB reads splits from an archive or directory; want, if not nil,
// gives the required number of documents per split.
func readIMDB(p string, splits []Split, want map[Split]int) (map[Split][]Document, error) {
	for _, s := range splits {
		if err := validSplit(s); err != nil {
			return nil, fmt.Errorf("read IMDB %s: %w", p, err)
		}
	}
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("read IMDB: %w", err)
	}
	var out map[Split][]Document
	if st.IsDir() {
		out, err = readIMDBDir(p, splits)
	} else {
		out, err = readIMDBArchive(p, splits)
	}
	if err != nil {
		return nil, err
	}
	for _, s := range splits {
		if err := checkIMDBCount(p, s, len(out[s]), want); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func classDirs(s Split) []string {
	var d []string
	for _, c := range imdbClasses(s) {
		d = append(d, c.dir)
	}
	return d
}

// imdbMember classifies an archive member or a file path relative to the
// dataset root (starting with "aclImdb/"): the split, the class index within
// the split, and whether it is a review at all.
func imdbMember(name string, splits []Split) (split Split, class int, ok bool) {
	name = strings.TrimPrefix(name, "./")
	rest, found := strings.CutPrefix(name, "aclImdb/")
	if !found || !strings.HasSuffix(rest, ".txt") {
		return 0, 0, false
	}
	dir, file := path.Split(rest)
	if file == "" || strings.HasPrefix(file, ".") {
		return 0, 0, false
	}
	dir = strings.TrimSuffix(dir, "/")
	for _, s := range splits {
		for ci, c := range imdbClasses(s) {
			if dir == c.dir {
				return s, ci, true
			}
		}
	}
	return 0, 0, false
}

// keyedDoc is a document with its sort key within a split.
type keyedDoc struct {
	class int    // index in imdbClasses: pos before neg
	name  string // file name, the sort key within a class
	slot  int    // arrival order (for the streaming builder)
	doc   Document
}

// sortKeyed orders one split's documents: by class (pos, neg), then by
// file name in byte order, as sorted(os.listdir(...)) did.
func sortKeyed(kd []keyedDoc) {
	sort.Slice(kd, func(i, j int) bool {
		if kd[i].class != kd[j].class {
			return kd[i].class < kd[j].class
		}
		return kd[i].name < kd[j].name
	})
}

func sortedDocs(kd []keyedDoc) []Document {
	sortKeyed(kd)
	out := make([]Document, len(kd))
	for i := range kd {
		out[i] = kd[i].doc
	}
	return out
}

// scanIMDBArchive calls visit for every review of splits in the archive p,
// in archive order, with the member's name (without "./") and class index.
// It reads the whole stream, so that gzip checks its trailer: a truncated
// or corrupt archive is an error naming the member being read.
func scanIMDBArchive(p string, splits []Split, visit func(s Split, class int, name string, text []byte) error) error {
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("read IMDB: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return fmt.Errorf("read IMDB %s: not a gzip file: %w", p, err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	var buf bytes.Buffer
	last := "(start of archive)"
	for {
		h, err := tr.Next()
		if err == io.EOF {
			// Read the rest (tar padding, gzip trailer) so that gzip
			// checks its CRC and length: a cut trailer is an error.
			if _, err := io.Copy(io.Discard, zr); err != nil {
				return archiveError(p, "after the last member", zr, err)
			}
			return nil
		}
		if err != nil {
			return archiveError(p, "after member "+last, zr, err)
		}
		last = h.Name
		if h.Typeflag != tar.TypeReg {
			continue
		}
		s, class, ok := imdbMember(h.Name, splits)
		if !ok {
			continue
		}
		buf.Reset()
		if _, err := io.Copy(&buf, tr); err != nil {
			return archiveError(p, "member "+h.Name, zr, err)
		}
		if !utf8.Valid(buf.Bytes()) {
			return archiveError(p, "member "+h.Name, zr, errNotUTF8(buf.Bytes()))
		}
		if err := visit(s, class, strings.TrimPrefix(h.Name, "./"), buf.Bytes()); err != nil {
			return err
		}
	}
}

func readIMDBArchive(p string, splits []Split) (map[Split][]Document, error) {
	keyed := map[Split][]keyedDoc{}
	err := scanIMDBArchive(p, splits, func(s Split, class int, name string, text []byte) error {
		keyed[s] = append(keyed[s], keyedDoc{class: class, name: path.Base(name), doc: Document{
			Text:   string(text),
			Label:  imdbClasses(s)[class].label,
			Source: name,
		}})
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := map[Split][]Document{}
	for _, s := range splits {
		out[s] = sortedDocs(keyed[s])
	}
	return out, nil
}

// checkIMDBCount checks the number of reviews n of split s read from p.
func checkIMDBCount(p string, s Split, n int, want map[Split]int) error {
	if n == 0 {
		return fmt.Errorf("read IMDB %s: split %s: no reviews (want aclImdb/%s/*.txt)", p, s, strings.Join(classDirs(s), "/*.txt, aclImdb/"))
	}
	if want != nil && n != want[s] {
		return fmt.Errorf("read IMDB %s: split %s has %d reviews, want %d (truncated or incomplete?)", p, s, n, want[s])
	}
	return nil
}

// buildIMDBArchiveChunks reads one split from the archive p and builds its
// chunks, tokenizing each review as soon as it is decompressed (in archive
// order, on all cores) and grouping once all are in, in the documented
// order: the same chunks as BuildChunks(ReadIMDB(p, split)), sooner.
func buildIMDBArchiveChunks(p string, split Split, tok Tokenizer, chunkSize, workers int, want map[Split]int) (*Chunks, int, error) {
	if chunkSize <= 0 {
		return nil, 0, fmt.Errorf("build chunks: chunk size %d must be positive", chunkSize)
	}
	pool := newTokenPool(tok, workers)
	var keyed []keyedDoc // Document.Text left empty: the pool has it
	err := scanIMDBArchive(p, []Split{split}, func(s Split, class int, name string, text []byte) error {
		pool.add(len(keyed), string(text))
		keyed = append(keyed, keyedDoc{class: class, name: path.Base(name), slot: len(keyed), doc: Document{Source: name}})
		return nil
	})
	bySlot, bad, perr := pool.finish(len(keyed))
	if err != nil {
		return nil, 0, err
	}
	if perr != nil {
		return nil, 0, fmt.Errorf("build chunks: %s: %w", keyed[bad].doc.Source, perr)
	}
	if err := checkIMDBCount(p, split, len(keyed), want); err != nil {
		return nil, 0, err
	}
	sortKeyed(keyed)
	spans := make([]docSpan, len(keyed))
	for i, k := range keyed {
		spans[i] = bySlot[k.slot]
	}
	return groupSpans(spans, pool.arenas, chunkSize, groupDocs, workers), len(keyed), nil
}

// imdbRoot finds the aclImdb folder: p itself or p/aclImdb.
func imdbRoot(p string) (string, error) {
	for _, cand := range []string{filepath.Join(p, "aclImdb"), p} {
		if st, err := os.Stat(filepath.Join(cand, "train")); err == nil && st.IsDir() {
			return cand, nil
		}
		if st, err := os.Stat(filepath.Join(cand, "test")); err == nil && st.IsDir() {
			return cand, nil
		}
	}
	return "", fmt.Errorf("read IMDB %s: not an aclImdb directory (no train/ or test/ in it or in its aclImdb/)", p)
}

// imdbFiles lists the review files of the splits in a directory, sorted.
func imdbFiles(root string, s Split) ([]keyedDoc, error) {
	var kd []keyedDoc
	for ci, c := range imdbClasses(s) {
		dir := filepath.Join(root, filepath.FromSlash(c.dir))
		ents, err := os.ReadDir(dir)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("read IMDB %s: split %s: missing directory %s", root, s, dir)
			}
			return nil, fmt.Errorf("read IMDB %s: %w", root, err)
		}
		for _, e := range ents {
			n := e.Name()
			if !e.Type().IsRegular() || !strings.HasSuffix(n, ".txt") || strings.HasPrefix(n, ".") {
				continue
			}
			kd = append(kd, keyedDoc{class: ci, name: n, doc: Document{Label: c.label, Source: filepath.Join(dir, n)}})
		}
	}
	return kd, nil
}

func readIMDBDir(p string, splits []Split) (map[Split][]Document, error) {
	root, err := imdbRoot(p)
	if err != nil {
		return nil, err
	}
	out := map[Split][]Document{}
	for _, s := range splits {
		kd, err := imdbFiles(root, s)
		if err != nil {
			return nil, err
		}
		docs := sortedDocs(kd)
		if err := readTexts(docs); err != nil {
			return nil, fmt.Errorf("read IMDB %s: %w", p, err)
		}
		out[s] = docs
	}
	return out, nil
}

// readTexts fills docs[i].Text from the file docs[i].Source, in parallel;
// the error, if any, is the one of the first failing document in order.
func readTexts(docs []Document) error {
	workers := runtime.GOMAXPROCS(0)
	errs := make([]error, len(docs))
	var wg sync.WaitGroup
	next := make(chan int, 256)
	for range workers {
		wg.Go(func() {
			for i := range next {
				b, err := os.ReadFile(docs[i].Source)
				if err == nil && !utf8.Valid(b) {
					err = fmt.Errorf("%s: %w", docs[i].Source, errNotUTF8(b))
				}
				if err != nil {
					errs[i] = err
					continue
				}
				docs[i].Text = string(b)
			}
		})
	}
	for i := range docs {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// errNotUTF8 describes the first invalid byte of b.
func errNotUTF8(b []byte) error {
	off := 0
	for off < len(b) {
		r, n := utf8.DecodeRune(b[off:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		off += n
	}
	return fmt.Errorf("invalid UTF-8 at byte %d", off)
}

// ReadCorpus reads a plain corpus of one's own: a ".txt" file holds one
// document per line; a ".jsonl" file holds one JSON object per line with a
// string field "text" (and optionally an integer "label"; other fields are
// ignored). In both, lines that are empty (or only white space) are skipped,
// a trailing "\r" is dropped, and a leading UTF-8 byte-order mark is ignored.
// Documents have label -1 unless the JSON gives one, and Source
// "path:line". Invalid UTF-8 or JSON is an error naming the line.
func ReadCorpus(path string) ([]Document, error) {
	var parse func(io.Reader, string) ([]Document, error)
	switch strings.ToLower(filepath.Ext(path)) {
	case ".txt":
		parse = parseTextLines
	case ".jsonl":
		parse = parseJSONLines
	default:
		return nil, fmt.Errorf("read corpus %s: unknown extension (want .txt or .jsonl)", path)
	}
	return readParsed(path, "read corpus", "documents", parse)
}

// readParsed opens path and parses it with parse (which names path and the
// line in its errors), prefixing errors with op; an empty result is an error
// naming what was expected.
func readParsed[T any](path, op, what string, parse func(io.Reader, string) ([]T, error)) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer f.Close()
	out, err := parse(f, path)
	if err != nil {
		return nil, fmt.Errorf("%s %w", op, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s %s: no %s", op, path, what)
	}
	return out, nil
}

// eachLine calls fn with every line of r (named name in errors) (without its "\n" or "\r\n"),
// numbered from 1, the first without a UTF-8 byte-order mark. Lines have no
// length limit.
func eachLine(r io.Reader, name string, fn func(line []byte, n int) error) error {
	br := bufio.NewReaderSize(r, 1<<16)
	var long []byte
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			long = append(long[:0], line...)
			for err == bufio.ErrBufferFull {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("%s:%d: %w", name, n, err)
		}
		if len(line) == 0 && err == io.EOF {
			return nil
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if n == 1 {
			line = bytes.TrimPrefix(line, []byte("\ufeff"))
		}
		if ferr := fn(line, n); ferr != nil {
			return ferr
		}
		if err == io.EOF {
			return nil
		}
	}
}

func parseTextLines(r io.Reader, name string) ([]Document, error) {
	var docs []Document
	err := eachLine(r, name, func(line []byte, n int) error {
		if !utf8.Valid(line) {
			return fmt.Errorf("%s:%d: %w", name, n, errNotUTF8(line))
		}
		if len(bytes.TrimSpace(line)) == 0 {
			return nil
		}
		docs = append(docs, Document{Text: string(line), Label: LabelUnsup, Source: fmt.Sprintf("%s:%d", name, n)})
		return nil
	})
	return docs, err
}

func parseJSONLines(r io.Reader, name string) ([]Document, error) {
	var docs []Document
	err := eachLine(r, name, func(line []byte, n int) error {
		// encoding/json would silently replace invalid UTF-8 by U+FFFD.
		if !utf8.Valid(line) {
			return fmt.Errorf("%s:%d: %w", name, n, errNotUTF8(line))
		}
		if len(bytes.TrimSpace(line)) == 0 {
			return nil
		}
		var rec struct {
			Text  *string `json:"text"`
			Label *int    `json:"label"`
		}
		if err := json.Unmarshal(line, &rec); err != nil {
			return fmt.Errorf("%s:%d: %w", name, n, err)
		}
		if rec.Text == nil {
			return fmt.Errorf("%s:%d: no \"text\" field", name, n)
		}
		label := LabelUnsup
		if rec.Label != nil {
			label = *rec.Label
		}
		docs = append(docs, Document{Text: *rec.Text, Label: label, Source: fmt.Sprintf("%s:%d", name, n)})
		return nil
	})
	return docs, err
}
