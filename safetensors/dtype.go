package safetensors

import "math"

// DType is the element type of a tensor, spelled as in the safetensors
// header ("F32", "BF16", ...).
type DType string

// The element types of the safetensors format. Every one of them can be read
// raw (File.Raw); F64, F32, F16 and BF16 convert to float32 (File.Float32),
// the integer and boolean types to int64 (File.Int64). The sub-byte types of
// newer safetensors releases (F4, F6_*) are not supported and are rejected as
// unknown.
const (
	Bool   DType = "BOOL"
	U8     DType = "U8"
	I8     DType = "I8"
	F8E5M2 DType = "F8_E5M2"
	F8E4M3 DType = "F8_E4M3"
	I16    DType = "I16"
	U16    DType = "U16"
	F16    DType = "F16"
	BF16   DType = "BF16"
	I32    DType = "I32"
	U32    DType = "U32"
	F32    DType = "F32"
	F64    DType = "F64"
	I64    DType = "I64"
	U64    DType = "U64"
)

// dtypeOrder lists the dtypes in the order of the reference implementation's
// Dtype enum (ascending alignment). The writer sorts tensors by descending
// rank, then by name, as the reference does.
var dtypeOrder = []DType{Bool, U8, I8, F8E5M2, F8E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64}

var dtypeSize = map[DType]int{
	Bool: 1, U8: 1, I8: 1, F8E5M2: 1, F8E4M3: 1,
	I16: 2, U16: 2, F16: 2, BF16: 2,
	I32: 4, U32: 4, F32: 4,
	F64: 8, I64: 8, U64: 8,
}

// Size returns the number of bytes of one element, or 0 for an unknown
// dtype.
func (d DType) Size() int { return dtypeSize[d] }

// Valid reports whether d is a dtype this package knows.
func (d DType) Valid() bool { return dtypeSize[d] != 0 }

// IsFloat reports whether File.Float32 can convert tensors of this dtype.
func (d DType) IsFloat() bool { return d == F32 || d == F16 || d == BF16 || d == F64 }

// IsInt reports whether File.Int64 can convert tensors of this dtype.
func (d DType) IsInt() bool {
	switch d {
	case Bool, U8, I8, I16, U16, I32, U32, I64, U64:
		return true
	}
	return false
}

func (d DType) rank() int {
	for i, x := range dtypeOrder {
		if x == d {
			return i
		}
	}
	return -1
}

// f16ToF32 converts IEEE 754 binary16 bits to float32 exactly (every half
// value is representable in float32), including subnormals, infinities and
// NaN (the payload is kept in the top mantissa bits).
func f16ToF32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	man := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0xff<<23 | man<<13)
	case exp != 0: // normal: rebias 15 -> 127
		return math.Float32frombits(sign | (exp+112)<<23 | man<<13)
	case man == 0: // signed zero
		return math.Float32frombits(sign)
	default: // subnormal: normalise the mantissa
		e := uint32(113) // exponent of 2^-14 in float32 bias, before shifting
		for man&0x400 == 0 {
			man <<= 1
			e--
		}
		return math.Float32frombits(sign | e<<23 | (man&0x3ff)<<13)
	}
}

// bf16ToF32 converts bfloat16 bits to float32: bfloat16 is the top half of
// a float32.
func bf16ToF32(b uint16) float32 { return math.Float32frombits(uint32(b) << 16) }
