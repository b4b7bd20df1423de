package main

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
	"github.com/distilgo/distilgo/internal/atomicfile"
	"github.com/distilgo/distilgo/tokenizer"
	"github.com/distilgo/distilgo/trainer"
)

// imdbURLEnv overrides the URL of the IMDB archive.
const imdbURLEnv = "DISTILGO_IMDB_URL"

// imdbURL is where Stanford publishes the Large Movie Review Dataset.
const imdbURL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"

// defaultModel is finetune's --model default, the course's model.
const defaultModel = "distilbert-base-uncased"

// tokenizerRepo provides the tokenizer of a model without one (random).
const tokenizerRepo = "distilbert-base-uncased"

// hubID matches a Hub repository id: "name" or "org/name".
var hubID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$`)

// modelSource is what --model names.
type modelSource struct {
	kind string // "random", "dir" or "hub"
	path string // config.json for random (empty: distilbert-base-uncased's), the directory, or the Hub id
}

func parseModel(spec string) (modelSource, error) {
	if spec == "random" {
		return modelSource{kind: "random"}, nil
	}
	if p, ok := strings.CutPrefix(spec, "random:"); ok {
		if p == "" {
			return modelSource{}, errors.New(`--model random:PATH needs the path of a config.json`)
		}
		return modelSource{kind: "random", path: p}, nil
	}
	if fi, err := os.Stat(spec); err == nil {
		if !fi.IsDir() {
			return modelSource{}, fmt.Errorf("--model %s is a file: want a directory in the Hugging Face layout (config.json, model.safetensors), a Hub id, random or random:CONFIG", spec)
		}
		return modelSource{kind: "dir", path: spec}, nil
	}
	if hubID.MatchString(spec) && !strings.HasPrefix(spec, ".") {
		return modelSource{kind: "hub", path: spec}, nil
	}
	return modelSource{}, fmt.Errorf("--model %s: no such directory, and not a Hub id", spec)
}

// loadModel builds or loads the model and returns the directory it came
// from ("" for a random initialisation).
func loadModel(ctx context.Context, spec string, seed uint64, logf func(string, ...any)) (*distilbert.ForMaskedLM, string, error) {
	src, err := parseModel(spec)
	if err != nil {
		return nil, "", err
	}
	switch src.kind {
	case "random":
		cfg := distilbert.DefaultConfig()
		if src.path != "" {
			if cfg, err = distilbert.LoadConfig(src.path); err != nil {
				return nil, "", fmt.Errorf("--model %s: %w", spec, err)
			}
		}
		// A config too large to train here is refused before allocating.
		if err := cfg.Validate(); err != nil {
			return nil, "", fmt.Errorf("--model %s: %w", spec, err)
		}
		if err := cfg.CheckTrainingMemory(); err != nil {
			return nil, "", fmt.Errorf("--model %s: %w", spec, err)
		}
		m, err := distilbert.New(cfg, seed)
		if err != nil {
			return nil, "", fmt.Errorf("--model %s: %w", spec, err)
		}
		return m, "", nil
	case "hub":
		logf("Resolving %s on the Hugging Face Hub", src.path)
		dir, err := hub.ResolveModel(ctx, src.path, hub.DefaultOptions())
		if err != nil {
			if errors.Is(err, hub.ErrNotCached) && spec == defaultModel {
				err = fmt.Errorf("%w; or, without the Hub, fine-tune a random initialisation: --model random (with --vocab PATH/vocab.txt)", err)
			}
			return nil, "", err
		}
		src.path = dir
	}
	m, err := distilbert.LoadDir(src.path)
	if err != nil {
		return nil, "", err
	}
	return m, src.path, nil
}

// tokenizerSource says where the tokenizer came from, so its files can be
// copied into the output directory.
type tokenizerSource struct {
	dir   string // model directory holding vocab.txt and maybe more ("" if none)
	vocab string // the vocab.txt used
}

// loadTokenizer takes the tokenizer of the model directory if it has a
// vocab.txt, else --vocab, else distilbert-base-uncased's vocab.txt from
// the Hub.
func loadTokenizer(ctx context.Context, modelDir, vocabFlag string, logf func(string, ...any)) (*tokenizer.Tokenizer, tokenizerSource, error) {
	if modelDir != "" {
		if _, err := os.Stat(filepath.Join(modelDir, "vocab.txt")); err != nil && isCheckpointDir(modelDir) {
			// A checkpoint of an older run, without tokenizer files: the
			// run's own, one level up.
			if _, err := os.Stat(filepath.Join(filepath.Dir(modelDir), "vocab.txt")); err == nil {
				modelDir = filepath.Dir(modelDir)
			}
		}
		if _, err := os.Stat(filepath.Join(modelDir, "vocab.txt")); err == nil {
			if vocabFlag != "" {
				logf("warning: using the tokenizer of %s; --vocab %s is ignored", modelDir, vocabFlag)
			}
			tok, err := tokenizer.Load(modelDir)
			warnTokenizer(tok, logf)
			return tok, tokenizerSource{dir: modelDir, vocab: filepath.Join(modelDir, "vocab.txt")}, err
		}
	}
	path := vocabFlag
	if path == "" {
		opt := hub.DefaultOptions()
		url := strings.TrimRight(opt.Endpoint, "/") + "/" + tokenizerRepo + "/resolve/main/vocab.txt"
		logf("Fetching the %s vocabulary (pass --vocab PATH to use a local vocab.txt)", tokenizerRepo)
		var err error
		if path, err = hub.DownloadFile(ctx, url, tokenizerRepo+"-vocab.txt", opt); err != nil {
			return nil, tokenizerSource{}, fmt.Errorf("tokenizer: %w (offline, pass --vocab PATH/vocab.txt)", err)
		}
	}
	tok, err := tokenizer.LoadVocab(path)
	warnTokenizer(tok, logf)
	return tok, tokenizerSource{vocab: path}, err
}

// warnTokenizer prints what loading the tokenizer accepted with a warning
// (a token listed twice in vocab.txt).
func warnTokenizer(tok *tokenizer.Tokenizer, logf func(string, ...any)) {
	if tok == nil {
		return
	}
	for _, w := range tok.Warnings() {
		logf("warning: %s", w)
	}
}

// resolveData returns the local path of --data, downloading IMDB for
// "imdb".
func resolveData(ctx context.Context, data string, logf func(string, ...any)) (string, error) {
	if data == "imdb" {
		if _, err := os.Stat(data); err != nil { // not a local path named imdb
			url := imdbURL
			if u := os.Getenv(imdbURLEnv); u != "" {
				url = u
			}
			logf("Fetching the IMDB archive from %s (once; cached)", hub.RedactURL(url))
			path, err := hub.DownloadFile(ctx, url, "aclImdb_v1.tar.gz", hub.DefaultOptions())
			if err != nil {
				return "", fmt.Errorf("--data imdb: %w (offline, pass --data PATH/aclImdb_v1.tar.gz)", err)
			}
			return path, nil
		}
	}
	if _, err := os.Stat(data); err != nil {
		return "", fmt.Errorf("--data: %w", err)
	}
	return data, nil
}

// specialTokensMap is BERT's special_tokens_map.json.
const specialTokensMap = `{
  "cls_token": "[CLS]",
  "mask_token": "[MASK]",
  "pad_token": "[PAD]",
  "sep_token": "[SEP]",
  "unk_token": "[UNK]"
}
`

// tokenizerConfig is distilbert-base-uncased's tokenizer_config.json (with
// the tokenizer class transformers' AutoTokenizer needs when there is no
// tokenizer.json).
const tokenizerConfig = `{
  "clean_up_tokenization_spaces": true,
  "cls_token": "[CLS]",
  "do_lower_case": true,
  "mask_token": "[MASK]",
  "model_max_length": 512,
  "pad_token": "[PAD]",
  "sep_token": "[SEP]",
  "strip_accents": null,
  "tokenize_chinese_chars": true,
  "tokenizer_class": "DistilBertTokenizer",
  "unk_token": "[UNK]"
}
`

// tokenizerFiles returns vocab.txt, tokenizer_config.json and
// special_tokens_map.json (and tokenizer.json when the source has one):
// copies of the source model's files, else BERT's defaults.
func tokenizerFiles(src tokenizerSource) (map[string][]byte, error) {
	vocab, err := os.ReadFile(src.vocab)
	if err != nil {
		return nil, fmt.Errorf("save tokenizer: %w", err)
	}
	files := map[string][]byte{
		"vocab.txt":               vocab,
		"tokenizer_config.json":   []byte(tokenizerConfig),
		"special_tokens_map.json": []byte(specialTokensMap),
	}
	if src.dir != "" {
		for _, name := range []string{"tokenizer_config.json", "special_tokens_map.json", "tokenizer.json"} {
			if data, err := os.ReadFile(filepath.Join(src.dir, name)); err == nil {
				files[name] = data
			}
		}
	}
	return files, nil
}

// writeFiles writes each file into dir atomically.
func writeFiles(dir string, files map[string][]byte) error {
	for name, data := range files {
		if err := writeFileAtomic(filepath.Join(dir, name), data); err != nil {
			return fmt.Errorf("save tokenizer: %w", err)
		}
	}
	return nil
}

// writeFileAtomic writes data to path atomically (package atomicfile).
func writeFileAtomic(path string, data []byte) error {
	return atomicfile.WriteBytes(path, 0o644, data)
}

// isCheckpointDir reports whether dir is named like a trainer checkpoint
// (checkpoint-N).
func isCheckpointDir(dir string) bool {
	n, ok := strings.CutPrefix(filepath.Base(filepath.Clean(dir)), trainer.CheckpointPrefix)
	if !ok || n == "" {
		return false
	}
	for _, c := range n {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
