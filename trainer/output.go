package trainer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// runFiles are the files a run writes at the top of its output directory
// (besides checkpoint-N directories): the trainer's and the Hugging Face
// model and tokenizer files the command adds.
var runFiles = []string{
	LogFileName, "loss.png", "config.json", "model.safetensors", "vocab.txt",
	"tokenizer_config.json", "special_tokens_map.json", "tokenizer.json",
	"finetune_args.json", "training_args.json",
}

// prepareOutputDir checks the output directory before a run. A directory
// that does not exist or holds no run's files is fine. One that holds a
// run's files (checkpoints, log.jsonl, a model) is refused unless resume
// (continue that run) or overwrite (its run files are deleted; other files
// are left alone).
func prepareOutputDir(dir string, overwrite, resume bool) error {
	if overwrite && resume {
		return errors.New("output directory: --overwrite and --resume exclude each other")
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		if resume {
			return fmt.Errorf("output directory %s does not exist: nothing to resume", dir)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	var found []string
	for _, e := range entries {
		name := e.Name()
		if _, ok := checkpointStep(name); ok || slices.Contains(runFiles, name) || strings.HasPrefix(name, "."+CheckpointPrefix) {
			found = append(found, name)
		}
	}
	show := found
	if len(show) > 4 {
		show = append(show[:4:4], "...")
	}
	// A run killed before its first checkpoint left files but nothing to
	// resume: both refusals say so and point to --overwrite.
	ckpts, err := checkpointDirs(dir)
	if err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	switch {
	case resume && len(ckpts) == 0 && len(found) == 0:
		return fmt.Errorf("output directory %s holds no run: nothing to resume; run without --resume to start one", dir)
	case resume && len(ckpts) == 0:
		return fmt.Errorf("output directory %s holds a run that saved no checkpoint (%s): nothing to resume; pass --overwrite instead of --resume to start it again", dir, strings.Join(show, ", "))
	case len(found) == 0 || resume:
		return nil
	case !overwrite && len(ckpts) == 0:
		return fmt.Errorf("output directory %s holds a run that saved no checkpoint (%s): nothing to resume; pass --overwrite to replace it", dir, strings.Join(show, ", "))
	case !overwrite:
		return fmt.Errorf("output directory %s holds another run (%s): pass --resume to continue it or --overwrite to replace it", dir, strings.Join(show, ", "))
	}
	for _, name := range found {
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("output directory: overwrite: %w", err)
		}
	}
	return nil
}
