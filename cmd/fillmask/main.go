// Command fillmask fills the [MASK] tokens of sentences with a DistilBERT
// masked-LM model, as Hugging Face's pipeline("fill-mask") does (it is a
// thin client of package pipeline):
//
//	fillmask --model DIR "This is a great [MASK]."
//	>>> this is a great film. (0.1234)
//
// --model takes a model directory (a finished run's output directory, or
// one of its checkpoint-N folders) or a Hub id. Several texts (arguments,
// or lines on standard input when there are no arguments) run as one
// batch. --json prints the pipeline's output format: for each text a list
// of {score, token, token_str, sequence}, or a list of such lists when a
// text has several [MASK] tokens.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/distilgo/distilgo/cuda"
	"github.com/distilgo/distilgo/internal/devflag"
	"github.com/distilgo/distilgo/kernels"
	"github.com/distilgo/distilgo/pipeline"
	"github.com/distilgo/distilgo/trainer"
)

// cudaOptions open --device cuda (the tests point them at the CPU emulator
// of the CUDA kernels).
var cudaOptions cuda.Options

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "fillmask:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fillmask", flag.ContinueOnError)
	fs.SetOutput(stderr)
	model := fs.String("model", "distilbert-finetuned-imdb", "model: a directory in the Hugging Face layout (config.json, model.safetensors, tokenizer files), a training checkpoint folder, or a Hub id")
	vocab := fs.String("vocab", "", "vocab.txt to use when the model directory has no tokenizer files")
	topK := fs.Int("top-k", pipeline.DefaultTopK, "number of predictions per [MASK]")
	targets := fs.String("targets", "", "comma-separated words to restrict the predictions to (the pipeline's targets)")
	asJSON := fs.Bool("json", false, "print the pipeline's JSON output instead of '>>> sequence (score)' lines")
	precision := fs.String("precision", "fp32", "arithmetic of the forward pass: fp32 or bf16")
	threads := fs.Int("threads", 0, "compute threads (0: all cores)")
	device := fs.String("device", "cpu", devflag.Usage)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: fillmask [flags] TEXT...   (or texts on stdin, one per line)\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *topK < 1 {
		return fmt.Errorf("--top-k %d: must be at least 1", *topK)
	}
	prec, err := pipeline.ParsePrecision(*precision)
	if err != nil {
		return fmt.Errorf("--precision: %w", err)
	}
	if *threads > 0 {
		kernels.SetThreads(*threads)
	}
	texts := fs.Args()
	if len(texts) == 0 {
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 1<<20), 1<<26)
		for sc.Scan() {
			if line := strings.TrimSpace(sc.Text()); line != "" {
				texts = append(texts, line)
			}
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("read stdin: %w", err)
		}
	}
	if len(texts) == 0 {
		fs.Usage()
		return errors.New("no text given")
	}
	if err := trainer.CheckFinished("--model", *model); err != nil {
		return err
	}
	cfg := pipeline.Config{Vocab: *vocab, Precision: prec}
	dev, err := devflag.Open("--device", *device, cudaOptions)
	if err != nil {
		return err
	}
	if dev != nil {
		defer dev.Close()
		cfg.Device = dev
	}
	fm, err := pipeline.Load(ctx, *model, cfg)
	if err != nil {
		return err
	}
	for _, w := range fm.Tokenizer().Warnings() {
		fmt.Fprintf(stderr, "fillmask: warning: %s\n", w)
	}
	opts := pipeline.Options{
		TopK: *topK,
		Warn: func(msg string) { fmt.Fprintf(stderr, "fillmask: warning: %s\n", msg) },
	}
	if *targets != "" {
		opts.Targets = strings.Split(*targets, ",")
	}
	results, err := fm.Predict(ctx, texts, opts)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, r := range results {
			if err := enc.Encode(r.HF()); err != nil {
				return err
			}
		}
		return nil
	}
	for i, r := range results {
		if len(texts) > 1 {
			fmt.Fprintf(stdout, "%s\n", texts[i])
		}
		for _, preds := range r.Masks {
			for _, p := range preds {
				fmt.Fprintf(stdout, ">>> %s (%.4f)\n", p.Sequence, p.Score)
			}
		}
	}
	return nil
}
