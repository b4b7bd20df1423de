package tokenizer

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// slowWords is an independent, rune-by-rune reading of normalization and
// pre-tokenization (computeRule straight from the generated Unicode data; no
// character table, no ASCII fast path): the normalized words of text, with a
// special token written in the text as its own word.
func slowWords(t *Tokenizer, text string) []string {
	var words []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			words = append(words, cur.String())
			cur.Reset()
		}
	}
	for i := 0; i < len(text); {
		if a := t.matchAdded(text[i:]); a != nil {
			flush()
			words = append(words, a.content)
			i += len(a.content)
			continue
		}
		r, w := utf8.DecodeRuneInString(text[i:])
		i += w
		rule := computeRule(t.cfg, r)
		switch rule.kind {
		case kindDrop:
			continue
		case kindSpace:
			flush()
			continue
		case kindCJK:
			flush()
		}
		if rule.out == nil {
			cur.WriteRune(r)
		}
		for _, c := range rule.out {
			switch {
			case c.space:
				flush()
			case c.punct:
				flush()
				words = append(words, c.s)
			default:
				cur.WriteString(c.s)
			}
		}
		if rule.kind == kindCJK {
			flush()
		}
	}
	flush()
	return words
}

// FuzzEncode checks invariants of Encode on arbitrary bytes: no panic; ids
// in range; [CLS] and [SEP] around; offsets inside the text, on character
// boundaries, non-empty and increasing; word ids counting up from 0 by steps
// of 0 or 1; AppendIDs agreeing; and decode(encode(x)) equal to the
// normalized words of x joined by spaces (the cleanups of Decode left out),
// with [UNK] for the words the vocabulary cannot cover.
func FuzzEncode(f *testing.F) {
	tk := bertTokenizer(f)
	for _, s := range []string{
		"", " ", "Hello, world!", "This is a great [MASK].", "[MASK][SEP]x[UNK", "Café 日本語 😀",
		"ab\xffcd", "\xed\xa0\x80", "a\u0301\u0302b", "İ ǅ ß", "<br /><br />", strings.Repeat("ab", 60),
		"don't 1,000.5", "\u200b\ufeff\u00ad", "\t\n\r\x0b\x0c\x85", "\uF900\uAC01",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		e := tk.Encode(text, EncodeOptions{AddSpecial: true})
		n := len(e.IDs)
		if n < 2 || len(e.Offsets) != n || len(e.WordIDs) != n || len(e.AttentionMask) != n {
			t.Fatalf("lengths %d %d %d %d", n, len(e.Offsets), len(e.WordIDs), len(e.AttentionMask))
		}
		if e.IDs[0] != tk.CLSID() || e.IDs[n-1] != tk.SEPID() || e.WordIDs[0] != -1 || e.WordIDs[n-1] != -1 ||
			e.Offsets[0] != [2]int{} || e.Offsets[n-1] != [2]int{} {
			t.Fatalf("special tokens: ids %v offsets %v words %v", e.IDs, e.Offsets, e.WordIDs)
		}
		boundary := make([]bool, len(text)+1)
		for i := 0; i < len(text); {
			boundary[i] = true
			_, w := utf8.DecodeRuneInString(text[i:])
			i += w
		}
		boundary[len(text)] = true
		prev, prevWord := [2]int{}, int32(-1)
		for k := 1; k < n-1; k++ {
			id, o, w := e.IDs[k], e.Offsets[k], e.WordIDs[k]
			if id < 0 || int(id) >= tk.VocabSize() || e.AttentionMask[k] != 1 {
				t.Fatalf("token %d: id %d, mask %d", k, id, e.AttentionMask[k])
			}
			if o[0] < 0 || o[0] >= o[1] || o[1] > len(text) || !boundary[o[0]] || !boundary[o[1]] {
				t.Fatalf("token %d: offsets %v in %d bytes", k, o, len(text))
			}
			if k > 1 && (o[0] < prev[0] || o[1] < prev[1]) {
				t.Fatalf("token %d: offsets %v after %v", k, o, prev)
			}
			if w != prevWord && w != prevWord+1 {
				t.Fatalf("token %d: word %d after %d", k, w, prevWord)
			}
			if w != prevWord && k > 1 && o[0] < prev[1] {
				t.Fatalf("token %d: word %d starts at %d inside the previous word (ends %d)", k, w, o[0], prev[1])
			}
			prev, prevWord = o, w
		}

		ids, words := tk.AppendIDs(nil, nil, text)
		if !equalInt32(ids, e.IDs) || !equalInt32(words, e.WordIDs) {
			t.Fatalf("AppendIDs %v %v, Encode %v %v", ids, words, e.IDs, e.WordIDs)
		}

		want := slowWords(tk, text)
		if int(prevWord)+1 != len(want) {
			t.Fatalf("%d words, slow path %d: %q", prevWord+1, len(want), want)
		}
		for k := 1; k < n-1; k++ {
			w := e.WordIDs[k]
			single := e.WordIDs[k-1] != w && e.WordIDs[k+1] != w
			if e.IDs[k] == tk.UnkID() && single {
				want[w] = tk.IDToToken(tk.UnkID())
			}
		}
		if got, w := tk.decode(e.IDs[1:n-1], false, false), strings.Join(want, " "); got != w {
			t.Fatalf("decode(encode(%q)) = %q, want %q", text, got, w)
		}
	})
}

func equalInt32(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
