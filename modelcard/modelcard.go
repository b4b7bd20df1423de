// Package modelcard renders the README.md model card of a fine-tuned
// model, shaped like the one transformers' Trainer writes
// (modelcard.py, TrainingSummary.to_model_card): YAML metadata for the
// Hub (license, base_model, tags, datasets, model-index), the evaluation
// results, the hyperparameters, the per-epoch results table, the framework
// versions and how to use the model. Unlike Trainer's card, the
// model-index carries the final evaluation loss and perplexity, and the
// table the perplexity of each epoch, as the Hugging Face course prints it.
package modelcard

import (
	"fmt"
	"math"
	"regexp"
	"strings"
)

// Param is a name and its value, printed in order.
type Param struct {
	Name, Value string
}

// Row is one line of the training results table: the evaluation at the
// end of an epoch.
type Row struct {
	Epoch int
	// TrainLoss is the epoch's mean training loss.
	TrainLoss float64
	// HasEval reports whether the epoch ended with an evaluation.
	HasEval              bool
	EvalLoss, Perplexity float64
}

// Card is what a model card says.
type Card struct {
	// ModelName is the model's name: the repository's name part, or the
	// output directory's name.
	ModelName string
	// RepoID is the Hub id used in the usage snippets ("alice/name");
	// empty for a card that is not pushed (ModelName is used then).
	RepoID string
	// BaseModel is the Hub id fine-tuned from; empty for a randomly
	// initialised model.
	BaseModel string
	// License is the SPDX-like license id of the Hub (default
	// "apache-2.0", distilbert-base-uncased's).
	License string
	// Dataset is the Hub id of the training data ("imdb"), or a
	// description of a local corpus; DatasetIsHub says which.
	Dataset      string
	DatasetIsHub bool
	// Hyperparameters are listed under "Training hyperparameters".
	Hyperparameters []Param
	// Results has one row per epoch.
	Results []Row
	// FinalEvalLoss and FinalPerplexity are the last evaluation's; HasFinal
	// reports whether there was one.
	HasFinal                       bool
	FinalEvalLoss, FinalPerplexity float64
	// Versions are the framework versions ("distilgo", "Go", "kernels").
	Versions []Param
}

// plainYAML matches scalars that YAML reads back as the same string
// unquoted.
var plainYAML = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_./-]*$`)

// yamlString quotes s when needed: a JSON string is a valid YAML
// double-quoted scalar.
func yamlString(s string) string {
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "null", "y", "n", "~":
		return fmt.Sprintf("%q", s)
	}
	if plainYAML.MatchString(s) {
		return s
	}
	return fmt.Sprintf("%q", s)
}

// yamlFloat prints a metric value for YAML (.nan and .inf are YAML's
// spellings).
func yamlFloat(x float64) string {
	switch {
	case math.IsNaN(x):
		return ".nan"
	case math.IsInf(x, 1):
		return ".inf"
	case math.IsInf(x, -1):
		return "-.inf"
	}
	return fmt.Sprintf("%.4f", x)
}

// Render returns the card's text.
func (c Card) Render() string {
	license := c.License
	if license == "" {
		license = "apache-2.0"
	}
	name := c.ModelName
	if name == "" {
		name = "model"
	}
	id := c.RepoID
	if id == "" {
		id = name
	}
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	w("---\n")
	w("library_name: transformers\n")
	w("license: %s\n", yamlString(license))
	if c.BaseModel != "" {
		w("base_model: %s\n", yamlString(c.BaseModel))
	}
	w("tags:\n- generated_from_trainer\n- fill-mask\n- distilgo\n")
	if c.DatasetIsHub && c.Dataset != "" {
		w("datasets:\n- %s\n", yamlString(c.Dataset))
	}
	w("pipeline_tag: fill-mask\n")
	w("model-index:\n- name: %s\n", yamlString(name))
	if !c.HasFinal {
		w("  results: []\n")
	} else {
		w("  results:\n  - task:\n      type: fill-mask\n      name: Masked Language Modeling\n")
		if c.DatasetIsHub && c.Dataset != "" {
			w("    dataset:\n      name: %s\n      type: %s\n", yamlString(c.Dataset), yamlString(c.Dataset))
		}
		w("    metrics:\n")
		w("    - type: loss\n      value: %s\n      name: Eval Loss\n", yamlFloat(c.FinalEvalLoss))
		w("    - type: perplexity\n      value: %s\n      name: Perplexity\n", yamlFloat(c.FinalPerplexity))
	}
	w("---\n\n")
	w("<!-- This model card has been generated automatically by distilgo from the run's arguments and log. You\nshould probably proofread and complete it. -->\n\n")

	w("# %s\n\n", name)
	base := "a randomly initialised DistilBERT"
	if c.BaseModel != "" {
		base = fmt.Sprintf("[%s](https://huggingface.co/%s)", c.BaseModel, c.BaseModel)
	}
	data := "a local corpus"
	switch {
	case c.DatasetIsHub && c.Dataset != "":
		data = fmt.Sprintf("the %s dataset", c.Dataset)
	case c.Dataset != "":
		data = c.Dataset
	}
	w("This model is a fine-tuned version of %s on %s, for masked language modelling, trained with [distilgo](https://github.com/distilgo/distilgo).\n", base, data)
	if c.HasFinal {
		w("It achieves the following results on the evaluation set:\n")
		w("- Loss: %.4f\n- Perplexity: %.2f\n", c.FinalEvalLoss, c.FinalPerplexity)
	}
	w("\n## Model description\n\nMore information needed\n\n")
	w("## Intended uses & limitations\n\nMore information needed\n\n")
	w("## How to use\n\nWith transformers:\n\n```python\nfrom transformers import pipeline\n\n")
	w("mask_filler = pipeline(\"fill-mask\", model=%q)\nmask_filler(\"This is a great [MASK].\")\n```\n\n", id)
	w("With distilgo:\n\n```sh\nfillmask --model %s \"This is a great [MASK].\"\n```\n\n", id)
	w("## Training and evaluation data\n\nMore information needed\n\n")
	w("## Training procedure\n\n### Training hyperparameters\n\n")
	if len(c.Hyperparameters) == 0 {
		w("More information needed\n")
	} else {
		w("The following hyperparameters were used during training:\n")
	}
	for _, p := range c.Hyperparameters {
		w("- %s: %s\n", p.Name, p.Value)
	}
	w("\n### Training results\n\n")
	if len(c.Results) == 0 {
		w("More information needed\n")
	} else {
		w("| Epoch | Training Loss | Validation Loss | Perplexity |\n")
		w("|:-----:|:-------------:|:---------------:|:----------:|\n")
	}
	for _, r := range c.Results {
		ev, ppl := "-", "-"
		if r.HasEval {
			ev, ppl = fmt.Sprintf("%.4f", r.EvalLoss), fmt.Sprintf("%.2f", r.Perplexity)
		}
		w("| %d | %.4f | %s | %s |\n", r.Epoch, r.TrainLoss, ev, ppl)
	}
	w("\n### Framework versions\n\n")
	for _, v := range c.Versions {
		w("- %s %s\n", v.Name, v.Value)
	}
	return b.String()
}
