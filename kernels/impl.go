package kernels

import (
	"fmt"
	"os"
	"strings"
)

// Implementation levels. Every kernel has a pure-Go implementation (level
// "generic"); on amd64 without the purego build tag, faster ones written in
// assembly replace some of them where the CPU supports the instructions
// (levels "avx2": AVX2+FMA, "avx512": AVX-512 F/DQ/BW/VL, and "avx512bf16":
// avx512 plus bf16 dot products for SgemmBF16), and on arm64 the level "neon"
// (Advanced SIMD) does the same. The best level the CPU
// supports is chosen once at start-up; the environment variable
// DISTILGO_KERNELS=avx512bf16|avx512|avx2|generic forces one for a whole run,
// and Use switches levels (for tests and benchmarks).
const (
	LevelGeneric    = "generic"
	LevelAVX2       = "avx2"
	LevelAVX512     = "avx512"
	LevelAVX512BF16 = "avx512bf16"
	LevelNEON       = "neon" // arm64: Advanced SIMD (impl_arm64.go)
)

// EnvLevel is the environment variable that forces an implementation level.
// An unknown value, or a level the CPU lacks, stops the program at start-up
// with a panic that names the variable and the supported levels.
const EnvLevel = "DISTILGO_KERNELS"

// impl is one level's set of kernel implementations.
type impl struct {
	name string
	gemm *gemmConfig // nil: the pure-Go SGEMM
	ops  *simdOps    // nil: the pure-Go row and element-wise kernels
	bf16 *bf16Config // nil: SgemmBF16 emulated with the float32 SGEMM
}

// impls lists the levels this build and CPU support, best first; the
// amd64 init (impl_amd64.go) prepends the assembly levels.
var impls = []*impl{genericImpl}

var genericImpl = &impl{name: LevelGeneric}

var current *impl

func init() {
	registerArch() // impl_amd64.go or impl_other.go
	level := impls[0].name
	if env := strings.TrimSpace(os.Getenv(EnvLevel)); env != "" {
		level = env
	}
	if err := Use(level); err != nil {
		panic(fmt.Sprintf("kernels: $%s: %v", EnvLevel, err))
	}
}

// Levels lists the implementation levels that this build and CPU support,
// best first; the last is always "generic".
func Levels() []string {
	names := make([]string, len(impls))
	for i, l := range impls {
		names[i] = l.name
	}
	return names
}

// Level reports the implementation level in use.
func Level() string { return current.name }

// Use switches every kernel to the given implementation level. It fails if
// the level is unknown or not supported here (see Levels). It must not be
// called while kernels run on other goroutines.
func Use(level string) error {
	for _, l := range impls {
		if l.name == level {
			useGenericSlots()
			if l.gemm != nil {
				sgemmImpl = l.gemm.sgemm
				sgemmBatchedImpl = l.gemm.sgemmBatched
			}
			if l.ops != nil {
				useSIMDSlots(l.ops)
			}
			if l.bf16 != nil {
				sgemmBF16Impl, sgemmBF16BatchedImpl = l.bf16.sgemm, l.bf16.sgemmBatched
			}
			current = l
			return nil
		}
	}
	switch level {
	case LevelGeneric, LevelAVX2, LevelAVX512, LevelAVX512BF16, LevelNEON:
		return fmt.Errorf("kernels level %q not supported by this CPU or build (supported: %s)", level, strings.Join(Levels(), ", "))
	}
	return fmt.Errorf("unknown kernels level %q (want one of %s, %s, %s, %s, %s)", level, LevelAVX512BF16, LevelAVX512, LevelAVX2, LevelNEON, LevelGeneric)
}

// useGenericSlots installs the pure-Go implementation of every kernel.
func useGenericSlots() {
	simd = nil
	sgemmImpl = sgemmGenericParallel
	sgemmBatchedImpl = sgemmBatchedGeneric
	sgemmBF16Impl, sgemmBF16BatchedImpl = sgemmBF16Emulated, sgemmBF16BatchedEmulated
	softmaxRowsImpl = softmaxRowsGeneric
	softmaxRowsBackwardImpl = softmaxRowsBackwardGeneric
	layerNormImpl = layerNormGeneric
	layerNormBackwardImpl = layerNormBackwardGeneric
	geluImpl = geluGeneric
	geluBackwardImpl = geluBackwardGeneric
	crossEntropyImpl = crossEntropyGeneric
	adamWImpl = adamWGeneric
}
