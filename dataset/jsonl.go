package dataset

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/distilgo/distilgo/tensor"
)

// Example is one pre-masked example: a row of a Batch, or a line of the
// pre-masked JSON Lines format.
type Example struct {
	InputIDs      []int32 `json:"input_ids"`
	AttentionMask []int32 `json:"attention_mask"`
	Labels        []int32 `json:"labels"`
}

// Row returns example i of b (views into b, not copies).
func (b *Batch) Row(i int) Example {
	if i < 0 || i >= b.B {
		panic(fmt.Sprintf("dataset: Batch.Row: index %d out of range [0, %d)", i, b.B))
	}
	lo, hi := i*b.T, (i+1)*b.T
	return Example{b.InputIDs[lo:hi:hi], b.AttentionMask[lo:hi:hi], b.Labels[lo:hi:hi]}
}

// WriteMaskedJSONL writes the examples of batches, in order, one JSON object
// per line with the integer arrays "input_ids", "attention_mask" and
// "labels" (tensor.IgnoreIndex, -100, where not predicted): the columns of the
// course's eval_dataset, readable by datasets' load_dataset("json"). The
// file is written atomically.
func WriteMaskedJSONL(path string, batches []Batch) error {
	err := writeFileAtomic(path, func(w *bufio.Writer) error {
		var line []byte
		for bi := range batches {
			for i := range batches[bi].B {
				line = appendExampleJSON(line[:0], batches[bi].Row(i))
				if _, err := w.Write(line); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("write masked JSONL %s: %w", path, err)
	}
	return nil
}

func appendExampleJSON(b []byte, ex Example) []byte {
	b = append(b, `{"input_ids":`...)
	b = appendInts(b, ex.InputIDs)
	b = append(b, `,"attention_mask":`...)
	b = appendInts(b, ex.AttentionMask)
	b = append(b, `,"labels":`...)
	b = appendInts(b, ex.Labels)
	return append(b, "}\n"...)
}

func appendInts(b []byte, v []int32) []byte {
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(x), 10)
	}
	return append(b, ']')
}

// ReadMaskedJSONL reads a pre-masked JSON Lines file written by
// WriteMaskedJSONL or by another tool: per non-empty line, an object with
// the integer arrays "input_ids", "attention_mask" and "labels" of one
// length (other fields are ignored). Ids must be >= 0, mask values 0 or 1,
// labels tensor.IgnoreIndex or >= 0. Errors name the line.
func ReadMaskedJSONL(path string) ([]Example, error) {
	return readParsed(path, "read masked JSONL", "examples", parseMaskedJSONL)
}

func parseMaskedJSONL(r io.Reader, name string) ([]Example, error) {
	var out []Example
	err := eachLine(r, name, func(line []byte, n int) error {
		if !utf8.Valid(line) {
			return fmt.Errorf("%s:%d: %w", name, n, errNotUTF8(line))
		}
		if len(bytes.TrimSpace(line)) == 0 {
			return nil
		}
		var rec struct {
			InputIDs      *[]int32 `json:"input_ids"`
			AttentionMask *[]int32 `json:"attention_mask"`
			Labels        *[]int32 `json:"labels"`
		}
		if err := json.Unmarshal(line, &rec); err != nil {
			return fmt.Errorf("%s:%d: %w", name, n, err)
		}
		for _, f := range []struct {
			name string
			v    *[]int32
		}{{"input_ids", rec.InputIDs}, {"attention_mask", rec.AttentionMask}, {"labels", rec.Labels}} {
			if f.v == nil {
				return fmt.Errorf("%s:%d: no %q array", name, n, f.name)
			}
		}
		ex := Example{*rec.InputIDs, *rec.AttentionMask, *rec.Labels}
		if err := ex.validate(); err != nil {
			return fmt.Errorf("%s:%d: %w", name, n, err)
		}
		out = append(out, ex)
		return nil
	})
	return out, err
}

func (ex Example) validate() error {
	T := len(ex.InputIDs)
	if T == 0 {
		return fmt.Errorf("empty input_ids")
	}
	if len(ex.AttentionMask) != T || len(ex.Labels) != T {
		return fmt.Errorf("lengths differ: input_ids %d, attention_mask %d, labels %d", T, len(ex.AttentionMask), len(ex.Labels))
	}
	for t := range T {
		if ex.InputIDs[t] < 0 {
			return fmt.Errorf("input_ids[%d] = %d is negative", t, ex.InputIDs[t])
		}
		if m := ex.AttentionMask[t]; m != 0 && m != 1 {
			return fmt.Errorf("attention_mask[%d] = %d is not 0 or 1", t, m)
		}
		if l := ex.Labels[t]; l < 0 && l != tensor.IgnoreIndex {
			return fmt.Errorf("labels[%d] = %d is neither %d nor a token id", t, l, tensor.IgnoreIndex)
		}
	}
	return nil
}

// BatchExamples groups examples, in order, into batches of batchSize (the
// last may be smaller). Within a batch, shorter examples are padded on the
// right to the longest with padID, attention 0 and label tensor.IgnoreIndex, as
// transformers' padding collators do.
func BatchExamples(ex []Example, batchSize int, padID int32) []Batch {
	if batchSize <= 0 {
		panic(fmt.Sprintf("dataset: BatchExamples: batch size %d must be positive", batchSize))
	}
	var out []Batch
	for lo := 0; lo < len(ex); lo += batchSize {
		rows := ex[lo:min(lo+batchSize, len(ex))]
		T := 0
		for _, e := range rows {
			T = max(T, len(e.InputIDs))
		}
		var b Batch
		b.resize(len(rows), T)
		for i, e := range rows {
			n := copy(b.InputIDs[i*T:(i+1)*T], e.InputIDs)
			copy(b.AttentionMask[i*T:(i+1)*T], e.AttentionMask)
			copy(b.Labels[i*T:(i+1)*T], e.Labels)
			for t := i*T + n; t < (i+1)*T; t++ {
				b.InputIDs[t], b.AttentionMask[t], b.Labels[t] = padID, 0, tensor.IgnoreIndex
			}
		}
		out = append(out, b)
	}
	return out
}
