package distilbert

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/distilgo/distilgo/safetensors"
)

// tiedName is the parameter transformers drops when saving, because it is the
// word-embedding tensor under a second name.
const tiedName = "vocab_projector.weight"

// ConfigFileName is the config file of a Hugging Face model directory.
const ConfigFileName = "config.json"

// LoadDir loads a model directory in the Hugging Face layout: config.json and
// model.safetensors (or a sharded model.safetensors.index.json). The file may
// hold vocab_projector.weight or not (transformers drops tied weights); if it
// does, it must equal the word embeddings. Missing or unexpected tensors and
// shape mismatches are errors that name the tensor.
//
// The model comes back in evaluation mode (dropout off), as transformers'
// from_pretrained returns model.eval(): loading is for inference unless the
// caller says otherwise, and training code calls Train(true) itself.
func LoadDir(dir string) (*ForMaskedLM, error) {
	cfg, err := LoadConfig(filepath.Join(dir, ConfigFileName))
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", dir, err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("load model %s: %w", dir, err)
	}
	f, err := safetensors.OpenDir(dir)
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", dir, err)
	}
	defer f.Close()
	// Check the header and vocab.txt against the config before allocating.
	if err := checkShapes(cfg, f); err != nil {
		return nil, fmt.Errorf("load model %s: %w", dir, err)
	}
	if err := checkVocabFile(cfg, filepath.Join(dir, "vocab.txt")); err != nil {
		return nil, fmt.Errorf("load model %s: %w", dir, err)
	}
	m := build(cfg)
	if err := m.loadTensors(f); err != nil {
		return nil, fmt.Errorf("load model %s: %w", dir, err)
	}
	m.Train(false)
	return m, nil
}

// loadTensors reads every parameter from f into the model's ParamSet.
func (m *ForMaskedLM) loadTensors(f *safetensors.File) error {
	want := map[string]bool{}
	for _, name := range m.Params.AllNames() {
		want[name] = true
	}
	var unexpected []string
	for _, name := range f.Names() {
		if !want[name] {
			unexpected = append(unexpected, name)
		}
	}
	if len(unexpected) > 0 {
		slices.Sort(unexpected)
		return fmt.Errorf("unexpected tensors in checkpoint: %q", unexpected)
	}
	for i, name := range m.Params.Names {
		p := m.Params.Params[i]
		if err := readParam(f, name, p.Shape(), p.Host()); err != nil {
			return err
		}
	}
	if _, ok := f.Info(tiedName); ok {
		// Stored anyway (older or non-transformers writers): must be the tie.
		w := make([]float32, len(m.VocabProjector.Weight.Host()))
		if err := readParam(f, tiedName, m.VocabProjector.Weight.Shape(), w); err != nil {
			return err
		}
		if !slices.Equal(w, m.VocabProjector.Weight.Host()) {
			return fmt.Errorf("tensor %q differs from the word embeddings it is tied to", tiedName)
		}
	}
	return nil
}

func readParam(f *safetensors.File, name string, shape []int, dst []float32) error {
	info, ok := f.Info(name)
	if !ok {
		return fmt.Errorf("tensor %q missing from checkpoint", name)
	}
	if !slices.Equal(info.Shape, shape) {
		return fmt.Errorf("tensor %q has shape %v in the checkpoint, the config needs %v", name, info.Shape, shape)
	}
	if err := f.ReadFloat32(name, dst); err != nil {
		return fmt.Errorf("tensor %q: %w", name, err)
	}
	return safetensors.CheckFinite(name, shape, dst)
}

// stateDict returns every parameter as a safetensors tensor, named as in
// transformers' state dict, without the tied vocab_projector.weight (as
// transformers saves it). The data slices alias the model's parameters.
func (m *ForMaskedLM) stateDict() []safetensors.Tensor {
	ts := make([]safetensors.Tensor, 0, len(m.Params.Names))
	for i, name := range m.Params.Names {
		p := m.Params.Params[i]
		ts = append(ts, safetensors.Tensor{Name: name, Shape: slices.Clone(p.Shape()), Data: p.Host()})
	}
	return ts
}

// SaveDir writes config.json and model.safetensors (F32) into dir, creating
// it if needed, each file atomically, in the layout transformers'
// from_pretrained reads. Tokenizer files are the caller's to add.
func (m *ForMaskedLM) SaveDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	if err := m.Config.Save(filepath.Join(dir, ConfigFileName)); err != nil {
		return fmt.Errorf("save model %s: %w", dir, err)
	}
	path := filepath.Join(dir, safetensors.SingleFileName)
	if err := safetensors.Write(path, m.stateDict(), map[string]string{"format": "pt"}); err != nil {
		return fmt.Errorf("save model %s: %w", dir, err)
	}
	return nil
}
