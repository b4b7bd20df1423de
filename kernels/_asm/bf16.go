package main

// The AVX512-BF16 level: a bf16 dot-product GEMM micro-kernel, the fp32→bf16
// converting packers and the VDPBF16PS peak loop.
//
// Neither the Go assembler nor avo knows VDPBF16PS or VCVTNE2PS2BF16, so
// they are emitted as bytes by evex512 below, each preceded by a comment
// holding the instruction in GNU (AT&T) syntax; TestBF16Encodings in package
// kernels assembles every such comment with GNU as and compares the bytes.
// Because the bytes name registers, these functions use physical registers
// only (no avo allocation), with fixed roles documented per function.

import (
	"fmt"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// zmmNum is the number (0-31) of a physical ZMM register.
func zmmNum(z reg.Physical) int {
	n := int(z.PhysicalIndex())
	if z.Kind() != reg.KindVector || z.Size() != 64 || n > 31 {
		panic(fmt.Sprintf("bf16: %s is not a zmm register", z.Asm()))
	}
	return n
}

// evex512 encodes an EVEX.512.pp.0F38.W0 instruction with three zmm
// operands and no masking: dst in ModRM.reg, src1 in EVEX.vvvv, src2 in
// ModRM.rm (Intel operand order "op dst, src1, src2").
func evex512(pp, opcode byte, dst, src1, src2 int) []byte {
	inv := func(x, bit int) byte { return byte(^(x >> bit) & 1) }
	p0 := inv(dst, 3)<<7 | inv(src2, 4)<<6 | inv(src2, 3)<<5 | inv(dst, 4)<<4 | 0b10 // map 0F38
	p1 := byte(0)<<7 | byte(^src1&15)<<3 | 1<<2 | pp                                 // W0
	p2 := byte(0b10)<<5 | inv(src1, 4)<<3                                            // L'L = 512, no mask
	modrm := 0xC0 | byte(dst&7)<<3 | byte(src2&7)
	return []byte{0x62, p0, p1, p2, opcode, modrm}
}

// rawInstruction emits bytes as one assembler line, after the comment gnu
// (the instruction in GNU syntax, checked by TestBF16Encodings).
func rawInstruction(gnu string, b []byte) {
	Comment(gnu)
	parts := make([]string, len(b))
	for i, x := range b {
		parts[i] = fmt.Sprintf("BYTE $0x%02x", x)
	}
	Instruction(&ir.Instruction{Opcode: strings.Join(parts, "; ")})
}

// vdpbf16ps emits VDPBF16PS src2, src1, acc (Go operand order):
// acc[i] += src1.bf16[2i]*src2.bf16[2i] + src1.bf16[2i+1]*src2.bf16[2i+1]
// over the 16 fp32 lanes.
func vdpbf16ps(src2, src1, acc reg.Physical) {
	rawInstruction(fmt.Sprintf("vdpbf16ps %%%s, %%%s, %%%s", gnuReg(src2), gnuReg(src1), gnuReg(acc)),
		evex512(0b10, 0x52, zmmNum(acc), zmmNum(src1), zmmNum(src2))) // F3 prefix
}

// vcvtne2ps2bf16 emits VCVTNE2PS2BF16 lo, hi, dst (Go operand order): the
// 16 floats of lo rounded to bf16 (nearest even) fill the low 16 words of dst
// and those of hi the high 16.
func vcvtne2ps2bf16(lo, hi, dst reg.Physical) {
	rawInstruction(fmt.Sprintf("vcvtne2ps2bf16 %%%s, %%%s, %%%s", gnuReg(lo), gnuReg(hi), gnuReg(dst)),
		evex512(0b11, 0x72, zmmNum(dst), zmmNum(hi), zmmNum(lo))) // F2 prefix
}

func gnuReg(z reg.Physical) string { return fmt.Sprintf("zmm%d", zmmNum(z)) }

var zmm = []reg.VecPhysical{
	reg.Z0, reg.Z1, reg.Z2, reg.Z3, reg.Z4, reg.Z5, reg.Z6, reg.Z7,
	reg.Z8, reg.Z9, reg.Z10, reg.Z11, reg.Z12, reg.Z13, reg.Z14, reg.Z15,
	reg.Z16, reg.Z17, reg.Z18, reg.Z19, reg.Z20, reg.Z21, reg.Z22, reg.Z23,
	reg.Z24, reg.Z25, reg.Z26, reg.Z27, reg.Z28, reg.Z29, reg.Z30, reg.Z31,
}

// bf16Peak emits a loop of chains independent VDPBF16PS chains run n times:
// each iteration does chains*16*4 flops (two products and two sums per lane).
func bf16Peak(name string, chains int) {
	TEXT(name, NOSPLIT, "func(n int)")
	Doc(fmt.Sprintf("%s runs n iterations of %d independent VDPBF16PS chains (peak benchmark).", name, chains))
	n := reg.RCX
	Load(Param("n"), n)
	for i := 0; i < chains; i++ {
		VXORPS(zmm[i], zmm[i], zmm[i])
	}
	x, y := reg.Z30, reg.Z31
	VXORPS(x, x, x)
	VXORPS(y, y, y)
	Label(name + "_loop")
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	for i := 0; i < chains; i++ {
		vdpbf16ps(x, y, zmm[i])
	}
	DECQ(n)
	JMP(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// gemmPackedBF16 emits the bf16 micro-kernel: for i < mr, j < nr = 16*nv,
//
//	c[i*ldc+j] = alpha * sum_{q<kp} dot2(a[q*mr+i], b[q*nr+j]) + beta*c[i*ldc+j]
//
// where every element of a and b is a 32-bit word holding the bf16 pair
// (k = 2q, 2q+1) and dot2 is their two-term dot product in fp32 (VDPBF16PS).
// beta == ±0 stores without reading C.
//
// Registers: CX kp, SI a, DI b, DX c, R8 ldc (bytes), R9 C prefetch pointer;
// Z0..Z(mr*nv-1) accumulators, the next nv the B words, then the broadcast
// A words (rotating). mr*nv + nv + 2 <= 32.
func gemmPackedBF16(name string, mr, nv, unroll int) {
	nr := 16 * nv
	if mr*nv+nv+2 > 32 {
		panic("gemmPackedBF16: too many registers")
	}
	TEXT(name, NOSPLIT, "func(kp int, a, b *uint32, c *float32, ldc int, alpha, beta float32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes a %dx%d fp32 tile of C = alpha*A*B + beta*C from bf16-pair panels (VDPBF16PS); see gemm_bf16.go.", name, mr, nr))
	kp, a, b, c, ldc, p := reg.RCX, reg.RSI, reg.RDI, reg.RDX, reg.R8, reg.R9
	Load(Param("kp"), kp)
	Load(Param("a"), a)
	Load(Param("b"), b)
	Load(Param("c"), c)
	Load(Param("ldc"), ldc)
	SHLQ(U8(2), ldc)

	acc := make([][]reg.VecPhysical, mr)
	for i := range acc {
		acc[i] = zmm[i*nv : i*nv+nv]
		for _, z := range acc[i] {
			VXORPS(z, z, z)
		}
	}
	bv := zmm[mr*nv : mr*nv+nv]
	bc := zmm[mr*nv+nv:]

	// Prefetch the tile of C (see gemmPrefetchC).
	MOVQ(c, p)
	for i := 0; i < mr; i++ {
		for off := 0; off < 4*nr; off += 64 {
			PREFETCHT0(Mem{Base: p, Disp: off})
		}
		if i < mr-1 {
			ADDQ(ldc, p)
		}
	}

	nb := 0
	step := func(u int) {
		for j, z := range bv {
			VMOVUPS(Mem{Base: b, Disp: 4 * (u*nr + 16*j)}, z)
		}
		for i := 0; i < mr; i++ {
			t := bc[nb%len(bc)]
			nb++
			VBROADCASTSS(Mem{Base: a, Disp: 4 * (u*mr + i)}, t)
			for j := 0; j < nv; j++ {
				vdpbf16ps(t, bv[j], acc[i][j])
			}
		}
	}
	Comment(fmt.Sprintf("K loop over bf16 pairs, unrolled by %d.", unroll))
	Label(name + "_loopU")
	CMPQ(kp, U8(unroll))
	JL(LabelRef(name + "_tail"))
	for u := 0; u < unroll; u++ {
		step(u)
	}
	ADDQ(U32(4*unroll*mr), a)
	ADDQ(U32(4*unroll*nr), b)
	SUBQ(U8(unroll), kp)
	JMP(LabelRef(name + "_loopU"))
	Label(name + "_tail")
	TESTQ(kp, kp)
	JZ(LabelRef(name + "_store"))
	step(0)
	ADDQ(U32(4*mr), a)
	ADDQ(U32(4*nr), b)
	DECQ(kp)
	JMP(LabelRef(name + "_tail"))

	Label(name + "_store")
	alpha, beta := bv[0], bc[0]
	VBROADCASTSS(paramAddr("alpha"), alpha)
	for i := range acc {
		for _, z := range acc[i] {
			VMULPS(alpha, z, z)
		}
	}
	betaBits := reg.EAX
	MOVL(paramAddr("beta"), betaBits)
	SHLL(U8(1), betaBits) // drop the sign: -0 counts as zero
	JZ(LabelRef(name + "_beta0"))
	VBROADCASTSS(paramAddr("beta"), beta)
	for i := range acc {
		for j, z := range acc[i] {
			m := Mem{Base: c, Disp: 64 * j}
			VFMADD231PS(m, beta, z)
			VMOVUPS(z, m)
		}
		if i < mr-1 {
			ADDQ(ldc, c)
		}
	}
	VZEROUPPER()
	RET()
	Label(name + "_beta0")
	for i := range acc {
		for j, z := range acc[i] {
			VMOVUPS(z, Mem{Base: c, Disp: 64 * j})
		}
		if i < mr-1 {
			ADDQ(ldc, c)
		}
	}
	VZEROUPPER()
	RET()
}

// lowMask sets k to the low min(max(n, 0), 16) bits (n in a GP register,
// clobbered; AX and CX clobbered too).
func lowMask(n reg.Physical, k reg.Physical, label string) {
	CMPQ(n, U8(16))
	JLE(LabelRef(label + "_le"))
	MOVQ(U32(16), n)
	Label(label + "_le")
	TESTQ(n, n)
	JGE(LabelRef(label + "_ge"))
	XORQ(n, n)
	Label(label + "_ge")
	MOVQ(n, reg.RCX)
	MOVL(U32(1), reg.EAX)
	SHLQ(reg.CL, reg.RAX)
	DECQ(reg.RAX)
	KMOVW(reg.EAX, k)
}

// cvtRowBF16 emits the conversion of a row of n floats into n bf16 values
// (round to nearest even), written as ceil(n/2) 32-bit words: an odd n gets a
// zero bf16 after the last value. Each word is the pair (k = 2q, 2q+1) of a
// row of A or a column of Bᵀ: the packers transpose these words into panels.
//
// Registers: DI dst, SI src, DX floats left, R8/R9 scratch, K1/K2 load masks,
// K3 store mask, Z0/Z1 floats, Z2 bf16.
func cvtRowBF16() {
	name := "cvtRowBF16AVX512"
	TEXT(name, NOSPLIT, "func(dst *uint32, src *float32, n int)")
	Pragma("noescape")
	Doc(name + " converts n floats to bf16 (round to nearest even) as ceil(n/2) words, the last bf16 zero for odd n.")
	dst, src, n := reg.RDI, reg.RSI, reg.RDX
	Load(Param("dst"), dst)
	Load(Param("src"), src)
	Load(Param("n"), n)
	Label(name + "_loop")
	CMPQ(n, U8(32))
	JL(LabelRef(name + "_tail"))
	VMOVUPS(Mem{Base: src}, reg.Z0)
	VMOVUPS(Mem{Base: src, Disp: 64}, reg.Z1)
	vcvtne2ps2bf16(reg.Z0, reg.Z1, reg.Z2)
	VMOVUPS(reg.Z2, Mem{Base: dst})
	ADDQ(U8(128), src)
	ADDQ(U8(64), dst)
	SUBQ(U8(32), n)
	JMP(LabelRef(name + "_loop"))

	Label(name + "_tail")
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	MOVQ(n, reg.R8)
	lowMask(reg.R8, reg.K1, name+"_m1")
	MOVQ(n, reg.R8)
	SUBQ(U8(16), reg.R8)
	lowMask(reg.R8, reg.K2, name+"_m2")
	MOVQ(n, reg.R8)
	INCQ(reg.R8)
	SHRQ(U8(1), reg.R8) // words
	lowMask(reg.R8, reg.K3, name+"_m3")
	VMOVUPS_Z(Mem{Base: src}, reg.K1, reg.Z0)
	VMOVUPS_Z(Mem{Base: src, Disp: 64}, reg.K2, reg.Z1)
	vcvtne2ps2bf16(reg.Z0, reg.Z1, reg.Z2)
	VMOVDQU32(reg.Z2, reg.K3, Mem{Base: dst})
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// pairIndex is the VPERMW table interleaving the low and high 16 words of a
// vector: word 2j = word j, word 2j+1 = word 16+j.
var pairIndex Mem

func pairIndexTable() Mem {
	if pairIndex.Symbol.Name == "" {
		pairIndex = GLOBL("bf16PairIndex", RODATA|NOPTR)
		for j := 0; j < 16; j++ {
			DATA(4*j, U16(uint16(j)))
			DATA(4*j+2, U16(uint16(16+j)))
		}
	}
	return pairIndex
}

// cvtPairsBF16 emits the interleaving conversion of two rows of floats into
// bf16 pairs: for j < w,
//
//	dst[j] = bf16(s0[j]) | bf16(s1[j])<<16  for j < valid,  0 for valid <= j < w
//
// the words of rows k = 2q and 2q+1 of B (or of Aᵀ) at once. No element at
// or past valid is read.
//
// Registers: DI dst, SI s0, BX s1, DX valid left, R10 w left, R8 scratch,
// K1 load mask, K3 store mask, Z0/Z1 floats, Z2 bf16, Z3 pairs, Z4 table.
func cvtPairsBF16() {
	name := "cvtPairsBF16AVX512"
	TEXT(name, NOSPLIT, "func(dst *uint32, s0, s1 *float32, valid, w int)")
	Pragma("noescape")
	Doc(name + " sets dst[j] to the bf16 pair (s0[j], s1[j]) for j < valid and 0 up to w.")
	dst, s0, s1, valid, w := reg.RDI, reg.RSI, reg.RBX, reg.RDX, reg.R10
	Load(Param("dst"), dst)
	Load(Param("s0"), s0)
	Load(Param("s1"), s1)
	Load(Param("valid"), valid)
	Load(Param("w"), w)
	tab := pairIndexTable()
	VMOVDQU16(tab, reg.Z4)
	Label(name + "_loop")
	TESTQ(w, w)
	JLE(LabelRef(name + "_done"))
	MOVQ(valid, reg.R8)
	lowMask(reg.R8, reg.K1, name+"_m1")
	MOVQ(w, reg.R8)
	lowMask(reg.R8, reg.K3, name+"_m3")
	VMOVUPS_Z(Mem{Base: s0}, reg.K1, reg.Z0)
	VMOVUPS_Z(Mem{Base: s1}, reg.K1, reg.Z1)
	vcvtne2ps2bf16(reg.Z0, reg.Z1, reg.Z2)
	VPERMW(reg.Z2, reg.Z4, reg.Z3)
	VMOVDQU32(reg.Z3, reg.K3, Mem{Base: dst})
	ADDQ(U8(64), s0)
	ADDQ(U8(64), s1)
	ADDQ(U8(64), dst)
	SUBQ(U8(16), valid)
	SUBQ(U8(16), w)
	JMP(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// dotBF16x4 emits the dot products of four rows of A, already bf16 words
// (cvtRowBF16), with one row of B in floats, rounded to bf16 as it streams
// (VCVTNE2PS2BF16): out[r] = sum_{p<n} bf16(a_r[p]) * bf16(b[p]), n a
// multiple of 32. Small products (a few rows of C against a transposed
// weight: inference) are memory bound, so B is read once and never packed.
// With wordsB, b is a row already converted by cvtRowBF16 (a weight kept in
// bf16: half the bytes to stream), whose words are the ones VCVTNE2PS2BF16
// makes here, so the sums are the same bits.
//
// Registers: DI/SI/DX/BX a0..a3, R8 b, R9 n left, R10 out; Z0-Z3 sums,
// Z4 words of B, Z5/Z6 floats of B, Z7-Z10 words of A, Y/X11 reduction.
func dotBF16x4(name string, wordsB bool) {
	if wordsB {
		TEXT(name, NOSPLIT, "func(a0, a1, a2, a3 *uint32, b *uint32, n int, out *[4]float32)")
		Pragma("noescape")
		Doc(name + " sets out[r] to the bf16 dot product of row r of A (words) with b (words) over n = 32·j values.")
	} else {
		TEXT(name, NOSPLIT, "func(a0, a1, a2, a3 *uint32, b *float32, n int, out *[4]float32)")
		Pragma("noescape")
		Doc(name + " sets out[r] to the bf16 dot product of row r of A (words) with b (floats, rounded as read) over n = 32·j floats.")
	}
	rows := []reg.Physical{reg.RDI, reg.RSI, reg.RDX, reg.RBX}
	for r, p := range rows {
		Load(Param(fmt.Sprintf("a%d", r)), p)
	}
	b, n, out := reg.R8, reg.R9, reg.R10
	Load(Param("b"), b)
	Load(Param("n"), n)
	Load(Param("out"), out)
	for r := 0; r < 4; r++ {
		VXORPS(zmm[r], zmm[r], zmm[r])
	}
	Label(name + "_loop")
	CMPQ(n, U8(32))
	JL(LabelRef(name + "_done"))
	if wordsB {
		VMOVUPS(Mem{Base: b}, reg.Z4)
	} else {
		VMOVUPS(Mem{Base: b}, reg.Z5)
		VMOVUPS(Mem{Base: b, Disp: 64}, reg.Z6)
		vcvtne2ps2bf16(reg.Z5, reg.Z6, reg.Z4)
	}
	for r, p := range rows {
		VMOVUPS(Mem{Base: p}, zmm[7+r])
		vdpbf16ps(zmm[7+r], reg.Z4, zmm[r])
		ADDQ(U8(64), p)
	}
	if wordsB {
		ADDQ(U8(64), b)
	} else {
		ADDQ(U8(128), b)
	}
	SUBQ(U8(32), n)
	JMP(LabelRef(name + "_loop"))
	Label(name + "_done")
	for r := 0; r < 4; r++ {
		VEXTRACTF64X4(U8(1), zmm[r], reg.Y11)
		y := reg.VecPhysical(zmm[r]).AsY()
		x := reg.VecPhysical(zmm[r]).AsX()
		VADDPS(reg.Y11, y, y)
		VEXTRACTF128(U8(1), y, reg.X11)
		VADDPS(reg.X11, x, x)
		VHADDPS(x, x, x)
		VHADDPS(x, x, x)
		VMOVSS(x, Mem{Base: out, Disp: 4 * r})
	}
	VZEROUPPER()
	RET()
}

// cvtPairsPanel emits cvtPairsBF16 over a whole panel: for q < kp and j < w
// (w <= 48),
//
//	dst[q*w + j] = bf16(src[2q*ld + j]) | bf16(src[(2q+1)*ld + j])<<16  for j < valid, else 0
//
// one call per panel instead of one per pair of rows. The rows panelAhead
// pairs on are prefetched (three lines each, 48 floats): a panel walks kc
// rows of a row-major B at a large stride (3–12 KB at the training shapes,
// a page or more per row), which the hardware prefetchers do not follow,
// so without it the TN weight gradients with M = 768 spent 8–12% of their
// time waiting for B here (BENCHMARKS.md, issue 18 h18tn). Prefetches past
// the matrix do not fault.
//
// Registers: DI dst, SI row 2q, R11 row 2q+1, BX ld (bytes), DX pairs left,
// R10 w (bytes), R9 prefetch distance (bytes), R8 scratch, K1-K3 load masks, K4-K6 store masks, Z0/Z1
// floats, Z2 bf16, Z3 pairs, Z4 table.
func cvtPairsPanel() {
	const panelAhead = 8
	name := "cvtPairsPanelBF16AVX512"
	TEXT(name, NOSPLIT, "func(dst *uint32, src *float32, ld, kp, valid, w int)")
	Pragma("noescape")
	Doc(name + " converts kp pairs of rows (stride ld) into a panel of w <= 48 words per pair, zero past valid.")
	dst, src, ld, kp, s1, wb := reg.RDI, reg.RSI, reg.RBX, reg.RDX, reg.R11, reg.R10
	Load(Param("dst"), dst)
	Load(Param("src"), src)
	Load(Param("ld"), ld)
	SHLQ(U8(2), ld)
	Load(Param("kp"), kp)
	loadMasks := []reg.Physical{reg.K1, reg.K2, reg.K3}
	storeMasks := []reg.Physical{reg.K4, reg.K5, reg.K6}
	for v := 0; v < 3; v++ {
		Load(Param("valid"), reg.R8)
		SUBQ(U8(16*v), reg.R8)
		lowMask(reg.R8, loadMasks[v], fmt.Sprintf("%s_l%d", name, v))
		Load(Param("w"), reg.R8)
		SUBQ(U8(16*v), reg.R8)
		lowMask(reg.R8, storeMasks[v], fmt.Sprintf("%s_s%d", name, v))
	}
	Load(Param("w"), wb)
	SHLQ(U8(2), wb)
	VMOVDQU16(pairIndexTable(), reg.Z4)
	ahead := reg.R9 // bytes from row 2q to row 2(q+panelAhead)
	IMUL3Q(U32(2*panelAhead), ld, ahead)
	Label(name + "_loop")
	TESTQ(kp, kp)
	JLE(LabelRef(name + "_done"))
	LEAQ(Mem{Base: src, Index: ld, Scale: 1}, s1)
	for _, r := range []reg.Physical{src, s1} {
		for v := 0; v < 3; v++ {
			PREFETCHT0(Mem{Base: r, Index: ahead, Scale: 1, Disp: 64 * v})
		}
	}
	for v := 0; v < 3; v++ {
		VMOVUPS_Z(Mem{Base: src, Disp: 64 * v}, loadMasks[v], reg.Z0)
		VMOVUPS_Z(Mem{Base: s1, Disp: 64 * v}, loadMasks[v], reg.Z1)
		vcvtne2ps2bf16(reg.Z0, reg.Z1, reg.Z2)
		VPERMW(reg.Z2, reg.Z4, reg.Z3)
		VMOVDQU32(reg.Z3, storeMasks[v], Mem{Base: dst, Disp: 64 * v})
	}
	LEAQ(Mem{Base: s1, Index: ld, Scale: 1}, src)
	ADDQ(wb, dst)
	DECQ(kp)
	JMP(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// cvtPairsPanels12 emits the conversion of a pair of rows of floats straight
// into consecutive 12-word panels (the A panels of the 12-row micro-kernel,
// for a transposed A whose pairs span two rows): for j < n,
//
//	dst[(j/12)*pstride + j%12] = bf16(s0[j]) | bf16(s1[j])<<16
//
// and zero words up to the end of the last panel, ceil(n/12)-1. Nothing of a
// later panel is written, and nothing at or past s0[n], s1[n] is read. One
// call per pair of rows of a block: the rows stream, and 48 columns (three
// vectors) fill four panels, cut by VALIGND, with no intermediate buffer.
// The same columns ahead bytes on in both rows (a later pair of rows) are
// prefetched: a call reads a short run of each row (a part of the block's
// width, 1.5 KB at the weight gradients of the 768-wide projections) and
// the next call the run one or two rows on, a stream the hardware
// prefetchers take some rows to find again. Prefetches past the matrix do
// not fault.
//
// Registers: DI dst (panel group), SI s0, BX s1, DX n left, R10 pstride
// (bytes), R11 ahead (bytes), R12 3·pstride, R13 4·pstride, R8/R9 scratch (AX, CX by lowMask),
// K1-K3 load masks, K4 panel 0's store mask (12 words), K5-K7 panels 1-3's,
// Z0-Z5 floats, Z6-Z8 pairs, Z9-Z11 panels 1-3, Z15 table.
func cvtPairsPanels12() {
	name := "cvtPairsPanels12AVX512"
	TEXT(name, NOSPLIT, "func(dst *uint32, s0, s1 *float32, n, pstride, ahead int)")
	Pragma("noescape")
	Doc(name + " converts the pairs (s0[j], s1[j]), j < n, into 12-word panels pstride words apart, zero to the end of the last, prefetching ahead bytes on.")
	dst, s0, s1, n, ps, ahead := reg.RDI, reg.RSI, reg.RBX, reg.RDX, reg.R10, reg.R11
	ps3, ps4 := reg.R12, reg.R13
	Load(Param("dst"), dst)
	Load(Param("s0"), s0)
	Load(Param("s1"), s1)
	Load(Param("n"), n)
	Load(Param("ahead"), ahead)
	Load(Param("pstride"), ps)
	SHLQ(U8(2), ps)
	LEAQ(Mem{Base: ps, Index: ps, Scale: 2}, ps3)
	MOVQ(ps, ps4)
	SHLQ(U8(2), ps4)
	VMOVDQU16(pairIndexTable(), reg.Z15)
	MOVL(U32(0xfff), reg.R8L)
	KMOVW(reg.R8L, reg.K4)
	KMOVW(reg.R8L, reg.K5)
	KMOVW(reg.R8L, reg.K6)
	KMOVW(reg.R8L, reg.K7)
	loads := [2][3]reg.VecPhysical{{reg.Z0, reg.Z1, reg.Z2}, {reg.Z3, reg.Z4, reg.Z5}}
	pairs := []reg.VecPhysical{reg.Z6, reg.Z7, reg.Z8}
	panels := []reg.VecPhysical{reg.Z9, reg.Z10, reg.Z11}
	group := func(masked bool) {
		if !masked {
			for _, src := range []reg.Physical{s0, s1} {
				for v := 0; v < 3; v++ {
					PREFETCHT0(Mem{Base: src, Index: ahead, Scale: 1, Disp: 64 * v})
				}
			}
		}
		for r, src := range []reg.Physical{s0, s1} {
			for v, z := range loads[r] {
				m := Mem{Base: src, Disp: 64 * v}
				if masked {
					VMOVUPS_Z(m, []reg.Physical{reg.K1, reg.K2, reg.K3}[v], z)
				} else {
					VMOVUPS(m, z)
				}
			}
		}
		for v, z := range pairs {
			vcvtne2ps2bf16(loads[0][v], loads[1][v], z)
			VPERMW(z, reg.Z15, z)
		}
		// Panel p holds columns 12p..12p+11: words 12p mod 16.. of pair
		// vector 12p/16 and the next.
		VALIGND(U8(12), pairs[0], pairs[1], panels[0])
		VALIGND(U8(8), pairs[1], pairs[2], panels[1])
		VALIGND(U8(4), pairs[2], pairs[2], panels[2])
		VMOVDQU32(pairs[0], reg.K4, Mem{Base: dst})
		VMOVDQU32(panels[0], reg.K5, Mem{Base: dst, Index: ps, Scale: 1})
		VMOVDQU32(panels[1], reg.K6, Mem{Base: dst, Index: ps, Scale: 2})
		VMOVDQU32(panels[2], reg.K7, Mem{Base: dst, Index: ps3, Scale: 1})
	}
	Label(name + "_loop")
	CMPQ(n, U8(48))
	JL(LabelRef(name + "_tail"))
	group(false)
	ADDQ(U8(192), s0)
	ADDQ(U8(192), s1)
	ADDQ(ps4, dst)
	SUBQ(U8(48), n)
	JMP(LabelRef(name + "_loop"))

	Label(name + "_tail")
	TESTQ(n, n)
	JLE(LabelRef(name + "_done"))
	for v, k := range []reg.Physical{reg.K1, reg.K2, reg.K3} {
		MOVQ(n, reg.R8)
		if v > 0 {
			SUBQ(U8(16*v), reg.R8)
		}
		lowMask(reg.R8, k, fmt.Sprintf("%s_l%d", name, v))
	}
	// Panel p (1-3) is stored only if it holds a column: n > 12p.
	XORL(reg.R9L, reg.R9L)
	for p, k := range []reg.Physical{reg.K5, reg.K6, reg.K7} {
		MOVL(U32(0xfff), reg.R8L)
		CMPQ(n, U8(12*(p+1)))
		CMOVLLE(reg.R9L, reg.R8L)
		KMOVW(reg.R8L, k)
	}
	group(true)
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// bf16Funcs emits the AVX512-BF16 level.
func bf16Funcs() {
	gemmPackedBF16("gemmPackedBF16x12x32", 12, 2, 4)
	gemmPackedBF16("gemmPackedBF16x14x32", 14, 2, 4)
	gemmPackedBF16("gemmPackedBF16x8x48", 8, 3, 4)
	cvtRowBF16()
	cvtPairsBF16()
	cvtPairsPanel()
	cvtPairsPanels12()
	dotBF16x4("dotBF16x4AVX512", false)
	dotBF16x4("dotBF16x4WordsAVX512", true)
	bf16Peak("bf16PeakAVX512", 24)
}
