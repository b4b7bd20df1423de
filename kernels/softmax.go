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

// softmaxArgs are the arguments of a SoftmaxRows or SoftmaxRowsBackward call.
type softmaxArgs struct {
	dst, src, dy, mask []float32
	cols, rowsPerMask  int
	scale              float32
}

var softmaxJobs argPool[job[softmaxArgs]]

func softmaxGrain(cols int) int { return max(1, 4096/max(cols, 1)) }

func softmaxRowsGeneric(dst, src []float32, rows, cols int, scale float32, mask []float32, rowsPerMask int) {
	parallel(&softmaxJobs, rows, softmaxGrain(cols), softmaxArgs{dst: dst, src: src, mask: mask, cols: cols, rowsPerMask: rowsPerMask, scale: scale}, softmaxRangeGeneric)
}

func softmaxRangeGeneric(a *softmaxArgs, lo, hi int) {
	cols, scale := a.cols, a.scale
	for r := lo; r < hi; r++ {
		x := a.src[r*cols : r*cols+cols]
		y := a.dst[r*cols : r*cols+cols]
		mr := maskRow(a.mask, r, cols, a.rowsPerMask)
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
			e := expPoly(v - mx)
			y[j] = e
			sum += e
		}
		inv := 1 / sum
		for j := range y {
			y[j] *= inv
		}
	}
}

func softmaxRowsSIMD(dst, src []float32, rows, cols int, scale float32, mask []float32, rowsPerMask int) {
	parallel(&softmaxJobs, rows, softmaxGrain(cols), softmaxArgs{dst: dst, src: src, mask: mask, cols: cols, rowsPerMask: rowsPerMask, scale: scale}, softmaxRangeSIMD)
}

// softmaxRangeSIMD is softmaxRangeGeneric with the vector primitives on the
// first vlen(cols) columns of each row and scalar code on the rest.
func softmaxRangeSIMD(a *softmaxArgs, lo, hi int) {
	o := simd
	cols, scale := a.cols, a.scale
	nv := vlen(cols)
	for r := lo; r < hi; r++ {
		x := a.src[r*cols : r*cols+cols]
		y := a.dst[r*cols : r*cols+cols]
		mr := maskRow(a.mask, r, cols, a.rowsPerMask)
		mx := float32(math.Inf(-1))
		if nv > 0 {
			if mr != nil {
				mx = o.smScaleMaskMax(&y[0], &x[0], &mr[0], nv, scale)
			} else {
				mx = o.smScaleMax(&y[0], &x[0], nv, scale)
			}
		}
		for j := nv; j < cols; j++ {
			v := x[j] * scale
			if mr != nil {
				if mr[j] <= MaskedOut {
					v = MaskedOut
				} else {
					v += mr[j]
				}
			}
			y[j] = v
			mx = max(mx, v)
		}
		var sum float32
		if nv > 0 {
			sum = o.smExpSum(&y[0], nv, mx)
		}
		for j := nv; j < cols; j++ {
			e := expf(y[j] - mx)
			y[j] = e
			sum += e
		}
		scaleRow(1/sum, y)
	}
}

func softmaxRowsBackwardGeneric(dsrc, y, dy []float32, rows, cols int, scale float32, mask []float32, rowsPerMask int) {
	parallel(&softmaxJobs, rows, softmaxGrain(cols), softmaxArgs{dst: dsrc, src: y, dy: dy, mask: mask, cols: cols, rowsPerMask: rowsPerMask, scale: scale}, softmaxBackwardRangeGeneric)
}

func softmaxBackwardRangeGeneric(a *softmaxArgs, lo, hi int) {
	cols, scale := a.cols, a.scale
	for r := lo; r < hi; r++ {
		yr := a.src[r*cols : r*cols+cols]
		gr := a.dy[r*cols : r*cols+cols]
		dr := a.dst[r*cols : r*cols+cols]
		mr := maskRow(a.mask, r, cols, a.rowsPerMask)
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
}

func softmaxRowsBackwardSIMD(dsrc, y, dy []float32, rows, cols int, scale float32, mask []float32, rowsPerMask int) {
	parallel(&softmaxJobs, rows, softmaxGrain(cols), softmaxArgs{dst: dsrc, src: y, dy: dy, mask: mask, cols: cols, rowsPerMask: rowsPerMask, scale: scale}, softmaxBackwardRangeSIMD)
}

func softmaxBackwardRangeSIMD(a *softmaxArgs, lo, hi int) {
	o := simd
	cols, scale := a.cols, a.scale
	nv := vlen(cols)
	for r := lo; r < hi; r++ {
		yr := a.src[r*cols : r*cols+cols]
		gr := a.dy[r*cols : r*cols+cols]
		dr := a.dst[r*cols : r*cols+cols]
		mr := maskRow(a.mask, r, cols, a.rowsPerMask)
		var dot float32
		if nv > 0 {
			dot = o.dot(&yr[0], &gr[0], nv)
		}
		for j := nv; j < cols; j++ {
			dot += yr[j] * gr[j]
		}
		if nv > 0 {
			if mr != nil {
				o.smBackwardMask(&dr[0], &yr[0], &gr[0], &mr[0], nv, scale, dot)
			} else {
				o.smBackward(&dr[0], &yr[0], &gr[0], nv, scale, dot)
			}
		}
		for j := nv; j < cols; j++ {
			if mr != nil && mr[j] <= MaskedOut {
				continue
			}
			dr[j] += scale * yr[j] * (gr[j] - dot)
		}
	}
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
