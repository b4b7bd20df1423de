package tokenizer

import (
	"bufio"
	"crypto/sha256"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/distilgo/distilgo/internal/shareddata"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/text/unicode/norm"
)

func TestSpecialTokens(t *testing.T) {
	tk := bertTokenizer(t)
	got := map[string]int32{"[CLS]": tk.CLSID(), "[SEP]": tk.SEPID(), "[PAD]": tk.PadID(), "[UNK]": tk.UnkID(), "[MASK]": tk.MaskID()}
	// Ids from the provenance check of vocab.txt (PROVENANCE.md).
	want := map[string]int32{"[CLS]": 101, "[SEP]": 102, "[PAD]": 0, "[UNK]": 100, "[MASK]": 103}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("special ids (-want +got):\n%s", diff)
	}
	for tok, id := range want {
		if !tk.IsSpecial(id) {
			t.Errorf("IsSpecial(%d %s) = false", id, tok)
		}
		if got, ok := tk.TokenToID(tok); !ok || got != id {
			t.Errorf("TokenToID(%s) = %d, %v", tok, got, ok)
		}
		if got := tk.IDToToken(id); got != tok {
			t.Errorf("IDToToken(%d) = %q", id, got)
		}
	}
	for _, id := range []int32{1, 99, 104, 999, 1996, 30521, -1, 30522} {
		if tk.IsSpecial(id) {
			t.Errorf("IsSpecial(%d) = true", id)
		}
	}
	if tk.VocabSize() != 30522 {
		t.Errorf("VocabSize = %d, want 30522", tk.VocabSize())
	}
	if tk.IDToToken(-1) != "" || tk.IDToToken(30522) != "" {
		t.Error("IDToToken out of range is not empty")
	}
	if _, ok := tk.TokenToID("no-such-token"); ok {
		t.Error("TokenToID of a missing token reports ok")
	}
	if tk.ModelMaxLength() != 512 {
		t.Errorf("ModelMaxLength = %d, want 512", tk.ModelMaxLength())
	}
}

// TestVocabHash: the hash is that of a canonical vocab.txt, so it equals the
// file's SHA-256 (given in PROVENANCE.md).
func TestVocabHash(t *testing.T) {
	tk := bertTokenizer(t)
	data, err := os.ReadFile(vocabPath(t))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tk.VocabHash(), sha256.Sum256(data); got != want {
		t.Errorf("VocabHash = %x, want %x", got, want)
	}
	const provenance = "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"
	if got := tk.VocabHash(); string(hexString(got[:])) != provenance {
		t.Errorf("VocabHash = %x, PROVENANCE.md says %s", got, provenance)
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// TestVocabHasNoCombiningMarks checks the condition under which skipping
// NFD's canonical reordering cannot change any result (see the package doc):
// no token holds a character with a nonzero canonical combining class.
func TestVocabHasNoCombiningMarks(t *testing.T) {
	tk := bertTokenizer(t)
	for id, tok := range tk.vocab {
		for _, r := range tok {
			if norm.NFD.PropertiesString(string(r)).CCC() != 0 {
				t.Errorf("token %d %q holds %U, a combining mark", id, tok, r)
			}
		}
	}
}

func TestEncodeOptions(t *testing.T) {
	tk := bertTokenizer(t)
	const text = "Hello, world! Tokenizers are fun."
	full := tk.Encode(text, EncodeOptions{AddSpecial: true})
	n := len(full.IDs)
	tests := []struct {
		name string
		opt  EncodeOptions
		want Encoding
	}{
		{"plain", EncodeOptions{}, Encoding{
			IDs: full.IDs[1 : n-1], Offsets: full.Offsets[1 : n-1], WordIDs: full.WordIDs[1 : n-1], AttentionMask: full.AttentionMask[1 : n-1],
		}},
		{"max length over", EncodeOptions{AddSpecial: true, MaxLength: 100}, full},
		{"max length exact", EncodeOptions{AddSpecial: true, MaxLength: n}, full},
		{"truncated", EncodeOptions{AddSpecial: true, MaxLength: 4}, Encoding{
			IDs:           []int32{101, full.IDs[1], full.IDs[2], 102},
			Offsets:       [][2]int{{}, full.Offsets[1], full.Offsets[2], {}},
			WordIDs:       []int32{-1, 0, 1, -1},
			AttentionMask: []int32{1, 1, 1, 1},
		}},
		{"only specials", EncodeOptions{AddSpecial: true, MaxLength: 2}, Encoding{
			IDs: []int32{101, 102}, Offsets: [][2]int{{}, {}}, WordIDs: []int32{-1, -1}, AttentionMask: []int32{1, 1},
		}},
		{"truncated without specials", EncodeOptions{MaxLength: 1}, Encoding{
			IDs: full.IDs[1:2], Offsets: full.Offsets[1:2], WordIDs: full.WordIDs[1:2], AttentionMask: []int32{1},
		}},
		{"padded", EncodeOptions{AddSpecial: true, MaxLength: 3, PadTo: 5}, Encoding{
			IDs:           []int32{101, full.IDs[1], 102, 0, 0},
			Offsets:       [][2]int{{}, full.Offsets[1], {}, {}, {}},
			WordIDs:       []int32{-1, 0, -1, -1, -1},
			AttentionMask: []int32{1, 1, 1, 0, 0},
		}},
		{"pad shorter than text", EncodeOptions{AddSpecial: true, PadTo: 2}, full},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tk.Encode(text, tc.opt)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Encode(%q, %+v) (-want +got):\n%s", text, tc.opt, diff)
			}
		})
	}
}

func TestEncodeOptionsPanics(t *testing.T) {
	tk := bertTokenizer(t)
	for _, opt := range []EncodeOptions{{AddSpecial: true, MaxLength: 1}, {MaxLength: -1}, {PadTo: -3}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Encode with %+v did not panic", opt)
				}
			}()
			tk.Encode("text", opt)
		}()
	}
}

func TestEncodeBatchMatchesEncode(t *testing.T) {
	tk := bertTokenizer(t)
	var texts []string
	for _, c := range readHardCases(t) {
		texts = append(texts, c.Text)
	}
	opt := EncodeOptions{AddSpecial: true, MaxLength: 20, PadTo: 24}
	got := tk.EncodeBatch(texts, opt)
	for i, s := range texts {
		if diff := cmp.Diff(tk.Encode(s, opt), got[i]); diff != "" {
			t.Errorf("EncodeBatch[%d] %q differs from Encode (-Encode +EncodeBatch):\n%s", i, s, diff)
		}
	}
	if len(tk.EncodeBatch(nil, opt)) != 0 {
		t.Error("EncodeBatch(nil) not empty")
	}
}

// TestAppendIDsAppends: AppendIDs keeps what the slices held and numbers the
// words of each text from 0.
func TestAppendIDsAppends(t *testing.T) {
	tk := bertTokenizer(t)
	ids, words := []int32{7}, []int32{9}
	ids, words = tk.AppendIDs(ids, words, "Hello world")
	ids, words = tk.AppendIDs(ids, words, "[MASK]!")
	wantIDs := []int32{7, 101, 7592, 2088, 102, 101, 103, 999, 102}
	wantWords := []int32{9, -1, 0, 1, -1, -1, 0, 1, -1}
	if diff := cmp.Diff(wantIDs, ids); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantWords, words); diff != "" {
		t.Errorf("word ids (-want +got):\n%s", diff)
	}
}

// TestInvalidUTF8: invalid bytes behave as U+FFFD (which normalization
// deletes): the same ids and word ids as the text decoded with replacement,
// and offsets that still index the original bytes.
func TestInvalidUTF8(t *testing.T) {
	tk := bertTokenizer(t)
	tests := []struct {
		raw         string
		wantOffsets [][2]int // without special tokens
	}{
		{"ab\xffcd", [][2]int{{0, 4}, {4, 5}}}, // abc ##d: the deleted byte lies inside the first piece
		{"\xff\xfe hello", [][2]int{{3, 8}}},
		{"caf\xc3", [][2]int{{0, 3}}},
		{"x \xe2\x82 y", [][2]int{{0, 1}, {5, 6}}},
		{"\xed\xa0\x80surrogate", [][2]int{{3, 6}, {6, 12}}}, // sur ##rogate
		{"\x80", nil},
	}
	for _, tc := range tests {
		fixed := strings.ToValidUTF8(tc.raw, "\uFFFD")
		got := tk.Encode(tc.raw, EncodeOptions{})
		want := tk.Encode(fixed, EncodeOptions{})
		if diff := cmp.Diff(want.IDs, got.IDs); diff != "" {
			t.Errorf("Encode(%q) ids differ from Encode(%q) (-want +got):\n%s", tc.raw, fixed, diff)
		}
		if diff := cmp.Diff(want.WordIDs, got.WordIDs); diff != "" {
			t.Errorf("Encode(%q) word ids (-want +got):\n%s", tc.raw, diff)
		}
		if diff := cmp.Diff(tc.wantOffsets, got.Offsets, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Encode(%q) offsets (-want +got):\n%s", tc.raw, diff)
		}
	}
}

func TestCharOffsets(t *testing.T) {
	tests := []struct {
		text string
		in   [][2]int
		want [][2]int
	}{
		{"abc", [][2]int{{0, 0}, {0, 3}, {1, 2}}, [][2]int{{0, 0}, {0, 3}, {1, 2}}},
		{"héllo wörld", [][2]int{{0, 6}, {7, 13}}, [][2]int{{0, 5}, {6, 11}}},
		{"日本 😀x", [][2]int{{0, 3}, {3, 6}, {7, 11}, {11, 12}}, [][2]int{{0, 1}, {1, 2}, {3, 4}, {4, 5}}},
		{"a\xffb", [][2]int{{0, 3}, {2, 3}}, [][2]int{{0, 3}, {2, 3}}},
		{"", [][2]int{{0, 0}}, [][2]int{{0, 0}}},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, CharOffsets(tc.text, tc.in)); diff != "" {
			t.Errorf("CharOffsets(%q, %v) (-want +got):\n%s", tc.text, tc.in, diff)
		}
	}
}

func TestDecode(t *testing.T) {
	tk := bertTokenizer(t)
	id := func(tok string) int32 {
		i, ok := tk.TokenToID(tok)
		if !ok {
			t.Fatalf("%q not in the vocabulary", tok)
		}
		return i
	}
	ids := func(toks ...string) []int32 {
		var out []int32
		for _, s := range toks {
			out = append(out, id(s))
		}
		return out
	}
	tests := []struct {
		ids         []int32
		skipSpecial bool
		want        string
	}{
		{ids("[CLS]", "hello", "world", "[SEP]"), false, "[CLS] hello world [SEP]"},
		{ids("[CLS]", "hello", "world", "[SEP]"), true, "hello world"},
		{ids("token", "##izer", "##s", "are", "fun", "!"), true, "tokenizers are fun!"},
		{ids("##s", "start"), true, "##s start"}, // the first token keeps its prefix, as in Hugging Face
		{ids("don", "'", "t", "do", "not", "i", "'", "m"), true, "don't do not i'm"},
		{ids("it", "'", "s", "they", "'", "ve", "we", "'", "re"), true, "it's they've we're"},
		{ids("a", ",", "b", ".", "c", "?", "d", "!"), true, "a, b. c? d!"},
		{ids("rock", "'", "n", "'", "roll"), true, "rock'n'roll"},
		{ids("[MASK]", ".", "[PAD]", "[PAD]"), false, "[MASK]. [PAD] [PAD]"},
		{ids("[MASK]", ".", "[PAD]", "[PAD]"), true, "."},
		{[]int32{-1, 7592, 99999}, true, "hello"}, // out-of-range ids are skipped
		{nil, true, ""},
	}
	for _, tc := range tests {
		if got := tk.Decode(tc.ids, tc.skipSpecial); got != tc.want {
			t.Errorf("Decode(%v, %v) = %q, want %q", tk.Tokens(tc.ids), tc.skipSpecial, got, tc.want)
		}
	}
	if diff := cmp.Diff([]string{"[CLS]", "hello", ""}, tk.Tokens([]int32{101, 7592, -5})); diff != "" {
		t.Errorf("Tokens (-want +got):\n%s", diff)
	}
}

// TestVariants compares other normalizer settings with the reference: the
// cased tokenizer (do_lower_case false, through tokenizer_config.json and
// through tokenizer.json) and one without cleaning or CJK isolation.
func TestVariants(t *testing.T) {
	vocab := vocabPath(t)
	tjPath := shareddata.Path(t, "bert-base-uncased/tokenizer.json")
	f, err := os.Open(filepath.Join("testdata", "variants.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type variantCase struct {
		Variant    string          `json:"variant"`
		Normalizer json.RawMessage `json:"normalizer"`
		Text       string          `json:"text"`
		goldenEncoding
	}
	byVariant := map[string][]variantCase{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var c variantCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		byVariant[c.Variant] = append(byVariant[c.Variant], c)
	}
	if len(byVariant) != 2 {
		t.Fatalf("variants.jsonl: %d variants, want 2", len(byVariant))
	}
	base, err := os.ReadFile(tjPath)
	if err != nil {
		t.Fatal(err)
	}
	vocabData, err := os.ReadFile(vocab)
	if err != nil {
		t.Fatal(err)
	}
	// A model directory in a temporary folder (never in the repository).
	modelDir := func(t *testing.T, normalizer json.RawMessage, config string) string {
		dir := t.TempDir()
		var tj map[string]json.RawMessage
		if err := json.Unmarshal(base, &tj); err != nil {
			t.Fatal(err)
		}
		tj["normalizer"] = normalizer
		data, err := json.Marshal(tj)
		if err != nil {
			t.Fatal(err)
		}
		must(t, os.WriteFile(filepath.Join(dir, "tokenizer.json"), data, 0o644))
		must(t, os.WriteFile(filepath.Join(dir, "vocab.txt"), vocabData, 0o644))
		if config != "" {
			must(t, os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(config), 0o644))
		}
		return dir
	}
	check := func(t *testing.T, tk *Tokenizer, cases []variantCase) {
		for _, c := range cases {
			got := asGolden(tk, c.Text, tk.Encode(c.Text, EncodeOptions{AddSpecial: true}), false)
			if diff := cmp.Diff(c.goldenEncoding, got); diff != "" {
				t.Errorf("%s: Encode(%q) (-reference +got):\n%s", c.Variant, c.Text, diff)
			}
		}
	}
	for name, cases := range byVariant {
		t.Run(name+"/tokenizer.json", func(t *testing.T) {
			tk, err := Load(modelDir(t, cases[0].Normalizer, ""))
			if err != nil {
				t.Fatal(err)
			}
			check(t, tk, cases)
		})
	}
	t.Run("cased/tokenizer_config.json", func(t *testing.T) {
		// The uncased tokenizer.json, overridden by the config as
		// BertTokenizerFast does.
		uncased := json.RawMessage(`{"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,"strip_accents":null,"lowercase":true}`)
		tk, err := Load(modelDir(t, uncased, `{"do_lower_case": false, "model_max_length": 128}`))
		if err != nil {
			t.Fatal(err)
		}
		if tk.ModelMaxLength() != 128 {
			t.Errorf("ModelMaxLength = %d, want 128", tk.ModelMaxLength())
		}
		check(t, tk, byVariant["cased"])
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestLoadErrors(t *testing.T) {
	vocabData, err := os.ReadFile(vocabPath(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		files   map[string]string
		wantErr string
	}{
		{"no vocab", map[string]string{}, "vocab.txt"},
		{"empty vocab", map[string]string{"vocab.txt": ""}, "empty"},
		{"invalid UTF-8 vocab", map[string]string{"vocab.txt": "[PAD]\n\xff\n"}, "not valid UTF-8"},
		{"empty token", map[string]string{"vocab.txt": "[PAD]\n\n[UNK]\n"}, "token 1 is empty"},
		{"missing special", map[string]string{"vocab.txt": "[PAD]\n[UNK]\n[CLS]\n[SEP]\n"}, `mask token "[MASK]"`},
		{"bad config json", map[string]string{"tokenizer_config.json": "{"}, "tokenizer_config.json"},
		{"bad do_lower_case", map[string]string{"tokenizer_config.json": `{"do_lower_case": "yes"}`}, "do_lower_case"},
		{"special not in vocab", map[string]string{"tokenizer_config.json": `{"mask_token": "<mask>"}`}, `"<mask>"`},
		{"bad model_max_length", map[string]string{"tokenizer_config.json": `{"model_max_length": -1}`}, "model_max_length"},
		{"bad tokenizer.json", map[string]string{"tokenizer.json": "[1,2"}, "tokenizer.json"},
		{"not wordpiece", map[string]string{"tokenizer.json": `{"model": {"type": "BPE"}}`}, "only WordPiece"},
		{"other normalizer", map[string]string{"tokenizer.json": `{"normalizer": {"type": "NFC"}}`}, "only BertNormalizer"},
		{"other pre-tokenizer", map[string]string{"tokenizer.json": `{"pre_tokenizer": {"type": "Whitespace"}}`}, "only BertPreTokenizer"},
		{"lstrip added token", map[string]string{"tokenizer.json": `{"added_tokens": [{"id": 103, "content": "[MASK]", "lstrip": true}]}`}, "not supported"},
		{"added token id mismatch", map[string]string{"tokenizer.json": `{"added_tokens": [{"id": 5, "content": "[MASK]"}]}`}, "not its line"},
		{"vocab mismatch", map[string]string{"tokenizer.json": `{"model": {"type": "WordPiece", "vocab": {"a": 0}}}`}, "model.vocab has 1 tokens"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if _, ok := tc.files["vocab.txt"]; !ok && tc.name != "no vocab" {
				tc.files["vocab.txt"] = string(vocabData)
			}
			for name, content := range tc.files {
				must(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
			}
			_, err := Load(dir)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Load: error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
	if _, err := LoadVocab(filepath.Join(t.TempDir(), "missing.txt")); err == nil || !strings.Contains(err.Error(), "missing.txt") {
		t.Errorf("LoadVocab(missing): %v", err)
	}
}

// TestTrieLongest checks the double-array trie against a map on random keys
// over a small alphabet (many shared prefixes).
func TestTrieLongest(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "ab#\xc3\xa9z"[rng.IntN(6)]
		}
		return string(b)
	}
	keys := map[string]int32{}
	for len(keys) < 3000 {
		k := word(1 + rng.IntN(8))
		if _, ok := keys[k]; !ok {
			keys[k] = int32(len(keys))
		}
	}
	var ks []string
	var vs []int32
	for k, v := range keys {
		ks, vs = append(ks, k), append(vs, v)
	}
	tr := buildTrie(ks, vs)
	for i := 0; i < 20000; i++ {
		w := []byte(word(rng.IntN(12)))
		wantID, wantN := int32(0), 0
		for n := len(w); n > 0; n-- {
			if id, ok := keys[string(w[:n])]; ok {
				wantID, wantN = id, n
				break
			}
		}
		if id, n := tr.longest(0, w); id != wantID || n != wantN {
			t.Fatalf("longest(%q) = %d,%d; want %d,%d", w, id, n, wantID, wantN)
		}
	}
	for k, v := range keys {
		s, ok := tr.walk(0, k)
		if !ok || tr.nodes[s].value != v {
			t.Fatalf("walk(%q) = %d,%v", k, s, ok)
		}
	}
}

// equalRules compares two rules (cmp.Equal is too slow for 17 million).
func equalRules(a, b charRule) bool {
	if a.kind != b.kind || len(a.out) != len(b.out) || (a.out == nil) != (b.out == nil) {
		return false
	}
	for i := range a.out {
		if a.out[i] != b.out[i] {
			return false
		}
	}
	return true
}

// TestTableMatchesRules checks the compressed per-character table and the
// ASCII fast path against computeRule, the direct reading of the generated
// Unicode data, on every code point and for every normalizer setting.
func TestTableMatchesRules(t *testing.T) {
	for mask := 0; mask < 16; mask++ {
		cfg := normConfig{cleanText: mask&1 != 0, chineseChars: mask&2 != 0, stripAccents: mask&4 != 0, lowercase: mask&8 != 0}
		tab := tableFor(cfg)
		for r := rune(0); r <= utf8.MaxRune; r++ {
			if r >= 0xD800 && r <= 0xDFFF {
				continue
			}
			want, got := computeRule(cfg, r), *tab.rule(r)
			if !equalRules(want, got) {
				t.Fatalf("%+v: rule(%U) = %+v, want %+v", cfg, r, got, want)
			}
		}
		for c := 0; c < 128; c++ {
			rule := computeRule(cfg, rune(c))
			var kind uint8
			switch {
			case rule.kind == kindDrop:
				kind = acDrop
			case rule.kind == kindSpace:
				kind = acSpace
			case rule.out == nil:
				kind = acLetter
			case rule.out[0].punct:
				kind = acPunct
			default:
				kind = acLetter
			}
			if tab.asciiKind[c] != kind {
				t.Errorf("%+v: asciiKind[%q] = %d, want %d", cfg, rune(c), tab.asciiKind[c], kind)
			}
		}
	}
}
