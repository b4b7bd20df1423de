//go:build !purego

package kernels

import "github.com/klauspost/cpuid/v2"

// The avx512bf16 level: the avx512 level plus SgemmBF16 on VDPBF16PS.
var (
	bf16AVX512Config = &bf16Config{name: "avx512bf16 12x32", mr: 12, nr: 32, kc: 768, mc: 480, nc: 1024, jrInner: true, nb: 256,
		kernel: gemmPackedBF16x12x32, cvtRow: cvtRowBF16AVX512, cvtPairs: cvtPairsBF16AVX512,
		words: &gemmConfig{packers: avx512Packers}, dot4: dotBF16x4AVX512, dot4w: dotBF16x4WordsAVX512,
		cvtPanel: cvtPairsPanelBF16AVX512, cvtPanels12: cvtPairsPanels12AVX512}

	avx512bf16Impl = &impl{name: LevelAVX512BF16, gemm: avx512Impl.gemm, ops: avx512Impl.ops, bf16: bf16AVX512Config}
)

// hasAVX512BF16 reports the avx512 level plus AVX512_BF16 (VDPBF16PS,
// VCVTNE2PS2BF16).
func hasAVX512BF16() bool {
	return hasAVX512() && cpuid.CPU.Supports(cpuid.AVX512BF16)
}

// bf16Variants lists the generated bf16 micro-kernels with a default
// blocking: the tests run each through the driver and BenchmarkBF16Tune
// compares them.
var bf16Variants = []*bf16Config{
	bf16AVX512Config,
	{name: "avx512bf16 14x32", mr: 14, nr: 32, kc: 512, mc: 392, nc: 2048, kernel: gemmPackedBF16x14x32,
		cvtRow: cvtRowBF16AVX512, cvtPairs: cvtPairsBF16AVX512, cvtPanel: cvtPairsPanelBF16AVX512, words: &gemmConfig{packers: avx512Packers}, jrInner: true},
	{name: "avx512bf16 8x48", mr: 8, nr: 48, kc: 512, mc: 384, nc: 2016, kernel: gemmPackedBF16x8x48,
		cvtRow: cvtRowBF16AVX512, cvtPairs: cvtPairsBF16AVX512, cvtPanel: cvtPairsPanelBF16AVX512, words: &gemmConfig{packers: avx512Packers}, jrInner: true},
}

// bf16PeakFunc returns the VDPBF16PS peak loop and the flops of one
// iteration (24 chains × 16 lanes × 2 products × 2 flops), or nil.
func bf16PeakFunc() (func(n int), int) {
	if !hasAVX512BF16() {
		return nil, 0
	}
	return bf16PeakAVX512, 24 * 16 * 4
}
