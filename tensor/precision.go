package tensor

import (
	"fmt"

	"github.com/distilgo/distilgo/kernels"
)

// Precision selects the arithmetic of matrix products, as PyTorch's autocast
// does: FP32 computes everything in float32; BF16 rounds the operands of
// every matmul (forward and backward, attention included) to bfloat16 and
// accumulates in float32, while everything else (parameters, gradients,
// optimizer state, softmax, layer norm, GELU, losses, reductions) stays
// float32.
type Precision uint8

const (
	FP32 Precision = iota
	BF16
)

// String returns the flag spelling: "fp32" or "bf16".
func (p Precision) String() string {
	switch p {
	case FP32:
		return "fp32"
	case BF16:
		return "bf16"
	}
	return fmt.Sprintf("Precision(%d)", uint8(p))
}

// ParsePrecision parses "fp32" or "bf16".
func ParsePrecision(s string) (Precision, error) {
	switch s {
	case "fp32":
		return FP32, nil
	case "bf16":
		return BF16, nil
	}
	return FP32, fmt.Errorf("unknown precision %q (want fp32 or bf16)", s)
}

// CPUBF16 is the CPU device with BF16 matmuls (kernels.SgemmBF16): on CPUs
// with bf16 dot products (kernels level avx512bf16) they run on VDPBF16PS,
// elsewhere on an emulation with the same rounding (see
// kernels.BF16Hardware). Every other op is CPU's.
var CPUBF16 Device = cpuBF16Device{}

type cpuBF16Device struct{ cpuDevice }

func (cpuBF16Device) Name() string { return "cpu-bf16" }

func (cpuBF16Device) Gemm(transA, transB bool, batch, m, n, k int, alpha float32, a, b *Tensor, beta float32, c *Tensor) {
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	if batch == 1 {
		kernels.SgemmBF16(transA, transB, m, n, k, alpha, a.Data, lda, b.Data, ldb, beta, c.Data, n)
		return
	}
	kernels.SgemmBF16Batched(transA, transB, m, n, k, alpha, a.Data, lda, m*k, b.Data, ldb, k*n, beta, c.Data, n, m*n, batch)
}

func (cpuBF16Device) GemmStrided(transA, transB bool, batch, m, n, k int, alpha float32,
	a *Tensor, offA, lda, strideA int, b *Tensor, offB, ldb, strideB int,
	beta float32, c *Tensor, offC, ldc, strideC int) {
	kernels.SgemmBF16Batched(transA, transB, m, n, k, alpha, a.Data[offA:], lda, strideA, b.Data[offB:], ldb, strideB, beta, c.Data[offC:], ldc, strideC, batch)
}

// WithPrecision returns the device that runs d's ops with matmuls at
// precision p: CPU or CPUBF16. It fails for other devices (a GPU backend has
// no bf16 path yet).
func WithPrecision(d Device, p Precision) (Device, error) {
	switch {
	case d == CPU || d == CPUBF16:
		if p == BF16 {
			return CPUBF16, nil
		}
		return CPU, nil
	case p == FP32:
		return d, nil
	}
	return nil, fmt.Errorf("precision %s is not supported on device %s", p, d.Name())
}
