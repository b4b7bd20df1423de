// Package devflag opens the compute device that a command's --device flag
// names: "cpu" (the default, package kernels) or "cuda" (an NVIDIA GPU
// through package cuda, in binaries built with CGO_ENABLED=1 -tags cuda).
package devflag

import (
	"errors"
	"fmt"

	"github.com/distilgo/distilgo/cuda"
)

// Usage is the help text of a --device flag.
const Usage = "compute device: cpu, or cuda (an NVIDIA GPU; needs a binary built with CGO_ENABLED=1 go build -tags cuda)"

// Open returns the CUDA device for name "cuda", opened with opts, and nil
// for "cpu". Errors name flag (e.g. "--device"): an unknown name, a binary
// built without CUDA, or no usable GPU.
func Open(flag, name string, opts cuda.Options) (*cuda.Device, error) {
	switch name {
	case "cpu":
		return nil, nil
	case "cuda":
		d, err := cuda.Open(opts)
		if errors.Is(err, cuda.ErrNotBuilt) {
			return nil, fmt.Errorf("%s cuda: this binary was built without CUDA support: rebuild it with CGO_ENABLED=1 go build -tags cuda", flag)
		}
		if err != nil {
			return nil, fmt.Errorf("%s cuda: %w", flag, err)
		}
		return d, nil
	}
	return nil, fmt.Errorf("%s %q: want cpu or cuda", flag, name)
}
