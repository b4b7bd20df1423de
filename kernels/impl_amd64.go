//go:build !purego

package kernels

import "github.com/klauspost/cpuid/v2"

var (
	avx2Impl = &impl{
		name: LevelAVX2,
		gemm: &gemmConfig{name: "avx2 6x16", mr: 6, nr: 16, kc: 256, mc: 144, nc: 3072,
			kernel: gemmAVX2x6x16, packed: gemmPackedAVX2x6x16},
		ops: &simdOps{
			lanes: 8, exp: expAVX2,
			smScaleMax: smScaleMaxAVX2, smScaleMaskMax: smScaleMaskMaxAVX2, smExpSum: smExpSumAVX2,
			dot: dotAVX2, smBackward: smBackwardAVX2, smBackwardMask: smBackwardMaskAVX2, scale: scaleAVX2,
			max: maxAVX2, expSum: expSumAVX2, expScale: expScaleAVX2,
			gelu: geluAVX2, geluBackward: geluBackwardAVX2, adamW: adamWAVX2,
			axpy: axpyAVX2, add: addAVX2, mul: mulAVX2, mulAcc: mulAccAVX2,
		},
	}
	avx512Impl = &impl{
		name: LevelAVX512,
		gemm: &gemmConfig{name: "avx512 12x32", mr: 12, nr: 32, kc: 256, mc: 192, nc: 3072,
			kernel: gemmAVX512x12x32, packed: gemmPackedAVX512x12x32},
		ops: &simdOps{
			lanes: 16, exp: expAVX512,
			smScaleMax: smScaleMaxAVX512, smScaleMaskMax: smScaleMaskMaxAVX512, smExpSum: smExpSumAVX512,
			dot: dotAVX512, smBackward: smBackwardAVX512, smBackwardMask: smBackwardMaskAVX512, scale: scaleAVX512,
			max: maxAVX512, expSum: expSumAVX512, expScale: expScaleAVX512,
			gelu: geluAVX512, geluBackward: geluBackwardAVX512, adamW: adamWAVX512,
			axpy: axpyAVX512, add: addAVX512, mul: mulAVX512, mulAcc: mulAccAVX512,
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
}
