package main

import (
	"bytes"
	"errors"

	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// parseFor parses args as the train command does and returns its flags and
// the notes it printed.
func parseFor(t *testing.T, args ...string) (*trainFlags, string, error) {
	t.Helper()
	var out bytes.Buffer
	fs, f := newTrainFlags(&out)
	err := parseTrain(fs, f, args, func(m string) { out.WriteString(m + "\n") })
	return f, out.String(), err
}

// Every alias points at a flag the train command defines; no name is both
// an alias and a flag we refuse or note, or shadows one of our flags with
// another meaning.
func TestAliasTable(t *testing.T) {
	fs, _ := newTrainFlags(&bytes.Buffer{})
	seen := map[string]bool{}
	for _, a := range trainAliases {
		if fs.Lookup(a.flag) == nil {
			t.Errorf("alias --%s: target --%s is not a finetune flag", a.hf, a.flag)
		}
		if seen[a.hf] {
			t.Errorf("alias --%s listed twice", a.hf)
		}
		seen[a.hf] = true
		if fl := fs.Lookup(strings.ReplaceAll(a.hf, "_", "-")); fl != nil && fl.Name != a.flag {
			t.Errorf("alias --%s -> --%s, but --%s is our flag", a.hf, a.flag, fl.Name)
		}
	}
	for _, f := range foreignFlags {
		if seen[f.name] {
			t.Errorf("--%s is both an alias and a foreign flag: remove its foreignFlags line", f.name)
		}
		// --cache_dir is transformers' model cache; --cache-dir is ours.
		if fs.Lookup(strings.ReplaceAll(f.name, "_", "-")) != nil && f.name != "cache_dir" {
			t.Errorf("foreign --%s is one of our flags", f.name)
		}
		seen[f.name] = true
	}
}

// The transformers names give the same arguments as ours.
func TestHFNamesParseLikeOurs(t *testing.T) {
	tests := []struct {
		name    string
		hf, go_ []string
	}{
		{"course run",
			[]string{"--model_name_or_path", "distilbert-base-uncased", "--dataset_name", "imdb", "--do_train", "--do_eval",
				"--max_seq_length", "128", "--mlm_probability", "0.15", "--max_train_samples", "10000", "--max_eval_samples", "1000",
				"--per_device_train_batch_size", "64", "--per_device_eval_batch_size", "64", "--learning_rate", "2e-5",
				"--weight_decay", "0.01", "--num_train_epochs", "3.0", "--evaluation_strategy", "epoch", "--save_strategy", "epoch",
				"--logging_steps", "156", "--output_dir", "distilbert-base-uncased-finetuned-imdb", "--overwrite_output_dir", "--seed", "42"},
			[]string{"--model", "distilbert-base-uncased", "--data", "imdb", "--chunk-size", "128", "--mlm-probability", "0.15",
				"--train-size", "10000", "--test-size", "1000", "--batch-size", "64", "--eval-batch-size", "64", "--lr", "2e-5",
				"--weight-decay", "0.01", "--epochs", "3", "--eval-strategy", "epoch", "--save-strategy", "epoch",
				"--log-every", "156", "--output-dir", "distilbert-base-uncased-finetuned-imdb", "--overwrite", "--seed", "42"}},
		{"optimizer and schedule",
			[]string{"--adam_beta1=0.8", "--adam_beta2", "0.99", "--adam_epsilon", "1e-6", "--max_grad_norm", "0.5",
				"--gradient_accumulation_steps", "2", "--lr_scheduler_type", "cosine", "--warmup_ratio", "0.1", "--warmup_steps", "0",
				"--max_steps", "-1", "--save_total_limit", "3"},
			[]string{"--adam-beta1", "0.8", "--adam-beta2", "0.99", "--adam-epsilon", "1e-6", "--max-grad-norm", "0.5",
				"--grad-accum", "2", "--lr-scheduler", "cosine", "--warmup-ratio", "0.1", "--keep-checkpoints", "3"}},
		{"steps strategies, dashed names, bool values",
			[]string{"--eval-strategy", "steps", "--eval-steps", "50", "--save_strategy", "steps", "--save_steps", "100",
				"--do_eval", "False", "--eval_on_start", "false", "--train_file", "corpus.txt", "--max_steps", "7"},
			[]string{"--eval-strategy", "steps", "--eval-every", "50", "--save-strategy", "steps", "--save-every", "100",
				"--do-eval=false", "--eval-before-training=false", "--data", "corpus.txt", "--max-steps", "7"}},
		{"eval_steps alone selects steps; steps without eval_steps takes logging_steps",
			[]string{"--eval_steps", "20", "--save_strategy=steps", "--logging_steps", "5"},
			[]string{"--eval-strategy", "steps", "--eval-every", "20", "--save-strategy", "steps", "--save-every", "500", "--log-every", "5"}},
		{"resume from a path", []string{"--resume_from_checkpoint", "out/checkpoint-5"}, []string{"--resume-from", "out/checkpoint-5", "--resume"}},
		{"resume from the newest", []string{"--resume_from_checkpoint", "--seed", "1"}, []string{"--resume", "--seed", "1"}},
		{"push to the hub",
			[]string{"--push_to_hub", "--hub_model_id", "alice/imdb", "--hub_strategy", "every_save", "--hub_private_repo", "--hub_token", "hf_x"},
			[]string{"--push-to-hub", "--hub-model-id", "alice/imdb", "--hub-strategy", "every_save", "--hub-private", "--hub-token", "hf_x"}},
		{"legacy go flags", []string{"--eval_strategy", "steps", "--eval_steps", "3"}, []string{"--eval-every", "3"}},
	}
	for _, tc := range tests {
		hf, notes, err := parseFor(t, tc.hf...)
		if err != nil || notes != "" {
			t.Errorf("%s: transformers names: %v %q", tc.name, err, notes)
			continue
		}
		ours, _, err := parseFor(t, tc.go_...)
		if err != nil {
			t.Errorf("%s: our names: %v", tc.name, err)
			continue
		}
		hf.set, ours.set = nil, nil
		if d := cmp.Diff(ours, hf, cmp.AllowUnexported(trainFlags{}, dataFlags{}, pushFlags{})); d != "" {
			t.Errorf("%s (-ours +transformers):\n%s", tc.name, d)
		}
	}
}

func TestFlagErrors(t *testing.T) {
	tests := []struct {
		args      []string
		err, note string // substrings; err "" means it parses
	}{
		{[]string{"--fp16"}, "", "note: --fp16: not supported: distilgo trains in float32"},
		{[]string{"--fp16", "False"}, "", ""},
		{[]string{"--report_to", "wandb"}, "", "metrics go to OUTPUT_DIR/log.jsonl"},
		{[]string{"--report_to=none", "--logging_dir", "runs"}, "", "--logging_dir runs: not supported"},
		{[]string{"--line_by_line"}, "--line_by_line: not supported: texts are concatenated", ""},
		{[]string{"--optim", "adafactor"}, "--optim adafactor: not supported", ""},
		{[]string{"--optim", "adamw_torch"}, "", ""},
		{[]string{"--dataset_name", "wikitext"}, "only imdb is known", ""},
		{[]string{"--num_train_epochs", "2.5"}, "whole number of epochs", ""},
		{[]string{"--learning-rat", "1e-4"}, "unknown flag --learning-rat: did you mean --learning-rate?", ""},
		{[]string{"--lerning_rate", "1e-4"}, "did you mean --learning_rate?", ""},
		{[]string{"--epoch", "2"}, "did you mean --epochs?", ""},
		{[]string{"--qqqqqqqqqq"}, "unknown flag --qqqqqqqqqq (finetune --help lists the flags", ""},
		{[]string{"--lr"}, "flag --lr needs a value", ""},
		{[]string{"--epochs", "x"}, `invalid value "x" for flag -epochs`, ""},
		{[]string{"--eval_strategy", "steps", "--logging_steps", "0"}, "", ""}, // trainer's validate refuses it
		{[]string{"--do_train", "false", "--do_eval", "false"}, "nothing to do", ""},
	}
	for _, tc := range tests {
		_, notes, err := parseFor(t, tc.args...)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%v: %v", tc.args, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%v: err = %v, want %q", tc.args, err, tc.err)
		case tc.note == "" && notes != "":
			t.Errorf("%v: unexpected notes %q", tc.args, notes)
		case tc.note != "" && !strings.Contains(notes, tc.note):
			t.Errorf("%v: notes %q, want %q", tc.args, notes, tc.note)
		}
		if err != nil && strings.Contains(err.Error(), "provided but not defined") {
			t.Errorf("%v: Go's message: %v", tc.args, err)
		}
		if strings.Contains(notes, "Flags:") || strings.Contains(notes, "usage:") {
			t.Errorf("%v: usage printed on an error:\n%s", tc.args, notes)
		}
	}
}

// --help and --help-hf print and exit 0 (errHelp); --help-hf lists every
// alias and the flags not taken.
func TestHelpHF(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"--help-hf"}, {"eval", "--help"}} {
		_, stderr, err := runCmd(t, args...)
		if !errors.Is(err, errHelp) {
			t.Errorf("%v: err = %v, want errHelp (exit 0)", args, err)
		}
		if args[0] == "--help-hf" {
			for _, a := range trainAliases {
				if !strings.Contains(stderr, "--"+a.hf+" ") {
					t.Errorf("--help-hf lacks --%s", a.hf)
				}
			}
			if !strings.Contains(stderr, "--fp16") || !regexp.MustCompile(`--per_device_eval_batch_size +--eval-batch-size`).MatchString(stderr) {
				t.Errorf("--help-hf:\n%s", stderr)
			}
		}
	}
	_, stderr, _ := runCmd(t, "--help")
	for _, want := range []string{"-save-strategy string", "the course's: after each epoch", "(default \"epoch\")", "--help-hf", "-eval-batch-size int"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}

// --config takes HfArgumentParser's JSON; the command line overrides it; a
// lone ARGS.json argument is read the same way, as run_mlm.py does.
func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "args.json")
	os.WriteFile(cfg, []byte(`{"model_name_or_path": "distilbert-base-uncased", "dataset_name": "imdb",
		"num_train_epochs": 2.0, "learning_rate": 3e-5, "per_device_train_batch_size": 32, "do_train": true,
		"report_to": ["none"], "save_total_limit": null, "overwrite_output_dir": true, "output_dir": "x",
		"whole_word_masking": true, "lr-scheduler": "constant"}`), 0o644)
	want := []string{"--epochs", "2", "--lr", "3e-5", "--batch-size", "32", "--overwrite", "--output-dir", "x", "--whole-word-masking", "--lr-scheduler", "constant"}
	tests := []struct {
		name string
		args []string
		edit []string
	}{
		{"--config", []string{"--config", cfg}, nil},
		{"lone json", []string{cfg}, nil},
		{"command line wins", []string{"--learning_rate", "1e-4", "--config=" + cfg, "--epochs", "5"}, []string{"--lr", "1e-4", "--epochs", "5"}},
	}
	for _, tc := range tests {
		got, notes, err := parseFor(t, tc.args...)
		if err != nil {
			t.Fatalf("%s: %v (%s)", tc.name, err, notes)
		}
		ref, _, err := parseFor(t, append(append([]string{}, want...), tc.edit...)...)
		if err != nil {
			t.Fatal(err)
		}
		got.set, ref.set, got.config, ref.config = nil, nil, "", ""
		if d := cmp.Diff(ref, got, cmp.AllowUnexported(trainFlags{}, dataFlags{}, pushFlags{})); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, d)
		}
	}
	os.WriteFile(cfg, []byte(`{"learning_rate": 3e-5, "fp16": true, "not_an_argument": 1}`), 0o644)
	if _, _, err := parseFor(t, "--config", cfg); err == nil || !strings.Contains(err.Error(), "unknown flag --not_an_argument") {
		t.Errorf("unknown key: %v", err)
	}
	os.WriteFile(cfg, []byte(`[1, 2]`), 0o644)
	if _, _, err := parseFor(t, "--config", cfg); err == nil || !strings.Contains(err.Error(), "not a JSON object") {
		t.Errorf("not an object: %v", err)
	}
}

func TestPyRepr(t *testing.T) {
	for x, want := range map[float64]string{2e-5: "2e-05", 0.01: "0.01", 3: "3.0", 1e-8: "1e-08", 0.0001: "0.0001",
		0.9: "0.9", 0.999: "0.999", 1e16: "1e+16", 123456789012345.0: "123456789012345.0", 0: "0.0", 5e-5: "5e-05"} {
		if got := pyRepr(x); got != want {
			t.Errorf("pyRepr(%v) = %s, want %s", x, got, want)
		}
	}
}
