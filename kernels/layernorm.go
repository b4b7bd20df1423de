package kernels

import "math"

// LayerNorm normalizes each of rows rows of cols values of x:
//
//	y = (x - mean) * rstd * w + b,  rstd = 1/sqrt(var + eps)
//
// with the biased variance, as torch.nn.LayerNorm. It stores each row's mean
// and rstd for the backward pass. Statistics are accumulated in float64 so
// that rows of thousands of values keep full float32 accuracy.
func LayerNorm(y, mean, rstd, x, w, b []float32, rows, cols int, eps float32) {
	checkLayerNorm("LayerNorm", y, mean, rstd, x, w, rows, cols)
	checkLen("LayerNorm", "b", len(b), cols)
	layerNormImpl(y, mean, rstd, x, w, b, rows, cols, eps)
}

// LayerNormBackward accumulates dx, dw and db from dy, the saved mean and
// rstd, the input x and the weight w. dw and db are summed over rows; they may
// be nil when not needed.
func LayerNormBackward(dx, dw, db, dy, x, w, mean, rstd []float32, rows, cols int) {
	checkLayerNorm("LayerNormBackward", dx, mean, rstd, x, w, rows, cols)
	checkLen("LayerNormBackward", "dy", len(dy), rows*cols)
	if dw != nil {
		checkLen("LayerNormBackward", "dw", len(dw), cols)
	}
	if db != nil {
		checkLen("LayerNormBackward", "db", len(db), cols)
	}
	layerNormBackwardImpl(dx, dw, db, dy, x, w, mean, rstd, rows, cols)
}

func checkLayerNorm(kernel string, y, mean, rstd, x, w []float32, rows, cols int) {
	if rows < 0 || cols < 1 {
		panicShape(kernel, "bad size rows=%d cols=%d", rows, cols)
	}
	checkLen(kernel, "y", len(y), rows*cols)
	checkLen(kernel, "x", len(x), rows*cols)
	checkLen(kernel, "mean", len(mean), rows)
	checkLen(kernel, "rstd", len(rstd), rows)
	checkLen(kernel, "w", len(w), cols)
}

var (
	layerNormImpl         = layerNormGeneric
	layerNormBackwardImpl = layerNormBackwardGeneric
)

func layerNormGeneric(y, mean, rstd, x, w, b []float32, rows, cols int, eps float32) {
	ParallelFor(rows, 8, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr := x[r*cols : r*cols+cols]
			yr := y[r*cols : r*cols+cols]
			var s float64
			for _, v := range xr {
				s += float64(v)
			}
			m := s / float64(cols)
			var ss float64
			for _, v := range xr {
				d := float64(v) - m
				ss += d * d
			}
			rs := 1 / math.Sqrt(ss/float64(cols)+float64(eps))
			mf, rf := float32(m), float32(rs)
			for j, v := range xr {
				yr[j] = (v-mf)*rf*w[j] + b[j]
			}
			mean[r], rstd[r] = mf, rf
		}
	})
}

func layerNormBackwardGeneric(dx, dw, db, dy, x, w, mean, rstd []float32, rows, cols int) {
	// dx: per row, parallel. dw/db: reduced over rows, single pass per column
	// block so that no two workers write the same element.
	ParallelFor(rows, 8, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr := x[r*cols : r*cols+cols]
			gr := dy[r*cols : r*cols+cols]
			dr := dx[r*cols : r*cols+cols]
			m, rs := mean[r], rstd[r]
			// xhat = (x-m)*rs; dxhat = dy*w
			var sumG, sumGX float64
			for j, v := range xr {
				g := float64(gr[j] * w[j])
				sumG += g
				sumGX += g * float64((v-m)*rs)
			}
			mG := float32(sumG / float64(cols))
			mGX := float32(sumGX / float64(cols))
			for j, v := range xr {
				xh := (v - m) * rs
				dr[j] += rs * (gr[j]*w[j] - mG - xh*mGX)
			}
		}
	})
	if dw == nil && db == nil {
		return
	}
	ParallelFor(cols, 64, func(lo, hi int) {
		for r := 0; r < rows; r++ {
			xr := x[r*cols : r*cols+cols]
			gr := dy[r*cols : r*cols+cols]
			m, rs := mean[r], rstd[r]
			for j := lo; j < hi; j++ {
				if dw != nil {
					dw[j] += gr[j] * (xr[j] - m) * rs
				}
				if db != nil {
					db[j] += gr[j]
				}
			}
		}
	})
}
