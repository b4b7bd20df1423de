// Command _asm generates the amd64 assembly of package kernels with avo.
//
// Run from this directory (make generate does):
//
//	go run . -out ../kernels_amd64.s -stubs ../kernels_stubs_amd64.go -pkg kernels
//
// The output is deterministic: the same generator yields the same bytes, so
// CI regenerates and fails on any difference from the committed files.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
)

func main() {
	ConstraintExpr("!purego")

	// SGEMM micro-kernels, each in a strided form (gemmKernel: small
	// products read in place) and a packed form (gemmPackedKernel: the
	// blocked path). Shapes are MR rows x NR columns of C, NR a whole number
	// of vectors. The production shapes are AVX2 6x16 and AVX-512 12x32; the
	// others are candidates for tuning (BenchmarkGemmTune) and 12x8 runs the
	// four-pointer row addressing of the 12-row tiles on AVX2-only CPUs.
	for _, s := range []struct {
		v      isa
		mr, nv int
	}{
		{avx2, 6, 2}, {avx2, 12, 1},
		{avx512, 12, 2}, {avx512, 14, 2}, {avx512, 8, 3}, {avx512, 6, 4},
	} {
		shape := fmt.Sprintf("%sx%dx%d", s.v.name, s.mr, s.nv*s.v.lanes)
		gemmKernel("gemm"+shape, s.v, s.mr, s.nv)
		gemmPackedKernel("gemmPacked"+shape, s.v, s.mr, s.nv, 4)
	}

	vecFuncs(avx2)
	vecFuncs(avx512)

	fmaPeak("fmaPeakAVX2", avx2, 12)
	fmaPeak("fmaPeakAVX512", avx512, 24)

	bf16Funcs()

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
