// Package trainer fine-tunes a DistilBERT masked language model the way
// Hugging Face transformers' Trainer does with the arguments of the Hugging
// Face course (chapter 7, section 3), and makes the run resumable.
//
// The pieces, each usable on its own:
//
//   - AdamW: torch.optim.AdamW over a model's nn.ParamSet, with weight decay
//     on every parameter but biases and LayerNorm weights (Trainer's
//     grouping) and the two moments in one contiguous buffer each, laid out
//     like ParamSet.Data.
//   - LinearSchedule, CosineSchedule, ConstantSchedule (NewSchedule by
//     lr_scheduler_type name): transformers' get_*_schedule_with_warmup,
//     checked against torch's LambdaLR.
//   - ClipGradNorm: torch.nn.utils.clip_grad_norm_ over the gradient buffer.
//   - Evaluate: the evaluation loss two ways (Trainer's eval_loss and the
//     token-weighted mean) and perplexity = exp(eval_loss).
//   - Checkpoints: model, optimizer moments, schedule position and data
//     position, written atomically as a directory with a manifest of sizes
//     and SHA-256 sums, so an interrupted write never loads.
//   - Trainer: the loop (shuffling, masking, gradient accumulation,
//     clipping, schedule, evaluation, checkpoints, logs) on a Device, shown
//     through an Observer (cmd/finetune's draws the status line and the
//     loss plot; this package has no terminal or plotting code).
//
// # Determinism
//
// Every random choice of a run is a pure function of the seed and the
// position in the run: the shuffled order of epoch e comes from (seed, e),
// the masks of micro-batch j of epoch e from (seed, e, j) (dataset.Collator),
// and the dropout stream of micro-batch j of optimizer step s from (seed, s,
// j). A checkpoint therefore stores the seed and the position (epoch, step in
// epoch, global step) instead of generator states, and a resumed run
// continues exactly where the interrupted one was, without reading the data
// consumed before the checkpoint. With a fixed number of kernel threads the
// engine is deterministic, so a resumed run gives bit-identical losses and
// weights.
//
// # Gradient accumulation
//
// A step of GradAccum micro-batches back-propagates each micro-batch's
// summed token loss divided by the number of labelled tokens of the whole
// step, so k micro-batches give the gradient of one k-times larger batch
// (transformers' num_items_in_batch normalisation), not the mean of k
// per-micro-batch means.
//
// Shapes use llm.c letters: B batch, T sequence, C channels, V vocabulary.
package trainer
