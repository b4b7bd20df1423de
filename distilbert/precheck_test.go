package distilbert

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func smallConfig() Config {
	cfg := DefaultConfig()
	cfg.VocabSize, cfg.Dim, cfg.NLayers, cfg.NHeads, cfg.HiddenDim, cfg.MaxPositionEmbeddings = 12, 8, 2, 2, 16, 10
	return cfg
}

// paramShapes, which the checkpoint header is checked against, must list
// exactly the parameters build allocates.
func TestParamShapesMatchBuild(t *testing.T) {
	cfg := smallConfig()
	m := build(cfg)
	var want []paramShape
	for i, name := range m.Params.Names {
		want = append(want, paramShape{name, m.Params.Params[i].Shape()})
	}
	if d := cmp.Diff(want, cfg.paramShapes()); d != "" {
		t.Errorf("paramShapes (-build +paramShapes):\n%s", d)
	}
	if got, want := cfg.NumParams(), int64(m.Params.Len()); got != want {
		t.Errorf("NumParams = %d, build allocates %d", got, want)
	}
}

// saveTiny writes a model with cfg into a new directory.
func saveTiny(t *testing.T, cfg Config, edit func(m *ForMaskedLM)) string {
	t.Helper()
	m, err := New(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(m)
	}
	dir := t.TempDir()
	if err := m.SaveDir(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// rewriteConfig changes config.json in dir without touching the weights.
func rewriteConfig(t *testing.T, dir string, edit func(c *Config)) {
	t.Helper()
	cfg, err := LoadConfig(filepath.Join(dir, ConfigFileName))
	if err != nil {
		t.Fatal(err)
	}
	edit(&cfg)
	if err := cfg.Save(filepath.Join(dir, ConfigFileName)); err != nil {
		t.Fatal(err)
	}
}

// A config.json whose vocab_size (60,000,000, under the per-tensor cap with
// dim 32) disagrees with its 30,522-row weights is reported before the
// model is allocated: the Go heap grows by far less than the 7.7 GB that
// building the model would take.
func TestLoadDirChecksConfigAgainstWeightsFirst(t *testing.T) {
	cfg := DefaultConfig()
	cfg.VocabSize, cfg.Dim, cfg.NLayers, cfg.NHeads, cfg.HiddenDim, cfg.MaxPositionEmbeddings = 30522, 32, 1, 2, 32, 16
	dir := saveTiny(t, cfg, nil)
	rewriteConfig(t, dir, func(c *Config) { c.VocabSize = 60_000_000 })

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := LoadDir(dir)
	runtime.ReadMemStats(&after)
	want := "load model " + dir + `: tensor "distilbert.embeddings.word_embeddings.weight" has shape [30522 32] in the checkpoint, config.json (vocab_size 60000000, dim 32, hidden_dim 32, max_position_embeddings 16, n_layers 1) needs [60000000 32]`
	if err == nil || err.Error() != want {
		t.Fatalf("LoadDir err = %v\nwant %s", err, want)
	}
	// 16 MiB: the config, the header and the error, not 7.7 GB.
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
		t.Errorf("LoadDir allocated %d bytes before refusing", grew)
	}
}

func TestLoadDirConfigMismatches(t *testing.T) {
	tests := []struct {
		name string
		edit func(c *Config)
		want string
	}{
		{"more layers", func(c *Config) { c.NLayers = 3 }, `tensor "distilbert.transformer.layer.2.attention.q_lin.weight" missing from checkpoint`},
		{"hidden_dim", func(c *Config) { c.HiddenDim = 32 }, `tensor "distilbert.transformer.layer.0.ffn.lin1.weight" has shape [16 8] in the checkpoint, config.json (vocab_size 12, dim 8, hidden_dim 32, max_position_embeddings 10, n_layers 2) needs [32 8]`},
		{"positions", func(c *Config) { c.MaxPositionEmbeddings = 20 }, `tensor "distilbert.embeddings.position_embeddings.weight" has shape [10 8] in the checkpoint`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := saveTiny(t, smallConfig(), nil)
			rewriteConfig(t, dir, tc.edit)
			_, err := LoadDir(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant %s", err, tc.want)
			}
		})
	}
}

func TestLoadDirChecksVocabFile(t *testing.T) {
	dir := saveTiny(t, smallConfig(), nil)
	vocab := filepath.Join(dir, "vocab.txt")
	for _, tc := range []struct {
		content, want string
	}{
		{"a\nb\nc\n", "load model " + dir + ": " + vocab + " has 3 tokens, config.json's vocab_size is 12"},
		{strings.Repeat("t\n", 11) + "last", ""}, // a last line without newline counts
		{strings.Repeat("t\n", 12), ""},
	} {
		os.WriteFile(vocab, []byte(tc.content), 0o644)
		_, err := LoadDir(dir)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || err.Error() != tc.want) {
			t.Errorf("vocab %q: err = %v, want %q", tc.content, err, tc.want)
		}
	}
}

// One NaN or one infinity among the weights is reported with the tensor
// and the index of the first bad value.
func TestLoadDirRefusesNonFiniteWeights(t *testing.T) {
	cfg := smallConfig()
	tests := []struct {
		name string
		edit func(m *ForMaskedLM)
		want string
	}{
		{"NaN", func(m *ForMaskedLM) {
			w := m.DistilBert.Embeddings.WordEmbeddings.Weight.Host()
			w[3*cfg.Dim+5] = float32(math.NaN())
			w[7*cfg.Dim+1] = float32(math.NaN()) // not the first
		}, `tensor "distilbert.embeddings.word_embeddings.weight" holds NaN at index [3 5] (element 29 of 96)`},
		{"Inf", func(m *ForMaskedLM) {
			m.DistilBert.Layers[1].FFN.Lin1.Bias.Host()[13] = float32(math.Inf(-1))
		}, `tensor "distilbert.transformer.layer.1.ffn.lin1.bias" holds -Inf at index [13] (element 13 of 16)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := saveTiny(t, cfg, tc.edit)
			_, err := LoadDir(dir)
			want := "load model " + dir + ": " + tc.want + ": the weights are corrupt or the model diverged"
			if err == nil || err.Error() != want {
				t.Fatalf("err = %v\nwant %s", err, want)
			}
		})
	}
}

func TestCheckTrainingMemory(t *testing.T) {
	defer func(f func() int64) { memTotal = f }(memTotal)
	memTotal = func() int64 { return 24 << 30 }
	cfg := DefaultConfig()
	cfg.VocabSize, cfg.Dim = 60_000_000, 32
	want := "config: 1,981,241,952 parameters (vocab_size 60000000, dim 32, hidden_dim 3072, max_position_embeddings 512, n_layers 6): parameters, gradients and AdamW moments need 29.5 GiB, more than this machine's 24.0 GiB of memory"
	if err := cfg.CheckTrainingMemory(); err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
	if err := DefaultConfig().CheckTrainingMemory(); err != nil {
		t.Errorf("distilbert-base-uncased on 24 GiB: %v", err)
	}
	huge := DefaultConfig()
	huge.NLayers = math.MaxInt
	if err := huge.CheckTrainingMemory(); err == nil || !strings.Contains(err.Error(), "more than this machine's 24.0 GiB") {
		t.Errorf("n_layers MaxInt: err = %v", err)
	}
	memTotal = func() int64 { return 0 } // unknown: no check
	if err := cfg.CheckTrainingMemory(); err != nil {
		t.Errorf("memory unknown: %v", err)
	}
	if systemMemory() <= 0 && runtime.GOOS == "linux" {
		t.Error("systemMemory found no MemTotal in /proc/meminfo")
	}
}

// config.json keys are matched exactly, as transformers does: a key in
// other case is an unknown key, kept in Extra, and the field keeps its
// default.
func TestConfigKeysAreCaseSensitive(t *testing.T) {
	c, err := parseConfig([]byte(`{"model_type": "distilbert", "Vocab_Size": 5, "N_LAYERS": 2, "dim": 32}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.VocabSize != 30522 || c.NLayers != 6 || c.Dim != 32 {
		t.Errorf("vocab_size %d, n_layers %d, dim %d: want the defaults 30522 and 6 and dim 32", c.VocabSize, c.NLayers, c.Dim)
	}
	if d := cmp.Diff(map[string]string{"Vocab_Size": "5", "N_LAYERS": "2"}, rawStrings(c.Extra)); d != "" {
		t.Errorf("Extra (-want +got):\n%s", d)
	}
}

func rawStrings(m map[string]json.RawMessage) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}
