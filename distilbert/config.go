package distilbert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/distilgo/distilgo/internal/atomicfile"
)

// TransformersVersion is written as "transformers_version" by Config.Save:
// the transformers release whose config.json layout Save follows.
const TransformersVersion = "4.46.3"

// maxConfigSize bounds the config.json LoadConfig reads.
const maxConfigSize = 1 << 20

// maxTensorElems bounds every parameter tensor a config implies (V x C,
// maxPos x C, C x hidden), so a corrupt config cannot ask for absurd
// allocations or overflow int32 index arithmetic in the kernels.
const maxTensorElems = math.MaxInt32

// Config is a DistilBERT configuration: the keys of transformers'
// DistilBertConfig as found in a model's config.json.
type Config struct {
	ModelType             string   // "model_type": must be "distilbert"
	Architectures         []string // "architectures", e.g. ["DistilBertForMaskedLM"]
	VocabSize             int      // V, "vocab_size"
	Dim                   int      // C, "dim" (alias "hidden_size")
	NLayers               int      // "n_layers" (alias "num_hidden_layers")
	NHeads                int      // NH, "n_heads" (alias "num_attention_heads")
	HiddenDim             int      // FFN inner size, "hidden_dim"
	MaxPositionEmbeddings int      // longest T, "max_position_embeddings"
	Dropout               float64  // "dropout": embeddings, FFN output
	AttentionDropout      float64  // "attention_dropout": attention weights
	Activation            string   // "activation": "gelu" or "relu" (FFN and MLM head)
	InitializerRange      float64  // "initializer_range": std of the random init
	PadTokenID            int      // "pad_token_id"; -1 when null (no padding token)
	SinusoidalPosEmbds    bool     // "sinusoidal_pos_embds": not supported
	TieWeights            bool     // "tie_weights_": legacy key of the Hub configs, kept as is
	TieWordEmbeddings     bool     // "tie_word_embeddings": vocab_projector.weight = word embeddings
	QADropout             float64  // "qa_dropout" (question answering head; unused here)
	SeqClassifDropout     float64  // "seq_classif_dropout" (classification head; unused here)

	// Extra holds the other keys of the file (torch_dtype, _name_or_path,
	// id2label, ...) as raw JSON, so Save writes them back.
	Extra map[string]json.RawMessage
}

// DefaultConfig returns the configuration of distilbert-base-uncased:
// V=30522, C=768, 6 layers, 12 heads, hidden 3072, 512 positions, dropout
// 0.1, attention dropout 0.1, GELU, initializer range 0.02, pad id 0,
// learned positions, tied output embeddings.
func DefaultConfig() Config {
	return Config{
		ModelType:             "distilbert",
		Architectures:         []string{"DistilBertForMaskedLM"},
		VocabSize:             30522,
		Dim:                   768,
		NLayers:               6,
		NHeads:                12,
		HiddenDim:             3072,
		MaxPositionEmbeddings: 512,
		Dropout:               0.1,
		AttentionDropout:      0.1,
		Activation:            "gelu",
		InitializerRange:      0.02,
		PadTokenID:            0,
		SinusoidalPosEmbds:    false,
		TieWeights:            true,
		TieWordEmbeddings:     true,
		QADropout:             0.1,
		SeqClassifDropout:     0.2,
	}
}

// field binds a config.json key to a Config field.
type field struct {
	key     string
	aliases []string // transformers' attribute_map names for the same field
	get     func(c *Config) any
}

func fields() []field {
	return []field{
		{"model_type", nil, func(c *Config) any { return &c.ModelType }},
		{"architectures", nil, func(c *Config) any { return &c.Architectures }},
		{"vocab_size", nil, func(c *Config) any { return &c.VocabSize }},
		{"dim", []string{"hidden_size"}, func(c *Config) any { return &c.Dim }},
		{"n_layers", []string{"num_hidden_layers"}, func(c *Config) any { return &c.NLayers }},
		{"n_heads", []string{"num_attention_heads"}, func(c *Config) any { return &c.NHeads }},
		{"hidden_dim", nil, func(c *Config) any { return &c.HiddenDim }},
		{"max_position_embeddings", nil, func(c *Config) any { return &c.MaxPositionEmbeddings }},
		{"dropout", nil, func(c *Config) any { return &c.Dropout }},
		{"attention_dropout", nil, func(c *Config) any { return &c.AttentionDropout }},
		{"activation", nil, func(c *Config) any { return &c.Activation }},
		{"initializer_range", nil, func(c *Config) any { return &c.InitializerRange }},
		{"pad_token_id", nil, func(c *Config) any { return &c.PadTokenID }},
		{"sinusoidal_pos_embds", nil, func(c *Config) any { return &c.SinusoidalPosEmbds }},
		{"tie_weights_", nil, func(c *Config) any { return &c.TieWeights }},
		{"tie_word_embeddings", nil, func(c *Config) any { return &c.TieWordEmbeddings }},
		{"qa_dropout", nil, func(c *Config) any { return &c.QADropout }},
		{"seq_classif_dropout", nil, func(c *Config) any { return &c.SeqClassifDropout }},
	}
}

// LoadConfig reads a Hugging Face config.json. Keys missing from the file
// take transformers' defaults (those of DefaultConfig); unknown keys are kept
// in Extra. It does not validate the values: call Validate.
func LoadConfig(path string) (Config, error) {
	fh, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("load config: %w", err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxConfigSize+1))
	if err != nil {
		return Config{}, fmt.Errorf("load config %s: %w", path, err)
	}
	if len(data) > maxConfigSize {
		return Config{}, fmt.Errorf("load config %s: larger than %d bytes", path, maxConfigSize)
	}
	c, err := parseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("load config %s: %w", path, err)
	}
	return c, nil
}

// parseConfig decodes config.json content; see LoadConfig.
func parseConfig(data []byte) (Config, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return Config{}, fmt.Errorf("config is not a JSON object: %w", err)
	}
	if raw == nil {
		return Config{}, errors.New("config is not a JSON object: null")
	}
	// Keys are matched exactly, as transformers (Python's json) does:
	// "Vocab_Size" is an unknown key kept in Extra, not vocab_size
	// (encoding/json's struct decoding would match it case-insensitively).
	c := DefaultConfig()
	for _, f := range fields() {
		keys := append([]string{f.key}, f.aliases...)
		var seen []string
		for _, k := range keys {
			v, ok := raw[k]
			if !ok {
				continue
			}
			delete(raw, k)
			seen = append(seen, k)
			if err := decodeField(&c, f, k, v, len(seen) > 1); err != nil {
				return Config{}, err
			}
		}
	}
	if len(raw) > 0 {
		c.Extra = raw
	}
	return c, nil
}

// decodeField decodes v into the field; for an alias seen after the main key
// (or another alias) the value must agree with the one already decoded.
func decodeField(c *Config, f field, key string, v json.RawMessage, again bool) error {
	if again {
		tmp := DefaultConfig()
		if err := decodeField(&tmp, f, key, v, false); err != nil {
			return err
		}
		a, _ := json.Marshal(f.get(c))
		b, _ := json.Marshal(f.get(&tmp))
		if !bytes.Equal(a, b) {
			return fmt.Errorf("config: %q = %s conflicts with %q = %s", key, v, f.key, a)
		}
		return nil
	}
	dst := f.get(c)
	if string(v) == "null" {
		switch p := dst.(type) {
		case *int:
			if f.key == "pad_token_id" {
				*p = -1
				return nil
			}
		case *[]string:
			*p = nil
			return nil
		}
		return fmt.Errorf("config: %q is null", key)
	}
	if err := json.Unmarshal(v, dst); err != nil {
		return fmt.Errorf("config: %q = %s: want %s", key, v, kindOf(dst))
	}
	return nil
}

func kindOf(dst any) string {
	switch dst.(type) {
	case *int:
		return "an integer"
	case *float64:
		return "a number"
	case *bool:
		return "true or false"
	case *string:
		return "a string"
	default:
		return "a list of strings"
	}
}

// Validate reports the first setting this implementation cannot run: a
// model_type other than "distilbert", non-positive sizes, a dim not
// divisible by n_heads, an activation other than "gelu" or "relu", sinusoidal
// position embeddings, untied output embeddings, dropout outside [0, 1), a
// negative initializer_range or a pad_token_id outside the vocabulary.
func (c Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("config: "+format, args...)
	}
	if c.ModelType != "distilbert" {
		return bad("model_type %q is not supported (want \"distilbert\")", c.ModelType)
	}
	for _, s := range []struct {
		key string
		v   int
	}{
		{"vocab_size", c.VocabSize}, {"dim", c.Dim}, {"n_layers", c.NLayers}, {"n_heads", c.NHeads},
		{"hidden_dim", c.HiddenDim}, {"max_position_embeddings", c.MaxPositionEmbeddings},
	} {
		if s.v <= 0 {
			return bad("%s = %d must be positive", s.key, s.v)
		}
	}
	if c.Dim%c.NHeads != 0 {
		return bad("dim %d is not divisible by n_heads %d", c.Dim, c.NHeads)
	}
	for _, s := range []struct {
		what string
		a, b int
	}{
		{"word embeddings (vocab_size x dim)", c.VocabSize, c.Dim},
		{"attention weights (dim x dim)", c.Dim, c.Dim},
		{"position embeddings (max_position_embeddings x dim)", c.MaxPositionEmbeddings, c.Dim},
		{"FFN weights (hidden_dim x dim)", c.HiddenDim, c.Dim},
	} {
		if s.a > maxTensorElems/s.b {
			return bad("%s %d x %d exceed %d elements", s.what, s.a, s.b, maxTensorElems)
		}
	}
	if activations[c.Activation] == nil {
		return bad("activation %q is not supported (supported: \"gelu\", \"relu\")", c.Activation)
	}
	if c.SinusoidalPosEmbds {
		return bad("sinusoidal_pos_embds = true is not implemented (only learned position embeddings are)")
	}
	if !c.TieWordEmbeddings {
		return bad("tie_word_embeddings = false is not supported (vocab_projector.weight is always the word embeddings)")
	}
	for _, d := range []struct {
		key string
		v   float64
	}{{"dropout", c.Dropout}, {"attention_dropout", c.AttentionDropout}} {
		if !(d.v >= 0 && d.v < 1) {
			return bad("%s = %v is outside [0, 1)", d.key, d.v)
		}
	}
	if !(c.InitializerRange >= 0) || math.IsInf(c.InitializerRange, 0) {
		return bad("initializer_range = %v must be a non-negative number", c.InitializerRange)
	}
	if c.PadTokenID < -1 || c.PadTokenID >= c.VocabSize {
		return bad("pad_token_id %d is outside the vocabulary of %d", c.PadTokenID, c.VocabSize)
	}
	return nil
}

// HeadSize returns HS = dim / n_heads.
func (c Config) HeadSize() int { return c.Dim / c.NHeads }

// MarshalJSON encodes the config as transformers writes config.json: every
// field, keys sorted, model_type "distilbert", architectures
// ["DistilBertForMaskedLM"], torch_dtype "float32" (the dtype Save's
// checkpoints hold), transformers_version, floats always with a decimal
// point, the Extra keys kept.
func (c Config) MarshalJSON() ([]byte, error) {
	m := make(map[string]json.RawMessage, len(c.Extra)+24)
	for k, v := range c.Extra {
		m[k] = v
	}
	c.ModelType = "distilbert"
	c.Architectures = []string{"DistilBertForMaskedLM"}
	for _, f := range fields() {
		for _, a := range f.aliases {
			delete(m, a)
		}
		var v []byte
		switch p := f.get(&c).(type) {
		case *float64:
			v = []byte(pyFloat(*p))
		case *int:
			if f.key == "pad_token_id" && *p < 0 {
				v = []byte("null")
			} else {
				v = []byte(strconv.Itoa(*p))
			}
		default:
			var err error
			if v, err = marshalNoEscape(p); err != nil {
				return nil, err
			}
		}
		m[f.key] = v
	}
	if c.TieWordEmbeddings {
		delete(m, "tie_word_embeddings") // the default: transformers omits it
	}
	m["torch_dtype"] = json.RawMessage(`"float32"`)
	if _, ok := m["dtype"]; ok {
		m["dtype"] = json.RawMessage(`"float32"`)
	}
	m["transformers_version"] = json.RawMessage(strconv.Quote(TransformersVersion))
	return marshalSorted(m)
}

// pyFloat formats v as Python's json module (float.__repr__) does, so Save
// writes what transformers would: the shortest round-trip digits, fixed
// notation with ".0" for integral values when the decimal exponent is in
// [-4, 16), else d.ddde±XX.
func pyFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	}
	e := strconv.FormatFloat(v, 'e', -1, 64) // e.g. "1.5e-05"
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if exp < -4 || exp >= 16 {
		return e
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func marshalNoEscape(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// marshalSorted writes m with sorted keys and two-space indentation, as
// Python's json.dumps(indent=2, sort_keys=True), plus the final newline
// transformers adds.
func marshalSorted(m map[string]json.RawMessage) ([]byte, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.WriteString("{")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(",")
		}
		kb, err := marshalNoEscape(k)
		if err != nil {
			return nil, err
		}
		b.WriteString("\n  ")
		b.Write(kb)
		b.WriteString(": ")
		var vb bytes.Buffer
		if err := json.Indent(&vb, m[k], "  ", "  "); err != nil {
			return nil, fmt.Errorf("config: key %q: %w", k, err)
		}
		b.Write(vb.Bytes())
	}
	if len(keys) > 0 {
		b.WriteString("\n")
	}
	b.WriteString("}\n")
	return b.Bytes(), nil
}

// Save validates the config and writes it to path as a config.json that
// transformers' from_pretrained loads (see MarshalJSON), atomically:
// temporary file in the same directory, fsync, rename, directory fsync.
func (c Config) Save(path string) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("save config %s: %w", path, err)
	}
	data, err := c.MarshalJSON()
	if err != nil {
		return fmt.Errorf("save config %s: %w", path, err)
	}
	if err := writeConfigFile(path, data); err != nil {
		return fmt.Errorf("save config %s: %w", path, err)
	}
	return nil
}

// writeConfigFile writes data to path atomically with mode 0644.
func writeConfigFile(path string, data []byte) error {
	return atomicfile.WriteBytes(path, 0o644, data)
}
