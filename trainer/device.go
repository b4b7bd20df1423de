package trainer

import (
	"github.com/distilgo/distilgo/kernels"
	"github.com/distilgo/distilgo/tensor"
)

// Device is where a Trainer computes: the ops of its training and
// evaluation tapes (tensor.Device) and the optimizer's operations on the
// parameter, gradient and moment buffers. Buffers are named by their host
// slices, as tensors are; a device that keeps them elsewhere copies them
// in with Upload and back with Download. CPU is the host; *cuda.Device
// implements it in -tags cuda builds.
type Device interface {
	tensor.Device
	// Upload copies x to the device, whose copy is authoritative from then
	// on; Download copies the device's copy back into x.
	Upload(x []float32)
	Download(x []float32)
	// Zero sets x to 0 (the gradients before a step).
	Zero(x []float32)
	// SumSquares returns Σ x[i]² accumulated in float64 (gradient norms).
	SumSquares(x []float32) float64
	// ScaleBuffer multiplies x by alpha (gradient clipping).
	ScaleBuffer(alpha float32, x []float32)
	// AdamW is kernels.AdamW on the device.
	AdamW(p, g, m, v []float32, hp kernels.AdamWParams)
}

// CPU is the host: tensor.CPU and package kernels.
var CPU Device = cpuDevice{tensor.CPU}

type cpuDevice struct{ tensor.Device }

func (cpuDevice) Upload([]float32)                       {}
func (cpuDevice) Download([]float32)                     {}
func (cpuDevice) Zero(x []float32)                       { clear(x) }
func (cpuDevice) SumSquares(x []float32) float64         { return kernels.SumSquares(x) }
func (cpuDevice) ScaleBuffer(alpha float32, x []float32) { kernels.Scale(alpha, x) }
func (cpuDevice) AdamW(p, g, m, v []float32, hp kernels.AdamWParams) {
	kernels.AdamW(p, g, m, v, hp)
}

// tapeDevice is the tensor.Device of d's tapes: tensor.CPU itself for CPU,
// which the models recognise (tensor.WithPrecision).
func tapeDevice(d Device) tensor.Device {
	if c, ok := d.(cpuDevice); ok {
		return c.Device
	}
	return d
}
