package distilbert

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// hubConfig is distilbert-base-uncased's config.json as published on the
// Hugging Face Hub (reproduced in testdata; the Hub is not reachable here).
const hubConfig = "testdata/config_distilbert-base-uncased.json"

func TestLoadHubConfig(t *testing.T) {
	got, err := LoadConfig(hubConfig)
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultConfig()
	want.Extra = map[string]json.RawMessage{"transformers_version": json.RawMessage(`"4.10.0.dev0"`)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LoadConfig(hub) (-want +got):\n%s", diff)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if got.HeadSize() != 64 {
		t.Errorf("HeadSize = %d, want 64", got.HeadSize())
	}
}

func TestParseConfigDefaultsAndAliases(t *testing.T) {
	tiny := func(mod func(*Config)) Config {
		c := DefaultConfig()
		mod(&c)
		return c
	}
	tests := []struct {
		name string
		json string
		want Config
	}{
		{"empty object takes every default", `{}`, DefaultConfig()},
		{"partial", `{"dim": 64, "n_heads": 4, "dropout": 0}`, tiny(func(c *Config) { c.Dim, c.NHeads, c.Dropout = 64, 4, 0 })},
		{"aliases", `{"hidden_size": 32, "num_attention_heads": 2, "num_hidden_layers": 3}`, tiny(func(c *Config) { c.Dim, c.NHeads, c.NLayers = 32, 2, 3 })},
		{"alias agreeing with key", `{"dim": 32, "hidden_size": 32}`, tiny(func(c *Config) { c.Dim = 32 })},
		{"null pad token", `{"pad_token_id": null}`, tiny(func(c *Config) { c.PadTokenID = -1 })},
		{"null architectures", `{"architectures": null}`, tiny(func(c *Config) { c.Architectures = nil })},
		{"extra keys kept", `{"torch_dtype": "float32", "id2label": {"0": "LABEL_0"}}`, tiny(func(c *Config) {
			c.Extra = map[string]json.RawMessage{"torch_dtype": json.RawMessage(`"float32"`), "id2label": json.RawMessage(`{"0": "LABEL_0"}`)}
		})},
	}
	for _, tc := range tests {
		got, err := parseConfig([]byte(tc.json))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct{ json, want string }{
		{`[1]`, "not a JSON object"},
		{`null`, "not a JSON object"},
		{`{"dim": 768`, "not a JSON object"},
		{`{"dim": "768"}`, `"dim" = "768": want an integer`},
		{`{"dim": 76.8}`, `"dim" = 76.8: want an integer`},
		{`{"dropout": "0.1"}`, `"dropout" = "0.1": want a number`},
		{`{"activation": 1}`, `"activation" = 1: want a string`},
		{`{"sinusoidal_pos_embds": 0}`, `want true or false`},
		{`{"architectures": "DistilBertForMaskedLM"}`, `want a list of strings`},
		{`{"dim": null}`, `"dim" is null`},
		{`{"dim": 768, "hidden_size": 512}`, `"hidden_size" = 512 conflicts with "dim" = 768`},
	}
	for _, tc := range tests {
		_, err := parseConfig([]byte(tc.json))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseConfig(%s) = %v, want an error containing %q", tc.json, err, tc.want)
		}
	}
}

func TestLoadConfigFileErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "config.json")
	if _, err := LoadConfig(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("LoadConfig(missing) = %v, want an error naming the file", err)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"n_layers": -`), 0o644)
	if _, err := LoadConfig(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("LoadConfig(bad) = %v, want an error naming the file", err)
	}
	huge := filepath.Join(dir, "huge.json")
	os.WriteFile(huge, []byte(`{"x": "`+strings.Repeat("a", maxConfigSize)+`"}`), 0o644)
	if _, err := LoadConfig(huge); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("LoadConfig(huge) = %v", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		want string // "" = valid
	}{
		{"default", func(*Config) {}, ""},
		{"no pad token", func(c *Config) { c.PadTokenID = -1 }, ""},
		{"zero dropout", func(c *Config) { c.Dropout, c.AttentionDropout = 0, 0 }, ""},
		{"model type", func(c *Config) { c.ModelType = "bert" }, `model_type "bert" is not supported`},
		{"vocab", func(c *Config) { c.VocabSize = 0 }, "vocab_size = 0 must be positive"},
		{"dim", func(c *Config) { c.Dim = -1 }, "dim = -1 must be positive"},
		{"layers", func(c *Config) { c.NLayers = 0 }, "n_layers = 0 must be positive"},
		{"heads", func(c *Config) { c.NHeads = 0 }, "n_heads = 0 must be positive"},
		{"hidden", func(c *Config) { c.HiddenDim = 0 }, "hidden_dim = 0 must be positive"},
		{"positions", func(c *Config) { c.MaxPositionEmbeddings = 0 }, "max_position_embeddings = 0 must be positive"},
		{"head split", func(c *Config) { c.NHeads = 7 }, "dim 768 is not divisible by n_heads 7"},
		{"huge vocab", func(c *Config) { c.VocabSize = 1 << 30 }, "word embeddings"},
		{"huge hidden", func(c *Config) { c.HiddenDim = 1 << 30 }, "FFN weights"},
		{"activation", func(c *Config) { c.Activation = "tanh" }, `activation "tanh" is not supported (supported: "gelu", "relu")`},
		{"gelu_new", func(c *Config) { c.Activation = "gelu_new" }, `"gelu_new"`},
		{"sinusoidal", func(c *Config) { c.SinusoidalPosEmbds = true }, "sinusoidal_pos_embds = true is not implemented"},
		{"untied", func(c *Config) { c.TieWordEmbeddings = false }, "tie_word_embeddings = false is not supported"},
		{"dropout 1", func(c *Config) { c.Dropout = 1 }, "dropout = 1 is outside [0, 1)"},
		{"dropout negative", func(c *Config) { c.Dropout = -0.1 }, "dropout = -0.1 is outside"},
		{"attention dropout", func(c *Config) { c.AttentionDropout = 1.5 }, "attention_dropout = 1.5 is outside"},
		{"initializer", func(c *Config) { c.InitializerRange = -0.02 }, "initializer_range = -0.02"},
		{"pad id", func(c *Config) { c.PadTokenID = 30522 }, "pad_token_id 30522 is outside the vocabulary of 30522"},
	}
	for _, tc := range tests {
		c := DefaultConfig()
		tc.mod(&c)
		err := c.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: unexpected error %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	c, err := parseConfig([]byte(`{"dim": 64, "n_heads": 4, "hidden_dim": 128, "vocab_size": 100, "pad_token_id": null,
		"dropout": 0, "initializer_range": 1e-05, "_name_or_path": "a<b>&c", "torch_dtype": "bfloat16", "hidden_size": 64}`))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "config.json")
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	text, _ := os.ReadFile(path)
	for _, want := range []string{
		`"dropout": 0.0,`, `"initializer_range": 1e-05,`, `"pad_token_id": null,`, `"_name_or_path": "a<b>&c",`,
		`"torch_dtype": "float32",`, `"transformers_version": "` + TransformersVersion + `",`,
		`"architectures": [` + "\n" + `    "DistilBertForMaskedLM"` + "\n  ],",
	} {
		if !strings.Contains(string(text), want) {
			t.Errorf("saved config lacks %s:\n%s", want, text)
		}
	}
	if strings.Contains(string(text), "hidden_size") || strings.Contains(string(text), "tie_word_embeddings") {
		t.Errorf("saved config has an alias or a default-valued tie_word_embeddings:\n%s", text)
	}
	back, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c, back, cmpopts.IgnoreFields(Config{}, "Extra")); diff != "" {
		t.Errorf("round trip (-saved +loaded):\n%s", diff)
	}
	if got := string(back.Extra["_name_or_path"]); got != `"a<b>&c"` {
		t.Errorf("extra key after round trip: %s", got)
	}
	// Saving what was loaded gives the same bytes.
	again, err := back.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(text), string(again)); diff != "" {
		t.Errorf("second save differs (-first +second):\n%s", diff)
	}
}

func TestSaveRejectsInvalid(t *testing.T) {
	dir := t.TempDir()
	c := DefaultConfig()
	c.Activation = "tanh"
	path := filepath.Join(dir, "config.json")
	if err := c.Save(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Save(invalid) = %v, want an error naming the file", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("Save(invalid) left %d files", len(ents))
	}
	if err := DefaultConfig().Save(filepath.Join(dir, "missing", "config.json")); err == nil {
		t.Error("Save into a missing directory succeeded")
	}
}

func TestPyFloat(t *testing.T) {
	tests := []struct {
		v    float64
		want string // Python: json.dumps(v)
	}{
		{0, "0.0"}, {0.1, "0.1"}, {0.02, "0.02"}, {1, "1.0"}, {-2.5, "-2.5"}, {1e-05, "1e-05"},
		{0.0001, "0.0001"}, {1e6, "1000000.0"}, {1e16, "1e+16"}, {123456789012345678, "1.2345678901234568e+17"},
		{1e-12, "1e-12"},
	}
	for _, tc := range tests {
		if got := pyFloat(tc.v); got != tc.want {
			t.Errorf("pyFloat(%v) = %s, want %s", tc.v, got, tc.want)
		}
	}
}

// FuzzParseConfig: parseConfig never panics, and a config it accepts that
// validates survives MarshalJSON -> parseConfig unchanged.
func FuzzParseConfig(f *testing.F) {
	if b, err := os.ReadFile(hubConfig); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"dim": 64, "hidden_size": 64, "pad_token_id": null, "x": [1, {"y": null}]}`))
	f.Add([]byte(`{"dropout": 1e-300, "initializer_range": 12345678901234567890}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parseConfig(data)
		if err != nil || c.Validate() != nil {
			return
		}
		out, err := c.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON: %v", err)
		}
		back, err := parseConfig(out)
		if err != nil {
			t.Fatalf("re-parse of\n%s\n: %v", out, err)
		}
		want := c
		want.ModelType, want.Architectures = "distilbert", []string{"DistilBertForMaskedLM"}
		if diff := cmp.Diff(want, back, cmpopts.IgnoreFields(Config{}, "Extra")); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
	})
}

// TestSaveMatchesTransformersLayout: the tiny checkpoint's config.json was
// written by tools/golden (json.dumps(indent=2, sort_keys=True) + "\n", as
// transformers' to_json_file, with the keys transformers writes for
// DistilBertConfig). Loading and re-encoding it must give the same bytes.
func TestSaveMatchesTransformersLayout(t *testing.T) {
	want, err := os.ReadFile("testdata/tiny-hf/config.json")
	if err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig("testdata/tiny-hf/config.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	got, err := c.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("MarshalJSON differs from the reference layout (-want +got):\n%s", diff)
	}
}
