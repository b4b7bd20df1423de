package trainer

import (
	"fmt"
	"math"
	"strings"
)

// LinearSchedule is transformers' get_linear_schedule_with_warmup: the
// learning rate rises linearly from 0 to its base value over Warmup steps,
// then falls linearly to 0 at Total steps.
type LinearSchedule struct {
	Warmup, Total int
}

// Factor returns the multiplier of the base learning rate for the optimizer
// step with 0-based index step, as torch's LambdaLR applies it (the first
// step uses Factor(0)):
//
//	step < Warmup: step / max(1, Warmup)
//	otherwise:     max(0, (Total - step) / max(1, Total - Warmup))
func (s LinearSchedule) Factor(step int) float64 {
	if step < s.Warmup {
		return float64(step) / float64(max(1, s.Warmup))
	}
	return max(0, float64(s.Total-step)/float64(max(1, s.Total-s.Warmup)))
}

// LR returns the learning rate of step for base learning rate base, computed
// in float64 as LambdaLR does (base_lr * lambda(step)).
func (s LinearSchedule) LR(base float64, step int) float64 {
	return base * s.Factor(step)
}

// Schedule gives the learning-rate multiplier of each optimizer step
// (0-based), as torch's LambdaLR applies a transformers lr_lambda.
type Schedule interface {
	Factor(step int) float64
}

// CosineSchedule is transformers' get_cosine_schedule_with_warmup with
// num_cycles 0.5: linear warmup, then half a cosine from 1 down to 0 at
// Total.
type CosineSchedule struct {
	Warmup, Total int
}

// Factor follows transformers' _get_cosine_schedule_with_warmup_lr_lambda:
//
//	step < Warmup: step / max(1, Warmup)
//	otherwise:     max(0, 0.5 * (1 + cos(pi * 2 * 0.5 * progress)))
//	               with progress = (step - Warmup) / max(1, Total - Warmup)
func (s CosineSchedule) Factor(step int) float64 {
	if step < s.Warmup {
		return float64(step) / float64(max(1, s.Warmup))
	}
	progress := float64(step-s.Warmup) / float64(max(1, s.Total-s.Warmup))
	return max(0, 0.5*(1+math.Cos(math.Pi*0.5*2*progress)))
}

// ConstantSchedule is transformers' get_constant_schedule_with_warmup:
// linear warmup, then the base learning rate. With Warmup 0 it is
// get_constant_schedule.
type ConstantSchedule struct {
	Warmup int
}

// Factor is step / max(1, Warmup) during warmup, then 1.
func (s ConstantSchedule) Factor(step int) float64 {
	if step < s.Warmup {
		return float64(step) / float64(max(1, s.Warmup))
	}
	return 1
}

// Scheduler names, as transformers' SchedulerType spells them
// (--lr_scheduler_type).
const (
	SchedulerLinear             = "linear"
	SchedulerCosine             = "cosine"
	SchedulerConstant           = "constant"
	SchedulerConstantWithWarmup = "constant_with_warmup"
)

// Schedulers lists the supported scheduler names.
var Schedulers = []string{SchedulerLinear, SchedulerCosine, SchedulerConstant, SchedulerConstantWithWarmup}

// NewSchedule returns the schedule that transformers' get_scheduler builds
// for name ("" is linear) with warmup and total steps. As there, "constant"
// ignores the warmup (get_constant_schedule) and "constant_with_warmup"
// uses it.
func NewSchedule(name string, warmup, total int) (Schedule, error) {
	switch name {
	case "", SchedulerLinear:
		return LinearSchedule{Warmup: warmup, Total: total}, nil
	case SchedulerCosine:
		return CosineSchedule{Warmup: warmup, Total: total}, nil
	case SchedulerConstant:
		return ConstantSchedule{}, nil
	case SchedulerConstantWithWarmup:
		return ConstantSchedule{Warmup: warmup}, nil
	}
	return nil, fmt.Errorf("learning-rate scheduler %q: want one of %s", name, strings.Join(Schedulers, ", "))
}

// warmupSteps returns the warmup of a run of total steps as transformers'
// TrainingArguments.get_warmup_steps computes it: steps if positive, else
// ceil(total * ratio).
func warmupSteps(steps int, ratio float64, total int) int {
	if steps > 0 {
		return steps
	}
	return int(math.Ceil(float64(total) * ratio))
}
