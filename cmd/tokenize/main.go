// Command tokenize runs the BERT WordPiece tokenizer over JSON Lines:
//
//	tokenize --vocab ../shared/data/bert-base-uncased/vocab.txt < in.jsonl > out.jsonl
//
// Each input line is a JSON object with a "text" field (other fields are
// ignored). Each output line is, for the same input line:
//
//	{"input_ids":[101,...,102],"tokens":["[CLS]",...,"[SEP]"],"offsets":[[0,0],[0,5],...],"word_ids":[null,0,...,null]}
//
// input_ids carry [CLS] and [SEP] and are never truncated; offsets are
// [start, end) character (code point) offsets into the text, as Hugging
// Face's Python tokenizers report them, [0,0] for [CLS] and [SEP]; word_ids
// are null for [CLS] and [SEP]. A line that cannot be read gets
// {"line":N,"error":"..."} in its place, and the message on standard error;
// the other lines still come out, and the exit status is 1.
//
// --vocab takes a vocab.txt file or a model directory (vocab.txt, and
// tokenizer_config.json and tokenizer.json when present).
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/distilgo/distilgo/tokenizer"
)

func main() {
	code, err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tokenize:", err)
	}
	os.Exit(code)
}

// batchLines is how many lines are tokenized together (in parallel).
const batchLines = 1024

// run is the command; it returns the exit status and an error to print for
// failures that stop it (bad flags, unreadable vocabulary, I/O errors).
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("tokenize", flag.ContinueOnError)
	fs.SetOutput(stderr)
	vocab := fs.String("vocab", "", "vocab.txt, or a model directory holding one (required)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: tokenize --vocab PATH < in.jsonl > out.jsonl\n\nReads JSON Lines with a \"text\" field; writes input_ids, tokens, offsets, word_ids per line.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, nil
		}
		return 2, nil
	}
	if *vocab == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2, nil
	}
	tk, err := load(*vocab)
	if err != nil {
		return 1, err
	}
	for _, w := range tk.Warnings() {
		fmt.Fprintln(stderr, "tokenize: warning:", w)
	}

	in := bufio.NewReaderSize(stdin, 1<<20)
	out := bufio.NewWriterSize(stdout, 1<<20)
	w := newWriter(tk)
	bad := 0
	lineNo := 0
	texts := make([]string, 0, batchLines)
	errs := make([]error, 0, batchLines)
	flush := func() {
		encs := tk.EncodeBatch(texts, tokenizer.EncodeOptions{AddSpecial: true})
		for i, e := range encs {
			n := lineNo - len(texts) + i + 1
			if errs[i] != nil {
				bad++
				msg := fmt.Sprintf("line %d: %v", n, errs[i])
				fmt.Fprintln(stderr, "tokenize:", msg)
				w.writeError(out, n, msg)
				continue
			}
			w.write(out, texts[i], e)
		}
		texts, errs = texts[:0], errs[:0]
	}
	for {
		line, err := in.ReadBytes('\n')
		if len(line) > 0 {
			lineNo++
			text, perr := parseLine(line)
			texts = append(texts, text)
			errs = append(errs, perr)
			if len(texts) == batchLines {
				flush()
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return 1, fmt.Errorf("read standard input: line %d: %w", lineNo+1, err)
		}
	}
	flush()
	if err := out.Flush(); err != nil {
		return 1, fmt.Errorf("write standard output: %w", err)
	}
	if bad > 0 {
		return 1, fmt.Errorf("%d of %d lines could not be read", bad, lineNo)
	}
	return 0, nil
}

// load reads a vocab.txt file or a model directory.
func load(path string) (*tokenizer.Tokenizer, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return tokenizer.Load(path)
	}
	return tokenizer.LoadVocab(path)
}

// parseLine reads one input line: a JSON object with a string "text".
// Invalid UTF-8 inside the JSON string is replaced by U+FFFD, as
// encoding/json does.
func parseLine(line []byte) (string, error) {
	var obj struct {
		Text *string `json:"text"`
	}
	trimmed := bytes.TrimSpace(line)
	if len(trimmed) == 0 || trimmed[0] != '{' || !json.Valid(trimmed) {
		// Not the decoder's message ("invalid character 'o' in literal
		// null"): what the line should be.
		return "", errors.New(`not a JSON object (want {"text": "..."} on each line)`)
	}
	if err := json.Unmarshal(trimmed, &obj); err != nil {
		return "", errors.New(`"text" is not a string`)
	}
	if obj.Text == nil {
		return "", errors.New(`no "text" field (or it is null)`)
	}
	return *obj.Text, nil
}

// writer writes output lines, with every token's JSON string precomputed.
type writer struct {
	tk     *tokenizer.Tokenizer
	tokens [][]byte // JSON string of each token
	buf    []byte
}

func newWriter(tk *tokenizer.Tokenizer) *writer {
	w := &writer{tk: tk, tokens: make([][]byte, tk.VocabSize())}
	for id := range w.tokens {
		b, _ := json.Marshal(tk.IDToToken(int32(id))) // a string always marshals
		w.tokens[id] = b
	}
	return w
}

func (w *writer) write(out *bufio.Writer, text string, e tokenizer.Encoding) {
	b := append(w.buf[:0], `{"input_ids":[`...)
	for i, id := range e.IDs {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(id), 10)
	}
	b = append(b, `],"tokens":[`...)
	for i, id := range e.IDs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, w.tokens[id]...)
	}
	b = append(b, `],"offsets":[`...)
	for i, o := range tokenizer.CharOffsets(text, e.Offsets) {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(o[0]), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(o[1]), 10)
		b = append(b, ']')
	}
	b = append(b, `],"word_ids":[`...)
	for i, wid := range e.WordIDs {
		if i > 0 {
			b = append(b, ',')
		}
		if wid < 0 {
			b = append(b, "null"...)
		} else {
			b = strconv.AppendInt(b, int64(wid), 10)
		}
	}
	b = append(b, "]}\n"...)
	out.Write(b)
	w.buf = b
}

func (w *writer) writeError(out *bufio.Writer, line int, msg string) {
	b, _ := json.Marshal(struct {
		Line  int    `json:"line"`
		Error string `json:"error"`
	}{line, msg})
	out.Write(append(b, '\n'))
}
