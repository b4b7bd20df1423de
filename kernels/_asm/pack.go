package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// iota64 is the table 0, 1, ..., 63 (int32): the lane numbers of up to four
// vectors.
var iota64 Mem

func iotaTable() Mem {
	if iota64.Symbol.Name == "" {
		iota64 = GLOBL("iota64", RODATA|NOPTR)
		for i := 0; i < 64; i++ {
			DATA(4*i, U32(uint32(i)))
		}
	}
	return iota64
}

// packFunc emits the SGEMM packing routine: for p < k,
//
//	dst[p*w + j] = src[p*sp + j*sj]  for j < valid,  0 for valid <= j < w
//
// which packs both a transposed panel (sp = 1, sj = ld) and a plain one
// (sp = ld, sj = 1), with masked gathers so that no element outside the
// panel is read. Each row is written as nvec = ceil(w/lanes) whole vectors
// (nvec <= 4), so up to lanes-1 floats past a row's end are written too:
// rows are written in increasing order (the next row overwrites them) and
// the caller leaves that much slack after the last one.
func packFunc(v isa) {
	name := text(v, "pack", "func(dst, src *float32, sp, sj, k, w, valid, nvec int)", "packs a k×w SGEMM panel with masked gathers")
	dst, src := ptr("dst"), ptr("src")
	sp := ptr("sp")
	SHLQ(U8(2), sp)
	w := ptr("w")
	SHLQ(U8(2), w)
	k := ptr("k")

	sjv, validv := v.vec(), v.vec()
	t := XMM()
	MOVQ(paramAddr("sj"), t)
	VPBROADCASTD(t, sjv)
	MOVQ(paramAddr("valid"), t)
	VPBROADCASTD(t, validv)
	tab := iotaTable()
	idx := make([]reg.VecVirtual, 4)
	var masks []mask
	for g := range idx {
		lane := v.vec()
		vmovdqu(Mem{Symbol: tab.Symbol, Base: tab.Base, Disp: 4 * g * v.lanes}, lane, v)
		idx[g] = v.vec()
		VPMULLD(sjv, lane, idx[g])
		if v.lanes == 16 {
			m := K()
			VPCMPD(U8(1), validv, lane, m) // lane < valid
			masks = append(masks, mask{k: m})
		} else {
			m := YMM()
			VPCMPGTD(lane, validv, m) // valid > lane
			masks = append(masks, mask{vec: m})
		}
	}
	nvec := ptr("nvec")
	for n := 1; n <= 4; n++ {
		CMPQ(nvec, U8(n))
		JE(LabelRef(fmt.Sprintf("%s_n%d", name, n)))
	}
	JMP(LabelRef(name + "_done"))
	for n := 1; n <= 4; n++ {
		loop := fmt.Sprintf("%s_n%d", name, n)
		Label(loop)
		TESTQ(k, k)
		JZ(LabelRef(name + "_done"))
		for g := 0; g < n; g++ {
			d := v.vec()
			VXORPS(d, d, d)
			if v.lanes == 16 {
				m := K()
				KMOVW(masks[g].k, m)
				VGATHERDPS(Mem{Base: src, Index: idx[g].AsZ(), Scale: 4}, m, d)
			} else {
				m := YMM()
				vmovdqu(masks[g].vec, m, v)
				VGATHERDPS(m, Mem{Base: src, Index: idx[g].AsY(), Scale: 4}, d)
			}
			VMOVUPS(d, Mem{Base: dst, Disp: g * v.bytes()})
		}
		ADDQ(sp, src)
		ADDQ(w, dst)
		DECQ(k)
		JMP(LabelRef(loop))
	}
	Label(name + "_done")
	ret(v)
}

// vmovdqu moves a whole integer vector (VMOVDQU32 on AVX-512).
func vmovdqu(src, dst Op, v isa) {
	if v.lanes == 16 {
		VMOVDQU32(src, dst)
	} else {
		VMOVDQU(src, dst)
	}
}

// laneMasks returns, for g < 4, the mask of the lanes j of vector g with
// g*lanes + j < valid (valid in a general register).
func laneMasks(v isa, valid reg.GPVirtual) []mask {
	t := XMM()
	MOVQ(valid, t)
	validv := v.vec()
	VPBROADCASTD(t, validv)
	tab := iotaTable()
	var masks []mask
	for g := 0; g < 4; g++ {
		lane := v.vec()
		vmovdqu(Mem{Symbol: tab.Symbol, Base: tab.Base, Disp: 4 * g * v.lanes}, lane, v)
		if v.lanes == 16 {
			m := K()
			VPCMPD(U8(1), validv, lane, m)
			masks = append(masks, mask{k: m})
		} else {
			m := YMM()
			VPCMPGTD(lane, validv, m)
			masks = append(masks, mask{vec: m})
		}
	}
	return masks
}

// packCopyFunc emits the plain packing routine: for p < k,
//
//	dst[p*w + j] = src[p*ld + j]  for j < valid,  0 for valid <= j < w
//
// with masked (fault-free) loads, writing nvec whole vectors per row like
// packFunc.
func packCopyFunc(v isa) {
	name := text(v, "packCopy", "func(dst, src *float32, ld, k, w, valid, nvec int)", "packs a k×w SGEMM panel from rows of stride ld with masked loads")
	dst, src := ptr("dst"), ptr("src")
	ld := ptr("ld")
	SHLQ(U8(2), ld)
	w := ptr("w")
	SHLQ(U8(2), w)
	k := ptr("k")
	masks := laneMasks(v, ptr("valid"))
	nvec := ptr("nvec")
	for n := 1; n <= 4; n++ {
		CMPQ(nvec, U8(n))
		JE(LabelRef(fmt.Sprintf("%s_n%d", name, n)))
	}
	JMP(LabelRef(name + "_done"))
	for n := 1; n <= 4; n++ {
		loop := fmt.Sprintf("%s_n%d", name, n)
		Label(loop)
		TESTQ(k, k)
		JZ(LabelRef(name + "_done"))
		for g := 0; g < n; g++ {
			d := v.vec()
			m := Mem{Base: src, Disp: g * v.bytes()}
			if v.lanes == 16 {
				VMOVUPS_Z(m, masks[g].k, d)
			} else {
				VMASKMOVPS(m, masks[g].vec, d)
			}
			VMOVUPS(d, Mem{Base: dst, Disp: g * v.bytes()})
		}
		ADDQ(ld, src)
		ADDQ(w, dst)
		DECQ(k)
		JMP(LabelRef(loop))
	}
	Label(name + "_done")
	ret(v)
}

// packTransFunc emits the transposing packing routine: for p < k (a
// multiple of lanes),
//
//	dst[p*w + j] = src[j*ld + p]  for j < valid,  0 for valid <= j < w
//
// by lanes×lanes in-register transposes of source rows (rows at or past
// valid read as zeros, so nothing outside the panel is read). Output rows
// are written in increasing order as whole vectors; with w not a multiple
// of lanes only nvec == 1 is allowed (each row's spill is overwritten by the
// next row). Each source line is prefetched into L2 ahead bytes on as it is
// read (ahead: the next panel's rows, so a panel's lines are in flight
// while the one before is transposed; 0: the line itself, a no-op): a
// panel reads w rows of a weight in lockstep, one line of each at a time,
// more streams than the hardware prefetchers follow, and packing the
// weights of a served batch's products ran at 3 GB/s without it.
func packTransFunc(v isa) {
	name := text(v, "packTrans", "func(dst, src *float32, ld, k, w, valid, nvec, ahead int)", "packs a k×w SGEMM panel from the transposed source by in-register transposes, prefetching ahead bytes on")
	dst, src := ptr("dst"), ptr("src")
	ahead := ptr("ahead")
	ld := ptr("ld")
	SHLQ(U8(2), ld)
	w := ptr("w")
	SHLQ(U8(2), w)
	k := ptr("k")
	valid := ptr("valid")
	nvec := ptr("nvec")
	L := v.lanes

	Label(name + "_block")
	CMPQ(k, U8(L))
	JL(LabelRef(name + "_done"))
	g := GP64() // vector (group of lanes source rows) being transposed
	XORQ(g, g)
	rowSrc := GP64() // the first source row of group g, at this k block
	MOVQ(src, rowSrc)
	jbase := GP64() // g*L
	XORQ(jbase, jbase)
	Label(name + "_group")
	rows := make([]reg.VecVirtual, L)
	r := GP64()
	MOVQ(rowSrc, r)
	for j := 0; j < L; j++ {
		rows[j] = v.vec()
		jj := GP64()
		LEAQ(Mem{Base: jbase, Disp: j}, jj)
		CMPQ(jj, valid)
		JGE(LabelRef(fmt.Sprintf("%s_zero%d", name, j)))
		PREFETCHT1(Mem{Base: r, Index: ahead, Scale: 1})
		VMOVUPS(Mem{Base: r}, rows[j])
		JMP(LabelRef(fmt.Sprintf("%s_next%d", name, j)))
		Label(fmt.Sprintf("%s_zero%d", name, j))
		VXORPS(rows[j], rows[j], rows[j])
		Label(fmt.Sprintf("%s_next%d", name, j))
		if j < L-1 {
			ADDQ(ld, r)
		}
	}
	cols := transpose(v, rows)
	// Column q of the block is output row p0+q, vector g.
	out := GP64()
	MOVQ(jbase, out)
	SHLQ(U8(2), out)
	ADDQ(dst, out)
	for q := 0; q < L; q++ {
		VMOVUPS(cols[q], Mem{Base: out})
		if q < L-1 {
			ADDQ(w, out)
		}
	}
	// Next group: rows g*L.. of the source, vector g of the output.
	INCQ(g)
	ADDQ(U8(L), jbase)
	t := GP64()
	MOVQ(ld, t)
	SHLQ(U8(map[int]uint8{8: 3, 16: 4}[L]), t)
	ADDQ(t, rowSrc)
	CMPQ(g, nvec)
	JL(LabelRef(name + "_group"))
	// Next k block: L source columns further, L output rows further.
	ADDQ(U8(4*L), src)
	MOVQ(w, t)
	SHLQ(U8(map[int]uint8{8: 3, 16: 4}[L]), t)
	ADDQ(t, dst)
	SUBQ(U8(L), k)
	JMP(LabelRef(name + "_block"))
	Label(name + "_done")
	ret(v)
}

// transpose returns the columns of the lanes×lanes matrix whose rows are
// in rows: unpack, shuffle within 128-bit lanes, then exchange 128-bit
// lanes (VPERM2F128 on AVX2, two rounds of VSHUFF32X4 on AVX-512).
func transpose(v isa, rows []reg.VecVirtual) []reg.VecVirtual {
	L := v.lanes
	t := make([]reg.VecVirtual, L)
	for i := 0; i < L; i += 2 {
		t[i], t[i+1] = v.vec(), v.vec()
		VUNPCKLPS(rows[i+1], rows[i], t[i])
		VUNPCKHPS(rows[i+1], rows[i], t[i+1])
	}
	// u[4h+c]: lane l holds rows 4h..4h+3 at column 4l+c.
	u := make([]reg.VecVirtual, L)
	for h := 0; h < L/4; h++ {
		t0, t1, t2, t3 := t[4*h], t[4*h+1], t[4*h+2], t[4*h+3]
		for c, p := range [][3]any{{t0, t2, uint8(0x44)}, {t0, t2, uint8(0xEE)}, {t1, t3, uint8(0x44)}, {t1, t3, uint8(0xEE)}} {
			u[4*h+c] = v.vec()
			VSHUFPS(U8(p[2].(uint8)), p[1].(reg.VecVirtual), p[0].(reg.VecVirtual), u[4*h+c])
		}
	}
	cols := make([]reg.VecVirtual, L)
	if L == 8 {
		for c := 0; c < 4; c++ {
			cols[c], cols[c+4] = v.vec(), v.vec()
			VPERM2F128(U8(0x20), u[4+c], u[c], cols[c])
			VPERM2F128(U8(0x31), u[4+c], u[c], cols[c+4])
		}
		return cols
	}
	for c := 0; c < 4; c++ {
		a, b, cc, d := u[c], u[4+c], u[8+c], u[12+c]
		e, f, g, h := v.vec(), v.vec(), v.vec(), v.vec()
		VSHUFF32X4(U8(0x44), b, a, e) // [a0 a1 b0 b1]
		VSHUFF32X4(U8(0xEE), b, a, f) // [a2 a3 b2 b3]
		VSHUFF32X4(U8(0x44), d, cc, g)
		VSHUFF32X4(U8(0xEE), d, cc, h)
		for l, p := range [][3]any{{e, g, uint8(0x88)}, {e, g, uint8(0xDD)}, {f, h, uint8(0x88)}, {f, h, uint8(0xDD)}} {
			cols[4*l+c] = v.vec()
			VSHUFF32X4(U8(p[2].(uint8)), p[1].(reg.VecVirtual), p[0].(reg.VecVirtual), cols[4*l+c])
		}
	}
	return cols
}
