package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"github.com/distilgo/distilgo/trainer"
)

// errHelp is returned after --help printed the usage.
var errHelp = errors.New("help requested")

// dataFlags select and prepare the data, for training and for eval --data.
type dataFlags struct {
	data           string
	vocab          string
	chunkSize      int
	trainSize      int
	testSize       int
	seed           uint64
	mlmProbability float64
	wholeWord      bool
	batchSize      int
	cacheDir       string
	threads        int
}

func defaultCacheDir() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "distilgo", "chunks")
	}
	return ""
}

func (d *dataFlags) register(fs *flag.FlagSet, dataDefault string) {
	fs.StringVar(&d.data, "data", dataDefault, "training text: \"imdb\" (downloads Stanford's aclImdb_v1.tar.gz once; URL from $"+imdbURLEnv+"), or a path: aclImdb_v1.tar.gz, an aclImdb directory, a .txt file (one document per line) or a .jsonl file (a \"text\" field per line)")
	fs.StringVar(&d.vocab, "vocab", "", "vocab.txt to use when the model directory has none (default: distilbert-base-uncased's from the Hub; offline: --vocab ../shared/data/bert-base-uncased/vocab.txt)")
	fs.IntVar(&d.chunkSize, "chunk-size", 128, "tokens per training example (T); texts are concatenated and cut into chunks of this size")
	fs.IntVar(&d.trainSize, "train-size", 10000, "number of chunks drawn for training")
	fs.IntVar(&d.testSize, "test-size", 1000, "number of chunks drawn for evaluation")
	fs.Uint64Var(&d.seed, "seed", 42, "seed of the train/test draw, the masks, the data order, dropout and a random initialisation")
	fs.Float64Var(&d.mlmProbability, "mlm-probability", 0.15, "probability that a token (or, with --whole-word-masking, a word) is masked")
	fs.BoolVar(&d.wholeWord, "whole-word-masking", false, "mask whole words instead of single tokens (the course's whole_word_masking_data_collator)")
	fs.IntVar(&d.batchSize, "batch-size", 64, "examples per batch (B), for training and evaluation")
	fs.StringVar(&d.cacheDir, "cache-dir", defaultCacheDir(), "cache of tokenized chunks (\"\" to disable)")
	fs.IntVar(&d.threads, "threads", 0, "compute threads (0: all cores, "+fmt.Sprint(runtime.NumCPU())+" here)")
}

func (d *dataFlags) check() error {
	switch {
	case d.chunkSize < 1:
		return fmt.Errorf("--chunk-size %d must be positive", d.chunkSize)
	case d.trainSize < 0, d.testSize < 1:
		return fmt.Errorf("--train-size %d / --test-size %d: need train >= 0 and test >= 1", d.trainSize, d.testSize)
	case !(d.mlmProbability > 0 && d.mlmProbability < 1):
		return fmt.Errorf("--mlm-probability %v must be in (0, 1)", d.mlmProbability)
	case d.batchSize < 1:
		return fmt.Errorf("--batch-size %d must be positive", d.batchSize)
	case d.threads < 0:
		return fmt.Errorf("--threads %d must be >= 0", d.threads)
	}
	return nil
}

// trainFlags are the flags of the train command.
type trainFlags struct {
	dataFlags
	model     string
	args      trainer.Args
	overwrite bool
	bf16      bool // precision.go
}

func newTrainFlags(stderr io.Writer) (*flag.FlagSet, *trainFlags) {
	f := &trainFlags{args: trainer.DefaultArgs()}
	a := &f.args
	fs := flag.NewFlagSet("finetune", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.model, "model", "distilbert-base-uncased", "model to fine-tune: a Hub id (downloaded into the huggingface_hub cache), a local directory in the Hugging Face layout, \"random\" (seeded random initialisation of distilbert-base-uncased's config) or \"random:PATH/config.json\"")
	f.dataFlags.register(fs, "imdb")
	fs.IntVar(&a.Epochs, "epochs", a.Epochs, "number of passes over the training chunks")
	fs.Float64Var(&a.LR, "lr", a.LR, "peak learning rate of AdamW (linear decay to 0 after warmup)")
	fs.Float64Var(&a.WeightDecay, "weight-decay", a.WeightDecay, "AdamW decoupled weight decay, on all parameters but biases and LayerNorm weights")
	fs.IntVar(&a.GradAccum, "grad-accum", a.GradAccum, "micro-batches of --batch-size per optimizer step (gradient accumulation, normalised by the total masked tokens)")
	fs.IntVar(&a.WarmupSteps, "warmup-steps", a.WarmupSteps, "optimizer steps of linear learning-rate warmup")
	fs.Float64Var(&a.MaxGradNorm, "max-grad-norm", a.MaxGradNorm, "clip the global gradient norm to this (0: no clipping)")
	fs.IntVar(&a.MaxSteps, "max-steps", 0, "stop after this many optimizer steps, overriding --epochs (0: use --epochs)")
	fs.IntVar(&a.EvalEvery, "eval-every", 0, "evaluate every N optimizer steps (0: after each epoch)")
	fs.IntVar(&a.SaveEvery, "save-every", a.SaveEvery, "checkpoint every N optimizer steps, besides each epoch end (0: epoch ends only)")
	fs.IntVar(&a.KeepCheckpoints, "keep-checkpoints", a.KeepCheckpoints, "number of checkpoints kept (0: all)")
	fs.IntVar(&a.LogEvery, "log-every", a.LogEvery, "write a training record to log.jsonl every N steps")
	fs.StringVar(&a.OutputDir, "output-dir", a.OutputDir, "directory for the fine-tuned model, log.jsonl, loss.png and checkpoints")
	fs.BoolVar(&a.Resume, "resume", false, "continue the run in --output-dir from its newest valid checkpoint")
	fs.BoolVar(&f.overwrite, "overwrite", false, "replace the run already in --output-dir")
	fs.BoolVar(&f.bf16, "bf16", false, "mixed precision as PyTorch's autocast: matmuls in bf16 with float32 accumulation, everything else (weights, gradients, optimizer, softmax, layer norm, loss) in float32; emulated on CPUs without bf16 dot products")
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: finetune [flags]
       finetune eval --model DIR (--masked FILE.jsonl | --data SOURCE) [flags]

Fine-tunes a DistilBERT masked language model on IMDB reviews as the Hugging
Face course does (Trainer with AdamW, linear schedule, evaluation each epoch),
then saves it in the Hugging Face layout. Offline, for example:

  finetune --model random --data ../shared/data/imdb/aclImdb_v1.tar.gz \
      --vocab ../shared/data/bert-base-uncased/vocab.txt

Flags:
`)
		fs.PrintDefaults()
	}
	return fs, f
}

// parse parses args, mapping -h/--help to errHelp.
func parse(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return errHelp
	}
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags start with -)", fs.Arg(0))
	}
	return nil
}
