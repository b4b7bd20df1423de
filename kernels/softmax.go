package kernels

import (
	"math"
)

// MaskedOut is the additive-mask value that marks a position as masked out.
// It reproduces PyTorch's scores.masked_fill(mask, finfo(float32).min) as
// Hugging Face's DistilBERT attention uses it: the score becomes exactly
// -MaxFloat32 whatever its value, a fully masked row gets a uniform
// distribution (not NaN), and masked positions receive zero gradient.
const MaskedOut = -math.MaxFloat32

// SoftmaxRows computes, for each of rows rows of cols values,
//
//	dst[r,j] = softmax_j(scale*src[r,j] + mask[r/rowsPerMask, j])
//
// where mask may be nil (no mask) and a mask value of MaskedOut masks the
// position out (see MaskedOut). For attention scores [B,NH,T,T] and a key
// mask [B,T], rowsPerMask = NH*T. dst and src may be the same slice.
func SoftmaxRows(dst, src []float32, rows, cols int, scale float32, mask []float32, rowsPerMask int) {
	checkSoftmax("SoftmaxRows", dst, src, rows, cols, mask, rowsPerMask)
	softmaxRowsImpl(dst, src, rows, cols, scale, mask, rowsPerMask)
}

// SoftmaxRowsBackward accumulates the gradient of SoftmaxRows' input given
// its output y and the output gradient dy:
//
//	dsrc[r,j] += scale * y[r,j] * (dy[r,j] - sum_i y[r,i]*dy[r,i])
//
// and nothing at masked-out positions (masked_fill passes no gradient).
func SoftmaxRowsBackward(dsrc, y, dy []float32, rows, cols int, scale float32, mask []float32, rowsPerMask int) {
	checkSoftmax("SoftmaxRowsBackward", dsrc, y, rows, cols, mask, rowsPerMask)
	checkLen("SoftmaxRowsBackward", "dy", len(dy), rows*cols)
	softmaxRowsBackwardImpl(dsrc, y, dy, rows, cols, scale, mask, rowsPerMask)
}

func checkSoftmax(kernel string, dst, src []float32, rows, cols int, mask []float32, rowsPerMask int) {
	if rows < 0 || cols < 0 {
		panicShape(kernel, "negative size rows=%d cols=%d", rows, cols)
	}
	checkLen(kernel, "dst", len(dst), rows*cols)
	checkLen(kernel, "src", len(src), rows*cols)
	if mask != nil && rows > 0 {
		if rowsPerMask < 1 {
			panicShape(kernel, "rowsPerMask=%d with a mask", rowsPerMask)
		}
		checkLen(kernel, "mask", len(mask), ((rows-1)/rowsPerMask+1)*cols)
	}
}

var (
	softmaxRowsImpl         = softmaxRowsGeneric
	softmaxRowsBackwardImpl = softmaxRowsBackwardGeneric
)

func maskRow(mask []float32, r, cols, rowsPerMask int) []float32 {
	if mask == nil {
		return nil
	}
	m := r / rowsPerMask
	return mask[m*cols : m*cols+cols]
}

func softmaxRowsGeneric(dst, src []float32, rows, cols int, scale float32, mask []float32, rowsPerMask int) {
	ParallelFor(rows, max(1, 4096/max(cols, 1)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			x := src[r*cols : r*cols+cols]
			y := dst[r*cols : r*cols+cols]
			mr := maskRow(mask, r, cols, rowsPerMask)
			mx := float32(math.Inf(-1))
			for j, v := range x {
				v *= scale
				if mr != nil {
					if mr[j] <= MaskedOut {
						v = MaskedOut
					} else {
						v += mr[j]
					}
				}
				y[j] = v
				if v > mx {
					mx = v
				}
			}
			var sum float32
			for j, v := range y {
				e := float32(math.Exp(float64(v - mx)))
				y[j] = e
				sum += e
			}
			inv := 1 / sum
			for j := range y {
				y[j] *= inv
			}
		}
	})
}

func softmaxRowsBackwardGeneric(dsrc, y, dy []float32, rows, cols int, scale float32, mask []float32, rowsPerMask int) {
	ParallelFor(rows, max(1, 4096/max(cols, 1)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			yr := y[r*cols : r*cols+cols]
			gr := dy[r*cols : r*cols+cols]
			dr := dsrc[r*cols : r*cols+cols]
			mr := maskRow(mask, r, cols, rowsPerMask)
			var dot float32
			for j, v := range yr {
				dot += v * gr[j]
			}
			for j, v := range yr {
				if mr != nil && mr[j] <= MaskedOut {
					continue
				}
				dr[j] += scale * v * (gr[j] - dot)
			}
		}
	})
}

// SoftmaxRowsRef is the float64 reference of SoftmaxRows.
func SoftmaxRowsRef(dst, src []float32, rows, cols int, scale float32, mask []float32, rowsPerMask int) {
	checkSoftmax("SoftmaxRowsRef", dst, src, rows, cols, mask, rowsPerMask)
	v := make([]float64, cols)
	for r := 0; r < rows; r++ {
		mr := maskRow(mask, r, cols, rowsPerMask)
		mx := math.Inf(-1)
		for j := 0; j < cols; j++ {
			v[j] = float64(scale) * float64(src[r*cols+j])
			if mr != nil {
				if mr[j] <= MaskedOut {
					v[j] = MaskedOut
				} else {
					v[j] += float64(mr[j])
				}
			}
			mx = math.Max(mx, v[j])
		}
		var sum float64
		for j := range v {
			v[j] = math.Exp(v[j] - mx)
			sum += v[j]
		}
		for j := range v {
			dst[r*cols+j] = float32(v[j] / sum)
		}
	}
}
