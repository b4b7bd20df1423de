package tensor_test

import (
	"testing"

	"github.com/distilgo/distilgo/internal/optest"
	"github.com/distilgo/distilgo/tensor"
)

// The shared op table (internal/optest) on the CPU devices; package cuda
// runs the same table on the CUDA device.
func TestOpsCPU(t *testing.T) {
	optest.Run(t, optest.Device{Dev: tensor.CPU})
}

// bf16Tol is the normwise relative error allowed for cases with matrix
// products on the bf16 CPU device against the CPU: bf16 keeps 8 significant bits, so
// each rounded operand is off by up to 2⁻⁹ (2e-3) and each product by up
// to 4e-3 relative; a sum of K ≤ 64 such products with random signs has an
// error up to 4e-3·Σ|a·b|, which with cancellation is at most about √K
// times max|result| (3e-2). Every other op must be bit-identical: the device
// changes only the products.
const bf16Tol = 3e-2

func TestOpsCPUBF16(t *testing.T) {
	bf16, err := tensor.WithPrecision(tensor.CPU, tensor.BF16)
	if err != nil {
		t.Fatal(err)
	}
	optest.Run(t, optest.Device{Dev: bf16, Tol: func(c optest.Case) float64 {
		if c.Products {
			return bf16Tol
		}
		return 0
	}})
}
