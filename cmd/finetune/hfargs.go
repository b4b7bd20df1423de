package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// alias is a transformers name (run_mlm.py's ModelArguments and
// DataTrainingArguments, TrainingArguments) for one of our flags.
type alias struct {
	hf   string // transformers' name, with underscores
	flag string // our flag
	// conv turns transformers' value into ours (nil: the same).
	conv func(string) (string, error)
	note string // how it differs, for --help-hf
}

// trainAliases maps transformers' names to finetune's flags: adding an
// alias is one line. A name is looked up with dashes read as underscores,
// as HfArgumentParser accepts both (--learning-rate, --learning_rate).
// Aliases whose flag a command lacks are not offered by that command.
var trainAliases = []alias{
	{"model_name_or_path", "model", nil, ""},
	{"dataset_name", "data", datasetName, "imdb only"},
	{"train_file", "data", nil, ".txt or .jsonl (\"text\" field)"},
	{"max_seq_length", "chunk-size", nil, "texts are concatenated and cut, as run_mlm.py's group_texts"},
	{"mlm_probability", "mlm-probability", nil, ""},
	{"max_train_samples", "train-size", nil, "drawn at random as the course does, not the first N"},
	{"max_eval_samples", "test-size", nil, "drawn at random as the course does, not the first N"},
	{"per_device_train_batch_size", "batch-size", nil, ""},
	{"per_device_eval_batch_size", "eval-batch-size", nil, ""},
	{"num_train_epochs", "epochs", wholeEpochs, "whole epochs"},
	{"learning_rate", "lr", nil, ""},
	{"lr_scheduler_type", "lr-scheduler", nil, "linear, cosine, constant, constant_with_warmup"},
	{"weight_decay", "weight-decay", nil, ""},
	{"adam_beta1", "adam-beta1", nil, ""},
	{"adam_beta2", "adam-beta2", nil, ""},
	{"adam_epsilon", "adam-epsilon", nil, ""},
	{"gradient_accumulation_steps", "grad-accum", nil, ""},
	{"warmup_steps", "warmup-steps", nil, ""},
	{"warmup_ratio", "warmup-ratio", nil, ""},
	{"max_grad_norm", "max-grad-norm", nil, ""},
	{"max_steps", "max-steps", nil, ""},
	{"evaluation_strategy", "eval-strategy", nil, "default epoch (the course's)"},
	{"eval_strategy", "eval-strategy", nil, "default epoch (the course's)"},
	{"eval_steps", "eval-every", nil, ""},
	{"eval_on_start", "eval-before-training", nil, "default true (the course's)"},
	{"save_strategy", "save-strategy", nil, "default epoch (the course's)"},
	{"save_steps", "save-every", nil, ""},
	{"save_total_limit", "keep-checkpoints", nil, ""},
	{"logging_steps", "log-every", nil, ""},
	{"output_dir", "output-dir", nil, ""},
	{"overwrite_output_dir", "overwrite", nil, ""},
	{"resume_from_checkpoint", "resume-from", nil, "without a path: --resume (the newest checkpoint)"},
	{"seed", "seed", nil, ""},
	{"do_train", "do-train", nil, "default true"},
	{"do_eval", "do-eval", nil, "default true"},
	{"push_to_hub", "push-to-hub", nil, ""},
	{"hub_model_id", "hub-model-id", nil, "default: the output directory's name under the token's user"},
	{"hub_strategy", "hub-strategy", nil, "end, every_save, checkpoint"},
	{"hub_private_repo", "hub-private", nil, ""},
	{"hub_token", "hub-token", nil, "default: $HF_TOKEN or $HF_HOME/token"},
	{"bf16", "bf16", nil, "emulated (slow, same numerics) where the CPU lacks AVX512-BF16"},
}

// evalAliases are the eval command's own: --batch-size was its name for
// --eval-batch-size.
var evalAliases = append([]alias{{"batch_size", "eval-batch-size", nil, ""}}, trainAliases...)

// foreign is a transformers argument that finetune does not take.
type foreign struct {
	name   string
	isBool bool // takes no value (or an optional true/false)
	// fine reports values that are what finetune does anyway: accepted
	// silently (nil: none).
	fine func(v string) bool
	// fatal refuses the run: ignoring the flag would give another result
	// than the user asked for. Otherwise a note is printed and the run
	// goes on.
	fatal   bool
	instead string // what finetune does instead
}

func is(values ...string) func(string) bool {
	return func(v string) bool { return slices.Contains(values, strings.ToLower(v)) }
}

var isFalse = is("false", "0", "no", "off")

// foreignFlags are transformers arguments common in run_mlm.py command
// lines that finetune does not take, with what it does instead.
var foreignFlags = []foreign{
	{"fp16", true, isFalse, false, "distilgo trains in float32 (PyTorch's default precision, which its results are checked against)"},
	{"fp16_full_eval", true, isFalse, false, "evaluation runs in float32"},
	{"bf16_full_eval", true, isFalse, false, "evaluation runs in float32"},
	{"tf32", true, isFalse, false, "there is no TF32 on the CPU"},
	{"half_precision_backend", false, nil, false, "distilgo trains in float32"},
	{"report_to", false, is("none", "[]", `["none"]`), false, "metrics go to OUTPUT_DIR/log.jsonl (one JSON record per line) and loss.png, not to wandb, tensorboard or other services"},
	{"logging_dir", false, nil, false, "logs go to OUTPUT_DIR/log.jsonl and loss.png"},
	{"logging_strategy", false, is("steps"), false, "a record every --log-every steps, and one per epoch"},
	{"logging_first_step", true, isFalse, false, "the first record is at step --log-every"},
	{"run_name", false, nil, false, "runs are named by their output directory"},
	{"disable_tqdm", true, nil, false, "the status line is rewritten in place on a terminal, printed every 30 s elsewhere"},
	{"log_level", false, nil, false, "finetune prints its own messages"},
	{"log_level_replica", false, nil, false, "finetune prints its own messages"},
	{"log_on_each_node", true, nil, false, "finetune runs on one machine"},
	{"dataloader_num_workers", false, nil, false, "batches are prepared in process; --threads sets the compute threads"},
	{"dataloader_pin_memory", true, nil, false, "there is no GPU memory to pin"},
	{"dataloader_drop_last", true, isFalse, true, "the last, smaller batch is kept, as transformers' default"},
	{"preprocessing_num_workers", false, nil, false, "tokenization uses every core; --threads sets the compute threads"},
	{"overwrite_cache", true, nil, false, "tokenized chunks are cached in --cache-dir, keyed by their inputs (--cache-dir \"\" disables it)"},
	{"cache_dir", false, nil, false, "models go to the huggingface_hub cache ($HF_HOME, $HF_HUB_CACHE); --cache-dir is finetune's cache of tokenized chunks"},
	{"use_fast_tokenizer", true, nil, false, "distilgo's WordPiece tokenizer matches transformers' fast and slow tokenizers"},
	{"trust_remote_code", true, nil, false, "no code is downloaded"},
	{"low_cpu_mem_usage", true, nil, false, "weights are loaded once"},
	{"torch_dtype", false, is("auto", "float32"), true, "weights are float32"},
	{"token", false, nil, false, "the Hub token is read from $HF_TOKEN"},
	{"use_auth_token", true, nil, false, "the Hub token is read from $HF_TOKEN"},
	{"model_revision", false, is("main"), true, "the Hub's main revision is used; pass a local directory for another"},
	{"config_name", false, nil, true, "--model random:PATH/config.json initialises a model from a config"},
	{"config_overrides", false, nil, true, "--model random:PATH/config.json initialises a model from a config"},
	{"model_type", false, is("distilbert"), true, "distilgo is DistilBERT only"},
	{"tokenizer_name", false, nil, true, "the tokenizer is the model directory's, else --vocab PATH/vocab.txt"},
	{"dataset_config_name", false, is("plain_text"), true, "--dataset_name imdb takes the plain_text configuration"},
	{"validation_file", false, nil, true, "the evaluation split is drawn from the training text (--test-size chunks)"},
	{"validation_split_percentage", false, nil, true, "the evaluation split is --test-size chunks (--max_eval_samples)"},
	{"line_by_line", true, isFalse, true, "texts are concatenated and cut into --chunk-size chunks, as the course does"},
	{"pad_to_max_length", true, isFalse, true, "texts are concatenated and cut into full chunks: there is no padding"},
	{"streaming", true, isFalse, true, "the data is read whole"},
	{"do_predict", true, isFalse, true, "there is no prediction step (finetune eval, fillmask)"},
	{"prediction_loss_only", true, nil, false, "evaluation computes only the loss"},
	{"per_gpu_train_batch_size", false, nil, true, "--per_device_train_batch_size"},
	{"per_gpu_eval_batch_size", false, nil, true, "--per_device_eval_batch_size"},
	{"optim", false, is("adamw_torch", "adamw_torch_fused", "adamw_hf"), true, "the optimizer is AdamW (torch.optim.AdamW)"},
	{"adafactor", true, isFalse, true, "the optimizer is AdamW"},
	{"lr_scheduler_kwargs", false, is("{}"), true, "the schedules take no extra arguments"},
	{"label_smoothing_factor", false, is("0", "0.0"), true, "the loss is plain cross-entropy"},
	{"load_best_model_at_end", true, isFalse, true, "the final model is the last step's; every checkpoint-N holds the model of step N"},
	{"metric_for_best_model", false, nil, true, "the final model is the last step's"},
	{"greater_is_better", true, nil, true, "the final model is the last step's"},
	{"group_by_length", true, isFalse, true, "all chunks have the same length"},
	{"data_seed", false, nil, true, "--seed sets the data order too"},
	{"full_determinism", true, nil, false, "runs are deterministic for a given --threads"},
	{"gradient_checkpointing", true, isFalse, false, "activations are kept (no recomputation)"},
	{"torch_compile", true, isFalse, false, "distilgo is compiled Go"},
	{"use_cpu", true, nil, false, "the device is --device (cpu by default)"},
	{"no_cuda", true, nil, false, "the device is --device (cpu by default; cuda in -tags cuda builds)"},
	{"local_rank", false, is("-1"), true, "finetune trains in one process"},
	{"ddp_backend", false, nil, true, "finetune trains in one process"},
	{"deepspeed", false, nil, true, "finetune trains in one process"},
	{"fsdp", false, is(""), true, "finetune trains in one process"},
	{"save_safetensors", true, nil, false, "checkpoints and models are always safetensors"},
	{"save_only_model", true, isFalse, true, "checkpoints hold the optimizer state so runs can resume"},
	{"skip_memory_metrics", true, nil, false, "no memory metrics are collected"},
	{"include_tokens_per_second", true, nil, false, "log.jsonl records tokens per second"},
	{"include_num_input_tokens_seen", true, nil, false, "checkpoints count the tokens seen"},
	{"remove_unused_columns", true, nil, false, "only the model's inputs are kept"},
	{"auto_find_batch_size", true, isFalse, true, "the batch size is --per_device_train_batch_size"},
}

// datasetName accepts the one Hub dataset finetune knows.
func datasetName(v string) (string, error) {
	if v == "imdb" || v == "stanfordnlp/imdb" {
		return "imdb", nil
	}
	return "", fmt.Errorf("--dataset_name %s: only imdb is known (the course's); pass a local file with --train_file PATH (.txt, one document per line, or .jsonl with a \"text\" field)", v)
}

// wholeEpochs takes transformers' float num_train_epochs when whole.
func wholeEpochs(v string) (string, error) {
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || x != math.Trunc(x) || x < 0 || x > math.MaxInt32 {
		return "", fmt.Errorf("--num_train_epochs %s: want a whole number of epochs (for part of an epoch use --max_steps)", v)
	}
	return strconv.Itoa(int(x)), nil
}

func lookupAlias(aliases []alias, name string) (alias, bool) {
	key := strings.ReplaceAll(name, "-", "_")
	for _, a := range aliases {
		if a.hf == key {
			return a, true
		}
	}
	return alias{}, false
}

func lookupForeign(name string) (foreign, bool) {
	key := strings.ReplaceAll(name, "-", "_")
	for _, f := range foreignFlags {
		if f.name == key {
			return f, true
		}
	}
	return foreign{}, false
}

// boolFlag reports whether the flag is a Go bool flag.
func boolFlag(fl *flag.Flag) bool {
	b, ok := fl.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// boolLiteral reports whether s is a value HfArgumentParser's string_to_bool
// takes after a bool flag (--do_train True).
func boolLiteral(s string) bool {
	return is("true", "false", "yes", "no", "t", "f", "y", "n", "1", "0")(s)
}

// translateArgs rewrites args into our flags' names: transformers' names
// through aliases (values converted), bool flags followed by a separate
// true/false value joined to it, transformers arguments we do not take
// dropped with a note to warn (or refused), and unknown flags refused with
// the nearest known name.
func translateArgs(fs *flag.FlagSet, args []string, aliases []alias, warn func(string)) ([]string, error) {
	var out []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" || !strings.HasPrefix(arg, "-") || arg == "-" {
			out = append(out, args[i:]...)
			break
		}
		name := strings.TrimPrefix(strings.TrimPrefix(arg, "-"), "-")
		value, hasValue := "", false
		if k, v, ok := strings.Cut(name, "="); ok {
			name, value, hasValue = k, v, true
		}
		if name == "h" || name == "help" {
			out = append(out, arg)
			continue
		}
		// next takes the following argument as the value.
		next := func(optional func(string) bool) bool {
			if hasValue || i+1 >= len(args) {
				return hasValue
			}
			if optional != nil && !optional(args[i+1]) {
				return false
			}
			i++
			value, hasValue = args[i], true
			return true
		}
		fl := fs.Lookup(name)
		if fl == nil {
			// Our own flags spelt with underscores, as in a JSON config.
			if _, isAlias := lookupAlias(aliases, name); !isAlias {
				fl = fs.Lookup(strings.ReplaceAll(name, "_", "-"))
			}
		}
		var conv func(string) (string, error)
		if fl == nil {
			if a, ok := lookupAlias(aliases, name); ok && fs.Lookup(a.flag) != nil {
				fl, conv = fs.Lookup(a.flag), a.conv
				if a.hf == "resume_from_checkpoint" {
					// An optional path: alone it resumes from the newest checkpoint.
					if !next(func(s string) bool { return !strings.HasPrefix(s, "-") }) {
						out = append(out, "--resume")
						continue
					}
				}
			} else if f, ok := lookupForeign(name); ok {
				if f.isBool {
					if !next(boolLiteral) {
						value, hasValue = "true", true
					}
				} else if !next(nil) {
					return nil, fmt.Errorf("flag --%s needs a value", name)
				}
				if f.fine != nil && f.fine(value) {
					continue
				}
				msg := fmt.Sprintf("--%s %s: not supported: %s", name, value, f.instead)
				if f.isBool && boolLiteral(value) && is("true", "yes", "t", "y", "1")(value) {
					msg = fmt.Sprintf("--%s: not supported: %s", name, f.instead)
				}
				if f.fatal {
					return nil, fmt.Errorf("%s; drop the flag", msg)
				}
				warn("note: " + msg + "; ignored")
				continue
			} else {
				return nil, unknownFlag(fs, aliases, name)
			}
		}
		if boolFlag(fl) {
			if next(boolLiteral) && boolLiteral(value) {
				value = strconv.FormatBool(is("true", "yes", "t", "y", "1")(value))
			}
		} else if !next(nil) {
			return nil, fmt.Errorf("flag --%s needs a value", name)
		}
		if conv != nil {
			v, err := conv(value)
			if err != nil {
				return nil, err
			}
			value = v
		}
		if hasValue {
			out = append(out, "--"+fl.Name+"="+value)
		} else {
			out = append(out, "--"+fl.Name)
		}
	}
	return out, nil
}

// unknownFlag is the error for a flag no one defines: the nearest name,
// ours or transformers', in the spelling the user used.
func unknownFlag(fs *flag.FlagSet, aliases []alias, name string) error {
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "-")) }
	best, bestD := "", math.MaxInt
	try := func(cand string) {
		if d := editDistance(norm(name), norm(cand)); d < bestD {
			best, bestD = cand, d
		}
	}
	fs.VisitAll(func(fl *flag.Flag) { try(fl.Name) })
	for _, a := range aliases {
		if fs.Lookup(a.flag) != nil {
			try(a.hf)
		}
	}
	msg := fmt.Sprintf("unknown flag --%s", name)
	if bestD <= max(2, len(name)/4) {
		if strings.Contains(name, "-") && !strings.Contains(name, "_") {
			best = strings.ReplaceAll(best, "_", "-")
		}
		return fmt.Errorf("%s: did you mean --%s? (--help lists the flags)", msg, best)
	}
	return fmt.Errorf("%s (%s --help lists the flags, --help-hf the transformers names)", msg, fs.Name())
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// printAliasTable writes the --help-hf table.
func printAliasTable(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, `finetune takes the arguments of transformers' run_mlm.py (ModelArguments,
DataTrainingArguments, TrainingArguments) under their own names, with
underscores or dashes, on the command line or in --config ARGS.json:

`)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "transformers\tfinetune\tnote")
	for _, a := range trainAliases {
		if fs.Lookup(a.flag) != nil {
			fmt.Fprintf(tw, "--%s\t--%s\t%s\n", a.hf, a.flag, a.note)
		}
	}
	tw.Flush()
	fmt.Fprint(w, "\nNot taken (a note, and the run goes on; refused where ignoring it would change the result):\n\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, f := range foreignFlags {
		what := "note"
		if f.fatal {
			what = "refused"
		}
		fmt.Fprintf(tw, "--%s\t%s\t%s\n", f.name, what, f.instead)
	}
	tw.Flush()
}

// extractConfig removes --config PATH from args.
func extractConfig(args []string) (path string, rest []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		switch {
		case a == "--config" || a == "-config":
			if i+1 >= len(args) {
				return "", nil, fmt.Errorf("flag --config needs a value")
			}
			path = args[i+1]
			i++
		case strings.HasPrefix(a, "--config=") || strings.HasPrefix(a, "-config="):
			_, path, _ = strings.Cut(a, "=")
		default:
			rest = append(rest, a)
		}
	}
	return path, rest, nil
}

// configArgs reads a JSON object of arguments, as HfArgumentParser's
// parse_json_file takes it (transformers' names, or our flags' names), and
// returns it as command-line arguments. null means the default.
func configArgs(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, fmt.Errorf("--config %s: not a JSON object of arguments: %w", path, err)
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var args []string
	for _, k := range keys {
		var v string
		switch x := obj[k].(type) {
		case nil:
			continue
		case string:
			v = x
		case bool:
			v = strconv.FormatBool(x)
		case json.Number:
			v = x.String()
		default: // lists and objects (report_to, fsdp_config): as JSON
			b, _ := json.Marshal(x)
			v = string(b)
		}
		args = append(args, "--"+k+"="+v)
	}
	return args, nil
}
