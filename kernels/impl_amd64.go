//go:build !purego

package kernels

import "github.com/klauspost/cpuid/v2"

var (
	avx2Packers   = &gemmPackers{lanes: 8, gather: packAVX2, copy: packCopyAVX2, trans: packTransAVX2}
	avx512Packers = &gemmPackers{lanes: 16, gather: packAVX512, copy: packCopyAVX512, trans: packTransAVX512}

	avx2Impl = &impl{
		name: LevelAVX2,
		gemm: &gemmConfig{name: "avx2 6x16", mr: 6, nr: 16, kc: 256, mc: 144, nc: 3072,
			kernel: gemmAVX2x6x16, packed: gemmPackedAVX2x6x16, packers: avx2Packers},
		ops: &simdOps{
			lanes: 8, exp: expAVX2,
			smScaleMax: smScaleMaxAVX2, smScaleMaskMax: smScaleMaskMaxAVX2, smExpSum: smExpSumAVX2,
			dot: dotAVX2, dot4: dot4AVX2, smBackward: smBackwardAVX2, smBackwardMask: smBackwardMaskAVX2, scale: scaleAVX2,
			max: maxAVX2, expSum: expSumAVX2, expScale: expScaleAVX2,
			gelu: geluAVX2, geluBackward: geluBackwardAVX2, adamW: adamWAVX2,
			axpy: axpyAVX2, add: addAVX2, mul: mulAVX2, mulAcc: mulAccAVX2,
			sumF64: sumF64AVX2, sumSqDevF64: sumSqDevF64AVX2, lnApply: lnApplyAVX2,
			lnBackwardSums: lnBackwardSumsAVX2, lnBackwardDx: lnBackwardDxAVX2, lnBackwardPar: lnBackwardParamsAVX2,
			dropout: dropoutAVX2,
		},
	}
	avx512Impl = &impl{
		name: LevelAVX512,
		gemm: &gemmConfig{name: "avx512 12x32", mr: 12, nr: 32, kc: 384, mc: 480, nc: 1024, jrInner: true,
			kernel: gemmAVX512x12x32, packed: gemmPackedAVX512x12x32, packers: avx512Packers},
		ops: &simdOps{
			lanes: 16, exp: expAVX512,
			smScaleMax: smScaleMaxAVX512, smScaleMaskMax: smScaleMaskMaxAVX512, smExpSum: smExpSumAVX512,
			dot: dotAVX512, smBackward: smBackwardAVX512, smBackwardMask: smBackwardMaskAVX512, scale: scaleAVX512,
			max: maxAVX512, expSum: expSumAVX512, expScale: expScaleAVX512,
			gelu: geluAVX512, geluBackward: geluBackwardAVX512, adamW: adamWAVX512,
			axpy: axpyAVX512, add: addAVX512, mul: mulAVX512, mulAcc: mulAccAVX512,
			sumF64: sumF64AVX512, sumSqDevF64: sumSqDevF64AVX512, lnApply: lnApplyAVX512,
			lnBackwardSums: lnBackwardSumsAVX512, lnBackwardDx: lnBackwardDxAVX512, lnBackwardPar: lnBackwardParamsAVX512,
			dropout: dropoutAVX512,
		},
	}
)

// hasAVX2 and hasAVX512 report the instructions each level uses; cpuid
// checks that the OS saves the wider registers (XCR0) as well.
func hasAVX2() bool {
	return cpuid.CPU.Supports(cpuid.AVX, cpuid.AVX2, cpuid.FMA3)
}

func hasAVX512() bool {
	return hasAVX2() && cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512DQ, cpuid.AVX512BW, cpuid.AVX512VL)
}

// asmBuild reports whether this build has the assembly levels.
const asmBuild = true

func registerArch() {
	if hasAVX2() {
		impls = append([]*impl{avx2Impl}, impls...)
	}
	if hasAVX512() {
		impls = append([]*impl{avx512Impl}, impls...)
	}
	if hasAVX512BF16() { // bf16_amd64.go
		impls = append([]*impl{avx512bf16Impl}, impls...)
	}
}

// gemmVariants lists every generated micro-kernel with a default blocking,
// by level: the tests run each through the driver (so the tuning candidates
// stay correct) and BenchmarkGemmTune compares them.
var gemmVariants = map[string][]*gemmConfig{
	LevelAVX2: {
		avx2Impl.gemm,
		{name: "avx2 12x8", mr: 12, nr: 8, kc: 256, mc: 144, nc: 3072, kernel: gemmAVX2x12x8, packed: gemmPackedAVX2x12x8, packers: avx2Packers},
	},
	LevelAVX512: {
		avx512Impl.gemm,
		{name: "avx512 14x32", mr: 14, nr: 32, kc: 256, mc: 196, nc: 3072, kernel: gemmAVX512x14x32, packed: gemmPackedAVX512x14x32, packers: avx512Packers},
		{name: "avx512 8x48", mr: 8, nr: 48, kc: 256, mc: 192, nc: 3072, kernel: gemmAVX512x8x48, packed: gemmPackedAVX512x8x48, packers: avx512Packers},
		{name: "avx512 6x64", mr: 6, nr: 64, kc: 256, mc: 192, nc: 3072, kernel: gemmAVX512x6x64, packed: gemmPackedAVX512x6x64, packers: avx512Packers},
	},
}
