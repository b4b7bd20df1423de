// Command _asm generates the amd64 assembly of package kernels with avo,
// one kernel family per run, each into its own pair of files (as Go's
// crypto packages split their generated assembly):
//
//	gemm  SGEMM micro-kernels (strided and packed) and the FMA peak probe
//	pack  the SGEMM panel packers
//	rows  row kernels: softmax (with dot and scale), cross-entropy, layer
//	      norm, and dot4
//	vec   element-wise kernels: exp, GELU, AdamW, axpy, add, mul, mulAcc
//	bf16  the AVX512_BF16 kernels (SgemmBF16, conversions, peak probe)
//	rand  the dropout mask generator (SplitMix64 words compared in bulk)
//
// Run from this directory (make generate does, for every family):
//
//	go run . -family gemm -out ../gemm_amd64.s -stubs ../gemm_stubs_amd64.go -pkg kernels
//
// The output is deterministic: the same generator yields the same bytes, so
// CI regenerates and fails on any difference from the committed files.
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
)

// families maps each -family name to the generator of its kernels.
var families = map[string]func(){
	"gemm": gemmFamily,
	"pack": func() { forISAs(packFunc, packCopyFunc, packTransFunc) },
	"rows": rowsFamily,
	"vec":  vecFamily,
	"bf16": bf16Funcs,
	"rand": randFamily,
}

func main() {
	family := flag.String("family", "", "kernel family to generate: "+strings.Join(familyNames(), ", "))
	flag.Parse()
	gen, ok := families[*family]
	if !ok {
		fmt.Fprintf(os.Stderr, "_asm: -family %q: want one of %s\n", *family, strings.Join(familyNames(), ", "))
		os.Exit(2)
	}
	ConstraintExpr("!purego")
	gen()
	Generate()
}

func familyNames() []string {
	var names []string
	for n := range families {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// forISAs emits each generator's kernels for AVX2, then for AVX-512.
func forISAs(gens ...func(isa)) {
	for _, v := range []isa{avx2, avx512} {
		for _, g := range gens {
			g(v)
		}
	}
}

// gemmFamily emits the SGEMM micro-kernels, each in a strided form
// (gemmKernel: small products read in place) and a packed form
// (gemmPackedKernel: the blocked path), and the FMA peak probes. Shapes are
// MR rows x NR columns of C, NR a whole number of vectors. The production
// shapes are AVX2 6x16 and AVX-512 12x32; the others are candidates for
// tuning (BenchmarkGemmTune) and 12x8 runs the four-pointer row addressing
// of the 12-row tiles on AVX2-only CPUs.
func gemmFamily() {
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
	fmaPeak("fmaPeakAVX2", avx2, 12)
	fmaPeak("fmaPeakAVX512", avx512, 24)
}

// rowsFamily emits the row kernels for each ISA, and dot4 for AVX2
// (small-M SGEMM; the AVX-512 level keeps dot, see gemm_smallm.go).
func rowsFamily() {
	forISAs(softmaxFuncs, crossEntropyFuncs, layerNormFuncs)
	dot4Func(avx2)
}

// vecFamily emits the element-wise kernels for each ISA.
func vecFamily() { forISAs(expFunc, geluFuncs, adamWFunc, binaryFuncs) }

// paramAddr is the stack address of a scalar parameter.
func paramAddr(name string) operand.Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}
