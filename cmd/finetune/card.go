package main

import (
	"fmt"

	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/distilgo/distilgo/internal/atomicfile"
	"github.com/distilgo/distilgo/kernels"
	"github.com/distilgo/distilgo/modelcard"
	"github.com/distilgo/distilgo/trainer"
)

// cardFile is the model card's name in the output directory and on the Hub.
const cardFile = "README.md"

// cardInfo is what the model card says besides the log: set once per run.
type cardInfo struct {
	modelName, repoID string
	baseModel         string
	dataset           string
	datasetIsHub      bool
	// args are the run's hyperparameters; nil when unknown (a directory
	// pushed without checkpoints).
	args      *trainer.Trajectory
	chunkSize int
}

// newCardInfo describes a training run of f.
func newCardInfo(f *trainFlags, repoID string) cardInfo {
	a := f.args
	ra := a.Trajectory
	ra.MLMProbability, ra.WholeWord = f.mlmProbability, f.wholeWord
	ci := cardInfo{modelName: cardModelName(repoID, a.OutputDir), repoID: repoID, args: &ra, chunkSize: f.chunkSize}
	if src, err := parseModel(f.model); err == nil && src.kind == "hub" {
		ci.baseModel = src.path
	}
	ci.dataset, ci.datasetIsHub = describeData(f.data)
	return ci
}

// cardModelName is the repository's name part, else the output
// directory's name.
func cardModelName(repoID, dir string) string {
	if repoID != "" {
		return repoID[strings.LastIndex(repoID, "/")+1:]
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	return filepath.Base(abs)
}

// describeData names the training data for the card: the Hub's "imdb"
// dataset for the IMDB archive (the same Stanford reviews), else the
// file's name.
func describeData(data string) (name string, isHub bool) {
	base := filepath.Base(data)
	if data == "imdb" || strings.HasPrefix(base, "aclImdb") {
		return "imdb", true
	}
	return base, false
}

// card renders the card of the run whose log history is history.
func (ci cardInfo) card(history []trainer.Record) modelcard.Card {
	c := modelcard.Card{
		ModelName: ci.modelName, RepoID: ci.repoID, BaseModel: ci.baseModel,
		Dataset: ci.dataset, DatasetIsHub: ci.datasetIsHub,
		Versions: frameworkVersions(),
	}
	if ci.args != nil {
		c.Hyperparameters = hyperparameters(*ci.args, ci.chunkSize)
	}
	for _, r := range trainer.EpochTable(history) {
		c.Results = append(c.Results, modelcard.Row{Epoch: r.Epoch, TrainLoss: r.TrainLoss, HasEval: r.HasEval, EvalLoss: r.EvalLoss, Perplexity: r.Perplexity})
	}
	for _, r := range history {
		if r.Kind == trainer.KindEval && r.EvalLoss != nil && r.Perplexity != nil {
			c.HasFinal, c.FinalEvalLoss, c.FinalPerplexity = true, float64(*r.EvalLoss), float64(*r.Perplexity)
		}
	}
	return c
}

// hyperparameters lists the run's settings with Trainer's names where it
// has one.
func hyperparameters(a trainer.Trajectory, chunkSize int) []modelcard.Param {
	p := []modelcard.Param{
		{Name: "learning_rate", Value: pyRepr(a.LR)},
		{Name: "train_batch_size", Value: strconv.Itoa(a.BatchSize)},
		{Name: "eval_batch_size", Value: strconv.Itoa(a.BatchSize)},
		{Name: "seed", Value: strconv.FormatUint(a.Seed, 10)},
	}
	if a.GradAccum > 1 {
		p = append(p, modelcard.Param{Name: "gradient_accumulation_steps", Value: strconv.Itoa(a.GradAccum)},
			modelcard.Param{Name: "total_train_batch_size", Value: strconv.Itoa(a.BatchSize * a.GradAccum)})
	}
	p = append(p,
		modelcard.Param{Name: "optimizer", Value: fmt.Sprintf("AdamW with betas=(%s,%s), epsilon=%s and weight_decay=%s", pyRepr(a.Beta1), pyRepr(a.Beta2), pyRepr(a.Eps), pyRepr(a.WeightDecay))},
		modelcard.Param{Name: "lr_scheduler_type", Value: "linear"})
	if a.WarmupSteps > 0 {
		p = append(p, modelcard.Param{Name: "lr_scheduler_warmup_steps", Value: strconv.Itoa(a.WarmupSteps)})
	}
	if a.MaxSteps > 0 {
		p = append(p, modelcard.Param{Name: "training_steps", Value: strconv.Itoa(a.MaxSteps)})
	} else {
		p = append(p, modelcard.Param{Name: "num_epochs", Value: pyRepr(float64(a.Epochs))})
	}
	p = append(p, modelcard.Param{Name: "max_grad_norm", Value: pyRepr(a.MaxGradNorm)},
		modelcard.Param{Name: "mlm_probability", Value: pyRepr(a.MLMProbability)},
		modelcard.Param{Name: "whole_word_masking", Value: strconv.FormatBool(a.WholeWord)})
	if chunkSize > 0 {
		p = append(p, modelcard.Param{Name: "chunk_size", Value: strconv.Itoa(chunkSize)})
	}
	return p
}

// frameworkVersions are distilgo's (module version and VCS revision from
// the build), Go's and the kernel level used.
func frameworkVersions() []modelcard.Param {
	v := "(unknown version)"
	if bi, ok := debug.ReadBuildInfo(); ok {
		v = bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (commit " + s.Value[:12] + ")"
			}
		}
	}
	return []modelcard.Param{
		{Name: "distilgo", Value: v},
		{Name: "Go", Value: runtime.Version()},
		{Name: "kernels", Value: kernels.Level()},
	}
}

// writeCard writes the card into dir atomically.
func writeCard(dir string, c modelcard.Card) error {
	if err := atomicfile.WriteBytes(filepath.Join(dir, cardFile), 0o644, []byte(c.Render())); err != nil {
		return fmt.Errorf("write model card: %w", err)
	}
	return nil
}
