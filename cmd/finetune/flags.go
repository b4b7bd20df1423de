package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/distilgo/distilgo/internal/devflag"
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
	evalBatchSize  int
	cacheDir       string
	threads        int
}

func defaultCacheDir() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "distilgo", "chunks")
	}
	return ""
}

// splitFlags are the data flags that fix the evaluation split and its
// batches: finetune eval takes them from the run's saved arguments.
var splitFlags = []string{"data", "chunk-size", "train-size", "test-size", "seed", "mlm-probability", "whole-word-masking", "eval-batch-size"}

func (d *dataFlags) register(fs *flag.FlagSet, dataDefault string) {
	fs.StringVar(&d.data, "data", dataDefault, "training text: \"imdb\" (downloads Stanford's aclImdb_v1.tar.gz once; URL from $"+imdbURLEnv+"), or a path: aclImdb_v1.tar.gz, an aclImdb directory, a .txt file (one document per line) or a .jsonl file (a \"text\" field per line)")
	fs.StringVar(&d.vocab, "vocab", "", "vocab.txt to use when the model directory has none (default: distilbert-base-uncased's from the Hub; offline: --vocab ../shared/data/bert-base-uncased/vocab.txt)")
	fs.IntVar(&d.chunkSize, "chunk-size", 128, "tokens per training example (T); texts are concatenated and cut into chunks of this size")
	fs.IntVar(&d.trainSize, "train-size", 10000, "number of chunks drawn for training")
	fs.IntVar(&d.testSize, "test-size", 1000, "number of chunks drawn for evaluation")
	fs.Uint64Var(&d.seed, "seed", 42, "seed of the train/test draw, the masks, the data order, dropout and a random initialisation")
	fs.Float64Var(&d.mlmProbability, "mlm-probability", 0.15, "probability that a token (or, with --whole-word-masking, a word) is masked")
	fs.BoolVar(&d.wholeWord, "whole-word-masking", false, "mask whole words instead of single tokens (the course's whole_word_masking_data_collator)")
	fs.IntVar(&d.evalBatchSize, "eval-batch-size", 64, "examples per evaluation batch (the course's 64); the eval loss averages batch means, so it depends on it")
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
	case d.evalBatchSize < 1:
		return fmt.Errorf("--eval-batch-size %d must be positive", d.evalBatchSize)
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
	// doTrain and doEval are run_mlm.py's: --do-train=false with
	// --do-eval evaluates --model without training.
	doTrain, doEval bool
	evalBefore      bool
	config          string
	helpHF          bool
	// set holds the flags given on the command line or in --config.
	set  map[string]bool
	push pushFlags
	ddp  bool
	bf16 bool // precision.go
	// device is --device: where the training runs (device.go).
	device string
}

func newTrainFlags(stderr io.Writer) (*flag.FlagSet, *trainFlags) {
	f := &trainFlags{args: trainer.DefaultArgs()}
	a := &f.args
	fs := flag.NewFlagSet("finetune", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.model, "model", "distilbert-base-uncased", "model to fine-tune: a Hub id (downloaded into the huggingface_hub cache), a local directory in the Hugging Face layout (a checkpoint-N folder too), \"random\" (seeded random initialisation of distilbert-base-uncased's config) or \"random:PATH/config.json\"")
	f.dataFlags.register(fs, "imdb")
	fs.IntVar(&a.BatchSize, "batch-size", a.BatchSize, "training examples per micro-batch (B); evaluation uses --eval-batch-size")
	fs.IntVar(&a.Epochs, "epochs", a.Epochs, "number of passes over the training chunks")
	fs.Float64Var(&a.LR, "lr", a.LR, "peak learning rate of AdamW")
	fs.StringVar(&a.LRScheduler, "lr-scheduler", trainer.SchedulerLinear, "learning-rate schedule after warmup: "+strings.Join(trainer.Schedulers, ", ")+" (transformers' lr_scheduler_type; constant ignores the warmup as there)")
	fs.Float64Var(&a.WeightDecay, "weight-decay", a.WeightDecay, "AdamW decoupled weight decay, on all parameters but biases and LayerNorm weights")
	fs.Float64Var(&a.Beta1, "adam-beta1", a.Beta1, "AdamW beta1")
	fs.Float64Var(&a.Beta2, "adam-beta2", a.Beta2, "AdamW beta2")
	fs.Float64Var(&a.Eps, "adam-epsilon", a.Eps, "AdamW epsilon")
	fs.IntVar(&a.GradAccum, "grad-accum", a.GradAccum, "micro-batches of --batch-size per optimizer step (gradient accumulation, normalised by the total masked tokens)")
	fs.IntVar(&a.WarmupSteps, "warmup-steps", a.WarmupSteps, "optimizer steps of linear learning-rate warmup")
	fs.Float64Var(&a.WarmupRatio, "warmup-ratio", a.WarmupRatio, "warmup as a fraction of the total steps, rounded up (used when --warmup-steps is 0)")
	fs.Float64Var(&a.MaxGradNorm, "max-grad-norm", a.MaxGradNorm, "clip the global gradient norm to this (0: no clipping)")
	fs.IntVar(&a.MaxSteps, "max-steps", 0, "stop after this many optimizer steps, overriding --epochs (0 or -1: use --epochs)")
	fs.StringVar(&a.EvalStrategy, "eval-strategy", trainer.StrategyEpoch, "when to evaluate: epoch (the course's), steps (every --eval-every steps) or no; the last step is always evaluated")
	fs.IntVar(&a.EvalEvery, "eval-every", 0, "steps between evaluations with --eval-strategy steps (0: --log-every); given alone it selects --eval-strategy steps")
	fs.BoolVar(&f.evalBefore, "eval-before-training", true, "evaluate once before the first step, as the course does")
	fs.StringVar(&a.SaveStrategy, "save-strategy", trainer.StrategyEpoch, "when to write a checkpoint: epoch (the course's: after each epoch), steps (every --save-every steps) or no (an interrupted run still saves one)")
	fs.IntVar(&a.SaveEvery, "save-every", 500, "steps between checkpoints with --save-strategy steps; given alone it selects --save-strategy steps")
	fs.IntVar(&a.KeepCheckpoints, "keep-checkpoints", a.KeepCheckpoints, "number of checkpoints kept (0: all)")
	fs.IntVar(&a.LogEvery, "log-every", a.LogEvery, "write a training record to log.jsonl every N steps")
	fs.StringVar(&a.OutputDir, "output-dir", a.OutputDir, "directory for the fine-tuned model, log.jsonl, loss.png, training_args.json and checkpoints")
	fs.BoolVar(&a.Resume, "resume", false, "continue the run in --output-dir from its newest valid checkpoint")
	fs.StringVar(&a.ResumeFrom, "resume-from", "", "continue the run from this checkpoint directory (implies --resume)")
	fs.BoolVar(&f.overwrite, "overwrite", false, "replace the run already in --output-dir")
	fs.BoolVar(&f.doTrain, "do-train", true, "train (--do-train=false --do-eval: only evaluate --model on the evaluation split)")
	fs.BoolVar(&f.doEval, "do-eval", true, "evaluate; training always ends with an evaluation (its perplexity is the run's result)")
	fs.StringVar(&f.config, "config", "", "JSON file of arguments, as transformers' HfArgumentParser.parse_json_file takes (run_mlm.py's keys, or these flags' names); command-line flags override it")
	fs.BoolVar(&f.helpHF, "help-hf", false, "list the run_mlm.py / TrainingArguments names these flags also answer to, and what happens to the others")
	f.push.register(fs)
	registerDDP(fs, &f.ddp)
	fs.BoolVar(&f.bf16, "bf16", false, "mixed precision as PyTorch's autocast: matmuls in bf16 with float32 accumulation, everything else (weights, gradients, optimizer, softmax, layer norm, loss) in float32; emulated on CPUs without bf16 dot products")
	fs.StringVar(&f.device, "device", "cpu", devflag.Usage+"; training only (finetune eval runs on the CPU)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: finetune [flags]
       finetune ARGS.json
       finetune eval --model DIR [--masked FILE.jsonl | --data SOURCE] [flags]
       finetune push --model DIR [--hub-model-id USER/NAME] [flags]

Fine-tunes a DistilBERT masked language model on IMDB reviews as the Hugging
Face course does (Trainer with AdamW, linear schedule, evaluation and a
checkpoint each epoch), then saves it in the Hugging Face layout. Offline,
for example:

  finetune --model random --data ../shared/data/imdb/aclImdb_v1.tar.gz \
      --vocab ../shared/data/bert-base-uncased/vocab.txt

Every flag also answers to its transformers name (run_mlm.py,
TrainingArguments: --learning_rate, --per_device_train_batch_size, ...);
finetune --help-hf lists them.

Flags:
`)
		fs.PrintDefaults()
	}
	return fs, f
}

// parseTrain parses the train command's arguments: --config (or a single
// ARGS.json argument) first, then the command line over it, both through
// the transformers aliases; then it settles the strategies as transformers
// does.
func parseTrain(fs *flag.FlagSet, f *trainFlags, args []string, warn func(string)) error {
	if len(args) == 1 && strings.HasSuffix(args[0], ".json") && !strings.HasPrefix(args[0], "-") {
		args = []string{"--config", args[0]} // run_mlm.py's `python run_mlm.py args.json`
	}
	path, rest, err := extractConfig(args)
	if err != nil {
		return err
	}
	var all []string
	if path != "" {
		if all, err = configArgs(path); err != nil {
			return err
		}
	}
	all = append(all, rest...)
	if err := parse(fs, all, trainAliases, warn); err != nil {
		return err
	}
	f.config = path
	if f.helpHF {
		printAliasTable(fs.Output(), fs)
		return errHelp
	}
	f.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	return f.settle()
}

// settle applies what transformers' TrainingArguments.__post_init__ and
// run_mlm.py derive from the arguments, in our terms.
func (f *trainFlags) settle() error {
	a := &f.args
	a.Seed, a.MLMProbability, a.WholeWord = f.seed, f.mlmProbability, f.wholeWord
	a.SkipInitialEval = !f.evalBefore
	if a.MaxSteps == -1 { // transformers' "not set"
		a.MaxSteps = 0
	}
	if a.ResumeFrom != "" {
		a.Resume = true
	}
	if f.set["eval-every"] && !f.set["eval-strategy"] && a.EvalEvery > 0 {
		a.EvalStrategy = trainer.StrategySteps
	}
	if f.set["save-every"] && !f.set["save-strategy"] && a.SaveEvery > 0 {
		a.SaveStrategy = trainer.StrategySteps
	}
	if a.EvalStrategy == trainer.StrategySteps && a.EvalEvery == 0 {
		a.EvalEvery = a.LogEvery // as transformers: eval_steps defaults to logging_steps
	}
	if a.EvalStrategy != trainer.StrategySteps {
		a.EvalEvery = 0
	}
	if a.SaveStrategy != trainer.StrategySteps {
		a.SaveEvery = 0
	}
	if !f.doTrain && !f.doEval {
		return errors.New("--do-train=false and --do-eval=false: nothing to do")
	}
	return nil
}

// parse parses args through the aliases, mapping -h/--help to errHelp.
// Go's flag package prints nothing: errors come back with the flag named,
// never with the whole usage.
func parse(fs *flag.FlagSet, args []string, aliases []alias, warn func(string)) error {
	args, err := translateArgs(fs, args, aliases, warn)
	if err != nil {
		return err
	}
	out, usage := fs.Output(), fs.Usage
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err = fs.Parse(args)
	fs.SetOutput(out)
	fs.Usage = usage
	if errors.Is(err, flag.ErrHelp) {
		fs.Usage()
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
