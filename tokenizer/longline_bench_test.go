package tokenizer

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// longLine is one line of about n bytes: words of wordLen random lowercase
// letters separated by spaces (wordLen 0: a single word without spaces).
func longLine(n, wordLen int) string {
	r := rand.New(rand.NewPCG(7, 8))
	var b strings.Builder
	b.Grow(n + 128)
	for b.Len() < n {
		if wordLen > 0 && b.Len() > 0 && b.Len()%(wordLen+1) == 0 {
			b.WriteByte(' ')
			continue
		}
		b.WriteByte(byte('a' + r.IntN(26)))
	}
	return b.String()
}

// BenchmarkLongLine encodes one 10 MB line (the case: 90-character
// words; and one 10 MB word, which becomes a single [UNK]) and reports the
// bytes allocated per line (B/op) against the line's size.
func BenchmarkLongLine(b *testing.B) {
	tk := bertTokenizer(b)
	for _, bc := range []struct {
		name    string
		wordLen int
	}{{"words90", 90}, {"oneword", 0}} {
		line := longLine(10<<20, bc.wordLen)
		b.Run(bc.name+"/Encode", func(b *testing.B) {
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			for b.Loop() {
				tk.Encode(line, EncodeOptions{AddSpecial: true})
			}
		})
		b.Run(bc.name+"/AppendIDs", func(b *testing.B) {
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			for b.Loop() {
				tk.AppendIDs(nil, nil, line)
			}
		})
	}
}
