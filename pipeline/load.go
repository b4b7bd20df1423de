package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/distilgo/distilgo/distilbert"
	"github.com/distilgo/distilgo/hub"
	"github.com/distilgo/distilgo/tokenizer"
)

// hubID matches a Hub repository id: "name" or "org/name".
var hubID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$`)

// checkpointDir matches the name of a training checkpoint folder.
var checkpointDir = regexp.MustCompile(`^checkpoint-[0-9]+$`)

// Load loads a fill-mask pipeline from model: a directory in the Hugging
// Face layout (config.json, model.safetensors, vocab.txt and the tokenizer
// files next to it) or a Hub id, downloaded into the huggingface_hub cache
// with the environment's settings (HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE).
// The tokenizer is the one the directory names (tokenizer.Load: vocab.txt,
// tokenizer_config.json, tokenizer.json). A training checkpoint folder
// (checkpoint-N) without tokenizer files uses those of the run's output
// directory that holds it; cfg.Vocab serves a directory with none.
func Load(ctx context.Context, model string, cfg Config) (*FillMask, error) {
	dir, err := ResolveModel(ctx, model)
	if err != nil {
		return nil, err
	}
	m, err := distilbert.LoadDir(dir)
	if err != nil {
		return nil, err
	}
	tok, err := LoadTokenizer(dir, cfg.Vocab)
	if err != nil {
		return nil, err
	}
	return New(m, tok, cfg)
}

// ResolveModel returns the local directory of model: the directory itself,
// or the Hub snapshot of a Hub id.
func ResolveModel(ctx context.Context, model string) (string, error) {
	fi, err := os.Stat(model)
	switch {
	case err == nil && fi.IsDir():
		return model, nil
	case err == nil:
		return "", fmt.Errorf("model %s is a file: want a directory in the Hugging Face layout (config.json, model.safetensors) or a Hub id", model)
	case !errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("model %s: %w", model, err)
	case !hubID.MatchString(model) || strings.HasPrefix(model, "."):
		return "", fmt.Errorf("model %s: no such directory, and not a Hub id", model)
	}
	dir, err := hub.ResolveModel(ctx, model, hub.DefaultOptions())
	if err != nil {
		return "", fmt.Errorf("model %s: no such directory; as a Hub id: %w", model, err)
	}
	return dir, nil
}

// LoadTokenizer loads the tokenizer of the model directory dir: its own
// files, else (for a checkpoint-N folder) those of the run's output
// directory above it, else vocab (a vocab.txt with bert-base-uncased's
// settings) when not empty.
func LoadTokenizer(dir, vocab string) (*tokenizer.Tokenizer, error) {
	has := func(d string) bool {
		_, err := os.Stat(filepath.Join(d, "vocab.txt"))
		return err == nil
	}
	switch parent := filepath.Dir(filepath.Clean(dir)); {
	case has(dir):
		return tokenizer.Load(dir)
	case checkpointDir.MatchString(filepath.Base(filepath.Clean(dir))) && has(parent):
		return tokenizer.Load(parent)
	case vocab != "":
		return tokenizer.LoadVocab(vocab)
	}
	return nil, fmt.Errorf("model %s has no tokenizer files (vocab.txt): pass a vocab.txt", dir)
}
