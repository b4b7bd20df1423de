package trainer

import (
	"fmt"

	"github.com/distilgo/distilgo/kernels"
	"github.com/distilgo/distilgo/nn"
)

// AdamWConfig holds the hyper-parameters of AdamW other than the learning
// rate, which the schedule supplies at each step.
type AdamWConfig struct {
	Beta1, Beta2, Eps float64
	// WeightDecay is applied to the parameters nn.NoDecay rejects.
	WeightDecay float64
}

// DefaultAdamWConfig returns Trainer's defaults (adam_beta1 0.9,
// adam_beta2 0.999, adam_epsilon 1e-8) with the given weight decay.
func DefaultAdamWConfig(weightDecay float64) AdamWConfig {
	return AdamWConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: weightDecay}
}

// span is a range [lo, hi) of the ParamSet buffers with one decay setting.
type span struct {
	lo, hi int
	decay  bool
}

// AdamW is torch.optim.AdamW over every parameter of a ParamSet. The first
// and second moments M and V are single buffers with the layout of
// ParamSet.Data and ParamSet.Grad; a step runs kernels.AdamW once per run of
// consecutive parameters that share a decay setting.
type AdamW struct {
	Params *nn.ParamSet
	Config AdamWConfig
	// M and V are the first and second moments (torch's exp_avg and
	// exp_avg_sq), len(Params.Data) each.
	M, V []float32
	// Steps is the number of steps taken (torch's state["step"]).
	Steps int
	// Device holds the parameters, gradients and moments (nil: CPU): Step
	// runs there, and TrainStep zeroes and clips the gradients there. The
	// caller uploads the buffers first (Trainer.Run does).
	Device Device

	spans []span
}

// NewAdamW returns an optimizer with zero moments for ps.
func NewAdamW(ps *nn.ParamSet, cfg AdamWConfig) *AdamW {
	o := &AdamW{Params: ps, Config: cfg, M: make([]float32, len(ps.Data)), V: make([]float32, len(ps.Data))}
	for i, name := range ps.Names {
		lo := ps.Offsets[i]
		hi := lo + ps.Params[i].Size()
		decay := !nn.NoDecay(name)
		if n := len(o.spans); n > 0 && o.spans[n-1].decay == decay && o.spans[n-1].hi == lo {
			o.spans[n-1].hi = hi
			continue
		}
		o.spans = append(o.spans, span{lo, hi, decay})
	}
	return o
}

// Step applies one AdamW update with learning rate lr using the gradients in
// Params.Grad.
func (o *AdamW) Step(lr float64) {
	o.Steps++
	ps := o.Params
	dev := o.device()
	for _, s := range o.spans {
		wd := 0.0
		if s.decay {
			wd = o.Config.WeightDecay
		}
		dev.AdamW(ps.Data[s.lo:s.hi], ps.Grad[s.lo:s.hi], o.M[s.lo:s.hi], o.V[s.lo:s.hi], kernels.AdamWParams{
			LR:          lr,
			Beta1:       o.Config.Beta1,
			Beta2:       o.Config.Beta2,
			Eps:         o.Config.Eps,
			WeightDecay: wd,
			Step:        o.Steps,
		})
	}
}

// device is where the optimizer's buffers live.
func (o *AdamW) device() Device {
	if o.Device == nil {
		return CPU
	}
	return o.Device
}

// decayedNames returns the names of the parameters that receive weight
// decay, in ParamSet order.
func (o *AdamW) decayedNames() []string {
	var names []string
	for _, name := range o.Params.Names {
		if !nn.NoDecay(name) {
			names = append(names, name)
		}
	}
	return names
}

// Restore sets the moments and step count from a checkpoint; m and v must
// have the ParamSet's length.
func (o *AdamW) Restore(m, v []float32, steps int) error {
	if len(m) != len(o.M) || len(v) != len(o.V) {
		return fmt.Errorf("optimizer state has %d and %d moments, the model has %d parameters", len(m), len(v), len(o.M))
	}
	if steps < 0 {
		return fmt.Errorf("optimizer state has step count %d", steps)
	}
	copy(o.M, m)
	copy(o.V, v)
	o.Steps = steps
	return nil
}
