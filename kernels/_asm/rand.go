package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// SplitMix64 constants (internal/rng): the stream increment and the two
// multipliers of its output mix.
const (
	smGolden = 0x9e3779b97f4a7c15
	smMul1   = 0xbf58476d1ce4e5b9
	smMul2   = 0x94d049bb133111eb
)

// randFamily emits the dropout mask kernels for each ISA.
func randFamily() { forISAs(dropoutFunc) }

// cstQ is a 64-byte table of one replicated uint64 (see cst).
func cstQ(name string, val uint64) Mem {
	if m, ok := consts[name]; ok {
		return m
	}
	m := GLOBL("c_"+name, RODATA|NOPTR)
	for i := 0; i < 8; i++ {
		DATA(8*i, U64(val))
	}
	consts[name] = m
	return m
}

// dropoutFunc emits dropout: n/2 consecutive SplitMix64 words, word k being
// Mix(z0 + k·golden) (z0 = key + (word+1)·golden, so that word k is
// rng.Word(key, word+k)), each giving two mask values: m[2k] from its high
// half, m[2k+1] from its low half, keep where the half is >= thr (unsigned)
// and 0 elsewhere. A vector of v.lanes floats holds v.lanes/2 words: the
// counters advance by (v.lanes/2)·golden per vector, the mix runs on 64-bit
// lanes, and swapping the two halves of each lane (VPSHUFD) puts the high
// half at the even (lower) address.
//
// AVX-512 multiplies with VPMULLQ (AVX512DQ); AVX2 has no 64-bit multiply,
// so mul64 builds it from three 32x32->64 VPMULUDQ, and compares unsigned
// with VPMAXUD + VPCMPEQD (w >= thr iff max(w, thr) == w).
func dropoutFunc(v isa) {
	words := v.lanes / 2
	name := text(v, "dropout", "func(m *float32, n int, z0 uint64, thr uint32, keep float32)",
		fmt.Sprintf("sets m[2k], m[2k+1] = keep or 0 from the high and low halves of SplitMix64 word Mix(z0 + k·golden) against thr (unsigned >=); %d words per vector", words))
	m, n := ptr("m"), ptr("n")
	z := v.vec()
	VPBROADCASTQ(paramAddr("z0"), z)
	iota := GLOBL(fmt.Sprintf("c_smIota%d", words), RODATA|NOPTR)
	for i := 0; i < 8; i++ {
		DATA(8*i, U64(uint64(i%words)*smGolden))
	}
	VPADDQ(iota, z, z) // lane k: z0 + k·golden
	step := v.vec()
	VPBROADCASTQ(cstQ(fmt.Sprintf("smStep%d", words), uint64(words)*smGolden), step)
	thr := v.vec()
	VBROADCASTSS(paramAddr("thr"), thr) // the 32 bits as they are (vet rejects VPBROADCASTD of a uint32 parameter)
	keep := v.vec()
	VBROADCASTSS(paramAddr("keep"), keep)

	var mul1, mul2 Op = cstQ("smMul1", smMul1), cstQ("smMul2", smMul2)
	if v.lanes == 16 {
		r1, r2 := v.vec(), v.vec()
		VPBROADCASTQ(cstQ("smMul1", smMul1), r1)
		VPBROADCASTQ(cstQ("smMul2", smMul2), r2)
		mul1, mul2 = r1, r2
	}
	xorInto := func(a, b, dst reg.VecVirtual) {
		if v.lanes == 16 {
			VPXORQ(a, b, dst) // EVEX: the operands may be Z16-Z31
		} else {
			VPXOR(a, b, dst)
		}
	}
	xorShift := func(x reg.VecVirtual, s int) {
		t := v.vec()
		VPSRLQ(U8(s), x, t)
		xorInto(t, x, x)
	}
	unroll := 4
	if v.lanes == 8 {
		unroll = 2
	}
	elementLoop(name, v, n, []reg.GPVirtual{m}, unroll, func(u, off int) {
		x, t := v.vec(), v.vec()
		VPSRLQ(U8(30), z, t)
		xorInto(t, z, x) // x = z ^ z>>30
		VPADDQ(step, z, z)
		mul64(v, x, mul1, smMul1)
		xorShift(x, 27)
		mul64(v, x, mul2, smMul2)
		xorShift(x, 31)
		VPSHUFD(U8(0xb1), x, x) // swap halves: high half at the even position
		out := v.vec()
		if v.lanes == 16 {
			k := K()
			VPCMPUD(U8(5), thr, x, k) // NLT: x >= thr
			VMOVAPS_Z(keep, k, out)
		} else {
			mx := v.vec()
			VPMAXUD(thr, x, mx)
			VPCMPEQD(mx, x, mx)
			VANDPS(keep, mx, out)
		}
		VMOVUPS(out, Mem{Base: m, Disp: off})
	})
	ret(v)
}

// mul64 sets x = x·c mod 2^64 lane-wise; cop holds c replicated (a register
// or a memory table). AVX2: x·c = lo(x)·lo(c) + ((hi(x)·lo(c) + lo(x)·hi(c)) << 32).
func mul64(v isa, x reg.VecVirtual, cop Op, c uint64) {
	if v.lanes == 16 {
		VPMULLQ(cop, x, x)
		return
	}
	chi := cstQ(fmt.Sprintf("smHi%x", c), c>>32)
	xh, p1, p2 := v.vec(), v.vec(), v.vec()
	VPSRLQ(U8(32), x, xh)
	VPMULUDQ(cop, xh, p1) // hi(x)·lo(c)
	VPMULUDQ(chi, x, p2)  // lo(x)·hi(c)
	VPADDQ(p2, p1, p1)
	VPSLLQ(U8(32), p1, p1)
	VPMULUDQ(cop, x, x) // lo(x)·lo(c)
	VPADDQ(p1, x, x)
}
