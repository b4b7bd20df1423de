package distilbert

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/distilgo/distilgo/safetensors"
)

// paramShape is a parameter's transformers name and shape.
type paramShape struct {
	Name  string
	Shape []int
}

// paramShapes lists the parameters a config implies, in the order of
// ForMaskedLM.Params.Names (the tied vocab_projector.weight is left out),
// without allocating them: what a checkpoint's header is checked against
// before the model is built.
func (c Config) paramShapes() []paramShape {
	var ps []paramShape
	c.visitShapes(func(name string, shape []int) error {
		ps = append(ps, paramShape{name, shape})
		return nil
	})
	return ps
}

// visitShapes calls visit for each parameter of paramShapes, stopping at
// the first error, so that a config with absurdly many layers is not
// listed in memory.
func (c Config) visitShapes(visit func(name string, shape []int) error) error {
	C, H, V := c.Dim, c.HiddenDim, c.VocabSize
	linear := func(prefix string, out, in int) error {
		if err := visit(prefix+".weight", []int{out, in}); err != nil {
			return err
		}
		return visit(prefix+".bias", []int{out})
	}
	norm := func(prefix string) error {
		if err := visit(prefix+".weight", []int{C}); err != nil {
			return err
		}
		return visit(prefix+".bias", []int{C})
	}
	if err := visit("distilbert.embeddings.word_embeddings.weight", []int{V, C}); err != nil {
		return err
	}
	if err := visit("distilbert.embeddings.position_embeddings.weight", []int{c.MaxPositionEmbeddings, C}); err != nil {
		return err
	}
	if err := norm("distilbert.embeddings.LayerNorm"); err != nil {
		return err
	}
	for i := range c.NLayers {
		p := fmt.Sprintf("distilbert.transformer.layer.%d.", i)
		for _, l := range []string{"q_lin", "k_lin", "v_lin", "out_lin"} {
			if err := linear(p+"attention."+l, C, C); err != nil {
				return err
			}
		}
		for _, err := range []error{
			norm(p + "sa_layer_norm"), linear(p+"ffn.lin1", H, C), linear(p+"ffn.lin2", C, H), norm(p + "output_layer_norm"),
		} {
			if err != nil {
				return err
			}
		}
	}
	if err := linear("vocab_transform", C, C); err != nil {
		return err
	}
	if err := norm("vocab_layer_norm"); err != nil {
		return err
	}
	return visit("vocab_projector.bias", []int{V})
}

// NumParams is the number of scalar parameters of the model the config
// describes (tied weights counted once), computed without building it; it
// saturates at math.MaxInt64.
func (c Config) NumParams() int64 {
	C, H, V, P := float64(c.Dim), float64(c.HiddenDim), float64(c.VocabSize), float64(c.MaxPositionEmbeddings)
	layer := 4*(C*C+C) + 2*(2*C) + (H*C + H) + (C*H + C)
	n := V*C + P*C + 2*C + float64(c.NLayers)*layer + (C*C + C) + 2*C + V
	if n >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(n)
}

// checkShapes compares the checkpoint's header with the parameters cfg
// implies, before anything is allocated: a config.json that disagrees with
// its weights (vocab_size 60,000,000 beside a 30,522-row embedding) is
// reported, not allocated.
func checkShapes(cfg Config, f *safetensors.File) error {
	return cfg.visitShapes(func(name string, shape []int) error {
		info, ok := f.Info(name)
		if !ok {
			return fmt.Errorf("tensor %q missing from checkpoint", name)
		}
		if !slices.Equal(info.Shape, shape) {
			return fmt.Errorf("tensor %q has shape %v in the checkpoint, config.json (%s) needs %v", name, info.Shape, configSizes(cfg), shape)
		}
		return nil
	})
}

// configSizes names the config's sizes for messages.
func configSizes(c Config) string {
	return fmt.Sprintf("vocab_size %d, dim %d, hidden_dim %d, max_position_embeddings %d, n_layers %d",
		c.VocabSize, c.Dim, c.HiddenDim, c.MaxPositionEmbeddings, c.NLayers)
}

// checkVocabFile compares the number of tokens of a model directory's
// vocab.txt (one per line, as the tokenizer reads it) with vocab_size. A
// directory without vocab.txt passes.
func checkVocabFile(cfg Config, path string) error {
	fh, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	defer fh.Close()
	n, err := countLines(fh)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if n != cfg.VocabSize {
		return fmt.Errorf("%s has %d tokens, config.json's vocab_size is %d", path, n, cfg.VocabSize)
	}
	return nil
}

// countLines counts lines as bufio.Scanner does (a last line without a
// newline counts), reading in fixed-size blocks.
func countLines(fh *os.File) (int, error) {
	buf := make([]byte, 64<<10)
	n, last := 0, byte('\n')
	for {
		k, err := fh.Read(buf)
		if k > 0 {
			n += bytes.Count(buf[:k], []byte{'\n'})
			last = buf[k-1]
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
	}
	if last != '\n' {
		n++
	}
	return n, nil
}

// trainingBytes is the memory training the config's model needs at least:
// parameters, gradients and AdamW's two moments, 4 bytes each (activations
// come on top).
// It saturates at math.MaxInt64.
func (c Config) trainingBytes() int64 { return min(c.NumParams(), math.MaxInt64/16) * 16 }

// CheckTrainingMemory refuses a config whose parameters, gradients and
// AdamW moments alone exceed the machine's memory (a config with a huge
// vocab_size or n_layers would otherwise die in the Go runtime's "out of
// memory" after reserving it). It passes when the machine's memory is
// unknown.
func (c Config) CheckTrainingMemory() error {
	total := memTotal()
	if total <= 0 {
		return nil
	}
	if need := c.trainingBytes(); need > total || need < 0 {
		return fmt.Errorf("config: %s parameters (%s): parameters, gradients and AdamW moments need %s, more than this machine's %s of memory",
			groupDigits(c.NumParams()), configSizes(c), gib(need), gib(total))
	}
	return nil
}

// memTotal is the machine's memory in bytes (0 when unknown); a variable
// so that tests can set it.
var memTotal = systemMemory

// systemMemory reads MemTotal from /proc/meminfo (Linux; 0 elsewhere).
func systemMemory() int64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(rest) // "24576000 kB"
			if len(f) == 2 && f[1] == "kB" {
				if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					return kb << 10
				}
			}
		}
	}
	return 0
}

func gib(b int64) string { return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30)) }

// groupDigits prints n with thousands separators.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
