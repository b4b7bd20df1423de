// Command fillmask fills the [MASK] tokens of sentences with a DistilBERT
// masked-LM model, as Hugging Face's pipeline("fill-mask") does:
//
//	fillmask --model DIR "This is a great [MASK]."
//	>>> this is a great film.
//
// Several texts (arguments, or lines on standard input when there are no
// arguments) run as one padded batch. --json prints the pipeline's output
// format: for each text a list of {score, token, token_str, sequence}, or a
// list of such lists when a text has several [MASK] tokens.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/distilgo/distilgo/distilbert"
	"github.com/distilgo/distilgo/kernels"
	"github.com/distilgo/distilgo/tensor"
	"github.com/distilgo/distilgo/tokenizer"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "fillmask:", err)
		os.Exit(1)
	}
}

// Prediction is one candidate for one [MASK], in the pipeline's format.
type Prediction struct {
	Score    float64 `json:"score"`
	Token    int32   `json:"token"`
	TokenStr string  `json:"token_str"`
	Sequence string  `json:"sequence"`
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fillmask", flag.ContinueOnError)
	fs.SetOutput(stderr)
	model := fs.String("model", "distilbert-finetuned-imdb", "model directory in the Hugging Face layout (config.json, model.safetensors, vocab.txt)")
	vocab := fs.String("vocab", "", "vocab.txt to use when the model directory has none")
	topK := fs.Int("top-k", 5, "number of predictions per [MASK]")
	asJSON := fs.Bool("json", false, "print the pipeline's JSON output instead of '>>> sequence' lines")
	threads := fs.Int("threads", 0, "compute threads (0: all cores)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: fillmask [flags] TEXT...   (or texts on stdin, one per line)\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *topK < 1 {
		return fmt.Errorf("--top-k %d: must be at least 1", *topK)
	}
	if *threads > 0 {
		kernels.SetThreads(*threads)
	}
	texts := fs.Args()
	if len(texts) == 0 {
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 1<<20), 1<<26)
		for sc.Scan() {
			if line := strings.TrimSpace(sc.Text()); line != "" {
				texts = append(texts, line)
			}
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("read stdin: %w", err)
		}
	}
	if len(texts) == 0 {
		fs.Usage()
		return errors.New("no text given")
	}
	m, err := distilbert.LoadDir(*model)
	if err != nil {
		return err
	}
	vpath := *vocab
	if vpath == "" {
		vpath = filepath.Join(*model, "vocab.txt")
	}
	tok, err := tokenizer.LoadVocab(vpath)
	if err != nil {
		return fmt.Errorf("tokenizer: %w (pass --vocab PATH when the model directory has no vocab.txt)", err)
	}
	if tok.VocabSize() != m.Config.VocabSize {
		return fmt.Errorf("tokenizer %s has %d tokens, model %s expects %d", vpath, tok.VocabSize(), *model, m.Config.VocabSize)
	}
	results, err := fillMask(m, tok, texts, *topK, stderr)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, r := range results {
			var v any = r
			if len(r) == 1 {
				v = r[0] // one [MASK]: a flat list, as the pipeline returns
			}
			if err := enc.Encode(v); err != nil {
				return err
			}
		}
		return nil
	}
	for i, r := range results {
		if len(texts) > 1 {
			fmt.Fprintf(stdout, "%s\n", texts[i])
		}
		for _, masks := range r {
			for _, p := range masks {
				fmt.Fprintf(stdout, ">>> %s\n", p.Sequence)
			}
		}
	}
	return nil
}

// fillMask returns, for each text, for each [MASK] in it, the top-k
// predictions. Texts run as one batch padded to the longest; a text longer
// than the model's max_position_embeddings is truncated with a warning, as
// the pipeline does.
func fillMask(m *distilbert.ForMaskedLM, tok *tokenizer.Tokenizer, texts []string, topK int, warn io.Writer) ([][][]Prediction, error) {
	maxLen := m.Config.MaxPositionEmbeddings
	encs := make([][]int32, len(texts))
	T := 0
	for i, text := range texts {
		ids := tok.Encode(text, tokenizer.EncodeOptions{AddSpecial: true}).IDs
		if len(ids) > maxLen {
			fmt.Fprintf(warn, "fillmask: warning: text %d has %d tokens, truncated to max_position_embeddings %d\n", i+1, len(ids), maxLen)
			ids = append(ids[:maxLen-1:maxLen-1], tok.SEPID())
		}
		if !slices.Contains(ids, tok.MaskID()) {
			return nil, fmt.Errorf("text %d %q has no [MASK] token (after truncation)", i+1, text)
		}
		encs[i] = ids
		T = max(T, len(ids))
	}
	B := len(texts)
	in := distilbert.Input{B: B, T: T, InputIDs: make([]int32, B*T), AttentionMask: make([]int32, B*T)}
	var pos []int32
	for b, ids := range encs {
		for t := 0; t < T; t++ {
			id := tok.PadID()
			if t < len(ids) {
				id = ids[t]
				in.AttentionMask[b*T+t] = 1
				if id == tok.MaskID() {
					pos = append(pos, int32(b*T+t))
				}
			}
			in.InputIDs[b*T+t] = id
		}
	}
	m.Train(false)
	tp := tensor.NewNoGradTape()
	logits, err := m.LogitsAt(tp, in, pos) // [len(pos), V]
	if err != nil {
		return nil, err
	}
	V := m.Config.VocabSize
	results := make([][][]Prediction, B)
	for i, p := range pos {
		b := int(p) / T
		ids := encs[b]
		single := countOf(ids, tok.MaskID()) == 1
		probs := softmax64(logits.Data[i*V : (i+1)*V])
		var row []Prediction
		for _, id := range topIndices(probs, topK) {
			seq := slices.Clone(ids)
			seq[int(p)-b*T] = int32(id)
			row = append(row, Prediction{
				Score:    probs[id],
				Token:    int32(id),
				TokenStr: tok.Decode([]int32{int32(id)}, false),
				// The pipeline skips special tokens only with a single mask.
				Sequence: tok.Decode(seq, single),
			})
		}
		results[b] = append(results[b], row)
	}
	return results, nil
}

func countOf(ids []int32, id int32) int {
	n := 0
	for _, v := range ids {
		if v == id {
			n++
		}
	}
	return n
}

func softmax64(x []float32) []float64 {
	mx := math.Inf(-1)
	for _, v := range x {
		mx = math.Max(mx, float64(v))
	}
	p := make([]float64, len(x))
	var s float64
	for i, v := range x {
		p[i] = math.Exp(float64(v) - mx)
		s += p[i]
	}
	for i := range p {
		p[i] /= s
	}
	return p
}

// topIndices returns the indices of the k largest values, largest first
// (ties: lower index first, as a stable sort).
func topIndices(p []float64, k int) []int {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] > p[idx[b]] })
	return idx[:min(k, len(idx))]
}
