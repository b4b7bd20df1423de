package dataset

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distilgo/distilgo/internal/rng"
	"github.com/google/go-cmp/cmp"
)

type member struct{ name, body string }

// miniIMDB is an IMDB-like layout, listed out of order, with files that are
// not reviews (which must be skipped).
var miniIMDB = []member{
	{"aclImdb/README", "not a review"},
	{"aclImdb/train/neg/2_3.txt", "neg two"},
	{"aclImdb/train/pos/10000_8.txt", "Homelessness<br /><br />pos ten thousand"},
	{"aclImdb/train/pos/0_9.txt", "Bromwell High pos zero"},
	{"aclImdb/train/neg/0_3.txt", "neg zero"},
	{"aclImdb/train/pos/2_7.txt", "pos two"},
	{"aclImdb/train/urls_pos.txt", "http://not-a-review"},
	{"aclImdb/train/unsup/11_0.txt", "unsup eleven"},
	{"aclImdb/train/unsup/1_0.txt", "unsup one"},
	{"aclImdb/test/neg/1_1.txt", "test neg one"},
	{"aclImdb/test/pos/1_10.txt", "test pos one ünïcödé"},
	{"aclImdb/test/pos/.hidden.txt", "editor backup"},
}

// miniWant is miniIMDB's splits in the documented order.
func miniWant(prefix string, join func(...string) string) map[Split][]Document {
	d := func(text string, label int, rel string) Document {
		return Document{Text: text, Label: label, Source: join(prefix, rel)}
	}
	return map[Split][]Document{
		Train: {
			d("Bromwell High pos zero", 1, "train/pos/0_9.txt"),
			d("Homelessness<br /><br />pos ten thousand", 1, "train/pos/10000_8.txt"),
			d("pos two", 1, "train/pos/2_7.txt"),
			d("neg zero", 0, "train/neg/0_3.txt"),
			d("neg two", 0, "train/neg/2_3.txt"),
		},
		Test: {
			d("test pos one ünïcödé", 1, "test/pos/1_10.txt"),
			d("test neg one", 0, "test/neg/1_1.txt"),
		},
		Unsup: {
			d("unsup eleven", -1, "train/unsup/11_0.txt"), // byte order: '1' < '_'
			d("unsup one", -1, "train/unsup/1_0.txt"),
		},
	}
}

func tarGz(t testing.TB, members []member) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, m := range members {
		if err := tw.WriteHeader(&tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(m.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeFile(t testing.TB, path string, data []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeTree(t testing.TB, root string, members []member) {
	t.Helper()
	for _, m := range members {
		writeFile(t, filepath.Join(root, filepath.FromSlash(m.name)), []byte(m.body))
	}
}

var allSplits = []Split{Train, Test, Unsup}

func TestReadIMDBArchiveAndDirectory(t *testing.T) {
	dir := t.TempDir()
	archive := writeFile(t, filepath.Join(dir, "mini.tar.gz"), tarGz(t, miniIMDB))
	tree := filepath.Join(dir, "extracted")
	writeTree(t, tree, miniIMDB)

	got, err := readIMDB(archive, allSplits, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(miniWant("aclImdb/", func(s ...string) string { return strings.Join(s, "") }), got); diff != "" {
		t.Errorf("archive (-want +got):\n%s", diff)
	}
	// Directory: either the parent of aclImdb or aclImdb itself.
	root := filepath.Join(tree, "aclImdb")
	want := miniWant(root, func(s ...string) string { return filepath.Join(s[0], filepath.FromSlash(s[1])) })
	for _, p := range []string{tree, root} {
		got, err := readIMDB(p, allSplits, nil)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("directory %s (-want +got):\n%s", p, diff)
		}
	}
	// "./"-prefixed member names, as GNU tar writes with "tar czf x.tgz .".
	var dotted []member
	for _, m := range miniIMDB {
		dotted = append(dotted, member{"./" + m.name, m.body})
	}
	dottedArchive := writeFile(t, filepath.Join(dir, "dotted.tgz"), tarGz(t, dotted))
	gotDotted, err := readIMDB(dottedArchive, []Split{Train}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got[Train], gotDotted[Train]); diff != "" {
		t.Errorf("dotted archive (-want +got):\n%s", diff)
	}
}

func TestReadimdbSizeCheck(t *testing.T) {
	dir := t.TempDir()
	archive := writeFile(t, filepath.Join(dir, "mini.tar.gz"), tarGz(t, miniIMDB))
	_, err := ReadIMDB(archive, Train) // published sizes: 25,000
	if err == nil || !strings.Contains(err.Error(), "split train has 5 reviews, want 25000") {
		t.Errorf("error %v, want the published-size check", err)
	}
	if _, err := readIMDB(archive, []Split{Unsup}, map[Split]int{Unsup: 2}); err != nil {
		t.Errorf("exact size: %v", err)
	}
}

func TestReadIMDBErrors(t *testing.T) {
	dir := t.TempDir()
	good := tarGz(t, miniIMDB)
	badUTF8 := append(append([]member{}, miniIMDB...), member{"aclImdb/train/neg/5_1.txt", "caf\xe9"})
	noTrain := []member{{"aclImdb/test/pos/1_10.txt", "x"}}
	corrupt := bytes.Clone(good)
	corrupt[len(corrupt)/2] ^= 0xff
	emptyDir := filepath.Join(dir, "empty")
	os.MkdirAll(emptyDir, 0o755)
	partialDir := filepath.Join(dir, "partial")
	writeTree(t, partialDir, []member{{"aclImdb/train/pos/0_9.txt", "only pos"}})
	utf8Dir := filepath.Join(dir, "utf8dir")
	writeTree(t, utf8Dir, badUTF8)

	for _, tc := range []struct {
		name, path string
		split      Split
		want       []string
	}{
		{"missing", filepath.Join(dir, "nope.tar.gz"), Train, []string{"nope.tar.gz", "no such file"}},
		{"not gzip", writeFile(t, filepath.Join(dir, "plain.tar.gz"), []byte("hello, world")), Train, []string{"plain.tar.gz", "not a gzip file"}},
		{"truncated gzip", writeFile(t, filepath.Join(dir, "trunc.tar.gz"), good[:len(good)*2/3]), Train, []string{"trunc.tar.gz", "unexpected EOF"}},
		{"truncated gzip trailer", writeFile(t, filepath.Join(dir, "trunc2.tar.gz"), good[:len(good)-4]), Train, []string{"trunc2.tar.gz", "unexpected EOF"}},
		{"corrupt gzip", writeFile(t, filepath.Join(dir, "corrupt.tar.gz"), corrupt), Train, []string{"corrupt.tar.gz"}},
		{"invalid UTF-8 member", writeFile(t, filepath.Join(dir, "utf8.tar.gz"), tarGz(t, badUTF8)), Train, []string{"utf8.tar.gz", "member aclImdb/train/neg/5_1.txt: invalid UTF-8 at byte 3"}},
		{"invalid UTF-8 file", utf8Dir, Train, []string{"5_1.txt: invalid UTF-8 at byte 3"}},
		{"split missing in archive", writeFile(t, filepath.Join(dir, "notrain.tar.gz"), tarGz(t, noTrain)), Train, []string{"notrain.tar.gz", "split train: no reviews"}},
		{"not an aclImdb dir", emptyDir, Train, []string{"empty", "not an aclImdb directory"}},
		{"class dir missing", partialDir, Train, []string{"split train: missing directory", "neg"}},
		{"invalid split", emptyDir, Split(7), []string{"invalid split 7"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readIMDB(tc.path, []Split{tc.split}, nil)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestReadIMDBTruncatedEverywhere cuts the archive at many points: every
// cut must give an error (never a panic, never a smaller dataset).
func TestReadIMDBTruncatedEverywhere(t *testing.T) {
	good := tarGz(t, miniIMDB)
	dir := t.TempDir()
	want := map[Split]int{Train: 5, Test: 2, Unsup: 2}
	for cut := 0; cut < len(good); cut += max(1, len(good)/97) {
		p := writeFile(t, filepath.Join(dir, "cut.tar.gz"), good[:cut])
		if docs, err := readIMDB(p, allSplits, want); err == nil {
			t.Fatalf("cut at %d of %d: no error, %d train docs", cut, len(good), len(docs[Train]))
		}
	}
}

func TestSplitNames(t *testing.T) {
	for _, s := range allSplits {
		got, err := parseSplit(s.String())
		if err != nil || got != s {
			t.Errorf("parseSplit(%q) = %v, %v", s.String(), got, err)
		}
	}
	if s, err := parseSplit("unsup"); err != nil || s != Unsup {
		t.Errorf("parseSplit(unsup) = %v, %v", s, err)
	}
	if _, err := parseSplit("validation"); err == nil {
		t.Error("parseSplit(validation): no error")
	}
}

func TestReadCorpus(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat("long ", 40000) // 200 kB: longer than the line buffer
	txt := writeFile(t, filepath.Join(dir, "c.txt"), []byte("\ufefffirst line\r\n\n   \nsecond <br /> line\n"+long+"\nno newline at end"))
	jsonl := writeFile(t, filepath.Join(dir, "c.jsonl"), []byte(`{"text": "one", "label": 1, "extra": [1,2]}`+"\n\n"+`{"text":"two \u00e9\ud83d\ude00"}`+"\r\n"))
	for _, tc := range []struct {
		path string
		want []Document
	}{
		{txt, []Document{
			{"first line", -1, txt + ":1"},
			{"second <br /> line", -1, txt + ":4"},
			{long, -1, txt + ":5"},
			{"no newline at end", -1, txt + ":6"},
		}},
		{jsonl, []Document{
			{"one", 1, jsonl + ":1"},
			{"two é😀", -1, jsonl + ":3"},
		}},
	} {
		got, err := ReadCorpus(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", filepath.Base(tc.path), diff)
		}
	}
}

func TestReadCorpusErrors(t *testing.T) {
	dir := t.TempDir()
	w := func(name, body string) string { return writeFile(t, filepath.Join(dir, name), []byte(body)) }
	for _, tc := range []struct {
		path string
		want string
	}{
		{filepath.Join(dir, "missing.txt"), "missing.txt: no such file"},
		{w("c.csv", "a,b"), "c.csv: unknown extension"},
		{w("empty.txt", "\n \n"), "empty.txt: no documents"},
		{w("bad.txt", "ok\nfine\nnot \xc3\x28 ok\n"), "bad.txt:3: invalid UTF-8 at byte 4"},
		{w("bad.jsonl", "{\"text\":\"a\"}\n{\"text\":\"caf\xe9\"}\n"), "bad.jsonl:2: invalid UTF-8 at byte 12"},
		{w("syntax.jsonl", "{\"text\":\"a\"}\n{\"text\": \n"), "syntax.jsonl:2: unexpected end of JSON input"},
		{w("notext.jsonl", "{\"body\":\"a\"}\n"), "notext.jsonl:1: no \"text\" field"},
		{w("numtext.jsonl", "{\"text\":5}\n"), "numtext.jsonl:1: json: cannot unmarshal number"},
		{w("array.jsonl", "[\"a\"]\n"), "array.jsonl:1: json: cannot unmarshal array"},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			_, err := ReadCorpus(tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func FuzzParseJSONLines(f *testing.F) {
	f.Add([]byte("{\"text\":\"a\"}\n{\"text\":\"b\",\"label\":1}\n"))
	f.Add([]byte("\ufeff{\"text\":\"\\ud800\"}\r\n\n"))
	f.Add([]byte("{\"text\":null}"))
	f.Add([]byte("{\"text\":\"a\"} trailing"))
	f.Add([]byte("\xff\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, err := parseJSONLines(bytes.NewReader(data), "f.jsonl")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.jsonl:") {
				t.Fatalf("error %q does not name the file and line", err)
			}
			return
		}
		for _, d := range docs {
			if !strings.HasPrefix(d.Source, "f.jsonl:") {
				t.Fatalf("source %q", d.Source)
			}
		}
		if len(docs) > bytes.Count(data, []byte("\n"))+1 {
			t.Fatalf("%d documents from %d lines", len(docs), bytes.Count(data, []byte("\n"))+1)
		}
	})
}

func FuzzParseTextLines(f *testing.F) {
	f.Add([]byte("a\nb\r\n\n c \n"))
	f.Add([]byte("\ufeff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, err := parseTextLines(bytes.NewReader(data), "f.txt")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.txt:") {
				t.Fatalf("error %q does not name the file and line", err)
			}
			return
		}
		for _, d := range docs {
			if strings.ContainsAny(d.Text, "\n") || strings.TrimSpace(d.Text) == "" {
				t.Fatalf("document %q", d.Text)
			}
		}
	})
}

// TestBuildIMDBArchiveChunks checks the streaming builder against reading
// then building, on an archive large enough for several groups of 1,000
// reviews, listed in shuffled order.
func TestBuildIMDBArchiveChunks(t *testing.T) {
	r := rng.Keyed(3, 0, 0, 0)
	docs := randomDocs(r, 2600, 40)
	var members []member
	for i, d := range docs {
		class := []string{"pos", "neg"}[i%2]
		members = append(members, member{fmt.Sprintf("aclImdb/train/%s/%d_%d.txt", class, i, i%10), d.Text})
	}
	members = append(members, member{"aclImdb/test/pos/0_7.txt", "a test review"})
	for i, j := range r.Perm(len(members)) {
		members[i], members[j] = members[j], members[i]
	}
	archive := writeFile(t, filepath.Join(t.TempDir(), "big.tar.gz"), tarGz(t, members))
	tok := newFakeTok()
	read, err := readIMDB(archive, []Split{Train}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, err := BuildChunks(read[Train], tok, 16)
	if err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 3} {
		got, n, err := buildIMDBArchiveChunks(archive, Train, tok, 16, workers, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n != 2600 {
			t.Errorf("%d documents, want 2600", n)
		}
		if d := diffChunks(want, got); d != "" {
			t.Errorf("workers %d: streaming build differs from read + BuildChunks: %s", workers, d)
		}
	}
	if _, _, err := buildIMDBArchiveChunks(archive, Train, tok, 16, 2, imdbSize); err == nil || !strings.Contains(err.Error(), "has 2600 reviews, want 25000") {
		t.Errorf("size check: error %v", err)
	}
	raw, _ := os.ReadFile(archive)
	cut := writeFile(t, filepath.Join(t.TempDir(), "cut.tar.gz"), raw[:len(raw)/2])
	if _, _, err := buildIMDBArchiveChunks(cut, Train, tok, 16, 2, nil); err == nil || !strings.Contains(err.Error(), "cut.tar.gz") {
		t.Errorf("truncated archive: error %v", err)
	}
	if _, _, err := buildIMDBArchiveChunks(archive, Train, &badTok{*newFakeTok()}, 16, 2, nil); err == nil || !strings.Contains(err.Error(), "different numbers of ids and word ids") {
		t.Errorf("bad tokenizer: error %v", err)
	}
}
