package trainer

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
