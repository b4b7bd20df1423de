package trainer

import (
	"github.com/distilgo/distilgo/kernels"
	"github.com/distilgo/distilgo/tensor"
)

// Device is where a Trainer computes: the ops of its training and
// evaluation tapes (tensor.Device) and the optimizer's operations on the
// flat parameter, gradient and moment tensors, which live in the device's
// memory (tensor.NewOn: host slices on the CPU, device storage on a GPU).
// CPU is the host; *cuda.Device implements it in -tags cuda builds.
type Device interface {
	tensor.Device
	// Zero sets x to 0 (the gradients before a step).
	Zero(x *tensor.Tensor)
	// SumSquares returns Σ x[i]² accumulated in float64 (gradient norms).
	SumSquares(x *tensor.Tensor) float64
	// ScaleBuffer multiplies x by alpha (gradient clipping).
	ScaleBuffer(alpha float32, x *tensor.Tensor)
	// AdamW is kernels.AdamW on the device, on flat tensors of one size.
	AdamW(p, g, m, v *tensor.Tensor, hp kernels.AdamWParams)
}

// CPU is the host: tensor.CPU and package kernels.
var CPU Device = cpuDevice{tensor.CPU}

type cpuDevice struct{ tensor.Device }

func (cpuDevice) Zero(x *tensor.Tensor)                   { clear(x.Host()) }
func (cpuDevice) SumSquares(x *tensor.Tensor) float64     { return kernels.SumSquares(x.Host()) }
func (cpuDevice) ScaleBuffer(a float32, x *tensor.Tensor) { kernels.Scale(a, x.Host()) }
func (cpuDevice) AdamW(p, g, m, v *tensor.Tensor, hp kernels.AdamWParams) {
	kernels.AdamW(p.Host(), g.Host(), m.Host(), v.Host(), hp)
}

// tapeDevice is the tensor.Device of d's tapes: tensor.CPU itself for CPU,
// which the models recognise (tensor.WithPrecision).
func tapeDevice(d Device) tensor.Device {
	if c, ok := d.(cpuDevice); ok {
		return c.Device
	}
	return d
}
