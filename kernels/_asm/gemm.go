package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// gemmKernel emits a register-tiled SGEMM micro-kernel computing the
// mr x (nv*lanes) tile
//
//	C[i*ldc+j] = alpha * sum_p A(i,p)*B(p,j) + beta*C[i*ldc+j]
//
// with A(i,p) = a[i*rsa + p*csa] and B(p,j) = b[p*rsb + j]. General A strides
// let the same kernel read a packed panel (rsa=1, csa=mr), a row-major A
// (rsa=lda, csa=1) or a transposed one (rsa=1, csa=lda) without packing; B
// rows must hold the tile's columns contiguously. beta == 0 (either sign)
// stores without reading C, as BLAS does.
//
// Rows are addressed in groups of three from one base pointer each
// (base, base+rs, base+2rs), as BLIS's Haswell kernels do, since x86
// addressing scales an index by 1, 2, 4 or 8 only.
func gemmKernel(name string, v isa, mr, nv int) {
	nr := nv * v.lanes
	TEXT(name, NOSPLIT, "func(k int, a *float32, rsa, csa int, b *float32, rsb int, c *float32, ldc int, alpha, beta float32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes a %dx%d tile of C = alpha*A*B + beta*C (%s); see gemm.go.", name, mr, nr, v.name))

	k := Load(Param("k"), GP64())
	rsa := Load(Param("rsa"), GP64())
	SHLQ(U8(2), rsa)
	csa := Load(Param("csa"), GP64())
	SHLQ(U8(2), csa)
	b := Load(Param("b"), GP64())
	rsb := Load(Param("rsb"), GP64())
	SHLQ(U8(2), rsb)

	groups := (mr + 2) / 3
	bases := make([]reg.GPVirtual, groups)
	bases[0] = GP64()
	Load(Param("a"), bases[0])
	if groups > 1 {
		rs3 := GP64()
		LEAQ(Mem{Base: rsa, Index: rsa, Scale: 2}, rs3)
		for g := 1; g < groups; g++ {
			bases[g] = GP64()
			LEAQ(Mem{Base: bases[g-1], Index: rs3, Scale: 1}, bases[g])
		}
	}
	rowAddr := func(i int) Mem {
		m := Mem{Base: bases[i/3]}
		if s := i % 3; s > 0 {
			m.Index, m.Scale = rsa, uint8(s)
		}
		return m
	}

	acc := make([][]reg.VecVirtual, mr)
	for i := range acc {
		acc[i] = make([]reg.VecVirtual, nv)
		for j := range acc[i] {
			acc[i][j] = v.vec()
			VXORPS(acc[i][j], acc[i][j], acc[i][j])
		}
	}

	c, ldc := gemmPrefetchC(mr, nr)

	step := func() {
		bv := make([]reg.VecVirtual, nv)
		for j := range bv {
			bv[j] = v.vec()
			VMOVUPS(Mem{Base: b, Disp: j * v.bytes()}, bv[j])
		}
		for i := 0; i < mr; i++ {
			t := v.vec()
			VBROADCASTSS(rowAddr(i), t)
			for j := 0; j < nv; j++ {
				VFMADD231PS(bv[j], t, acc[i][j])
			}
		}
		for _, p := range bases {
			ADDQ(csa, p)
		}
		ADDQ(rsb, b)
	}
	const unroll = 4
	Comment(fmt.Sprintf("Rank-1 updates of the tile, %d per iteration, then one at a time.", unroll))
	Label(name + "_loopU")
	CMPQ(k, U8(unroll))
	JL(LabelRef(name + "_tail"))
	for u := 0; u < unroll; u++ {
		step()
	}
	SUBQ(U8(unroll), k)
	JMP(LabelRef(name + "_loopU"))
	Label(name + "_tail")
	TESTQ(k, k)
	JZ(LabelRef(name + "_store"))
	step()
	DECQ(k)
	JMP(LabelRef(name + "_tail"))

	Label(name + "_store")
	gemmStore(name, v, acc, c, ldc)
}

// fmaPeak emits a loop of chains independent FMA dependency chains, run n
// times: the machine's fp32 FMA throughput without memory traffic. Each
// iteration does chains*lanes*2 flops.
func fmaPeak(name string, v isa, chains int) {
	TEXT(name, NOSPLIT, "func(n int)")
	Doc(fmt.Sprintf("%s runs n iterations of %d independent %s FMA chains (peak benchmark).", name, chains, v.name))
	n := Load(Param("n"), GP64())
	acc := make([]reg.VecVirtual, chains)
	for i := range acc {
		acc[i] = v.vec()
		VXORPS(acc[i], acc[i], acc[i])
	}
	x, y := v.vec(), v.vec()
	VXORPS(x, x, x)
	VXORPS(y, y, y)
	Label(name + "_loop")
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	for i := range acc {
		VFMADD231PS(x, y, acc[i])
	}
	DECQ(n)
	JMP(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// gemmPackedKernel emits the micro-kernel of the blocked path: the same tile
// as gemmKernel, from packed panels only (A(i,p) = a[p*mr+i], B(p,j) =
// b[p*nr+j]), so every address is an immediate offset and the K loop is
// unrolled by unroll with one pointer update per unrolled step.
func gemmPackedKernel(name string, v isa, mr, nv, unroll int) {
	nr := nv * v.lanes
	TEXT(name, NOSPLIT, "func(k int, a, b, c *float32, ldc int, alpha, beta float32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes a %dx%d tile of C = alpha*A*B + beta*C from packed panels (%s); see gemm_blocked.go.", name, mr, nr, v.name))

	k := Load(Param("k"), GP64())
	a := Load(Param("a"), GP64())
	b := Load(Param("b"), GP64())

	acc := make([][]reg.VecVirtual, mr)
	for i := range acc {
		acc[i] = make([]reg.VecVirtual, nv)
		for j := range acc[i] {
			acc[i][j] = v.vec()
			VXORPS(acc[i][j], acc[i][j], acc[i][j])
		}
	}
	step := func(u int) {
		bv := make([]reg.VecVirtual, nv)
		for j := range bv {
			bv[j] = v.vec()
			VMOVUPS(Mem{Base: b, Disp: 4 * (u*nr + j*v.lanes)}, bv[j])
		}
		for i := 0; i < mr; i++ {
			t := v.vec()
			VBROADCASTSS(Mem{Base: a, Disp: 4 * (u*mr + i)}, t)
			for j := 0; j < nv; j++ {
				VFMADD231PS(bv[j], t, acc[i][j])
			}
		}
	}

	c, ldc := gemmPrefetchC(mr, nr)

	Comment(fmt.Sprintf("K loop unrolled by %d.", unroll))
	Label(name + "_loopU")
	CMPQ(k, U8(unroll))
	JL(LabelRef(name + "_tail"))
	for u := 0; u < unroll; u++ {
		step(u)
	}
	ADDQ(U32(4*unroll*mr), a)
	ADDQ(U32(4*unroll*nr), b)
	SUBQ(U8(unroll), k)
	JMP(LabelRef(name + "_loopU"))

	Label(name + "_tail")
	TESTQ(k, k)
	JZ(LabelRef(name + "_store"))
	step(0)
	ADDQ(U32(4*mr), a)
	ADDQ(U32(4*nr), b)
	DECQ(k)
	JMP(LabelRef(name + "_tail"))

	Label(name + "_store")
	gemmStore(name, v, acc, c, ldc)
}

// gemmPrefetchC loads the C pointer and stride (in bytes) and prefetches the
// tile's rows, so that the misses on C overlap the K loop instead of stalling
// the stores at its end (C is usually far bigger than the caches).
func gemmPrefetchC(mr, nr int) (c, ldc reg.GPVirtual) {
	c = GP64()
	Load(Param("c"), c)
	ldc = GP64()
	Load(Param("ldc"), ldc)
	SHLQ(U8(2), ldc)
	p := GP64()
	MOVQ(c, p)
	for i := 0; i < mr; i++ {
		for off := 0; off < 4*nr; off += 64 {
			PREFETCHT0(Mem{Base: p, Disp: off})
		}
		PREFETCHT0(Mem{Base: p, Disp: 4*nr - 4})
		if i < mr-1 {
			ADDQ(ldc, p)
		}
	}
	return c, ldc
}

// gemmStore writes the accumulators: C = alpha*acc + beta*C, or alpha*acc
// without reading C when beta is ±0.
func gemmStore(name string, v isa, acc [][]reg.VecVirtual, c, ldc reg.GPVirtual) {
	mr := len(acc)
	alpha := v.vec()
	VBROADCASTSS(paramAddr("alpha"), alpha)
	for i := range acc {
		for j := range acc[i] {
			VMULPS(alpha, acc[i][j], acc[i][j])
		}
	}
	betaBits := GP32()
	MOVL(paramAddr("beta"), betaBits)
	SHLL(U8(1), betaBits) // drop the sign: -0 counts as zero
	JZ(LabelRef(name + "_beta0"))

	beta := v.vec()
	VBROADCASTSS(paramAddr("beta"), beta)
	for i := range acc {
		for j := range acc[i] {
			m := Mem{Base: c, Disp: j * v.bytes()}
			VFMADD231PS(m, beta, acc[i][j])
			VMOVUPS(acc[i][j], m)
		}
		if i < mr-1 {
			ADDQ(ldc, c)
		}
	}
	VZEROUPPER()
	RET()

	Label(name + "_beta0")
	for i := range acc {
		for j := range acc[i] {
			VMOVUPS(acc[i][j], Mem{Base: c, Disp: j * v.bytes()})
		}
		if i < mr-1 {
			ADDQ(ldc, c)
		}
	}
	VZEROUPPER()
	RET()
}
