package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/distilgo/distilgo/trainer"
)

// Files a run writes into its output directory and every checkpoint besides
// the model, so that it can be evaluated and reproduced from them.
const (
	// RunArgsName holds every finetune flag of the run (our names), in the
	// form --config takes.
	RunArgsName = "finetune_args.json"
	// TrainingArgsName is transformers' training_args.json (the keys of
	// TrainingArguments.to_json_string).
	TrainingArgsName = "training_args.json"
)

// runArgsJSON returns the flags of fs as a JSON object (flag name to typed
// value), with local data paths made absolute so that the run's split can
// be drawn again from another directory.
func runArgsJSON(fs *flag.FlagSet) ([]byte, error) {
	m := map[string]any{}
	fs.VisitAll(func(fl *flag.Flag) {
		switch fl.Name {
		case "config", "help-hf", "resume", "resume-from", "overwrite":
			return // how this invocation ran, not the run's settings
		}
		v := fl.Value.(flag.Getter).Get()
		if fl.Name == "data" || fl.Name == "vocab" {
			if p, _ := v.(string); p != "" {
				if _, err := os.Stat(p); err == nil {
					if abs, err := filepath.Abs(p); err == nil {
						v = abs
					}
				}
			}
		}
		m[fl.Name] = v
	})
	data, err := json.MarshalIndent(m, "", "  ")
	return append(data, '\n'), err
}

// readRunArgs reads the saved flags of the run that wrote modelDir (or,
// for a checkpoint-N folder without them, of its run one level up). It
// returns the file read, "" when there is none.
func readRunArgs(modelDir string) (map[string]string, string, error) {
	cands := []string{filepath.Join(modelDir, RunArgsName)}
	if isCheckpointDir(modelDir) {
		cands = append(cands, filepath.Join(filepath.Dir(modelDir), RunArgsName))
	}
	for _, path := range cands {
		data, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, "", err
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(data, &raw); err != nil {
			return nil, "", fmt.Errorf("%s: %w", path, err)
		}
		m := map[string]string{}
		for k, v := range raw {
			var s string
			if json.Unmarshal(v, &s) == nil {
				m[k] = s
			} else {
				m[k] = string(v)
			}
		}
		return m, path, nil
	}
	return nil, "", nil
}

// pyFloat is a float64 that JSON-encodes as Python's repr does (json.dumps):
// 2e-05, 0.01, 3.0.
type pyFloat float64

// MarshalJSON implements json.Marshaler.
func (f pyFloat) MarshalJSON() ([]byte, error) {
	return []byte(pyRepr(float64(f))), nil
}

// pyRepr formats x as Python's float repr: the shortest round-trip digits,
// positional for exponents -4..15 (with ".0" when whole), else scientific
// with a two-digit exponent.
func pyRepr(x float64) string {
	e := strconv.FormatFloat(x, 'e', -1, 64)
	mant, exp, _ := strings.Cut(e, "e")
	n, _ := strconv.Atoi(exp)
	if n < -4 || n >= 16 {
		return mant + "e" + exp
	}
	s := strconv.FormatFloat(x, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

// trainingArgs returns transformers' training_args.json for the run: every
// key of TrainingArguments.to_dict() as transformers 4.5x writes it after
// __post_init__, tokens hidden (read from training_args.py at commit
// fd798335: eval_strategy, the deprecated evaluation_strategy, tp_size),
// with this run's values where finetune honours the argument and
// transformers' defaults elsewhere.
func trainingArgs(f *trainFlags, now time.Time) map[string]any {
	a := f.args
	null := any(nil)
	orNull := func(n int) any {
		if n == 0 {
			return null
		}
		return n
	}
	maxSteps := a.MaxSteps
	if maxSteps == 0 {
		maxSteps = -1
	}
	evalSteps := null
	if a.EvalStrategy == trainer.StrategySteps {
		evalSteps = a.EvalEvery
	}
	saveSteps := a.SaveEvery
	if saveSteps == 0 {
		saveSteps = 500
	}
	resume := null
	if a.ResumeFrom != "" {
		resume = a.ResumeFrom
	}
	hubModelID := null
	if f.push.modelID != "" {
		hubModelID = f.push.modelID
	}
	host, _ := os.Hostname()
	sched := a.LRScheduler
	if sched == "" {
		sched = trainer.SchedulerLinear
	}
	return map[string]any{
		// Honoured, with this run's values.
		"output_dir":                  a.OutputDir,
		"overwrite_output_dir":        f.overwrite,
		"do_train":                    f.doTrain,
		"do_eval":                     f.doEval,
		"eval_strategy":               a.EvalStrategy,
		"per_device_train_batch_size": a.BatchSize,
		"per_device_eval_batch_size":  f.evalBatchSize,
		"gradient_accumulation_steps": a.GradAccum,
		"learning_rate":               pyFloat(a.LR),
		"weight_decay":                pyFloat(a.WeightDecay),
		"adam_beta1":                  pyFloat(a.Beta1),
		"adam_beta2":                  pyFloat(a.Beta2),
		"adam_epsilon":                pyFloat(a.Eps),
		"max_grad_norm":               pyFloat(a.MaxGradNorm),
		"num_train_epochs":            pyFloat(a.Epochs),
		"max_steps":                   maxSteps,
		"lr_scheduler_type":           sched,
		"warmup_ratio":                pyFloat(a.WarmupRatio),
		"warmup_steps":                a.WarmupSteps,
		"logging_steps":               a.LogEvery,
		"eval_steps":                  evalSteps,
		"save_strategy":               a.SaveStrategy,
		"save_steps":                  saveSteps,
		"save_total_limit":            orNull(a.KeepCheckpoints),
		"seed":                        a.Seed,
		"resume_from_checkpoint":      resume,
		"eval_on_start":               !a.SkipInitialEval,
		"run_name":                    a.OutputDir,
		"logging_dir":                 filepath.Join(a.OutputDir, "runs", now.Format("Jan02_15-04-05")+"_"+host),
		// transformers' defaults (after __post_init__).
		"accelerator_config": ordered{
			{"split_batches", false}, {"dispatch_batches", null}, {"even_batches", true}, {"use_seedable_sampler", true},
			{"non_blocking", false}, {"gradient_accumulation_kwargs", null}, {"use_configured_state", false},
		},
		"auto_find_batch_size":          false,
		"average_tokens_across_devices": false,
		"batch_eval_metrics":            false,
		"bf16":                          f.bf16,
		"bf16_full_eval":                false,
		"data_seed":                     null,
		"dataloader_drop_last":          false,
		"dataloader_num_workers":        0,
		"dataloader_persistent_workers": false,
		"dataloader_pin_memory":         true,
		"dataloader_prefetch_factor":    null,
		"ddp_backend":                   null,
		"ddp_broadcast_buffers":         null,
		"ddp_bucket_cap_mb":             null,
		"ddp_find_unused_parameters":    null,
		"ddp_timeout":                   1800,
		"debug":                         []any{},
		"deepspeed":                     null,
		"disable_tqdm":                  false,
		"dispatch_batches":              null,
		"do_predict":                    false,
		"eval_accumulation_steps":       null,
		"eval_delay":                    0,
		"eval_do_concat_batches":        true,
		"eval_use_gather_object":        false,
		"evaluation_strategy":           null,
		"fp16":                          false,
		"fp16_backend":                  "auto",
		"fp16_full_eval":                false,
		"fp16_opt_level":                "O1",
		"fsdp":                          []any{},
		"fsdp_config": ordered{
			{"min_num_params", 0}, {"xla", false}, {"xla_fsdp_v2", false}, {"xla_fsdp_grad_ckpt", false},
		},
		"fsdp_min_num_params":                     0,
		"fsdp_transformer_layer_cls_to_wrap":      null,
		"full_determinism":                        false,
		"gradient_checkpointing":                  false,
		"gradient_checkpointing_kwargs":           null,
		"greater_is_better":                       null,
		"group_by_length":                         false,
		"half_precision_backend":                  "auto",
		"hub_always_push":                         false,
		"hub_model_id":                            hubModelID,
		"hub_private_repo":                        f.push.private,
		"hub_strategy":                            f.push.strategy,
		"hub_token":                               "<HUB_TOKEN>",
		"ignore_data_skip":                        false,
		"include_for_metrics":                     []any{},
		"include_inputs_for_metrics":              false,
		"include_num_input_tokens_seen":           false,
		"include_tokens_per_second":               false,
		"jit_mode_eval":                           false,
		"label_names":                             null,
		"label_smoothing_factor":                  pyFloat(0),
		"length_column_name":                      "length",
		"load_best_model_at_end":                  false,
		"local_rank":                              -1,
		"log_level":                               "passive",
		"log_level_replica":                       "warning",
		"log_on_each_node":                        true,
		"logging_first_step":                      false,
		"logging_nan_inf_filter":                  true,
		"logging_strategy":                        "steps",
		"lr_scheduler_kwargs":                     ordered{},
		"metric_for_best_model":                   null,
		"mp_parameters":                           "",
		"neftune_noise_alpha":                     null,
		"no_cuda":                                 false,
		"optim":                                   "adamw_torch",
		"optim_args":                              null,
		"optim_target_modules":                    null,
		"adafactor":                               false,
		"past_index":                              -1,
		"per_gpu_eval_batch_size":                 null,
		"per_gpu_train_batch_size":                null,
		"prediction_loss_only":                    false,
		"push_to_hub":                             f.push.enabled,
		"push_to_hub_model_id":                    null,
		"push_to_hub_organization":                null,
		"push_to_hub_token":                       "<PUSH_TO_HUB_TOKEN>",
		"ray_scope":                               "last",
		"remove_unused_columns":                   true,
		"report_to":                               []any{},
		"restore_callback_states_from_checkpoint": false,
		"save_on_each_node":                       false,
		"save_only_model":                         false,
		"save_safetensors":                        true,
		"skip_memory_metrics":                     true,
		"split_batches":                           null,
		"tf32":                                    null,
		"torch_compile":                           false,
		"torch_compile_backend":                   null,
		"torch_compile_mode":                      null,
		"torch_empty_cache_steps":                 null,
		"torchdynamo":                             null,
		"tp_size":                                 0,
		"tpu_metrics_debug":                       false,
		"tpu_num_cores":                           null,
		"use_cpu":                                 false,
		"use_ipex":                                false,
		"use_legacy_prediction_loop":              false,
		"use_liger_kernel":                        false,
		"use_mps_device":                          false,
	}
}

// trainingArgsOrder is the field order of transformers 4.5x's
// TrainingArguments (its init fields), which to_json_string keeps.
var trainingArgsOrder = strings.Fields(`
	output_dir overwrite_output_dir do_train do_eval do_predict eval_strategy
	prediction_loss_only per_device_train_batch_size per_device_eval_batch_size
	per_gpu_train_batch_size per_gpu_eval_batch_size gradient_accumulation_steps
	eval_accumulation_steps eval_delay torch_empty_cache_steps learning_rate weight_decay
	adam_beta1 adam_beta2 adam_epsilon max_grad_norm num_train_epochs max_steps
	lr_scheduler_type lr_scheduler_kwargs warmup_ratio warmup_steps log_level
	log_level_replica log_on_each_node logging_dir logging_strategy logging_first_step
	logging_steps logging_nan_inf_filter save_strategy save_steps save_total_limit
	save_safetensors save_on_each_node save_only_model
	restore_callback_states_from_checkpoint no_cuda use_cpu use_mps_device seed data_seed
	jit_mode_eval use_ipex bf16 fp16 fp16_opt_level half_precision_backend bf16_full_eval
	fp16_full_eval tf32 local_rank ddp_backend tpu_num_cores tpu_metrics_debug debug
	dataloader_drop_last eval_steps dataloader_num_workers dataloader_prefetch_factor
	past_index run_name disable_tqdm remove_unused_columns label_names load_best_model_at_end
	metric_for_best_model greater_is_better ignore_data_skip fsdp fsdp_min_num_params
	fsdp_config tp_size fsdp_transformer_layer_cls_to_wrap accelerator_config deepspeed
	label_smoothing_factor optim optim_args adafactor group_by_length length_column_name
	report_to ddp_find_unused_parameters ddp_bucket_cap_mb ddp_broadcast_buffers
	dataloader_pin_memory dataloader_persistent_workers skip_memory_metrics
	use_legacy_prediction_loop push_to_hub resume_from_checkpoint hub_model_id hub_strategy
	hub_token hub_private_repo hub_always_push gradient_checkpointing
	gradient_checkpointing_kwargs include_inputs_for_metrics include_for_metrics
	eval_do_concat_batches fp16_backend evaluation_strategy push_to_hub_model_id
	push_to_hub_organization push_to_hub_token mp_parameters auto_find_batch_size
	full_determinism torchdynamo ray_scope ddp_timeout torch_compile torch_compile_backend
	torch_compile_mode dispatch_batches split_batches include_tokens_per_second
	include_num_input_tokens_seen neftune_noise_alpha optim_target_modules batch_eval_metrics
	eval_on_start use_liger_kernel eval_use_gather_object average_tokens_across_devices
`)

// trainingArgsJSON encodes trainingArgs as transformers' to_json_string
// does, json.dumps(to_dict(), indent=2): keys in field order, nested
// objects in transformers' insertion order.
func trainingArgsJSON(f *trainFlags, now time.Time) ([]byte, error) {
	m := trainingArgs(f, now)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range trainingArgsOrder {
		v, ok := m[k]
		if !ok {
			panic("finetune: training_args.json lacks " + k)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		if err := writeJSONKV(&b, k, v); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	var out bytes.Buffer
	if err := json.Indent(&out, b.Bytes(), "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

func writeJSONKV(b *bytes.Buffer, k string, v any) error {
	kb, _ := json.Marshal(k)
	b.Write(kb)
	b.WriteByte(':')
	if o, ok := v.(ordered); ok {
		b.WriteByte('{')
		for i, kv := range o {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeJSONKV(b, kv.k, kv.v); err != nil {
				return err
			}
		}
		b.WriteByte('}')
		return nil
	}
	vb, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("training_args.json: %s: %w", k, err)
	}
	b.Write(vb)
	return nil
}

// ordered is a JSON object with its keys in a given order.
type ordered []struct {
	k string
	v any
}
