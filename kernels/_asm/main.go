// Command _asm generates the amd64 assembly of package kernels with avo.
//
// Run from this directory (make generate does):
//
//	go run . -out ../kernels_amd64.s -stubs ../kernels_amd64_stubs.go -pkg kernels
//
// The output is deterministic: the same generator yields the same bytes, so
// CI regenerates and fails on any difference from the committed files.
package main

import (
	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
)

func main() {
	ConstraintExpr("!purego")

	// SGEMM micro-kernels. Shapes are MR rows x NR columns of C, with NR a
	// whole number of vectors; see gemm.go.
	gemmKernel("gemmAVX2x6x16", avx2, 6, 2)
	gemmPackedKernel("gemmPackedAVX2x6x16", avx2, 6, 2, 4)
	gemmKernel("gemmAVX2x12x8", avx2, 12, 1) // exercises the 4-pointer row addressing that the AVX-512 tiles use
	gemmKernel("gemmAVX512x12x32", avx512, 12, 2)
	gemmPackedKernel("gemmPackedAVX512x12x32", avx512, 12, 2, 4)
	gemmKernel("gemmAVX512x14x32", avx512, 14, 2)
	gemmKernel("gemmAVX512x8x48", avx512, 8, 3)
	gemmKernel("gemmAVX512x6x64", avx512, 6, 4)

	vecFuncs(avx2)
	vecFuncs(avx512)

	fmaPeak("fmaPeakAVX2", avx2, 12)
	fmaPeak("fmaPeakAVX512", avx512, 24)

	Generate()
}

// paramAddr is the stack address of a scalar parameter.
func paramAddr(name string) operand.Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}
