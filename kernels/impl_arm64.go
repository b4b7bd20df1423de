//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

// The arm64 levels: "neon" (Advanced SIMD, part of every ARMv8-A core that
// Go runs on; checked anyway), then "generic". The NEON level has an
// assembly SGEMM micro-kernel and element-wise row primitives
// (simd_go_arm64.go says which are assembly).
var neonImpl = &impl{
	name: LevelNEON,
	// 8×12: 24 accumulators in V8-V31. kc×nr B micro-panel (12 KB) in L1,
	// mc×kc A block (96 KB) in L2. No strided kernel: small products are
	// packed too (kernel nil).
	gemm: &gemmConfig{name: "neon 8x12", mr: 8, nr: 12, kc: 256, mc: 96, nc: 1020, packed: gemmNEON8x12},
	ops:  neonOps,
}

// asmBuild reports whether this build has the assembly levels.
const asmBuild = true

func registerArch() {
	if cpu.ARM64.HasASIMD {
		impls = append([]*impl{neonImpl}, impls...)
	}
}

// gemmVariants lists the micro-kernels by level for the tests (and
// sgemm_generic.go adds the generic candidates).
var gemmVariants = map[string][]*gemmConfig{
	LevelNEON: {neonImpl.gemm},
}

// No bf16 dot-product kernels on arm64 yet (BFMMLA/BFDOT would be the
// instructions): SgemmBF16 is emulated with the float32 SGEMM.
var bf16Variants []*bf16Config

func bf16PeakFunc() (func(n int), int) { return nil, 0 }
