package tokenizer

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// Encoding is one encoded text.
type Encoding struct {
	IDs           []int32  // token ids, with [CLS] ... [SEP] when AddSpecial
	Offsets       [][2]int // byte offsets [start,end) into the original text; [0,0] for added special tokens and padding
	WordIDs       []int32  // index of the word each token came from; -1 for [CLS], [SEP] and [PAD]
	AttentionMask []int32  // 1 for tokens, 0 for padding
}

// EncodeOptions controls Encode and EncodeBatch.
type EncodeOptions struct {
	AddSpecial bool // add [CLS] before and [SEP] after the text's tokens
	MaxLength  int  // truncate to this many tokens, special ones included; 0: no truncation
	PadTo      int  // pad with [PAD] up to this many tokens; 0: no padding
}

// encoder is the scratch state of one tokenization; not safe for concurrent
// use, recycled through a sync.Pool.
type encoder struct {
	t       *Tokenizer
	offsets bool // record offsets (Encode) or not (AppendIDs)

	ids   []int32
	words []int32
	offs  [][2]int

	// The current word: its first maxWordChars+1 characters at most (a
	// longer word is [UNK] whatever follows, so its working memory is
	// bounded as in Hugging Face's WordPiece, which checks the length
	// first).
	word     []byte  // normalized bytes of the current word (capped)
	wst, wen []int32 // per byte of word: original span of its character
	wchars   int     // characters in the whole word
	wend     int32   // original end of the word's last character
	wordIdx  int32   // index of the current word

	// countOnly: tokens are counted into count and dropped (the first pass
	// of a long text); limit > 0: tokens beyond that length of ids are
	// dropped (truncation).
	countOnly bool
	count     int
	limit     int
}

var encoderPool sync.Pool

func (t *Tokenizer) getEncoder(offsets bool) *encoder {
	e, _ := encoderPool.Get().(*encoder)
	if e == nil {
		e = &encoder{}
	}
	e.t, e.offsets = t, offsets
	e.ids, e.words, e.offs = e.ids[:0], e.words[:0], e.offs[:0]
	e.word, e.wst, e.wen = e.word[:0], e.wst[:0], e.wen[:0]
	e.wchars, e.wend, e.wordIdx = 0, 0, 0
	e.countOnly, e.count, e.limit = false, 0, 0
	return e
}

func putEncoder(e *encoder) {
	e.t = nil
	if cap(e.ids) > 1<<20 { // do not keep huge buffers alive
		return
	}
	encoderPool.Put(e)
}

// run tokenizes text, appending ids, word ids and (if e.offsets) offsets.
func (e *encoder) run(text string) {
	t := e.t
	ct := t.chars
	for i := 0; i < len(text); {
		c := text[i]
		if t.addedFirst[c] {
			if a := t.matchAdded(text[i:]); a != nil {
				e.flush()
				e.emit(a.id, i, i+len(a.content))
				e.drop()
				e.wordIdx++
				i += len(a.content)
				continue
			}
		}
		if c < utf8.RuneSelf {
			switch ct.asciiKind[c] {
			case acLetter:
				// The run of ASCII word bytes that starts here, in one go.
				j := i + 1
				for j < len(text) && text[j] < utf8.RuneSelf && ct.asciiKind[text[j]] == acLetter && !t.addedFirst[text[j]] {
					j++
				}
				e.pushASCII(text[i:j], i, &ct.asciiOut)
				i = j
				continue
			case acSpace:
				e.flush()
			case acPunct:
				e.flush()
				e.pushByte(ct.asciiOut[c], i)
				e.flush()
			case acDrop:
			default:
				e.general(rune(c), i, i+1)
			}
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(text[i:])
		e.general(r, i, i+w)
		i += w
	}
	e.flush()
}

// matchAdded returns the longest added token that s starts with, or nil.
func (t *Tokenizer) matchAdded(s string) *addedToken {
	for k := range t.added {
		if strings.HasPrefix(s, t.added[k].content) {
			return &t.added[k]
		}
	}
	return nil
}

// general handles one character through its rule; [start,end) is its span
// in the original text.
func (e *encoder) general(r rune, start, end int) {
	rule := e.t.chars.rule(r)
	switch rule.kind {
	case kindDrop:
		return
	case kindSpace:
		e.flush()
		return
	case kindCJK:
		e.flush()
	}
	if rule.out == nil {
		var buf [utf8.UTFMax]byte
		e.push(utf8.AppendRune(buf[:0], r), start, end)
	} else {
		for _, c := range rule.out {
			switch {
			case c.space:
				e.flush()
			case c.punct:
				e.flush()
				e.push([]byte(c.s), start, end)
				e.flush()
			default:
				e.push([]byte(c.s), start, end)
			}
		}
	}
	if rule.kind == kindCJK {
		e.flush()
	}
}

// pushASCII appends a run of ASCII word bytes starting at pos, mapped
// through out (lowercasing); only the part within the word length cap is
// stored.
func (e *encoder) pushASCII(run string, pos int, out *[128]byte) {
	keep := min(len(run), max(e.t.maxWordChars+1-e.wchars, 0))
	w := e.word
	for k := 0; k < keep; k++ {
		w = append(w, out[run[k]])
	}
	e.word = w
	if e.offsets {
		for k := range keep {
			e.wst = append(e.wst, int32(pos+k))
			e.wen = append(e.wen, int32(pos+k+1))
		}
	}
	e.wchars += len(run)
	e.wend = int32(pos + len(run))
}

func (e *encoder) pushByte(b byte, pos int) {
	if e.wchars <= e.t.maxWordChars {
		e.word = append(e.word, b)
		if e.offsets {
			e.wst = append(e.wst, int32(pos))
			e.wen = append(e.wen, int32(pos+1))
		}
	}
	e.wchars++
	e.wend = int32(pos + 1)
}

// push appends one normalized character whose original span is
// [start,end) (stored only within the word length cap).
func (e *encoder) push(c []byte, start, end int) {
	if e.wchars <= e.t.maxWordChars {
		e.word = append(e.word, c...)
		if e.offsets {
			for range c {
				e.wst = append(e.wst, int32(start))
				e.wen = append(e.wen, int32(end))
			}
		}
	}
	e.wchars++
	e.wend = int32(end)
}

// emit appends one token of the current word.
func (e *encoder) emit(id int32, start, end int) {
	e.ids = append(e.ids, id)
	e.words = append(e.words, e.wordIdx)
	if e.offsets {
		e.offs = append(e.offs, [2]int{start, end})
	}
}

// flush runs WordPiece on the current word, if any.
func (e *encoder) flush() {
	if len(e.word) == 0 {
		return
	}
	e.wordPiece()
	e.drop()
	e.wordIdx++
	e.word, e.wst, e.wen, e.wchars = e.word[:0], e.wst[:0], e.wen[:0], 0
}

// drop applies countOnly and limit to the tokens appended so far: called
// after each word, so at most one word's tokens exceed them.
func (e *encoder) drop() {
	switch {
	case e.countOnly:
		e.count += len(e.ids)
		e.ids, e.words, e.offs = e.ids[:0], e.words[:0], e.offs[:0]
	case e.limit > 0 && len(e.ids) > e.limit:
		e.ids, e.words = e.ids[:e.limit], e.words[:e.limit]
		if e.offsets {
			e.offs = e.offs[:e.limit]
		}
	}
}

// wordPiece splits the current word greedily into the longest vocabulary
// tokens, continuation pieces carrying the "##" prefix; a word that is too
// long or cannot be covered becomes one [UNK].
func (e *encoder) wordPiece() {
	t, w := e.t, e.word
	n0 := len(e.ids)
	if e.wchars <= t.maxWordChars {
		st := int32(0)
		for start := 0; ; {
			id, n := t.trie.longest(st, w[start:])
			if n == 0 {
				break
			}
			e.ids = append(e.ids, id)
			e.words = append(e.words, e.wordIdx)
			if e.offsets {
				e.offs = append(e.offs, [2]int{int(e.wst[start]), int(e.wen[start+n-1])})
			}
			start += n
			if start == len(w) {
				return
			}
			if st = t.contSt; st < 0 {
				break
			}
		}
	}
	e.ids, e.words = e.ids[:n0], e.words[:n0]
	if e.offsets {
		e.offs = e.offs[:n0]
		e.emit(t.unk, int(e.wst[0]), int(e.wend))
	} else {
		e.emit(t.unk, 0, 0)
	}
}

// Encode tokenizes text.
func (t *Tokenizer) Encode(text string, opt EncodeOptions) Encoding {
	e := t.getEncoder(true)
	defer putEncoder(e)
	return e.encode(text, "Encode", opt)
}

// countFirstBytes: a longer text is tokenized twice, first only counting
// its tokens, then into output buffers of the exact size (or of the
// truncation length), so that its working memory is its output plus one
// word, instead of scratch buffers grown by appending and then copied
// (about 100 times the text's size for a 10 MB line). Shorter texts take
// one pass: their scratch is small and reused.
const countFirstBytes = 64 << 10

// encode tokenizes text into a new Encoding.
func (e *encoder) encode(text, fn string, opt EncodeOptions) Encoding {
	if len(text) <= countFirstBytes {
		e.run(text)
		return e.encoding(fn, opt)
	}
	nSpecial := checkOptions(fn, opt)
	t := e.t
	e.countOnly, e.offsets = true, false
	e.run(text)
	n := e.count
	e.countOnly, e.count, e.offsets, e.wordIdx = false, 0, true, 0
	keep := n
	if opt.MaxLength > 0 && keep > opt.MaxLength-nSpecial {
		keep = opt.MaxLength - nSpecial
	}
	total := max(keep+nSpecial, opt.PadTo)
	capacity := total
	if keep < n {
		capacity += t.maxWordChars + 1 // one word's tokens before drop truncates
	}
	enc := Encoding{
		IDs:     make([]int32, 0, capacity),
		Offsets: make([][2]int, 0, capacity),
		WordIDs: make([]int32, 0, capacity),
	}
	if opt.AddSpecial {
		enc.IDs, enc.Offsets, enc.WordIDs = append(enc.IDs, t.cls), append(enc.Offsets, [2]int{}), append(enc.WordIDs, -1)
	}
	e.ids, e.offs, e.words = enc.IDs, enc.Offsets, enc.WordIDs
	e.limit = len(e.ids) + keep
	e.run(text)
	enc.IDs, enc.Offsets, enc.WordIDs = e.ids[:e.limit], e.offs[:e.limit], e.words[:e.limit]
	e.ids, e.offs, e.words = nil, nil, nil // the Encoding owns them
	if opt.AddSpecial {
		enc.IDs, enc.Offsets, enc.WordIDs = append(enc.IDs, t.sep), append(enc.Offsets, [2]int{}), append(enc.WordIDs, -1)
	}
	enc.AttentionMask = make([]int32, len(enc.IDs), total)
	for i := range enc.AttentionMask {
		enc.AttentionMask[i] = 1
	}
	for len(enc.IDs) < opt.PadTo {
		enc.IDs, enc.Offsets, enc.WordIDs = append(enc.IDs, t.pad), append(enc.Offsets, [2]int{}), append(enc.WordIDs, -1)
		enc.AttentionMask = append(enc.AttentionMask, 0)
	}
	return enc
}

// checkOptions panics on invalid options and returns the number of
// special tokens added.
func checkOptions(fn string, opt EncodeOptions) int {
	nSpecial := 0
	if opt.AddSpecial {
		nSpecial = 2
	}
	if opt.MaxLength < 0 || opt.PadTo < 0 {
		panic(fmt.Sprintf("tokenizer.%s: negative MaxLength %d or PadTo %d", fn, opt.MaxLength, opt.PadTo))
	}
	if opt.MaxLength > 0 && opt.MaxLength < nSpecial {
		panic(fmt.Sprintf("tokenizer.%s: MaxLength %d is less than the %d special tokens", fn, opt.MaxLength, nSpecial))
	}
	return nSpecial
}

// encoding assembles an Encoding from e's tokens: truncation, special
// tokens, padding. The slices are freshly allocated.
func (e *encoder) encoding(fn string, opt EncodeOptions) Encoding {
	t := e.t
	nSpecial := checkOptions(fn, opt)
	n := len(e.ids)
	if opt.MaxLength > 0 && n > opt.MaxLength-nSpecial {
		n = opt.MaxLength - nSpecial
	}
	total := max(n+nSpecial, opt.PadTo)
	enc := Encoding{
		IDs:           make([]int32, 0, total),
		Offsets:       make([][2]int, 0, total),
		WordIDs:       make([]int32, 0, total),
		AttentionMask: make([]int32, 0, total),
	}
	add := func(id int32, off [2]int, word int32, att int32) {
		enc.IDs = append(enc.IDs, id)
		enc.Offsets = append(enc.Offsets, off)
		enc.WordIDs = append(enc.WordIDs, word)
		enc.AttentionMask = append(enc.AttentionMask, att)
	}
	if opt.AddSpecial {
		add(t.cls, [2]int{}, -1, 1)
	}
	for i := 0; i < n; i++ {
		add(e.ids[i], e.offs[i], e.words[i], 1)
	}
	if opt.AddSpecial {
		add(t.sep, [2]int{}, -1, 1)
	}
	for len(enc.IDs) < opt.PadTo {
		add(t.pad, [2]int{}, -1, 0)
	}
	return enc
}

// EncodeBatch tokenizes texts in parallel over all cores (GOMAXPROCS);
// the result is the same as calling Encode on each text.
func (t *Tokenizer) EncodeBatch(texts []string, opt EncodeOptions) []Encoding {
	out := make([]Encoding, len(texts))
	parallelFor(len(texts), func(i int, e *encoder) {
		out[i] = e.encode(texts[i], "EncodeBatch", opt)
	}, t, true)
	return out
}

// parallelFor calls fn(i, e) for i in [0,n) on GOMAXPROCS goroutines, each
// with its own encoder, reset before every call. Work is handed out in
// small chunks so that long and short texts balance.
func parallelFor(n int, fn func(i int, e *encoder), t *Tokenizer, offsets bool) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			e := t.getEncoder(offsets)
			fn(i, e)
			putEncoder(e)
		}
		return
	}
	const chunk = 16
	var next atomic.Int64
	var wg sync.WaitGroup
	var panicked atomic.Value
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					panicked.Store(fmt.Sprint(r))
				}
			}()
			for {
				lo := int(next.Add(chunk)) - chunk
				if lo >= n {
					return
				}
				for i := lo; i < min(lo+chunk, n); i++ {
					e := t.getEncoder(offsets)
					fn(i, e)
					putEncoder(e)
				}
			}
		}()
	}
	wg.Wait()
	if p := panicked.Load(); p != nil {
		panic(p)
	}
}

// AppendIDs is the allocation-light fast path of the dataset pipeline: it
// appends to ids the tokens of text between [CLS] and [SEP], and to wordIDs
// their word ids (-1 for [CLS] and [SEP]; words numbered from 0 within
// text), and returns both slices. No truncation.
func (t *Tokenizer) AppendIDs(ids, wordIDs []int32, text string) ([]int32, []int32) {
	e := t.getEncoder(false)
	e.ids, e.words = append(ids, t.cls), append(wordIDs, -1)
	e.run(text)
	ids, wordIDs = append(e.ids, t.sep), append(e.words, -1)
	e.ids, e.words = nil, nil // the caller owns them now
	putEncoder(e)
	return ids, wordIDs
}

// CharOffsets converts byte offsets into text (as in Encoding.Offsets) to
// character offsets, counting code points as Hugging Face's Python and
// Node.js bindings do (an invalid byte counts as one character, as U+FFFD).
// An offset that does not fall on a character boundary is rounded down to
// the character holding it.
func CharOffsets(text string, offsets [][2]int) [][2]int {
	idx := make([]int32, len(text)+1) // byte position -> character index
	n := int32(0)
	for i := 0; i < len(text); {
		_, w := utf8.DecodeRuneInString(text[i:])
		for k := 0; k < w; k++ {
			idx[i+k] = n
		}
		n++
		i += w
	}
	idx[len(text)] = n
	out := make([][2]int, len(offsets))
	for i, o := range offsets {
		if o[0] < 0 || o[1] > len(text) || o[0] > o[1] {
			panic(fmt.Sprintf("tokenizer.CharOffsets: offset [%d,%d) outside text of %d bytes", o[0], o[1], len(text)))
		}
		out[i] = [2]int{int(idx[o[0]]), int(idx[o[1]])}
	}
	return out
}
