package tokenizer

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/distilgo/distilgo/internal/shareddata"
	"github.com/google/go-cmp/cmp"
)

// The goldens come from Hugging Face's Rust tokenizers library
// (tools/tokenizer/gen_golden.js). Every comparison is exact: tokenization
// has no tolerance.

// goldenEncoding is an encoding as the reference reports it: character
// offsets, -1 for no word.
type goldenEncoding struct {
	IDs           []int32  `json:"ids"`
	Tokens        []string `json:"tokens,omitempty"`
	Offsets       [][2]int `json:"offsets"`
	WordIDs       []int32  `json:"word_ids"`
	AttentionMask []int32  `json:"attention_mask,omitempty"`
}

func asGolden(tk *Tokenizer, text string, e Encoding, withTokens bool) goldenEncoding {
	g := goldenEncoding{IDs: e.IDs, Offsets: CharOffsets(text, e.Offsets), WordIDs: e.WordIDs}
	if withTokens {
		g.Tokens = tk.Tokens(e.IDs)
		g.AttentionMask = e.AttentionMask
	}
	return g
}

type hardCase struct {
	Text string `json:"text"`
	goldenEncoding
	NoSpecial         goldenEncoding `json:"no_special"`
	Max8Pad12         goldenEncoding `json:"max8_pad12"`
	Decode            string         `json:"decode"`
	DecodeSkipSpecial string         `json:"decode_skip_special"`
}

func readHardCases(t *testing.T) []hardCase {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "hard_strings.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []hardCase
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var c hardCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("hard_strings.jsonl line %d: %v", len(cases)+1, err)
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 50 {
		t.Fatalf("hard_strings.jsonl: only %d cases", len(cases))
	}
	return cases
}

func TestHardStrings(t *testing.T) {
	tk := bertTokenizer(t)
	for _, c := range readHardCases(t) {
		name := c.Text
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			got := asGolden(tk, c.Text, tk.Encode(c.Text, EncodeOptions{AddSpecial: true}), true)
			if diff := cmp.Diff(c.goldenEncoding, got); diff != "" {
				t.Errorf("Encode(%q) (-reference +got):\n%s", c.Text, diff)
			}
			got = asGolden(tk, c.Text, tk.Encode(c.Text, EncodeOptions{}), false)
			if diff := cmp.Diff(c.NoSpecial, got); diff != "" {
				t.Errorf("Encode(%q) without special tokens (-reference +got):\n%s", c.Text, diff)
			}
			got = asGolden(tk, c.Text, tk.Encode(c.Text, EncodeOptions{AddSpecial: true, MaxLength: 8, PadTo: 12}), true)
			if diff := cmp.Diff(c.Max8Pad12, got); diff != "" {
				t.Errorf("Encode(%q) truncated to 8, padded to 12 (-reference +got):\n%s", c.Text, diff)
			}
			if got := tk.Decode(c.IDs, false); got != c.Decode {
				t.Errorf("Decode(%v, false) = %q, reference %q", c.IDs, got, c.Decode)
			}
			if got := tk.Decode(c.IDs, true); got != c.DecodeSkipSpecial {
				t.Errorf("Decode(%v, true) = %q, reference %q", c.IDs, got, c.DecodeSkipSpecial)
			}
			ids, words := tk.AppendIDs(nil, nil, c.Text)
			if diff := cmp.Diff(c.IDs, ids); diff != "" {
				t.Errorf("AppendIDs(%q) ids (-reference +got):\n%s", c.Text, diff)
			}
			if diff := cmp.Diff(c.WordIDs, words); diff != "" {
				t.Errorf("AppendIDs(%q) word ids (-reference +got):\n%s", c.Text, diff)
			}
		})
	}
}

// TestLoadDirMatchesLoadVocab: Load on the shared folder (vocab.txt and the
// reference's tokenizer.json) gives the same tokenizer as LoadVocab.
func TestLoadDirMatchesLoadVocab(t *testing.T) {
	vt := bertTokenizer(t)
	dir := filepath.Dir(shareddata.Path(t, "bert-base-uncased/tokenizer.json"))
	dt, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if dt.cfg != vt.cfg || dt.VocabHash() != vt.VocabHash() || dt.maxWordChars != vt.maxWordChars {
		t.Fatalf("Load(%s) differs from LoadVocab: cfg %+v vs %+v", dir, dt.cfg, vt.cfg)
	}
	for _, c := range readHardCases(t) {
		a := dt.Encode(c.Text, EncodeOptions{AddSpecial: true})
		b := vt.Encode(c.Text, EncodeOptions{AddSpecial: true})
		if diff := cmp.Diff(a, b); diff != "" {
			t.Errorf("Encode(%q): Load vs LoadVocab (-Load +LoadVocab):\n%s", c.Text, diff)
		}
	}
}

type imdbGolden struct {
	Member  string  `json:"member"`
	SHA256  string  `json:"sha256"`
	IDs     []int32 `json:"ids"`
	Offsets []int   `json:"offsets"`  // start - previous end, end - start per token
	WordIDs []int32 `json:"word_ids"` // difference from the previous word id
}

// decode undoes the delta coding of the golden file.
func (g imdbGolden) decode() goldenEncoding {
	e := goldenEncoding{IDs: g.IDs}
	prevEnd, prevWord := 0, int32(-1)
	for k := range g.IDs {
		s := prevEnd + g.Offsets[2*k]
		end := s + g.Offsets[2*k+1]
		e.Offsets = append(e.Offsets, [2]int{s, end})
		prevEnd = end
		prevWord += g.WordIDs[k]
		e.WordIDs = append(e.WordIDs, prevWord)
	}
	return e
}

// TestIMDBGolden compares ids, offsets and word ids with the reference on
// about 2,000 reviews stored in full.
func TestIMDBGolden(t *testing.T) {
	tk := bertTokenizer(t)
	byName := map[string]string{}
	for _, r := range imdbReviews(t) {
		byName[r.name] = r.text
	}
	f, err := os.Open(filepath.Join("testdata", "imdb_golden.jsonl.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(zr)
	n := 0
	for dec.More() {
		var g imdbGolden
		if err := dec.Decode(&g); err != nil {
			t.Fatalf("imdb_golden.jsonl.gz record %d: %v", n+1, err)
		}
		n++
		text, ok := byName[g.Member]
		if !ok {
			t.Fatalf("review %s is not in the archive", g.Member)
		}
		if sum := sha256.Sum256([]byte(text)); hex.EncodeToString(sum[:]) != g.SHA256 {
			t.Fatalf("review %s: SHA-256 %x differs from the golden's %s: a different archive?", g.Member, sum, g.SHA256)
		}
		want := g.decode()
		got := asGolden(tk, text, tk.Encode(text, EncodeOptions{AddSpecial: true}), false)
		if equalGolden(want, got) { // cmp.Diff is slow on 600k tokens; use it only to report
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("review %s (-reference +got):\n%s", g.Member, diff)
		}
	}
	if n < 2000 {
		t.Fatalf("imdb_golden.jsonl.gz: only %d reviews", n)
	}
}

func equalGolden(a, b goldenEncoding) bool {
	return slices.Equal(a.IDs, b.IDs) && slices.Equal(a.Offsets, b.Offsets) && slices.Equal(a.WordIDs, b.WordIDs) &&
		slices.Equal(a.Tokens, b.Tokens) && slices.Equal(a.AttentionMask, b.AttentionMask)
}

type imdbChunks struct {
	Reviews int      `json:"reviews"`
	Bytes   int      `json:"bytes"`
	Tokens  int      `json:"tokens"`
	Chunk   int      `json:"chunk"`
	Hashes  []string `json:"hashes"`
}

// TestIMDBAll compares the encodings of all 100,000 reviews with the
// reference, by SHA-256 per chunk of 1,000 reviews, through EncodeBatch, and
// checks that AppendIDs gives the same ids and word ids.
func TestIMDBAll(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping in -short mode: tokenizes all 132 MB of IMDB twice")
	}
	tk := bertTokenizer(t)
	reviews := imdbReviews(t)
	var want imdbChunks
	data, err := os.ReadFile(filepath.Join("testdata", "imdb_chunks.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if want.Reviews != len(reviews) || len(want.Hashes)*want.Chunk < len(reviews) {
		t.Fatalf("imdb_chunks.json covers %d reviews in %d chunks of %d; archive has %d", want.Reviews, len(want.Hashes), want.Chunk, len(reviews))
	}
	bytes, tokens := 0, 0
	var ids, words []int32
	for c := range want.Hashes {
		lo, hi := c*want.Chunk, min((c+1)*want.Chunk, len(reviews))
		texts := make([]string, 0, hi-lo)
		for _, r := range reviews[lo:hi] {
			texts = append(texts, r.text)
			bytes += len(r.text)
		}
		encs := tk.EncodeBatch(texts, EncodeOptions{AddSpecial: true})
		if got := hashEncodings(texts, encs); got != want.Hashes[c] {
			t.Errorf("reviews %d..%d (%s..%s): encodings differ from the reference (hash %s, want %s); compare with tools/tokenizer/gen_golden.js", lo, hi-1, reviews[lo].name, reviews[hi-1].name, got, want.Hashes[c])
		}
		for i, e := range encs {
			tokens += len(e.IDs)
			ids, words = tk.AppendIDs(ids[:0], words[:0], texts[i])
			if !slices.Equal(ids, e.IDs) || !slices.Equal(words, e.WordIDs) { // not cmp.Equal: 100x slower here
				t.Fatalf("review %s: AppendIDs differs from Encode", reviews[lo+i].name)
			}
		}
	}
	if bytes != want.Bytes || tokens != want.Tokens {
		t.Errorf("totals: %d bytes, %d tokens; reference %d bytes, %d tokens", bytes, tokens, want.Bytes, want.Tokens)
	}
}

type codepointHashes struct {
	Chunk  int      `json:"chunk"`
	Alone  []string `json:"alone"`
	InWord []string `json:"in_word"`
}

// TestCodepoints compares, for every Unicode code point, the encoding of the
// character alone and inside a word with the reference (by SHA-256 per chunk
// of 4,096 code points).
func TestCodepoints(t *testing.T) {
	tk := bertTokenizer(t)
	var want codepointHashes
	data, err := os.ReadFile(filepath.Join("testdata", "codepoints.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if n := (utf8.MaxRune + 1) / want.Chunk; len(want.Alone) != n || len(want.InWord) != n {
		t.Fatalf("codepoints.json: %d and %d chunks, want %d", len(want.Alone), len(want.InWord), n)
	}
	type job struct {
		c       int
		alone   bool
		text    string
		wantSum string
	}
	var jobs []job
	for c := range want.Alone {
		var alone, inWord strings.Builder
		for r := rune(c * want.Chunk); r < rune((c+1)*want.Chunk); r++ {
			if r >= 0xD800 && r <= 0xDFFF {
				continue
			}
			alone.WriteRune(r)
			alone.WriteByte(' ')
			inWord.WriteByte('a')
			inWord.WriteRune(r)
			inWord.WriteString("b ")
		}
		jobs = append(jobs, job{c, true, alone.String(), want.Alone[c]}, job{c, false, inWord.String(), want.InWord[c]})
	}
	texts := make([]string, len(jobs))
	for i, j := range jobs {
		texts[i] = j.text
	}
	encs := tk.EncodeBatch(texts, EncodeOptions{AddSpecial: true})
	for i, j := range jobs {
		if got := hashEncodings(texts[i:i+1], encs[i:i+1]); got != j.wantSum {
			t.Errorf("code points %#x..%#x (alone=%v): encoding differs from the reference", j.c*want.Chunk, (j.c+1)*want.Chunk-1, j.alone)
		}
	}
}
