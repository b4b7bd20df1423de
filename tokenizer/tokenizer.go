// Package tokenizer is the WordPiece tokenizer of BERT and DistilBERT,
// giving the same tokens, ids, offsets and word ids as Hugging Face's
// BertTokenizerFast (the Rust tokenizers library) on any input.
//
// The pipeline is Hugging Face's, fused into one pass over the text:
//
//  1. Special tokens written in the text ([CLS] [SEP] [PAD] [UNK] [MASK], and
//     any other added token of tokenizer.json) are cut out first, matched
//     exactly on the raw text, and each becomes a word of its own.
//  2. BertNormalizer: drop NUL, U+FFFD and control/format characters, map
//     whitespace to a space, put spaces around CJK ideographs, strip accents
//     (NFD, then drop nonspacing marks) and lowercase.
//  3. BertPreTokenizer: split on whitespace and isolate every punctuation
//     character (ASCII 33-47, 58-64, 91-96, 123-126 and Unicode P*).
//  4. WordPiece: greedy longest-match-first with the "##" continuation
//     prefix; a word over 100 characters or one that cannot be covered
//     becomes [UNK].
//
// The character data (which characters are controls, whitespace,
// punctuation, nonspacing marks; decompositions; lowercase mappings) is
// generated from the reference implementation itself by
// tools/tokenizer/gen_tables.js, because the reference mixes Unicode versions
// (an old one for categories, a newer one than Go's for lowercasing); see
// unicode_tables.go.
//
// # Offsets and word ids
//
// Encoding.Offsets are byte offsets into the original text. Hugging Face's
// Python and Node.js bindings report character (code point) offsets instead;
// CharOffsets converts. Word ids number the pre-tokenized words of the text
// (a special token written in the text is a word), as Hugging Face's
// word_ids() does.
//
// # Invalid UTF-8
//
// Invalid UTF-8 is not an error: each byte that is not part of a valid UTF-8
// sequence is read as U+FFFD, which BERT's normalizer deletes. The ids are
// therefore those the reference gives for the text decoded with replacement
// (however many U+FFFD the decoder produces, since all are deleted), and the
// offsets still index the original bytes.
//
// # Known difference
//
// The reference applies NFD to the whole text, which can reorder adjacent
// combining marks (canonical ordering); this package decomposes character by
// character and does not reorder. Reordering only permutes combining marks
// (nonzero combining class) inside a word, so it cannot change ids, offsets
// or word ids unless a vocabulary token holds such a mark: otherwise a word
// holding one becomes a single [UNK] spanning the whole word either way.
// bert-base-uncased holds none (TestVocabHasNoCombiningMarks), so for it the
// results are identical on every input; the hard-string goldens include
// words that the reference reorders.
package tokenizer

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Tokenizer is a BERT WordPiece tokenizer. It is safe for concurrent use.
type Tokenizer struct {
	vocab  []string         // id -> token
	ids    map[string]int32 // token -> id
	trie   *trie            // all tokens, for longest-prefix matching
	contSt int32            // trie state after the continuation prefix; -1 if no token has it
	prefix string           // continuation prefix, "##"

	maxWordChars int // longer words become [UNK]
	cfg          normConfig
	chars        *charTable

	unk, cls, sep, pad, mask int32
	added                    []addedToken // tokens cut out of raw text, longest first
	addedFirst               [256]bool    // first bytes of added tokens
	special                  []bool       // by id: a special added token
	modelMaxLength           int
	hash                     [32]byte
	warnings                 []string // found while loading (duplicate tokens)
}

// addedToken is a token matched on the raw text before normalization.
type addedToken struct {
	content string
	id      int32
	special bool
}

// Defaults of BERT uncased.
const (
	defaultMaxWordChars   = 100
	defaultModelMaxLength = 512
)

// options collects the settings that Load reads from the model directory;
// defaultOptions are those of bert-base-uncased.
type options struct {
	cfg            normConfig
	unk, cls, sep  string
	pad, mask      string
	prefix         string
	maxWordChars   int
	modelMaxLength int
	added          []addedToken // from tokenizer.json (ids resolved there)
}

func defaultOptions() options {
	return options{
		cfg:            normConfig{cleanText: true, chineseChars: true, stripAccents: true, lowercase: true},
		unk:            "[UNK]",
		cls:            "[CLS]",
		sep:            "[SEP]",
		pad:            "[PAD]",
		mask:           "[MASK]",
		prefix:         "##",
		maxWordChars:   defaultMaxWordChars,
		modelMaxLength: defaultModelMaxLength,
	}
}

// LoadVocab reads vocab.txt (one token per line, id = line number) and
// builds a tokenizer with the defaults of bert-base-uncased: lowercasing,
// accent stripping, CJK isolation, text cleaning, special tokens [PAD] [UNK]
// [CLS] [SEP] [MASK], model max length 512.
func LoadVocab(path string) (*Tokenizer, error) {
	vocab, err := readVocab(path)
	if err != nil {
		return nil, err
	}
	t, err := newTokenizer(vocab, defaultOptions())
	if err != nil {
		return nil, fmt.Errorf("load vocabulary %s: %w", path, err)
	}
	t.prefixWarnings(path)
	return t, nil
}

// Load reads a tokenizer from a model directory in the Hugging Face layout:
// vocab.txt is required; tokenizer_config.json (do_lower_case,
// strip_accents, tokenize_chinese_chars, model_max_length, special tokens)
// and tokenizer.json (BertNormalizer clean_text, added tokens, WordPiece
// settings) and special_tokens_map.json (special tokens, taking precedence
// over tokenizer_config.json's as in transformers) are used when present.
// When tokenizer_config.json is present,
// its normalizer switches (or transformers' defaults for the ones it leaves
// out: lowercase, strip accents as lowercase, isolate CJK) take precedence
// over those of tokenizer.json, as in transformers' BertTokenizerFast.
func Load(dir string) (*Tokenizer, error) {
	vocabPath := filepath.Join(dir, "vocab.txt")
	vocab, err := readVocab(vocabPath)
	if err != nil {
		return nil, err
	}
	opt := defaultOptions()
	tjPath := filepath.Join(dir, "tokenizer.json")
	if data, err := os.ReadFile(tjPath); err == nil {
		if err := applyTokenizerJSON(&opt, data, vocab); err != nil {
			return nil, fmt.Errorf("load %s: %w", tjPath, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("load %s: %w", tjPath, err)
	}
	tcPath := filepath.Join(dir, "tokenizer_config.json")
	if data, err := os.ReadFile(tcPath); err == nil {
		if err := applyTokenizerConfig(&opt, data); err != nil {
			return nil, fmt.Errorf("load %s: %w", tcPath, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("load %s: %w", tcPath, err)
	}
	stPath := filepath.Join(dir, "special_tokens_map.json")
	if data, err := os.ReadFile(stPath); err == nil {
		if err := applySpecialTokensMap(&opt, data); err != nil {
			return nil, fmt.Errorf("load %s: %w", stPath, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("load %s: %w", stPath, err)
	}
	t, err := newTokenizer(vocab, opt)
	if err != nil {
		return nil, fmt.Errorf("load tokenizer %s: %w", dir, err)
	}
	t.prefixWarnings(vocabPath)
	return t, nil
}

// readVocab reads one token per line; a trailing CR is removed (files
// written on Windows), nothing else is trimmed, as Hugging Face does.
func readVocab(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load vocabulary: %w", err)
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("load vocabulary %s: not valid UTF-8", path)
	}
	var vocab []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 1<<16), 1<<20)
	for sc.Scan() {
		vocab = append(vocab, string(sc.Bytes()))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("load vocabulary %s: line %d: %w", path, len(vocab)+1, err)
	}
	if len(vocab) == 0 {
		return nil, fmt.Errorf("load vocabulary %s: empty", path)
	}
	return vocab, nil
}

func newTokenizer(vocab []string, opt options) (*Tokenizer, error) {
	if len(vocab) > 1<<31-1 {
		return nil, fmt.Errorf("%d tokens: too many", len(vocab))
	}
	t := &Tokenizer{
		vocab:          vocab,
		ids:            make(map[string]int32, len(vocab)),
		prefix:         opt.prefix,
		maxWordChars:   opt.maxWordChars,
		cfg:            opt.cfg,
		chars:          tableFor(opt.cfg),
		modelMaxLength: opt.modelMaxLength,
		special:        make([]bool, len(vocab)),
	}
	h := sha256.New()
	var first map[string]int32 // first id of each repeated token
	for i, tok := range vocab {
		if tok == "" {
			return nil, fmt.Errorf("token %d is empty", i)
		}
		if prev, dup := t.ids[tok]; dup {
			if first == nil {
				first = map[string]int32{}
			}
			if _, ok := first[tok]; !ok {
				first[tok] = prev
			}
		}
		t.ids[tok] = int32(i) // a repeated token maps to its last line, as in Hugging Face
		h.Write([]byte(tok))
		h.Write([]byte{'\n'})
	}
	h.Sum(t.hash[:0])
	t.warnings = duplicateWarnings(vocab, first, t.ids)
	keys := make([]string, 0, len(t.ids))
	vals := make([]int32, 0, len(t.ids))
	for k, v := range t.ids {
		keys = append(keys, k)
		vals = append(vals, v)
	}
	t.trie = buildTrie(keys, vals)
	t.contSt = -1
	if opt.prefix == "" {
		t.contSt = 0
	} else if s, ok := t.trie.walk(0, opt.prefix); ok {
		t.contSt = s
	}

	need := func(name, tok string) (int32, error) {
		id, ok := t.ids[tok]
		if !ok {
			return 0, fmt.Errorf("%s token %q is not in the vocabulary", name, tok)
		}
		return id, nil
	}
	var err error
	if t.unk, err = need("unknown", opt.unk); err != nil {
		return nil, err
	}
	if t.cls, err = need("classifier", opt.cls); err != nil {
		return nil, err
	}
	if t.sep, err = need("separator", opt.sep); err != nil {
		return nil, err
	}
	if t.pad, err = need("padding", opt.pad); err != nil {
		return nil, err
	}
	if t.mask, err = need("mask", opt.mask); err != nil {
		return nil, err
	}

	// Added tokens: those of tokenizer.json, plus the five special tokens
	// (BertTokenizerFast registers them as special added tokens).
	seen := map[string]bool{}
	for _, a := range opt.added {
		if !seen[a.content] {
			seen[a.content] = true
			t.added = append(t.added, a)
		}
	}
	for _, id := range []int32{t.pad, t.unk, t.cls, t.sep, t.mask} {
		if tok := vocab[id]; !seen[tok] {
			seen[tok] = true
			t.added = append(t.added, addedToken{content: tok, id: id, special: true})
		}
	}
	// Longest first: leftmost-longest matching at a position.
	sortAddedLongestFirst(t.added)
	for _, a := range t.added {
		t.addedFirst[a.content[0]] = true
		if a.special && int(a.id) < len(t.special) {
			t.special[a.id] = true
		}
	}
	return t, nil
}

func sortAddedLongestFirst(a []addedToken) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && len(a[j].content) > len(a[j-1].content); j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// Warnings returns what loading found suspicious but accepted, one line
// each: a token listed twice in vocab.txt (the later id wins, as in
// Hugging Face's tokenizers). Commands print them.
func (t *Tokenizer) Warnings() []string { return t.warnings }

// prefixWarnings names the vocabulary file in the warnings.
func (t *Tokenizer) prefixWarnings(path string) {
	for i, w := range t.warnings {
		t.warnings[i] = path + ": " + w
	}
}

// maxDuplicateWarnings bounds the warnings about repeated tokens.
const maxDuplicateWarnings = 10

// duplicateWarnings lists one warning per repeated token, in vocabulary
// order: its first and its last (winning) id.
func duplicateWarnings(vocab []string, first map[string]int32, ids map[string]int32) []string {
	if len(first) == 0 {
		return nil
	}
	var ws []string
	n := 0
	for i, tok := range vocab {
		f, ok := first[tok]
		if !ok || int32(i) != f {
			continue
		}
		if n++; n <= maxDuplicateWarnings {
			ws = append(ws, fmt.Sprintf("token %q is listed more than once (ids %d and %d): id %d is used, the later one, as Hugging Face does", tok, f, ids[tok], ids[tok]))
		}
	}
	if n > maxDuplicateWarnings {
		ws = append(ws, fmt.Sprintf("%d more tokens are listed more than once", n-maxDuplicateWarnings))
	}
	return ws
}

// VocabSize is the number of tokens in the vocabulary.
func (t *Tokenizer) VocabSize() int { return len(t.vocab) }

// TokenToID returns the id of tok.
func (t *Tokenizer) TokenToID(tok string) (int32, bool) {
	id, ok := t.ids[tok]
	return id, ok
}

// IDToToken returns the token of id, or "" when id is out of range.
func (t *Tokenizer) IDToToken(id int32) string {
	if id < 0 || int(id) >= len(t.vocab) {
		return ""
	}
	return t.vocab[id]
}

// CLSID is the id of [CLS], which starts every encoded text.
func (t *Tokenizer) CLSID() int32 { return t.cls }

// SEPID is the id of [SEP], which ends every encoded text.
func (t *Tokenizer) SEPID() int32 { return t.sep }

// PadID is the id of [PAD].
func (t *Tokenizer) PadID() int32 { return t.pad }

// UnkID is the id of [UNK], given to words the vocabulary cannot cover.
func (t *Tokenizer) UnkID() int32 { return t.unk }

// MaskID is the id of [MASK].
func (t *Tokenizer) MaskID() int32 { return t.mask }

// IsSpecial reports whether id is a special token ([CLS] [SEP] [PAD] [UNK]
// [MASK], and special added tokens of tokenizer.json): Hugging Face's
// special-tokens mask, which the masked-LM collator never selects.
func (t *Tokenizer) IsSpecial(id int32) bool {
	return id >= 0 && int(id) < len(t.special) && t.special[id]
}

// ModelMaxLength is the longest sequence the model accepts
// (tokenizer_config.json's model_max_length; 512 when absent).
func (t *Tokenizer) ModelMaxLength() int { return t.modelMaxLength }

// VocabHash is the SHA-256 of the vocabulary (each token followed by a
// newline, in id order: the bytes of a canonical vocab.txt), for cache keys.
func (t *Tokenizer) VocabHash() [32]byte { return t.hash }

// applyTokenizerJSON reads the parts of a Hugging Face tokenizer.json of the
// BertWordPiece kind that this package implements, and rejects the rest.
func applyTokenizerJSON(opt *options, data []byte, vocab []string) error {
	var tj struct {
		AddedTokens []struct {
			ID         int32  `json:"id"`
			Content    string `json:"content"`
			SingleWord bool   `json:"single_word"`
			LStrip     bool   `json:"lstrip"`
			RStrip     bool   `json:"rstrip"`
			Normalized bool   `json:"normalized"`
			Special    bool   `json:"special"`
		} `json:"added_tokens"`
		Normalizer *struct {
			Type               string `json:"type"`
			CleanText          *bool  `json:"clean_text"`
			HandleChineseChars *bool  `json:"handle_chinese_chars"`
			StripAccents       *bool  `json:"strip_accents"`
			Lowercase          *bool  `json:"lowercase"`
		} `json:"normalizer"`
		PreTokenizer *struct {
			Type string `json:"type"`
		} `json:"pre_tokenizer"`
		Model struct {
			Type                    string           `json:"type"`
			UnkToken                *string          `json:"unk_token"`
			ContinuingSubwordPrefix *string          `json:"continuing_subword_prefix"`
			MaxInputCharsPerWord    *int             `json:"max_input_chars_per_word"`
			Vocab                   map[string]int32 `json:"vocab"`
		} `json:"model"`
	}
	if err := json.Unmarshal(data, &tj); err != nil {
		return err
	}
	if tj.Model.Type != "" && tj.Model.Type != "WordPiece" {
		return fmt.Errorf("model type %q: only WordPiece is supported", tj.Model.Type)
	}
	if n := tj.Normalizer; n != nil {
		if n.Type != "BertNormalizer" {
			return fmt.Errorf("normalizer type %q: only BertNormalizer is supported", n.Type)
		}
		if n.CleanText != nil {
			opt.cfg.cleanText = *n.CleanText
		}
		if n.HandleChineseChars != nil {
			opt.cfg.chineseChars = *n.HandleChineseChars
		}
		if n.Lowercase != nil {
			opt.cfg.lowercase = *n.Lowercase
		}
		opt.cfg.stripAccents = opt.cfg.lowercase
		if n.StripAccents != nil {
			opt.cfg.stripAccents = *n.StripAccents
		}
	}
	if p := tj.PreTokenizer; p != nil && p.Type != "BertPreTokenizer" {
		return fmt.Errorf("pre_tokenizer type %q: only BertPreTokenizer is supported", p.Type)
	}
	if tj.Model.UnkToken != nil {
		opt.unk = *tj.Model.UnkToken
	}
	if tj.Model.ContinuingSubwordPrefix != nil {
		opt.prefix = *tj.Model.ContinuingSubwordPrefix
	}
	if m := tj.Model.MaxInputCharsPerWord; m != nil {
		if *m <= 0 {
			return fmt.Errorf("max_input_chars_per_word %d: must be positive", *m)
		}
		opt.maxWordChars = *m
	}
	if tj.Model.Vocab != nil {
		if len(tj.Model.Vocab) != len(vocab) {
			return fmt.Errorf("model.vocab has %d tokens, vocab.txt %d", len(tj.Model.Vocab), len(vocab))
		}
		for i, tok := range vocab {
			if id, ok := tj.Model.Vocab[tok]; !ok || id != int32(i) {
				return fmt.Errorf("model.vocab differs from vocab.txt at token %q (line %d)", tok, i)
			}
		}
	}
	for _, a := range tj.AddedTokens {
		if a.SingleWord || a.LStrip || a.RStrip || a.Normalized {
			return fmt.Errorf("added token %q: single_word, lstrip, rstrip and normalized are not supported", a.Content)
		}
		if a.Content == "" {
			return fmt.Errorf("added token %d: empty content", a.ID)
		}
		if a.ID < 0 || int(a.ID) >= len(vocab) || vocab[a.ID] != a.Content {
			return fmt.Errorf("added token %q: id %d is not its line in vocab.txt", a.Content, a.ID)
		}
		opt.added = append(opt.added, addedToken{content: a.Content, id: a.ID, special: a.Special})
	}
	return nil
}

// applyTokenizerConfig reads transformers' tokenizer_config.json for a BERT
// tokenizer.
func applyTokenizerConfig(opt *options, data []byte) error {
	var tc map[string]json.RawMessage
	if err := json.Unmarshal(data, &tc); err != nil {
		return err
	}
	boolKey := func(key string, def bool) (bool, error) {
		raw, ok := tc[key]
		if !ok || string(raw) == "null" {
			return def, nil
		}
		var v bool
		if err := json.Unmarshal(raw, &v); err != nil {
			return false, fmt.Errorf("%s: %w", key, err)
		}
		return v, nil
	}
	var err error
	// BertTokenizerFast's keyword defaults override tokenizer.json's
	// normalizer: do_lower_case=True, strip_accents=None (follows
	// lowercasing), tokenize_chinese_chars=True.
	if opt.cfg.lowercase, err = boolKey("do_lower_case", true); err != nil {
		return err
	}
	if opt.cfg.stripAccents, err = boolKey("strip_accents", opt.cfg.lowercase); err != nil {
		return err
	}
	if opt.cfg.chineseChars, err = boolKey("tokenize_chinese_chars", true); err != nil {
		return err
	}
	if raw, ok := tc["model_max_length"]; ok {
		var f float64 // transformers writes 1e30 for "no limit"
		if err := json.Unmarshal(raw, &f); err != nil {
			return fmt.Errorf("model_max_length: %w", err)
		}
		switch {
		case f <= 0:
			return fmt.Errorf("model_max_length %v: must be positive", f)
		case f > 1<<31-1:
			opt.modelMaxLength = 1<<31 - 1
		default:
			opt.modelMaxLength = int(f)
		}
	}
	return applySpecialTokens(opt, tc)
}

// applySpecialTokensMap reads transformers' special_tokens_map.json. As in
// transformers' from_pretrained, its tokens take precedence over those of
// tokenizer_config.json (Load applies it second). Keys are matched exactly.
func applySpecialTokensMap(opt *options, data []byte) error {
	var tc map[string]json.RawMessage
	if err := json.Unmarshal(data, &tc); err != nil {
		return err
	}
	return applySpecialTokens(opt, tc)
}

// applySpecialTokens sets the special tokens a tokenizer_config.json or
// special_tokens_map.json names: a string, or an AddedToken object with a
// "content".
func applySpecialTokens(opt *options, tc map[string]json.RawMessage) error {
	for key, dst := range map[string]*string{
		"unk_token": &opt.unk, "cls_token": &opt.cls, "sep_token": &opt.sep,
		"pad_token": &opt.pad, "mask_token": &opt.mask,
	} {
		raw, ok := tc[key]
		if !ok || string(raw) == "null" {
			continue
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			var obj struct {
				Content string `json:"content"`
			}
			if err2 := json.Unmarshal(raw, &obj); err2 != nil || obj.Content == "" {
				return fmt.Errorf("%s: want a string or an object with content", key)
			}
			s = obj.Content
		}
		if strings.TrimSpace(s) == "" {
			return fmt.Errorf("%s: empty", key)
		}
		*dst = s
	}
	return nil
}
