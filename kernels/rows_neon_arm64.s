//go:build !purego

#include "textflag.h"

// The NEON level's element-wise row primitives (hand-written; see
// simd_go_arm64.go). n is a multiple of 4; one 4-lane vector per step.
// Each performs the generic level's float32 operations in the same order,
// never fused (FMUL then FADD, not FMLA), so results equal the generic
// level's bit for bit.
//
// Go's arm64 assembler lacks the floating-point vector arithmetic; the
// macros WORD-encode it (Arm ARM, Advanced SIMD three same / two-register
// misc / by element, single precision, Q = 1), each use carrying the
// instruction in a comment.

// FADD Vd.4S, Vn.4S, Vm.4S
#define FADD_S4(d, n, m) WORD $(0x4E20D400 | ((m)<<16) | ((n)<<5) | (d))
// FSUB Vd.4S, Vn.4S, Vm.4S
#define FSUB_S4(d, n, m) WORD $(0x4EA0D400 | ((m)<<16) | ((n)<<5) | (d))
// FMUL Vd.4S, Vn.4S, Vm.4S
#define FMUL_S4(d, n, m) WORD $(0x6E20DC00 | ((m)<<16) | ((n)<<5) | (d))
// FDIV Vd.4S, Vn.4S, Vm.4S
#define FDIV_S4(d, n, m) WORD $(0x6E20FC00 | ((m)<<16) | ((n)<<5) | (d))
// FSQRT Vd.4S, Vn.4S
#define FSQRT_S4(d, n) WORD $(0x6EA1F800 | ((n)<<5) | (d))
// FADDP Vd.4S, Vn.4S, Vm.4S
#define FADDP_S4(d, n, m) WORD $(0x6E20D400 | ((m)<<16) | ((n)<<5) | (d))
// FMUL Vd.4S, Vn.4S, Vm.S[idx]
#define FMUL_S4_ELEM(d, n, m, idx) WORD $(0x4F809000 | (((idx)&1)<<21) | (((idx)>>1)<<11) | ((m)<<16) | ((n)<<5) | (d))

// func axpyNEON(y, x *float32, n int, alpha float32)
TEXT ·axpyNEON(SB), NOSPLIT, $0-28
	MOVD  y+0(FP), R0
	MOVD  x+8(FP), R1
	MOVD  n+16(FP), R2
	FMOVS alpha+24(FP), F31
	CBZ   R2, axpydone

axpyloop:
	VLD1.P 16(R1), [V0.S4]
	VLD1   (R0), [V1.S4]
	FMUL_S4_ELEM(0, 0, 31, 0) // FMUL V0.4S, V0.4S, V31.S[0]
	FADD_S4(1, 1, 0)          // FADD V1.4S, V1.4S, V0.4S
	VST1.P [V1.S4], 16(R0)
	SUBS   $4, R2, R2
	BNE    axpyloop

axpydone:
	RET

// func scaleNEON(x *float32, n int, s float32)
TEXT ·scaleNEON(SB), NOSPLIT, $0-20
	MOVD  x+0(FP), R0
	MOVD  n+8(FP), R2
	FMOVS s+16(FP), F31
	CBZ   R2, scaledone

scaleloop:
	VLD1   (R0), [V0.S4]
	FMUL_S4_ELEM(0, 0, 31, 0) // FMUL V0.4S, V0.4S, V31.S[0]
	VST1.P [V0.S4], 16(R0)
	SUBS   $4, R2, R2
	BNE    scaleloop

scaledone:
	RET

// func addNEON(dst, a, b *float32, n int)
TEXT ·addNEON(SB), NOSPLIT, $0-32
	MOVD dst+0(FP), R0
	MOVD a+8(FP), R1
	MOVD b+16(FP), R3
	MOVD n+24(FP), R2
	CBZ  R2, adddone

addloop:
	VLD1.P 16(R1), [V0.S4]
	VLD1.P 16(R3), [V1.S4]
	FADD_S4(0, 0, 1) // FADD V0.4S, V0.4S, V1.4S
	VST1.P [V0.S4], 16(R0)
	SUBS   $4, R2, R2
	BNE    addloop

adddone:
	RET

// func mulNEON(dst, a, b *float32, n int)
TEXT ·mulNEON(SB), NOSPLIT, $0-32
	MOVD dst+0(FP), R0
	MOVD a+8(FP), R1
	MOVD b+16(FP), R3
	MOVD n+24(FP), R2
	CBZ  R2, muldone

mulloop:
	VLD1.P 16(R1), [V0.S4]
	VLD1.P 16(R3), [V1.S4]
	FMUL_S4(0, 0, 1) // FMUL V0.4S, V0.4S, V1.4S
	VST1.P [V0.S4], 16(R0)
	SUBS   $4, R2, R2
	BNE    mulloop

muldone:
	RET

// func mulAccNEON(dst, a, b *float32, n int)
TEXT ·mulAccNEON(SB), NOSPLIT, $0-32
	MOVD dst+0(FP), R0
	MOVD a+8(FP), R1
	MOVD b+16(FP), R3
	MOVD n+24(FP), R2
	CBZ  R2, mulaccdone

mulaccloop:
	VLD1.P 16(R1), [V0.S4]
	VLD1.P 16(R3), [V1.S4]
	VLD1   (R0), [V2.S4]
	FMUL_S4(0, 0, 1) // FMUL V0.4S, V0.4S, V1.4S
	FADD_S4(2, 2, 0) // FADD V2.4S, V2.4S, V0.4S
	VST1.P [V2.S4], 16(R0)
	SUBS   $4, R2, R2
	BNE    mulaccloop

mulaccdone:
	RET

// func adamWNEON(param, grad, m1, m2 *float32, n int, c *[8]float32)
//
// c = decay, beta1, 1-beta1, beta2, 1-beta2, sqrt(bias correction 2), eps,
// step size (V30, V31); the order of operations is adamRangeGeneric's.
TEXT ·adamWNEON(SB), NOSPLIT, $0-48
	MOVD param+0(FP), R0
	MOVD grad+8(FP), R1
	MOVD m1+16(FP), R3
	MOVD m2+24(FP), R4
	MOVD n+32(FP), R2
	MOVD c+40(FP), R5
	VLD1 (R5), [V30.S4, V31.S4]
	VDUP V31.S[1], V6.S4
	VDUP V31.S[2], V7.S4
	CBZ  R2, adamdone

adamloop:
	VLD1.P 16(R1), [V0.S4]
	VLD1   (R0), [V1.S4]
	VLD1   (R3), [V2.S4]
	VLD1   (R4), [V3.S4]
	FMUL_S4_ELEM(1, 1, 30, 0) // FMUL V1.4S, V1.4S, V30.S[0]
	FMUL_S4_ELEM(4, 2, 30, 1) // FMUL V4.4S, V2.4S, V30.S[1]
	FMUL_S4_ELEM(5, 0, 30, 2) // FMUL V5.4S, V0.4S, V30.S[2]
	FADD_S4(2, 4, 5)          // FADD V2.4S, V4.4S, V5.4S
	FMUL_S4_ELEM(4, 3, 30, 3) // FMUL V4.4S, V3.4S, V30.S[3]
	FMUL_S4_ELEM(5, 0, 31, 0) // FMUL V5.4S, V0.4S, V31.S[0]
	FMUL_S4(5, 5, 0)          // FMUL V5.4S, V5.4S, V0.4S
	FADD_S4(3, 4, 5)          // FADD V3.4S, V4.4S, V5.4S
	FSQRT_S4(4, 3)            // FSQRT V4.4S, V3.4S
	FDIV_S4(4, 4, 6)          // FDIV V4.4S, V4.4S, V6.4S
	FADD_S4(4, 4, 7)          // FADD V4.4S, V4.4S, V7.4S
	FDIV_S4(5, 2, 4)          // FDIV V5.4S, V2.4S, V4.4S
	FMUL_S4_ELEM(5, 5, 31, 3) // FMUL V5.4S, V5.4S, V31.S[3]
	FSUB_S4(1, 1, 5)          // FSUB V1.4S, V1.4S, V5.4S
	VST1.P [V1.S4], 16(R0)
	VST1.P [V2.S4], 16(R3)
	VST1.P [V3.S4], 16(R4)
	SUBS   $4, R2, R2
	BNE    adamloop

adamdone:
	RET

// func lnApplyNEON(y, x, w, b *float32, n int, mean, rstd float32)
//
// y = ((x - mean)·rstd)·w + b, each operation rounded.
TEXT ·lnApplyNEON(SB), NOSPLIT, $0-48
	MOVD  y+0(FP), R0
	MOVD  x+8(FP), R1
	MOVD  w+16(FP), R3
	MOVD  b+24(FP), R4
	MOVD  n+32(FP), R2
	FMOVS mean+40(FP), F6
	FMOVS rstd+44(FP), F7
	VDUP  V6.S[0], V6.S4
	CBZ   R2, lndone

lnloop:
	VLD1.P 16(R1), [V0.S4]
	VLD1.P 16(R3), [V1.S4]
	VLD1.P 16(R4), [V2.S4]
	FSUB_S4(0, 0, 6)         // FSUB V0.4S, V0.4S, V6.4S
	FMUL_S4_ELEM(0, 0, 7, 0) // FMUL V0.4S, V0.4S, V7.S[0]
	FMUL_S4(0, 0, 1)         // FMUL V0.4S, V0.4S, V1.4S
	FADD_S4(0, 0, 2)         // FADD V0.4S, V0.4S, V2.4S
	VST1.P [V0.S4], 16(R0)
	SUBS   $4, R2, R2
	BNE    lnloop

lndone:
	RET

// func dotNEON(x, y *float32, n int) float32
//
// sum(x*y) in float32: four 4-lane FMLA accumulators over 16 floats per
// step, then 4 at a time, then a pairwise reduction.
TEXT ·dotNEON(SB), NOSPLIT, $0-28
	MOVD x+0(FP), R0
	MOVD y+8(FP), R1
	MOVD n+16(FP), R2
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16

dot16:
	CMP    $16, R2
	BLT    dot4
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	VFMLA  V0.S4, V4.S4, V16.S4
	VFMLA  V1.S4, V5.S4, V17.S4
	VFMLA  V2.S4, V6.S4, V18.S4
	VFMLA  V3.S4, V7.S4, V19.S4
	SUB    $16, R2, R2
	B      dot16

dot4:
	CBZ    R2, dotsum
	VLD1.P 16(R0), [V0.S4]
	VLD1.P 16(R1), [V4.S4]
	VFMLA  V0.S4, V4.S4, V16.S4
	SUB    $4, R2, R2
	B      dot4

dotsum:
	FADD_S4(16, 16, 17)   // FADD V16.4S, V16.4S, V17.4S
	FADD_S4(18, 18, 19)   // FADD V18.4S, V18.4S, V19.4S
	FADD_S4(16, 16, 18)   // FADD V16.4S, V16.4S, V18.4S
	FADDP_S4(16, 16, 16)  // FADDP V16.4S, V16.4S, V16.4S
	FADDP_S4(16, 16, 16)  // FADDP V16.4S, V16.4S, V16.4S
	FMOVS  F16, ret+24(FP)
	RET
