package main

import (
	"errors"

	"github.com/distilgo/distilgo/cuda"
	"github.com/distilgo/distilgo/internal/devflag"
	"github.com/distilgo/distilgo/trainer"
)

// The CUDA device runs the trainer in -tags cuda builds.
var _ trainer.Device = (*cuda.Device)(nil)

// cudaOptions open --device cuda (the tests point them at the CPU emulator
// of the CUDA kernels).
var cudaOptions cuda.Options

// openDevice opens the device --device names: nil for the CPU. Data-parallel
// training runs on the CPU only (its all-reduce reads host gradients).
func openDevice(name string, ddp bool) (*cuda.Device, error) {
	d, err := devflag.Open("--device", name, cudaOptions)
	if err != nil {
		return nil, err
	}
	if d != nil && ddp {
		d.Close()
		return nil, errors.New("--device cuda with --ddp: data-parallel training runs on the CPU only")
	}
	return d, nil
}
