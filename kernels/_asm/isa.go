package main

import (
	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/reg"
)

// isa describes a vector instruction set for the generators: the same
// generator code emits AVX2 (ymm) and AVX-512 (zmm) variants, so the logic
// tested on one level is the logic of the other.
type isa struct {
	name  string
	lanes int // float32 lanes per vector
	vec   func() reg.VecVirtual
}

// bytes is the vector width in bytes.
func (v isa) bytes() int { return 4 * v.lanes }

var (
	avx2   = isa{name: "AVX2", lanes: 8, vec: YMM}
	avx512 = isa{name: "AVX512", lanes: 16, vec: ZMM}
)
