package tokenizer

import (
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// runeRange is an inclusive range of code points.
type runeRange struct{ lo, hi rune }

// runeMapping maps a code point to the characters it normalizes to.
type runeMapping struct {
	r rune
	s string
}

func inRanges(t []runeRange, r rune) bool {
	i := sort.Search(len(t), func(i int) bool { return t[i].hi >= r })
	return i < len(t) && t[i].lo <= r
}

func lookupMapping(t []runeMapping, r rune) (string, bool) {
	i := sort.Search(len(t), func(i int) bool { return t[i].r >= r })
	if i < len(t) && t[i].r == r {
		return t[i].s, true
	}
	return "", false
}

// normConfig holds the BertNormalizer switches.
type normConfig struct {
	cleanText    bool // drop NUL, U+FFFD and control characters; map whitespace to ' '
	chineseChars bool // isolate CJK ideographs
	stripAccents bool // NFD, then drop nonspacing marks (Mn)
	lowercase    bool
}

// Character kinds: what normalization and pre-tokenization do with a
// character of the input.
const (
	kindWord  = iota // its normalized characters join the current word
	kindDrop         // removed; the word goes on across it
	kindSpace        // removed; ends the current word
	kindCJK          // its normalized characters form a word of their own
)

// normChar is one character of a normalized result.
type normChar struct {
	s     string // UTF-8
	punct bool   // a word of its own (BertPreTokenizer punctuation)
	space bool   // a word boundary (BertPreTokenizer whitespace)
}

// charRule says how one input character is normalized and pre-tokenized.
// Rule 0 of every table is the common case: the character stays as it is and
// is not punctuation.
type charRule struct {
	kind uint8
	out  []normChar // nil: the character itself, unchanged
}

// charTable maps every code point to its charRule for one normConfig: a
// two-level table (blocks of 256 code points, identical blocks shared).
type charTable struct {
	blockOf [(utf8.MaxRune + 1) >> 8]uint16
	blocks  []uint16
	rules   []charRule

	// ASCII fast path.
	asciiKind [128]uint8 // acLetter, acSpace, acPunct, acDrop
	asciiOut  [128]byte  // normalized byte for acLetter and acPunct
}

// ASCII classes for the byte-level fast path.
const (
	acLetter = iota // part of a word
	acSpace         // word boundary
	acPunct         // a word of its own
	acDrop          // removed
	acOther         // needs the general path (never for ASCII with the rules we build)
)

func (t *charTable) rule(r rune) *charRule {
	return &t.rules[t.blocks[int(t.blockOf[r>>8])<<8|int(r&0xFF)]]
}

var (
	tablesMu sync.Mutex
	tables   = map[normConfig]*charTable{}
)

// tableFor returns the (shared, read-only) character table of a
// configuration, building it on first use (a few milliseconds).
func tableFor(cfg normConfig) *charTable {
	tablesMu.Lock()
	defer tablesMu.Unlock()
	if t, ok := tables[cfg]; ok {
		return t
	}
	t := buildTable(cfg)
	tables[cfg] = t
	return t
}

// hangulDecompose appends the canonical decomposition of a Hangul syllable
// (Unicode section 3.12).
func hangulDecompose(dst []rune, r rune) []rune {
	s := r - 0xAC00
	dst = append(dst, 0x1100+s/588, 0x1161+(s%588)/28)
	if t := s % 28; t != 0 {
		dst = append(dst, 0x11A7+t)
	}
	return dst
}

func isHangulSyllable(r rune) bool { return r >= 0xAC00 && r <= 0xD7A3 }

// normalizeChar runs BertNormalizer's per-character steps (strip accents,
// then lowercase) on r, without cleaning.
func normalizeChar(cfg normConfig, r rune) []rune {
	dec := []rune{r}
	if cfg.stripAccents {
		switch {
		case isHangulSyllable(r):
			dec = hangulDecompose(dec[:0], r)
		case inRanges(stripDrop, r):
			dec = dec[:0]
		default:
			if s, ok := lookupMapping(stripMap, r); ok {
				dec = []rune(s)
			}
		}
	}
	if !cfg.lowercase {
		return dec
	}
	var out []rune
	for _, d := range dec {
		if s, ok := lookupMapping(lowerMap, d); ok {
			out = append(out, []rune(s)...)
		} else {
			out = append(out, d)
		}
	}
	return out
}

// computeRule derives the rule of one code point from the generated tables.
func computeRule(cfg normConfig, r rune) charRule {
	if cfg.cleanText {
		if inRanges(cleanDrop, r) {
			return charRule{kind: kindDrop}
		}
		if inRanges(cleanSpace, r) {
			return charRule{kind: kindSpace}
		}
	}
	if inRanges(preSpace, r) {
		return charRule{kind: kindSpace}
	}
	rule := charRule{kind: kindWord}
	if cfg.chineseChars && isChinese(r) {
		rule.kind = kindCJK
	}
	out := normalizeChar(cfg, r)
	if len(out) == 1 && out[0] == r && !inRanges(punctuation, r) {
		return rule // unchanged: out stays nil
	}
	if len(out) == 0 {
		rule.kind = kindDrop
		return rule
	}
	for _, c := range out {
		rule.out = append(rule.out, normChar{s: string(c), punct: inRanges(punctuation, c), space: inRanges(preSpace, c)})
	}
	return rule
}

// isChinese reports whether r lies in one of the CJK ideograph blocks that
// BertNormalizer isolates as one-character words.
func isChinese(r rune) bool {
	switch {
	case r >= 0x4E00 && r <= 0x9FFF,
		r >= 0x3400 && r <= 0x4DBF,
		r >= 0x20000 && r <= 0x2A6DF,
		r >= 0x2A700 && r <= 0x2B73F,
		r >= 0x2B740 && r <= 0x2B81F,
		r >= 0x2B920 && r <= 0x2CEAF,
		r >= 0xF900 && r <= 0xFAFF,
		r >= 0x2F800 && r <= 0x2FA1F:
		return true
	}
	return false
}

var cjkRanges = []runeRange{
	{0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xF900, 0xFAFF}, {0x20000, 0x2A6DF},
	{0x2A700, 0x2B73F}, {0x2B740, 0x2B81F}, {0x2B920, 0x2CEAF}, {0x2F800, 0x2FA1F},
}

func buildTable(cfg normConfig) *charTable {
	t := &charTable{rules: []charRule{{kind: kindWord}}}
	flat := make([]uint16, utf8.MaxRune+1)
	ruleIndex := map[string]uint16{}
	intern := func(rule charRule) uint16 {
		var key strings.Builder
		key.WriteByte('0' + rule.kind)
		for _, c := range rule.out {
			key.WriteString(c.s)
			switch {
			case c.punct:
				key.WriteByte('p')
			case c.space:
				key.WriteByte('s')
			default:
				key.WriteByte('w')
			}
		}
		k := key.String()
		if i, ok := ruleIndex[k]; ok {
			return i
		}
		if len(t.rules) == 1<<16 {
			panic("tokenizer.buildTable: more than 65536 distinct character rules")
		}
		i := uint16(len(t.rules))
		t.rules = append(t.rules, rule)
		ruleIndex[k] = i
		return i
	}
	// Only code points named by some table can differ from rule 0; the
	// rest of Unicode (most of it) keeps rule 0.
	set := func(r rune) { flat[r] = intern(computeRule(cfg, r)) }
	setRanges := func(rs []runeRange) {
		for _, rr := range rs {
			for r := rr.lo; r <= rr.hi; r++ {
				if r < 0xD800 || r > 0xDFFF {
					set(r)
				}
			}
		}
	}
	if cfg.cleanText {
		// Fast fill for the large dropped ranges (private use planes).
		drop := intern(charRule{kind: kindDrop})
		for _, rr := range cleanDrop {
			for r := rr.lo; r <= rr.hi; r++ {
				flat[r] = drop
			}
		}
		setRanges(cleanSpace)
	}
	setRanges(preSpace)
	setRanges(punctuation)
	if cfg.chineseChars {
		setRanges(cjkRanges)
	}
	if cfg.stripAccents {
		setRanges(stripDrop)
		for _, m := range stripMap {
			set(m.r)
		}
		setRanges([]runeRange{{0xAC00, 0xD7A3}})
	}
	if cfg.lowercase {
		for _, m := range lowerMap {
			set(m.r)
		}
	}
	// Compress into shared blocks of 256.
	blockIndex := map[string]uint16{}
	for b := range t.blockOf {
		blk := flat[b<<8 : (b+1)<<8]
		key := string(u16bytes(blk))
		i, ok := blockIndex[key]
		if !ok {
			i = uint16(len(t.blocks) >> 8)
			t.blocks = append(t.blocks, blk...)
			blockIndex[key] = i
		}
		t.blockOf[b] = i
	}

	for c := 0; c < 128; c++ {
		rule := t.rule(rune(c))
		switch {
		case rule.kind == kindDrop:
			t.asciiKind[c] = acDrop
		case rule.kind == kindSpace:
			t.asciiKind[c] = acSpace
		case rule.out == nil:
			t.asciiKind[c], t.asciiOut[c] = acLetter, byte(c)
		case len(rule.out) == 1 && len(rule.out[0].s) == 1 && !rule.out[0].space:
			t.asciiOut[c] = rule.out[0].s[0]
			t.asciiKind[c] = acLetter
			if rule.out[0].punct {
				t.asciiKind[c] = acPunct
			}
		default:
			t.asciiKind[c] = acOther
		}
	}
	return t
}

func u16bytes(s []uint16) []byte {
	b := make([]byte, 2*len(s))
	for i, v := range s {
		b[2*i], b[2*i+1] = byte(v), byte(v>>8)
	}
	return b
}
