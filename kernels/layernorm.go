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

// lnArgs are the arguments of a LayerNorm or LayerNormBackward call.
type lnArgs struct {
	y, mean, rstd, x, w, b []float32
	dw, db, dy             []float32
	rows, cols             int
	eps                    float32
}

var lnJobs argPool[job[lnArgs]]

func layerNormGeneric(y, mean, rstd, x, w, b []float32, rows, cols int, eps float32) {
	parallel(&lnJobs, rows, 8, lnArgs{y: y, mean: mean, rstd: rstd, x: x, w: w, b: b, rows: rows, cols: cols, eps: eps}, layerNormRange)
}

func layerNormRange(a *lnArgs, lo, hi int) {
	cols := a.cols
	w, b := a.w[:cols], a.b[:cols]
	for r := lo; r < hi; r++ {
		xr := a.x[r*cols : r*cols+cols]
		yr := a.y[r*cols : r*cols+cols]
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
		rs := 1 / math.Sqrt(ss/float64(cols)+float64(a.eps))
		mf, rf := float32(m), float32(rs)
		for j, v := range xr {
			yr[j] = float32(float32((v-mf)*rf)*w[j]) + b[j]
		}
		a.mean[r], a.rstd[r] = mf, rf
	}
}

func layerNormBackwardGeneric(dx, dw, db, dy, x, w, mean, rstd []float32, rows, cols int) {
	// dx: per row, parallel. dw/db: reduced over rows, split over columns so
	// that no two workers write the same element.
	args := lnArgs{y: dx, dw: dw, db: db, dy: dy, x: x, w: w, mean: mean, rstd: rstd, rows: rows, cols: cols}
	parallel(&lnJobs, rows, 8, args, layerNormBackwardRowsRange)
	if dw == nil && db == nil {
		return
	}
	parallel(&lnJobs, cols, 64, args, layerNormBackwardParamsRange)
}

func layerNormBackwardRowsRange(a *lnArgs, lo, hi int) {
	cols := a.cols
	w := a.w[:cols]
	for r := lo; r < hi; r++ {
		xr := a.x[r*cols : r*cols+cols]
		gr := a.dy[r*cols : r*cols+cols]
		dr := a.y[r*cols : r*cols+cols]
		m, rs := a.mean[r], a.rstd[r]
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
}

func layerNormBackwardParamsRange(a *lnArgs, lo, hi int) {
	cols := a.cols
	for r := 0; r < a.rows; r++ {
		xr := a.x[r*cols : r*cols+cols]
		gr := a.dy[r*cols : r*cols+cols]
		m, rs := a.mean[r], a.rstd[r]
		for j := lo; j < hi; j++ {
			if a.dw != nil {
				a.dw[j] += gr[j] * (xr[j] - m) * rs
			}
			if a.db != nil {
				a.db[j] += gr[j]
			}
		}
	}
}
