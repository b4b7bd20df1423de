// Command finetune fine-tunes DistilBERT for masked language modelling on
// IMDB reviews, as the Hugging Face course (chapter 7, section 3) does with
// transformers' Trainer, and evaluates masked-LM models.
//
//	finetune [flags]                  train (see finetune --help)
//	finetune ARGS.json                train with run_mlm.py's JSON arguments
//	finetune eval --model DIR         the run's own evaluation split
//	finetune eval --model DIR --masked FILE.jsonl
//	finetune eval --model DIR --data SOURCE [data flags]
//	finetune push --model DIR [--hub-model-id USER/NAME]
//
// Every flag also answers to the name transformers' run_mlm.py gives it
// (--learning_rate, --per_device_train_batch_size, --num_train_epochs, ...;
// finetune --help-hf lists them), so a transformers command line pastes.
//
// Training evaluates once before the first step, then after every epoch,
// prints the course's table (Epoch | Training Loss | Validation Loss |
// Perplexity) and leaves in --output-dir a model in the Hugging Face layout
// (config.json, model.safetensors, vocab.txt, tokenizer_config.json,
// special_tokens_map.json) that transformers' pipeline("fill-mask") and
// cmd/fillmask load, plus log.jsonl, loss.png, training_args.json,
// finetune_args.json and the last checkpoints (each a model with its
// tokenizer).
// Ctrl-C stops after the current step with a checkpoint; --resume continues.
// A model card (README.md) is written there too; --push-to-hub pushes the
// model and card to the Hugging Face Hub (see push.go).
//
// Offline (no Hub access), with the data folder of this repository:
//
//	go run ./cmd/finetune --model random --data ../shared/data/imdb/aclImdb_v1.tar.gz \
//	    --vocab ../shared/data/bert-base-uncased/vocab.txt
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/distilgo/distilgo/trainer"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		// The first signal asks for a checkpoint after the current step;
		// with the handler gone, a second one ends the process at once.
		signal.Stop(sigs)
		fmt.Fprintln(os.Stderr, "\nfinetune: interrupted: stopping after the current step (interrupt again to abort)")
		cancel()
	}()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	cancel()
	if err != nil {
		if errors.Is(err, errHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "finetune:", err)
		if errors.Is(err, trainer.ErrInterrupted) {
			os.Exit(130)
		}
		os.Exit(1)
	}
}

// run dispatches to the train or eval subcommand.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "eval" {
		return runEval(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "push" {
		return runPush(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "train" {
		args = args[1:]
	}
	return runTrain(ctx, args, stdout, stderr)
}
