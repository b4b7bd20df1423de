//go:build !purego

#include "textflag.h"

// The NEON level's exp-based row primitives: softmax, cross-entropy's
// softmax part, GELU and its backward (see simd_go_arm64.go). n is a
// multiple of 4; one 4-lane vector per step.
//
// exp and erf are the AVX2/AVX-512 levels' float32 approximations
// (kernels/_asm/vec.go: expVec, onePlusErfVec) with the same coefficients,
// range reduction and evaluation order (Horner steps as fused multiply-adds,
// FMLA here, VFMADD there), so their error bounds are the same. Where the
// AVX code adds a constant in an FMA (p = p·r + c), NEON's FMLA accumulates
// into its destination: the constant is first DUPed into the destination.
//
// Every exp below is the same block of 27 instructions (input V0, result
// V1, scratch V2-V5, constants V16-V18 and V25-V28), written out in each
// function; TestNEONExpBlocks checks that the copies are identical. Beyond
// the AVX code it returns NaN inputs unchanged (the AVX code's integer add
// of 2^n can turn a NaN with a payload into a number).
//
// Registers, loaded by every function from neonMath<> (see LOADCONSTS):
//   V16-V24 the table below, four per register, used by element (FMLA and
//           FMUL by element, DUP); V25 -87, V26 88, V27 magic, V28 1,
//           V29 4, V30 the erf split, V31 2 (DUPed: FMAX, FMIN, FSUB,
//           FADD and compares have no by-element form); V15 0.
//
// Go's assembler lacks the floating-point vector arithmetic and compares;
// the macros WORD-encode them (Arm ARM, Advanced SIMD three same / two-
// register misc / by element, single precision, Q = 1), each use carrying
// the instruction in a comment (TestNEONAsmComments checks them).

// FADD Vd.4S, Vn.4S, Vm.4S
#define FADD_S4(d, n, m) WORD $(0x4E20D400 | ((m)<<16) | ((n)<<5) | (d))
// FSUB Vd.4S, Vn.4S, Vm.4S
#define FSUB_S4(d, n, m) WORD $(0x4EA0D400 | ((m)<<16) | ((n)<<5) | (d))
// FMUL Vd.4S, Vn.4S, Vm.4S
#define FMUL_S4(d, n, m) WORD $(0x6E20DC00 | ((m)<<16) | ((n)<<5) | (d))
// FMAX Vd.4S, Vn.4S, Vm.4S (NaN in either operand gives NaN)
#define FMAX_S4(d, n, m) WORD $(0x4E20F400 | ((m)<<16) | ((n)<<5) | (d))
// FMIN Vd.4S, Vn.4S, Vm.4S (NaN in either operand gives NaN)
#define FMIN_S4(d, n, m) WORD $(0x4EA0F400 | ((m)<<16) | ((n)<<5) | (d))
// FMAXP Vd.4S, Vn.4S, Vm.4S (pairwise)
#define FMAXP_S4(d, n, m) WORD $(0x6E20F400 | ((m)<<16) | ((n)<<5) | (d))
// FADDP Vd.4S, Vn.4S, Vm.4S (pairwise)
#define FADDP_S4(d, n, m) WORD $(0x6E20D400 | ((m)<<16) | ((n)<<5) | (d))
// FCMGT Vd.4S, Vn.4S, Vm.4S: all ones where Vn > Vm (false on NaN)
#define FCMGT_S4(d, n, m) WORD $(0x6EA0E400 | ((m)<<16) | ((n)<<5) | (d))
// FCMGE Vd.4S, Vn.4S, Vm.4S: all ones where Vn >= Vm (false on NaN)
#define FCMGE_S4(d, n, m) WORD $(0x6E20E400 | ((m)<<16) | ((n)<<5) | (d))
// FCMEQ Vd.4S, Vn.4S, Vm.4S: all ones where Vn == Vm (false on NaN)
#define FCMEQ_S4(d, n, m) WORD $(0x4E20E400 | ((m)<<16) | ((n)<<5) | (d))
// FABS Vd.4S, Vn.4S
#define FABS_S4(d, n) WORD $(0x4EA0F800 | ((n)<<5) | (d))
// FMLA Vd.4S, Vn.4S, Vm.S[idx]: Vd += Vn·Vm[idx], fused
#define FMLA_S4_ELEM(d, n, m, idx) WORD $(0x4F801000 | (((idx)&1)<<21) | (((idx)>>1)<<11) | ((m)<<16) | ((n)<<5) | (d))
// FMUL Vd.4S, Vn.4S, Vm.S[idx]
#define FMUL_S4_ELEM(d, n, m, idx) WORD $(0x4F809000 | (((idx)&1)<<21) | (((idx)>>1)<<11) | ((m)<<16) | ((n)<<5) | (d))

// LOADCONSTS loads neonMath<> into V16-V24 and DUPs V25-V31, zeroes V15
// (clobbers R9).
#define LOADCONSTS \
	MOVD   $neonMath<>(SB), R9 \
	VLD1.P 64(R9), [V16.S4, V17.S4, V18.S4, V19.S4] \
	VLD1.P 64(R9), [V20.S4, V21.S4, V22.S4, V23.S4] \
	VLD1   (R9), [V24.S4] \
	VDUP   V16.S[0], V25.S4 \
	VDUP   V16.S[1], V26.S4 \
	VDUP   V16.S[3], V27.S4 \
	VDUP   V19.S[0], V28.S4 \
	VDUP   V19.S[3], V29.S4 \
	VDUP   V20.S[0], V30.S4 \
	VDUP   V19.S[2], V31.S4 \
	VEOR   V15.B16, V15.B16, V15.B16

// neonMath: the constants of kernels/_asm/vec.go (expVec, onePlusErfVec) as
// float32 bits (TestNEONMathTable checks them against expPoly and erfSmall/
// erfLarge in Go), four per vector register V16-V24.
DATA neonMath<>+0(SB)/4, $0xc2ae0000 // V16.S[0] exp lower bound = -87
DATA neonMath<>+4(SB)/4, $0x42b00000 // V16.S[1] exp upper bound = 88
DATA neonMath<>+8(SB)/4, $0x3fb8aa3b // V16.S[2] log2(e) = 1.44269502
DATA neonMath<>+12(SB)/4, $0x4b400000 // V16.S[3] magic 1.5·2^23 = 12582912
DATA neonMath<>+16(SB)/4, $0xbf318000 // V17.S[0] -ln2 high part = -0.693359375
DATA neonMath<>+20(SB)/4, $0x395e8083 // V17.S[1] -ln2 low part = 0.000212194442
DATA neonMath<>+24(SB)/4, $0x39506967 // V17.S[2] exp P0 = 0.000198756912
DATA neonMath<>+28(SB)/4, $0x3ab743ce // V17.S[3] exp P1 = 0.00139819994
DATA neonMath<>+32(SB)/4, $0x3c088908 // V18.S[0] exp P2 = 0.00833345205
DATA neonMath<>+36(SB)/4, $0x3d2aa9c1 // V18.S[1] exp P3 = 0.0416657962
DATA neonMath<>+40(SB)/4, $0x3e2aaaaa // V18.S[2] exp P4 = 0.166666657
DATA neonMath<>+44(SB)/4, $0x3f000000 // V18.S[3] exp P5 = 0.5
DATA neonMath<>+48(SB)/4, $0x3f800000 // V19.S[0] 1 = 1
DATA neonMath<>+52(SB)/4, $0x3f000000 // V19.S[1] 1/2 = 0.5
DATA neonMath<>+56(SB)/4, $0x40000000 // V19.S[2] 2 = 2
DATA neonMath<>+60(SB)/4, $0x40800000 // V19.S[3] 4 (erfc cut-off) = 4
DATA neonMath<>+64(SB)/4, $0x3f6c0000 // V20.S[0] erf split = 0.921875
DATA neonMath<>+68(SB)/4, $0x3f3504f3 // V20.S[1] 1/√2 = 0.707106769
DATA neonMath<>+72(SB)/4, $0xbf000000 // V20.S[2] -1/2 = -0.5
DATA neonMath<>+76(SB)/4, $0x3ecc422a // V20.S[3] 1/√(2π) = 0.398942292
DATA neonMath<>+80(SB)/4, $0x3f906eba // V21.S[0] erf small S0 = 1.12837911
DATA neonMath<>+84(SB)/4, $0xbec09334 // V21.S[1] erf small S1 = -0.376123071
DATA neonMath<>+88(SB)/4, $0x3de706ec // V21.S[2] erf small S2 = 0.112806171
DATA neonMath<>+92(SB)/4, $0xbcdb031a // V21.S[3] erf small S3 = -0.0267348774
DATA neonMath<>+96(SB)/4, $0x3ba2685f // V22.S[0] erf small S4 = 0.00495628966
DATA neonMath<>+100(SB)/4, $0xba18f2e3 // V22.S[1] erf small S5 = -0.000583453279
DATA neonMath<>+104(SB)/4, $0x399e9df8 // V22.S[2] erfc large L0 = 0.000302538043
DATA neonMath<>+108(SB)/4, $0xbf90a936 // V22.S[3] erfc large L1 = -1.13016391
DATA neonMath<>+112(SB)/4, $0xbf21c6ee // V23.S[0] erfc large L2 = -0.631941676
DATA neonMath<>+116(SB)/4, $0xbde13a0f // V23.S[1] erfc large L3 = -0.109974019
DATA neonMath<>+120(SB)/4, $0x3cd7f5e3 // V23.S[2] erfc large L4 = 0.0263623651
DATA neonMath<>+124(SB)/4, $0xbb9b4d12 // V23.S[3] erfc large L5 = -0.00473941211
DATA neonMath<>+128(SB)/4, $0x3a1b58be // V24.S[0] erfc large L6 = 0.000592600438
DATA neonMath<>+132(SB)/4, $0xb83f2385 // V24.S[1] erfc large L7 = -4.55710287e-05
DATA neonMath<>+136(SB)/4, $0x35d8817b // V24.S[2] erfc large L8 = 1.61309379e-06
DATA neonMath<>+140(SB)/4, $0x00000000 // V24.S[3] (padding) = 0
GLOBL neonMath<>(SB), RODATA|NOPTR, $144

// func expNEON(dst, src *float32, n int)
TEXT ·expNEON(SB), NOSPLIT, $0-24
	MOVD   dst+0(FP), R0
	MOVD   src+8(FP), R1
	MOVD   n+16(FP), R2
	LOADCONSTS
	CBZ    R2, expdone

exploop:
	VLD1.P 16(R1), [V0.S4]
	// exp block: V1 = exp(V0)
	FMAX_S4(2, 0, 25) // FMAX V2.4S, V0.4S, V25.4S
	FMIN_S4(2, 2, 26) // FMIN V2.4S, V2.4S, V26.4S
	VMOV   V27.B16, V3.B16
	FMLA_S4_ELEM(3, 2, 16, 2) // FMLA V3.4S, V2.4S, V16.S[2]
	FSUB_S4(4, 3, 27) // FSUB V4.4S, V3.4S, V27.4S
	FMLA_S4_ELEM(2, 4, 17, 0) // FMLA V2.4S, V4.4S, V17.S[0]
	FMLA_S4_ELEM(2, 4, 17, 1) // FMLA V2.4S, V4.4S, V17.S[1]
	VDUP   V17.S[2], V1.S4
	VDUP   V17.S[3], V5.S4
	VFMLA  V2.S4, V1.S4, V5.S4
	VDUP   V18.S[0], V1.S4
	VFMLA  V2.S4, V5.S4, V1.S4
	VDUP   V18.S[1], V5.S4
	VFMLA  V2.S4, V1.S4, V5.S4
	VDUP   V18.S[2], V1.S4
	VFMLA  V2.S4, V5.S4, V1.S4
	VDUP   V18.S[3], V5.S4
	VFMLA  V2.S4, V1.S4, V5.S4
	FMUL_S4(4, 2, 2) // FMUL V4.4S, V2.4S, V2.4S
	VFMLA  V4.S4, V5.S4, V2.S4
	FADD_S4(1, 2, 28) // FADD V1.4S, V2.4S, V28.4S
	VSHL   $23, V3.S4, V3.S4
	VADD   V3.S4, V1.S4, V1.S4
	FCMGE_S4(2, 0, 25) // FCMGE V2.4S, V0.4S, V25.4S
	VAND   V2.B16, V1.B16, V1.B16
	FCMEQ_S4(2, 0, 0) // FCMEQ V2.4S, V0.4S, V0.4S
	VBIF   V2.B16, V0.B16, V1.B16
	// end exp block
	VST1.P [V1.S4], 16(R0)
	SUBS   $4, R2, R2
	BNE    exploop

expdone:
	RET

// func smScaleMaxNEON(y, x *float32, n int, scale float32) float32
TEXT ·smScaleMaxNEON(SB), NOSPLIT, $0-36
	MOVD   y+0(FP), R0
	MOVD   x+8(FP), R1
	MOVD   n+16(FP), R2
	FMOVS  scale+24(FP), F7
	// V6 = -Inf in every lane: the running maximum
	MOVW   $0xff800000, R4
	VDUP   R4, V6.S4
	CBZ    R2, smmaxdone

smmaxloop:
	VLD1.P 16(R1), [V0.S4]
	FMUL_S4_ELEM(0, 0, 7, 0) // FMUL V0.4S, V0.4S, V7.S[0]
	VST1.P [V0.S4], 16(R0)
	FMAX_S4(6, 6, 0) // FMAX V6.4S, V6.4S, V0.4S
	SUBS   $4, R2, R2
	BNE    smmaxloop

smmaxdone:
	FMAXP_S4(6, 6, 6) // FMAXP V6.4S, V6.4S, V6.4S
	FMAXP_S4(6, 6, 6) // FMAXP V6.4S, V6.4S, V6.4S
	FMOVS  F6, ret+32(FP)
	RET

// func smScaleMaskMaxNEON(y, x, mask *float32, n int, scale float32) float32
TEXT ·smScaleMaskMaxNEON(SB), NOSPLIT, $0-44
	MOVD   y+0(FP), R0
	MOVD   x+8(FP), R1
	MOVD   mask+16(FP), R3
	MOVD   n+24(FP), R2
	FMOVS  scale+32(FP), F7
	// V8 = MaskedOut (-MaxFloat32) in every lane
	MOVW   $0xff7fffff, R4
	VDUP   R4, V8.S4
	// V6 = -Inf in every lane: the running maximum
	MOVW   $0xff800000, R4
	VDUP   R4, V6.S4
	CBZ    R2, smmaskdone

smmaskloop:
	VLD1.P 16(R1), [V0.S4]
	FMUL_S4_ELEM(0, 0, 7, 0) // FMUL V0.4S, V0.4S, V7.S[0]
	VLD1.P 16(R3), [V1.S4]
	FADD_S4(0, 0, 1) // FADD V0.4S, V0.4S, V1.4S
	FCMGE_S4(2, 8, 1) // FCMGE V2.4S, V8.4S, V1.4S
	VBIT   V2.B16, V8.B16, V0.B16
	VST1.P [V0.S4], 16(R0)
	FMAX_S4(6, 6, 0) // FMAX V6.4S, V6.4S, V0.4S
	SUBS   $4, R2, R2
	BNE    smmaskloop

smmaskdone:
	FMAXP_S4(6, 6, 6) // FMAXP V6.4S, V6.4S, V6.4S
	FMAXP_S4(6, 6, 6) // FMAXP V6.4S, V6.4S, V6.4S
	FMOVS  F6, ret+40(FP)
	RET

// func smExpSumNEON(y *float32, n int, mx float32) float32
TEXT ·smExpSumNEON(SB), NOSPLIT, $0-28
	MOVD   y+0(FP), R0
	MOVD   n+8(FP), R2
	FMOVS  mx+16(FP), F7
	VDUP   V7.S[0], V7.S4
	LOADCONSTS
	VEOR   V6.B16, V6.B16, V6.B16
	CBZ    R2, smexpdone

smexploop:
	VLD1   (R0), [V0.S4]
	FSUB_S4(0, 0, 7) // FSUB V0.4S, V0.4S, V7.4S
	// exp block: V1 = exp(V0)
	FMAX_S4(2, 0, 25) // FMAX V2.4S, V0.4S, V25.4S
	FMIN_S4(2, 2, 26) // FMIN V2.4S, V2.4S, V26.4S
	VMOV   V27.B16, V3.B16
	FMLA_S4_ELEM(3, 2, 16, 2) // FMLA V3.4S, V2.4S, V16.S[2]
	FSUB_S4(4, 3, 27) // FSUB V4.4S, V3.4S, V27.4S
	FMLA_S4_ELEM(2, 4, 17, 0) // FMLA V2.4S, V4.4S, V17.S[0]
	FMLA_S4_ELEM(2, 4, 17, 1) // FMLA V2.4S, V4.4S, V17.S[1]
	VDUP   V17.S[2], V1.S4
	VDUP   V17.S[3], V5.S4
	VFMLA  V2.S4, V1.S4, V5.S4
	VDUP   V18.S[0], V1.S4
	VFMLA  V2.S4, V5.S4, V1.S4
	VDUP   V18.S[1], V5.S4
	VFMLA  V2.S4, V1.S4, V5.S4
	VDUP   V18.S[2], V1.S4
	VFMLA  V2.S4, V5.S4, V1.S4
	VDUP   V18.S[3], V5.S4
	VFMLA  V2.S4, V1.S4, V5.S4
	FMUL_S4(4, 2, 2) // FMUL V4.4S, V2.4S, V2.4S
	VFMLA  V4.S4, V5.S4, V2.S4
	FADD_S4(1, 2, 28) // FADD V1.4S, V2.4S, V28.4S
	VSHL   $23, V3.S4, V3.S4
	VADD   V3.S4, V1.S4, V1.S4
	FCMGE_S4(2, 0, 25) // FCMGE V2.4S, V0.4S, V25.4S
	VAND   V2.B16, V1.B16, V1.B16
	FCMEQ_S4(2, 0, 0) // FCMEQ V2.4S, V0.4S, V0.4S
	VBIF   V2.B16, V0.B16, V1.B16
	// end exp block
	VST1.P [V1.S4], 16(R0)
	FADD_S4(6, 6, 1) // FADD V6.4S, V6.4S, V1.4S
	SUBS   $4, R2, R2
	BNE    smexploop

smexpdone:
	FADDP_S4(6, 6, 6) // FADDP V6.4S, V6.4S, V6.4S
	FADDP_S4(6, 6, 6) // FADDP V6.4S, V6.4S, V6.4S
	FMOVS  F6, ret+24(FP)
	RET

// func smBackwardNEON(d, y, dy *float32, n int, scale, dot float32)
TEXT ·smBackwardNEON(SB), NOSPLIT, $0-40
	MOVD   d+0(FP), R0
	MOVD   y+8(FP), R1
	MOVD   dy+16(FP), R3
	MOVD   n+24(FP), R2
	FMOVS  scale+32(FP), F6
	FMOVS  dot+36(FP), F7
	VDUP   V7.S[0], V7.S4
	CBZ    R2, smbwdone

smbwloop:
	VLD1.P 16(R3), [V0.S4]
	VLD1.P 16(R1), [V1.S4]
	VLD1   (R0), [V2.S4]
	FSUB_S4(0, 0, 7) // FSUB V0.4S, V0.4S, V7.4S
	FMUL_S4_ELEM(1, 1, 6, 0) // FMUL V1.4S, V1.4S, V6.S[0]
	FMUL_S4(1, 1, 0) // FMUL V1.4S, V1.4S, V0.4S
	FADD_S4(1, 2, 1) // FADD V1.4S, V2.4S, V1.4S
	VST1.P [V1.S4], 16(R0)
	SUBS   $4, R2, R2
	BNE    smbwloop

smbwdone:
	RET

// func smBackwardMaskNEON(d, y, dy, mask *float32, n int, scale, dot float32)
TEXT ·smBackwardMaskNEON(SB), NOSPLIT, $0-48
	MOVD   d+0(FP), R0
	MOVD   y+8(FP), R1
	MOVD   dy+16(FP), R3
	MOVD   mask+24(FP), R4
	MOVD   n+32(FP), R2
	FMOVS  scale+40(FP), F6
	FMOVS  dot+44(FP), F7
	// V8 = MaskedOut (-MaxFloat32) in every lane
	MOVW   $0xff7fffff, R5
	VDUP   R5, V8.S4
	VDUP   V7.S[0], V7.S4
	CBZ    R2, smbwmaskdone

smbwmaskloop:
	VLD1.P 16(R3), [V0.S4]
	VLD1.P 16(R1), [V1.S4]
	VLD1   (R0), [V2.S4]
	FSUB_S4(0, 0, 7) // FSUB V0.4S, V0.4S, V7.4S
	FMUL_S4_ELEM(1, 1, 6, 0) // FMUL V1.4S, V1.4S, V6.S[0]
	FMUL_S4(1, 1, 0) // FMUL V1.4S, V1.4S, V0.4S
	FADD_S4(1, 2, 1) // FADD V1.4S, V2.4S, V1.4S
	VLD1.P 16(R4), [V3.S4]
	FCMGE_S4(3, 8, 3) // FCMGE V3.4S, V8.4S, V3.4S
	VBIT   V3.B16, V2.B16, V1.B16
	VST1.P [V1.S4], 16(R0)
	SUBS   $4, R2, R2
	BNE    smbwmaskloop

smbwmaskdone:
	RET

// func maxNEON(x *float32, n int) float32
TEXT ·maxNEON(SB), NOSPLIT, $0-20
	MOVD   x+0(FP), R0
	MOVD   n+8(FP), R2
	// V6 = -Inf in every lane: the running maximum
	MOVW   $0xff800000, R4
	VDUP   R4, V6.S4
	CBZ    R2, maxdone

maxloop:
	VLD1.P 16(R0), [V0.S4]
	FMAX_S4(6, 6, 0) // FMAX V6.4S, V6.4S, V0.4S
	SUBS   $4, R2, R2
	BNE    maxloop

maxdone:
	FMAXP_S4(6, 6, 6) // FMAXP V6.4S, V6.4S, V6.4S
	FMAXP_S4(6, 6, 6) // FMAXP V6.4S, V6.4S, V6.4S
	FMOVS  F6, ret+16(FP)
	RET

// func expSumNEON(x *float32, n int, mx float32) float32
TEXT ·expSumNEON(SB), NOSPLIT, $0-28
	MOVD   x+0(FP), R0
	MOVD   n+8(FP), R2
	FMOVS  mx+16(FP), F7
	VDUP   V7.S[0], V7.S4
	LOADCONSTS
	VEOR   V6.B16, V6.B16, V6.B16
	CBZ    R2, expsumdone

expsumloop:
	VLD1.P 16(R0), [V0.S4]
	FSUB_S4(0, 0, 7) // FSUB V0.4S, V0.4S, V7.4S
	// exp block: V1 = exp(V0)
	FMAX_S4(2, 0, 25) // FMAX V2.4S, V0.4S, V25.4S
	FMIN_S4(2, 2, 26) // FMIN V2.4S, V2.4S, V26.4S
	VMOV   V27.B16, V3.B16
	FMLA_S4_ELEM(3, 2, 16, 2) // FMLA V3.4S, V2.4S, V16.S[2]
	FSUB_S4(4, 3, 27) // FSUB V4.4S, V3.4S, V27.4S
	FMLA_S4_ELEM(2, 4, 17, 0) // FMLA V2.4S, V4.4S, V17.S[0]
	FMLA_S4_ELEM(2, 4, 17, 1) // FMLA V2.4S, V4.4S, V17.S[1]
	VDUP   V17.S[2], V1.S4
	VDUP   V17.S[3], V5.S4
	VFMLA  V2.S4, V1.S4, V5.S4
	VDUP   V18.S[0], V1.S4
	VFMLA  V2.S4, V5.S4, V1.S4
	VDUP   V18.S[1], V5.S4
	VFMLA  V2.S4, V1.S4, V5.S4
	VDUP   V18.S[2], V1.S4
	VFMLA  V2.S4, V5.S4, V1.S4
	VDUP   V18.S[3], V5.S4
	VFMLA  V2.S4, V1.S4, V5.S4
	FMUL_S4(4, 2, 2) // FMUL V4.4S, V2.4S, V2.4S
	VFMLA  V4.S4, V5.S4, V2.S4
	FADD_S4(1, 2, 28) // FADD V1.4S, V2.4S, V28.4S
	VSHL   $23, V3.S4, V3.S4
	VADD   V3.S4, V1.S4, V1.S4
	FCMGE_S4(2, 0, 25) // FCMGE V2.4S, V0.4S, V25.4S
	VAND   V2.B16, V1.B16, V1.B16
	FCMEQ_S4(2, 0, 0) // FCMEQ V2.4S, V0.4S, V0.4S
	VBIF   V2.B16, V0.B16, V1.B16
	// end exp block
	FADD_S4(6, 6, 1) // FADD V6.4S, V6.4S, V1.4S
	SUBS   $4, R2, R2
	BNE    expsumloop

expsumdone:
	FADDP_S4(6, 6, 6) // FADDP V6.4S, V6.4S, V6.4S
	FADDP_S4(6, 6, 6) // FADDP V6.4S, V6.4S, V6.4S
	FMOVS  F6, ret+24(FP)
	RET

// func expScaleNEON(d, x *float32, n int, mx, s float32)
TEXT ·expScaleNEON(SB), NOSPLIT, $0-32
	MOVD   d+0(FP), R0
	MOVD   x+8(FP), R1
	MOVD   n+16(FP), R2
	FMOVS  mx+24(FP), F7
	FMOVS  s+28(FP), F6
	VDUP   V7.S[0], V7.S4
	LOADCONSTS
	CBZ    R2, expscaledone

expscaleloop:
	VLD1.P 16(R1), [V0.S4]
	FSUB_S4(0, 0, 7) // FSUB V0.4S, V0.4S, V7.4S
	// exp block: V1 = exp(V0)
	FMAX_S4(2, 0, 25) // FMAX V2.4S, V0.4S, V25.4S
	FMIN_S4(2, 2, 26) // FMIN V2.4S, V2.4S, V26.4S
	VMOV   V27.B16, V3.B16
	FMLA_S4_ELEM(3, 2, 16, 2) // FMLA V3.4S, V2.4S, V16.S[2]
	FSUB_S4(4, 3, 27) // FSUB V4.4S, V3.4S, V27.4S
	FMLA_S4_ELEM(2, 4, 17, 0) // FMLA V2.4S, V4.4S, V17.S[0]
	FMLA_S4_ELEM(2, 4, 17, 1) // FMLA V2.4S, V4.4S, V17.S[1]
	VDUP   V17.S[2], V1.S4
	VDUP   V17.S[3], V5.S4
	VFMLA  V2.S4, V1.S4, V5.S4
	VDUP   V18.S[0], V1.S4
	VFMLA  V2.S4, V5.S4, V1.S4
	VDUP   V18.S[1], V5.S4
	VFMLA  V2.S4, V1.S4, V5.S4
	VDUP   V18.S[2], V1.S4
	VFMLA  V2.S4, V5.S4, V1.S4
	VDUP   V18.S[3], V5.S4
	VFMLA  V2.S4, V1.S4, V5.S4
	FMUL_S4(4, 2, 2) // FMUL V4.4S, V2.4S, V2.4S
	VFMLA  V4.S4, V5.S4, V2.S4
	FADD_S4(1, 2, 28) // FADD V1.4S, V2.4S, V28.4S
	VSHL   $23, V3.S4, V3.S4
	VADD   V3.S4, V1.S4, V1.S4
	FCMGE_S4(2, 0, 25) // FCMGE V2.4S, V0.4S, V25.4S
	VAND   V2.B16, V1.B16, V1.B16
	FCMEQ_S4(2, 0, 0) // FCMEQ V2.4S, V0.4S, V0.4S
	VBIF   V2.B16, V0.B16, V1.B16
	// end exp block
	FMUL_S4_ELEM(1, 1, 6, 0) // FMUL V1.4S, V1.4S, V6.S[0]
	VST1.P [V1.S4], 16(R0)
	SUBS   $4, R2, R2
	BNE    expscaleloop

expscaledone:
	RET

// func geluNEON(y, x *float32, n int)
TEXT ·geluNEON(SB), NOSPLIT, $0-24
	MOVD   y+0(FP), R0
	MOVD   x+8(FP), R1
	MOVD   n+16(FP), R2
	LOADCONSTS
	CBZ    R2, geludone

geluloop:
	VLD1.P 16(R1), [V6.S4]
	// 1 + erf(z), z = x/√2 (onePlusErfVec): V14
	FMUL_S4_ELEM(7, 6, 20, 1) // FMUL V7.4S, V6.4S, V20.S[1]
	FABS_S4(8, 7) // FABS V8.4S, V7.4S
	FMUL_S4(9, 8, 8) // FMUL V9.4S, V8.4S, V8.4S
	VDUP   V22.S[1], V10.S4
	VDUP   V22.S[0], V11.S4
	VFMLA  V9.S4, V10.S4, V11.S4
	VDUP   V21.S[3], V10.S4
	VFMLA  V9.S4, V11.S4, V10.S4
	VDUP   V21.S[2], V11.S4
	VFMLA  V9.S4, V10.S4, V11.S4
	VDUP   V21.S[1], V10.S4
	VFMLA  V9.S4, V11.S4, V10.S4
	VDUP   V21.S[0], V11.S4
	VFMLA  V9.S4, V10.S4, V11.S4
	VMOV   V28.B16, V10.B16
	VFMLA  V7.S4, V11.S4, V10.S4
	FMIN_S4(12, 8, 29) // FMIN V12.4S, V8.4S, V29.4S
	VDUP   V24.S[2], V0.S4
	VDUP   V24.S[1], V13.S4
	VFMLA  V12.S4, V0.S4, V13.S4
	VDUP   V24.S[0], V0.S4
	VFMLA  V12.S4, V13.S4, V0.S4
	VDUP   V23.S[3], V13.S4
	VFMLA  V12.S4, V0.S4, V13.S4
	VDUP   V23.S[2], V0.S4
	VFMLA  V12.S4, V13.S4, V0.S4
	VDUP   V23.S[1], V13.S4
	VFMLA  V12.S4, V0.S4, V13.S4
	VDUP   V23.S[0], V0.S4
	VFMLA  V12.S4, V13.S4, V0.S4
	VDUP   V22.S[3], V13.S4
	VFMLA  V12.S4, V0.S4, V13.S4
	VDUP   V22.S[2], V0.S4
	VFMLA  V12.S4, V13.S4, V0.S4
	// exp block: V1 = exp(V0)
	FMAX_S4(2, 0, 25) // FMAX V2.4S, V0.4S, V25.4S
	FMIN_S4(2, 2, 26) // FMIN V2.4S, V2.4S, V26.4S
	VMOV   V27.B16, V3.B16
	FMLA_S4_ELEM(3, 2, 16, 2) // FMLA V3.4S, V2.4S, V16.S[2]
	FSUB_S4(4, 3, 27) // FSUB V4.4S, V3.4S, V27.4S
	FMLA_S4_ELEM(2, 4, 17, 0) // FMLA V2.4S, V4.4S, V17.S[0]
	FMLA_S4_ELEM(2, 4, 17, 1) // FMLA V2.4S, V4.4S, V17.S[1]
	VDUP   V17.S[2], V1.S4
	VDUP   V17.S[3], V5.S4
	VFMLA  V2.S4, V1.S4, V5.S4
	VDUP   V18.S[0], V1.S4
	VFMLA  V2.S4, V5.S4, V1.S4
	VDUP   V18.S[1], V5.S4
	VFMLA  V2.S4, V1.S4, V5.S4
	VDUP   V18.S[2], V1.S4
	VFMLA  V2.S4, V5.S4, V1.S4
	VDUP   V18.S[3], V5.S4
	VFMLA  V2.S4, V1.S4, V5.S4
	FMUL_S4(4, 2, 2) // FMUL V4.4S, V2.4S, V2.4S
	VFMLA  V4.S4, V5.S4, V2.S4
	FADD_S4(1, 2, 28) // FADD V1.4S, V2.4S, V28.4S
	VSHL   $23, V3.S4, V3.S4
	VADD   V3.S4, V1.S4, V1.S4
	FCMGE_S4(2, 0, 25) // FCMGE V2.4S, V0.4S, V25.4S
	VAND   V2.B16, V1.B16, V1.B16
	FCMEQ_S4(2, 0, 0) // FCMEQ V2.4S, V0.4S, V0.4S
	VBIF   V2.B16, V0.B16, V1.B16
	// end exp block
	FSUB_S4(14, 31, 1) // FSUB V14.4S, V31.4S, V1.4S
	FCMGT_S4(2, 29, 8) // FCMGT V2.4S, V29.4S, V8.4S
	VAND   V2.B16, V1.B16, V1.B16
	FCMGT_S4(2, 15, 7) // FCMGT V2.4S, V15.4S, V7.4S
	VBIT   V2.B16, V1.B16, V14.B16
	FCMGT_S4(2, 30, 8) // FCMGT V2.4S, V30.4S, V8.4S
	VBIT   V2.B16, V10.B16, V14.B16
	FMUL_S4_ELEM(6, 6, 19, 1) // FMUL V6.4S, V6.4S, V19.S[1]
	FMUL_S4(14, 14, 6) // FMUL V14.4S, V14.4S, V6.4S
	VST1.P [V14.S4], 16(R0)
	SUBS   $4, R2, R2
	BNE    geluloop

geludone:
	RET

// func geluBackwardNEON(dx, x, dy *float32, n int)
TEXT ·geluBackwardNEON(SB), NOSPLIT, $0-32
	MOVD   dx+0(FP), R0
	MOVD   x+8(FP), R1
	MOVD   dy+16(FP), R3
	MOVD   n+24(FP), R2
	LOADCONSTS
	CBZ    R2, gelubwdone

gelubwloop:
	VLD1.P 16(R1), [V6.S4]
	// 1 + erf(z), z = x/√2 (onePlusErfVec): V14
	FMUL_S4_ELEM(7, 6, 20, 1) // FMUL V7.4S, V6.4S, V20.S[1]
	FABS_S4(8, 7) // FABS V8.4S, V7.4S
	FMUL_S4(9, 8, 8) // FMUL V9.4S, V8.4S, V8.4S
	VDUP   V22.S[1], V10.S4
	VDUP   V22.S[0], V11.S4
	VFMLA  V9.S4, V10.S4, V11.S4
	VDUP   V21.S[3], V10.S4
	VFMLA  V9.S4, V11.S4, V10.S4
	VDUP   V21.S[2], V11.S4
	VFMLA  V9.S4, V10.S4, V11.S4
	VDUP   V21.S[1], V10.S4
	VFMLA  V9.S4, V11.S4, V10.S4
	VDUP   V21.S[0], V11.S4
	VFMLA  V9.S4, V10.S4, V11.S4
	VMOV   V28.B16, V10.B16
	VFMLA  V7.S4, V11.S4, V10.S4
	FMIN_S4(12, 8, 29) // FMIN V12.4S, V8.4S, V29.4S
	VDUP   V24.S[2], V0.S4
	VDUP   V24.S[1], V13.S4
	VFMLA  V12.S4, V0.S4, V13.S4
	VDUP   V24.S[0], V0.S4
	VFMLA  V12.S4, V13.S4, V0.S4
	VDUP   V23.S[3], V13.S4
	VFMLA  V12.S4, V0.S4, V13.S4
	VDUP   V23.S[2], V0.S4
	VFMLA  V12.S4, V13.S4, V0.S4
	VDUP   V23.S[1], V13.S4
	VFMLA  V12.S4, V0.S4, V13.S4
	VDUP   V23.S[0], V0.S4
	VFMLA  V12.S4, V13.S4, V0.S4
	VDUP   V22.S[3], V13.S4
	VFMLA  V12.S4, V0.S4, V13.S4
	VDUP   V22.S[2], V0.S4
	VFMLA  V12.S4, V13.S4, V0.S4
	// exp block: V1 = exp(V0)
	FMAX_S4(2, 0, 25) // FMAX V2.4S, V0.4S, V25.4S
	FMIN_S4(2, 2, 26) // FMIN V2.4S, V2.4S, V26.4S
	VMOV   V27.B16, V3.B16
	FMLA_S4_ELEM(3, 2, 16, 2) // FMLA V3.4S, V2.4S, V16.S[2]
	FSUB_S4(4, 3, 27) // FSUB V4.4S, V3.4S, V27.4S
	FMLA_S4_ELEM(2, 4, 17, 0) // FMLA V2.4S, V4.4S, V17.S[0]
	FMLA_S4_ELEM(2, 4, 17, 1) // FMLA V2.4S, V4.4S, V17.S[1]
	VDUP   V17.S[2], V1.S4
	VDUP   V17.S[3], V5.S4
	VFMLA  V2.S4, V1.S4, V5.S4
	VDUP   V18.S[0], V1.S4
	VFMLA  V2.S4, V5.S4, V1.S4
	VDUP   V18.S[1], V5.S4
	VFMLA  V2.S4, V1.S4, V5.S4
	VDUP   V18.S[2], V1.S4
	VFMLA  V2.S4, V5.S4, V1.S4
	VDUP   V18.S[3], V5.S4
	VFMLA  V2.S4, V1.S4, V5.S4
	FMUL_S4(4, 2, 2) // FMUL V4.4S, V2.4S, V2.4S
	VFMLA  V4.S4, V5.S4, V2.S4
	FADD_S4(1, 2, 28) // FADD V1.4S, V2.4S, V28.4S
	VSHL   $23, V3.S4, V3.S4
	VADD   V3.S4, V1.S4, V1.S4
	FCMGE_S4(2, 0, 25) // FCMGE V2.4S, V0.4S, V25.4S
	VAND   V2.B16, V1.B16, V1.B16
	FCMEQ_S4(2, 0, 0) // FCMEQ V2.4S, V0.4S, V0.4S
	VBIF   V2.B16, V0.B16, V1.B16
	// end exp block
	FSUB_S4(14, 31, 1) // FSUB V14.4S, V31.4S, V1.4S
	FCMGT_S4(2, 29, 8) // FCMGT V2.4S, V29.4S, V8.4S
	VAND   V2.B16, V1.B16, V1.B16
	FCMGT_S4(2, 15, 7) // FCMGT V2.4S, V15.4S, V7.4S
	VBIT   V2.B16, V1.B16, V14.B16
	FCMGT_S4(2, 30, 8) // FCMGT V2.4S, V30.4S, V8.4S
	VBIT   V2.B16, V10.B16, V14.B16
	FMUL_S4_ELEM(14, 14, 19, 1) // FMUL V14.4S, V14.4S, V19.S[1]
	FMUL_S4(0, 6, 6) // FMUL V0.4S, V6.4S, V6.4S
	FMUL_S4_ELEM(0, 0, 20, 2) // FMUL V0.4S, V0.4S, V20.S[2]
	// exp block: V1 = exp(V0)
	FMAX_S4(2, 0, 25) // FMAX V2.4S, V0.4S, V25.4S
	FMIN_S4(2, 2, 26) // FMIN V2.4S, V2.4S, V26.4S
	VMOV   V27.B16, V3.B16
	FMLA_S4_ELEM(3, 2, 16, 2) // FMLA V3.4S, V2.4S, V16.S[2]
	FSUB_S4(4, 3, 27) // FSUB V4.4S, V3.4S, V27.4S
	FMLA_S4_ELEM(2, 4, 17, 0) // FMLA V2.4S, V4.4S, V17.S[0]
	FMLA_S4_ELEM(2, 4, 17, 1) // FMLA V2.4S, V4.4S, V17.S[1]
	VDUP   V17.S[2], V1.S4
	VDUP   V17.S[3], V5.S4
	VFMLA  V2.S4, V1.S4, V5.S4
	VDUP   V18.S[0], V1.S4
	VFMLA  V2.S4, V5.S4, V1.S4
	VDUP   V18.S[1], V5.S4
	VFMLA  V2.S4, V1.S4, V5.S4
	VDUP   V18.S[2], V1.S4
	VFMLA  V2.S4, V5.S4, V1.S4
	VDUP   V18.S[3], V5.S4
	VFMLA  V2.S4, V1.S4, V5.S4
	FMUL_S4(4, 2, 2) // FMUL V4.4S, V2.4S, V2.4S
	VFMLA  V4.S4, V5.S4, V2.S4
	FADD_S4(1, 2, 28) // FADD V1.4S, V2.4S, V28.4S
	VSHL   $23, V3.S4, V3.S4
	VADD   V3.S4, V1.S4, V1.S4
	FCMGE_S4(2, 0, 25) // FCMGE V2.4S, V0.4S, V25.4S
	VAND   V2.B16, V1.B16, V1.B16
	FCMEQ_S4(2, 0, 0) // FCMEQ V2.4S, V0.4S, V0.4S
	VBIF   V2.B16, V0.B16, V1.B16
	// end exp block
	FMUL_S4_ELEM(1, 1, 20, 3) // FMUL V1.4S, V1.4S, V20.S[3]
	VFMLA  V1.S4, V6.S4, V14.S4
	VLD1.P 16(R3), [V7.S4]
	VLD1   (R0), [V8.S4]
	FMUL_S4(14, 14, 7) // FMUL V14.4S, V14.4S, V7.4S
	FADD_S4(14, 14, 8) // FADD V14.4S, V14.4S, V8.4S
	VST1.P [V14.S4], 16(R0)
	SUBS   $4, R2, R2
	BNE    gelubwloop

gelubwdone:
	RET
