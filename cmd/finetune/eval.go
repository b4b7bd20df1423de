package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/distilgo/distilgo/dataset"
	"github.com/distilgo/distilgo/distilbert"
	"github.com/distilgo/distilgo/internal/progress"
	"github.com/distilgo/distilgo/tensor"
	"github.com/distilgo/distilgo/trainer"
)

// evalOutput is what eval prints.
type evalOutput struct {
	Loss       trainer.Float `json:"loss"`
	Perplexity trainer.Float `json:"perplexity"`
	Tokens     int           `json:"tokens"`
}

func runEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("finetune eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var d dataFlags
	model := fs.String("model", "distilbert-finetuned-imdb", "model to evaluate: a directory in the Hugging Face layout (a run's output or one of its checkpoint-N folders), a Hub id, random or random:CONFIG")
	masked := fs.String("masked", "", "pre-masked JSON Lines file (input_ids, attention_mask, labels per line) to evaluate on")
	precision := fs.String("precision", "fp32", "matmul precision: fp32, or bf16 (bf16 operands, float32 accumulation, as PyTorch's autocast)")
	d.register(fs, "")
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: finetune eval --model DIR
       finetune eval --model DIR --masked FILE.jsonl
       finetune eval --model DIR --data SOURCE [--chunk-size ... --test-size ... --seed ...]

Prints {"loss": ..., "perplexity": ..., "tokens": ...}: the eval loss as
transformers' Trainer computes it (batch means weighted by examples),
exp(loss), and the number of masked tokens. Without --masked, on the
fixed-masked evaluation split that training evaluates on: for a model that
finetune trained (its output directory or a checkpoint of it), the split
flags default to the run's own (saved in finetune_args.json), so the run's
perplexity comes out; a flag given with another value than the run's is
named in a warning.

Flags:
`)
		fs.PrintDefaults()
	}
	warn := func(msg string) { fmt.Fprintln(stderr, msg) }
	if err := parse(fs, args, evalAliases, warn); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if *masked != "" && set["data"] {
		return errors.New("eval: give one of --masked FILE.jsonl and --data SOURCE")
	}
	if err := d.check(); err != nil {
		return err
	}
	if _, err := tensor.ParsePrecision(*precision); err != nil {
		return fmt.Errorf("--precision: %w", err)
	}
	setThreads(d.threads)
	p := progress.New(stderr)
	logf := func(format string, args ...any) { p.Printf(format, args...) }
	m, modelDir, err := loadModel(ctx, *model, d.seed, logf)
	if err != nil {
		return err
	}
	if err := setPrecision(m, "--precision", *precision, logf); err != nil {
		return err
	}
	var batches []dataset.Batch
	if *masked != "" {
		ex, err := dataset.ReadMaskedJSONL(*masked)
		if err != nil {
			return err
		}
		if len(ex) == 0 {
			return fmt.Errorf("eval: %s holds no example", *masked)
		}
		pad := int32(max(m.Config.PadTokenID, 0))
		batches = dataset.BatchExamples(ex, d.evalBatchSize, pad)
	} else {
		if err := runSplit(fs, set, modelDir, warn); err != nil {
			return err
		}
		if d.data == "" {
			return fmt.Errorf("eval: --model %s has no saved run arguments (%s): give --data SOURCE (with the run's split flags) or --masked FILE.jsonl", *model, RunArgsName)
		}
		if err := d.check(); err != nil {
			return err
		}
		if batches, err = splitBatches(ctx, m, modelDir, d, logf); err != nil {
			return err
		}
	}
	return printEval(ctx, m, batches, p, stdout)
}

// runSplit sets the split flags not given on the command line to the values
// of the run that wrote modelDir, and warns about those given with other
// values. Without saved arguments it does nothing.
func runSplit(fs *flag.FlagSet, set map[string]bool, modelDir string, warn func(string)) error {
	if modelDir == "" {
		return nil
	}
	saved, path, err := readRunArgs(modelDir)
	if err != nil || saved == nil {
		return err
	}
	var differ []string
	for _, name := range splitFlags {
		v, ok := saved[name]
		if !ok {
			continue
		}
		if set[name] {
			if now := fs.Lookup(name).Value.String(); now != v {
				differ = append(differ, fmt.Sprintf("--%s %s (the run's: %s)", name, now, v))
			}
			continue
		}
		if err := fs.Set(name, v); err != nil {
			return fmt.Errorf("%s: %s: %w", path, name, err)
		}
	}
	if len(differ) > 0 {
		warn(fmt.Sprintf("warning: %s differ from the run that trained %s (%s): this evaluation is on another split and will not reproduce the run's perplexity",
			strings.Join(differ, ", "), modelDir, path))
	}
	return nil
}

// splitBatches draws the fixed-masked evaluation batches of the data flags
// d, with the tokenizer of modelDir (or --vocab).
func splitBatches(ctx context.Context, m *distilbert.ForMaskedLM, modelDir string, d dataFlags, logf func(string, ...any)) ([]dataset.Batch, error) {
	tok, src, err := loadTokenizer(ctx, modelDir, d.vocab, logf)
	if err != nil {
		return nil, err
	}
	if tok.VocabSize() != m.Config.VocabSize {
		return nil, fmt.Errorf("tokenizer %s has %d tokens, the model's vocab_size is %d", src.vocab, tok.VocabSize(), m.Config.VocabSize)
	}
	source, err := resolveData(ctx, d.data, logf)
	if err != nil {
		return nil, err
	}
	_, test, err := prepare(d, source, tok, m.Config.MaxPositionEmbeddings, logf)
	if err != nil {
		return nil, err
	}
	col := &dataset.Collator{MLMProbability: d.mlmProbability, WholeWord: d.wholeWord, Tok: tok}
	return dataset.FixedMasked(test, col, d.evalBatchSize, d.seed), nil
}

// printEval evaluates m on batches with a progress line on p and prints
// the result as JSON.
func printEval(ctx context.Context, m *distilbert.ForMaskedLM, batches []dataset.Batch, p *progress.Progress, stdout io.Writer) error {
	r, err := trainer.EvaluateProgress(ctx, m, batches, p.EvalReporter(len(batches)))
	p.Done()
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	return json.NewEncoder(stdout).Encode(evalOutput{Loss: trainer.Float(r.Loss), Perplexity: trainer.Float(r.Perplexity), Tokens: r.Tokens})
}

// evalOnly is finetune --do-train=false --do-eval: evaluate --model on the
// evaluation split of the data flags, as finetune eval --data does.
func evalOnly(ctx context.Context, f *trainFlags, stdout, stderr io.Writer) error {
	setThreads(f.threads)
	p := progress.New(stderr)
	logf := func(format string, args ...any) { p.Printf(format, args...) }
	m, modelDir, err := loadModel(ctx, f.model, f.seed, logf)
	if err != nil {
		return err
	}
	batches, err := splitBatches(ctx, m, modelDir, f.dataFlags, logf)
	if err != nil {
		return err
	}
	return printEval(ctx, m, batches, p, stdout)
}
