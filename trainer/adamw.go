package trainer

import (
	"fmt"

	"github.com/distilgo/distilgo/kernels"
	"github.com/distilgo/distilgo/nn"
	"github.com/distilgo/distilgo/tensor"
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
	// Device runs Step (nil: CPU), and TrainStep zeroes and clips the
	// gradients there. A device with its own memory (a GPU) needs the
	// parameters, gradients and moments there: ToDevice puts them there
	// and ToHost brings them back (Trainer.Run does both).
	Device Device

	spans []span
	// flat holds the parameters, gradients and moments as flat tensors
	// (views of Params.Data, Params.Grad, M and V, or the device's tensors
	// after ToDevice), and views the per-span views of them (made once).
	flat  spanTensors
	views []spanTensors
	// dev holds them in the device's memory after ToDevice (nil tensors
	// before); onDevice reports that Params and the optimizer are bound
	// to it.
	dev      spanTensors
	onDevice bool
}

// spanTensors are the parameter, gradient and moment tensors of one range.
type spanTensors struct{ p, g, m, v *tensor.Tensor }

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
	n := len(ps.Data)
	o.bind(tensor.FromData(ps.Data, n), tensor.FromData(ps.Grad, n), tensor.FromData(o.M, n), tensor.FromData(o.V, n))
	return o
}

// bind makes Step and the gradient operations of TrainStep work on the flat
// tensors p, g, m and v (each of Params.Len() elements, with the layout of
// Params.Data), making the per-span views once.
func (o *AdamW) bind(p, g, m, v *tensor.Tensor) {
	o.flat = spanTensors{p, g, m, v}
	o.views = o.views[:0]
	for _, s := range o.spans {
		o.views = append(o.views, spanTensors{p.Slice(s.lo, s.hi), g.Slice(s.lo, s.hi), m.Slice(s.lo, s.hi), v.Slice(s.lo, s.hi)})
	}
}

// ToDevice zeroes the gradients and, for a Device with its own memory
// (tensor.Device.Alloc; not the CPU), copies the parameters and moments
// into tensors there and makes the parameters and their gradients
// (Params.Params) and the optimizer views of them: Params.Data, Grad, M
// and V are then stale until ToHost. The device memory is allocated once
// and kept for later calls.
func (o *AdamW) ToDevice() {
	dev := o.device()
	if _, host := dev.(cpuDevice); host || o.onDevice {
		dev.Zero(o.flat.g)
		return
	}
	ps := o.Params
	if o.dev.p == nil {
		n := ps.Len()
		o.dev = spanTensors{tensor.NewOn(dev, n), tensor.NewOn(dev, n), tensor.NewOn(dev, n), tensor.NewOn(dev, n)}
	}
	f := o.dev
	f.p.CopyFrom(ps.Data)
	f.m.CopyFrom(o.M)
	f.v.CopyFrom(o.V)
	dev.Zero(f.g)
	ps.Bind(f.p, f.g)
	o.bind(f.p, f.g, f.m, f.v)
	o.onDevice = true
}

// ToHost undoes ToDevice: it copies the parameters and moments from the
// device into Params.Data, M and V and makes the parameters, their
// gradients and the optimizer views of the host buffers again (the
// gradients are not copied). Nothing happens when they are on the host.
func (o *AdamW) ToHost() {
	if !o.onDevice {
		return
	}
	ps, f := o.Params, o.dev
	f.p.CopyTo(ps.Data)
	f.m.CopyTo(o.M)
	f.v.CopyTo(o.V)
	ps.BindHost()
	n := len(o.M)
	o.bind(tensor.FromData(ps.Data, n), tensor.FromData(ps.Grad, n), tensor.FromData(o.M, n), tensor.FromData(o.V, n))
	o.onDevice = false
}

// Step applies one AdamW update with learning rate lr using the gradients in
// Params.Grad.
func (o *AdamW) Step(lr float64) {
	o.Steps++
	dev := o.device()
	for i, s := range o.spans {
		wd := 0.0
		if s.decay {
			wd = o.Config.WeightDecay
		}
		t := &o.views[i]
		dev.AdamW(t.p, t.g, t.m, t.v, kernels.AdamWParams{
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
