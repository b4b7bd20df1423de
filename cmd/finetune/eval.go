package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/distilgo/distilgo/dataset"
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
	model := fs.String("model", "distilbert-finetuned-imdb", "model to evaluate: a directory in the Hugging Face layout, a Hub id, random or random:CONFIG")
	masked := fs.String("masked", "", "pre-masked JSON Lines file (input_ids, attention_mask, labels per line) to evaluate on")
	precision := fs.String("precision", "fp32", "matmul precision: fp32, or bf16 (bf16 operands, float32 accumulation, as PyTorch's autocast)")
	d.register(fs, "")
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: finetune eval --model DIR --masked FILE.jsonl
       finetune eval --model DIR --data SOURCE [--chunk-size ... --test-size ... --seed ...]

Prints {"loss": ..., "perplexity": ..., "tokens": ...}: the eval loss as
transformers' Trainer computes it (batch means weighted by examples),
exp(loss), and the number of masked tokens. With --data, the fixed-masked
test split that training evaluates on (same flags, same split).

Flags:
`)
		fs.PrintDefaults()
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if (*masked == "") == (d.data == "") {
		return errors.New("eval: give exactly one of --masked FILE.jsonl and --data SOURCE")
	}
	if err := d.check(); err != nil {
		return err
	}
	if _, err := tensor.ParsePrecision(*precision); err != nil {
		return fmt.Errorf("--precision: %w", err)
	}
	setThreads(d.threads)
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
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
		batches = dataset.BatchExamples(ex, d.batchSize, pad)
	} else {
		tok, src, err := loadTokenizer(ctx, modelDir, d.vocab, logf)
		if err != nil {
			return err
		}
		if tok.VocabSize() != m.Config.VocabSize {
			return fmt.Errorf("tokenizer %s has %d tokens, the model's vocab_size is %d", src.vocab, tok.VocabSize(), m.Config.VocabSize)
		}
		source, err := resolveData(ctx, d.data, logf)
		if err != nil {
			return err
		}
		_, test, err := prepare(d, source, tok, m.Config.MaxPositionEmbeddings, logf)
		if err != nil {
			return err
		}
		col := &dataset.Collator{MLMProbability: d.mlmProbability, WholeWord: d.wholeWord, Tok: tok}
		batches = dataset.FixedMasked(test, col, d.batchSize, d.seed)
	}
	r, err := trainer.Evaluate(m, batches)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	return json.NewEncoder(stdout).Encode(evalOutput{Loss: trainer.Float(r.Loss), Perplexity: trainer.Float(r.Perplexity), Tokens: r.Tokens})
}
