package safetensors

import (
	"fmt"
	"math"
)

// expMask selects a float32's exponent bits: all ones for NaN and ±Inf.
const expMask = 0x7f800000

// FirstNonFinite returns the index of the first NaN or infinite value of x,
// or -1 when every value is finite. It reads x once, eight values per
// iteration with the exponent test folded into one branch, at memory speed
// (about as fast as the conversion that filled x); only a block holding a
// bad value is looked at again.
func FirstNonFinite(x []float32) int {
	i := 0
	for ; i+8 <= len(x); i += 8 {
		b := x[i : i+8 : i+8]
		// A value is not finite iff its exponent bits are all ones, i.e.
		// (bits & expMask) == expMask; OR-ing "all ones" flags over the
		// block costs one compare per value and one branch per block.
		bad := (math.Float32bits(b[0])&expMask)/expMask | (math.Float32bits(b[1])&expMask)/expMask |
			(math.Float32bits(b[2])&expMask)/expMask | (math.Float32bits(b[3])&expMask)/expMask |
			(math.Float32bits(b[4])&expMask)/expMask | (math.Float32bits(b[5])&expMask)/expMask |
			(math.Float32bits(b[6])&expMask)/expMask | (math.Float32bits(b[7])&expMask)/expMask
		if bad != 0 {
			break
		}
	}
	for ; i < len(x); i++ {
		if math.Float32bits(x[i])&expMask == expMask {
			return i
		}
	}
	return -1
}

// CheckFinite returns an error naming the tensor, the first non-finite
// value and its index (flat and per dimension of shape) when x holds a NaN
// or an infinity.
func CheckFinite(name string, shape []int, x []float32) error {
	i := FirstNonFinite(x)
	if i < 0 {
		return nil
	}
	return fmt.Errorf("tensor %q holds %v at index %v (element %d of %d): the weights are corrupt or the model diverged", name, x[i], unflatten(i, shape), i, len(x))
}

// unflatten turns a row-major flat index into one index per dimension.
func unflatten(i int, shape []int) []int {
	idx := make([]int, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		if shape[d] > 0 {
			idx[d] = i % shape[d]
			i /= shape[d]
		}
	}
	return idx
}
