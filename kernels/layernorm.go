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
			yr[j] = float32(float32((v-mf)*rf)*w[j]) + b[j] // no FMA: as the vector code
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
			dr[j] += float32(rs * (float32(gr[j]*w[j]) - mG - float32(xh*mGX)))
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
				a.dw[j] += float32(float32(gr[j]*(xr[j]-m)) * rs)
			}
			if a.db != nil {
				a.db[j] += gr[j]
			}
		}
	}
}

// The vector levels: the same computations, with the row statistics summed
// in float64 vector lanes and the element-wise parts in float32 vectors (in
// the generic code's operation order), scalar code on each row's tail.

func layerNormSIMD(y, mean, rstd, x, w, b []float32, rows, cols int, eps float32) {
	parallel(&lnJobs, rows, 8, lnArgs{y: y, mean: mean, rstd: rstd, x: x, w: w, b: b, rows: rows, cols: cols, eps: eps}, layerNormRangeSIMD)
}

func layerNormRangeSIMD(a *lnArgs, lo, hi int) {
	o := simd
	cols := a.cols
	nv := vlen(cols)
	w, b := a.w[:cols], a.b[:cols]
	for r := lo; r < hi; r++ {
		xr := a.x[r*cols : r*cols+cols]
		yr := a.y[r*cols : r*cols+cols]
		var s float64
		if nv > 0 {
			s = o.sumF64(&xr[0], nv)
		}
		for _, v := range xr[nv:] {
			s += float64(v)
		}
		m := s / float64(cols)
		var ss float64
		if nv > 0 {
			ss = o.sumSqDevF64(&xr[0], nv, m)
		}
		for _, v := range xr[nv:] {
			d := float64(v) - m
			ss += d * d
		}
		rs := 1 / math.Sqrt(ss/float64(cols)+float64(a.eps))
		mf, rf := float32(m), float32(rs)
		if nv > 0 {
			o.lnApply(&yr[0], &xr[0], &w[0], &b[0], nv, mf, rf)
		}
		for j := nv; j < cols; j++ {
			yr[j] = float32(float32((xr[j]-mf)*rf)*w[j]) + b[j]
		}
		a.mean[r], a.rstd[r] = mf, rf
	}
}

func layerNormBackwardSIMD(dx, dw, db, dy, x, w, mean, rstd []float32, rows, cols int) {
	args := lnArgs{y: dx, dw: dw, db: db, dy: dy, x: x, w: w, mean: mean, rstd: rstd, rows: rows, cols: cols}
	parallel(&lnJobs, rows, 8, args, layerNormBackwardRowsRangeSIMD)
	if dw == nil && db == nil {
		return
	}
	if dw == nil || db == nil {
		parallel(&lnJobs, cols, 64, args, layerNormBackwardParamsRange)
		return
	}
	parallel(&lnJobs, cols, 64, args, layerNormBackwardParamsRangeSIMD)
}

func layerNormBackwardRowsRangeSIMD(a *lnArgs, lo, hi int) {
	o := simd
	cols := a.cols
	nv := vlen(cols)
	w := a.w[:cols]
	for r := lo; r < hi; r++ {
		xr := a.x[r*cols : r*cols+cols]
		gr := a.dy[r*cols : r*cols+cols]
		dr := a.y[r*cols : r*cols+cols]
		m, rs := a.mean[r], a.rstd[r]
		var sumG, sumGX float64
		if nv > 0 {
			sumG, sumGX = o.lnBackwardSums(&gr[0], &w[0], &xr[0], nv, m, rs)
		}
		for j := nv; j < cols; j++ {
			g := float64(gr[j] * w[j])
			sumG += g
			sumGX += g * float64((xr[j]-m)*rs)
		}
		mG := float32(sumG / float64(cols))
		mGX := float32(sumGX / float64(cols))
		if nv > 0 {
			o.lnBackwardDx(&dr[0], &gr[0], &w[0], &xr[0], nv, m, rs, mG, mGX)
		}
		for j := nv; j < cols; j++ {
			xh := (xr[j] - m) * rs
			dr[j] += float32(rs * (float32(gr[j]*w[j]) - mG - float32(xh*mGX)))
		}
	}
}

func layerNormBackwardParamsRangeSIMD(a *lnArgs, lo, hi int) {
	o := simd
	cols := a.cols
	nv := vlen(hi - lo)
	for r := 0; r < a.rows; r++ {
		xr := a.x[r*cols+lo : r*cols+hi]
		gr := a.dy[r*cols+lo : r*cols+hi]
		dw, db := a.dw[lo:hi], a.db[lo:hi]
		m, rs := a.mean[r], a.rstd[r]
		if nv > 0 {
			o.lnBackwardPar(&dw[0], &db[0], &gr[0], &xr[0], nv, m, rs)
		}
		for j := nv; j < hi-lo; j++ {
			dw[j] += float32(float32(gr[j]*(xr[j]-m)) * rs)
			db[j] += gr[j]
		}
	}
}
