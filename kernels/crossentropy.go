package kernels

import (
	"math"
	"sync"
)

// CrossEntropy computes the softmax cross-entropy of rows rows of cols logits
// against labels, skipping rows whose label equals ignore. It returns the
// summed loss (float64) and the number of rows counted. If dlogits is not
// nil, it is overwritten with gradScale*(softmax(logits) - onehot(label)) on
// counted rows and zero on ignored rows, so the caller can pass
// gradScale = 1/count for the mean loss.
//
// A label outside [0, cols) that is not ignore is a programmer error.
func CrossEntropy(dlogits, logits []float32, labels []int32, rows, cols int, ignore int32, gradScale float32) (loss float64, count int) {
	if rows < 0 || cols < 1 {
		panicShape("CrossEntropy", "bad size rows=%d cols=%d", rows, cols)
	}
	checkLen("CrossEntropy", "logits", len(logits), rows*cols)
	checkLen("CrossEntropy", "labels", len(labels), rows)
	if dlogits != nil {
		checkLen("CrossEntropy", "dlogits", len(dlogits), rows*cols)
	}
	for r := 0; r < rows; r++ {
		if l := labels[r]; l != ignore && (l < 0 || int(l) >= cols) {
			panicShape("CrossEntropy", "label %d at row %d outside [0,%d)", l, r, cols)
		}
	}
	return crossEntropyImpl(dlogits, logits, labels, rows, cols, ignore, gradScale)
}

var crossEntropyImpl = crossEntropyGeneric

// ceArgs are the arguments of a CrossEntropy call; losses is a reused
// per-row buffer (summed in row order afterwards, so the result does not
// depend on the number of threads).
type ceArgs struct {
	dlogits, logits []float32
	labels          []int32
	cols            int
	ignore          int32
	gradScale       float32
	losses          []float64
}

var ceJobs argPool[job[ceArgs]]

var ceLosses struct {
	mu  sync.Mutex
	buf []float64
}

func crossEntropyGeneric(dlogits, logits []float32, labels []int32, rows, cols int, ignore int32, gradScale float32) (float64, int) {
	return crossEntropyRun(dlogits, logits, labels, rows, cols, ignore, gradScale, crossEntropyRangeGeneric)
}

func crossEntropySIMD(dlogits, logits []float32, labels []int32, rows, cols int, ignore int32, gradScale float32) (float64, int) {
	return crossEntropyRun(dlogits, logits, labels, rows, cols, ignore, gradScale, crossEntropyRangeSIMD)
}

func crossEntropyRun(dlogits, logits []float32, labels []int32, rows, cols int, ignore int32, gradScale float32, fn func(*ceArgs, int, int)) (float64, int) {
	ceLosses.mu.Lock()
	losses := ceLosses.buf
	ceLosses.buf = nil
	ceLosses.mu.Unlock()
	if cap(losses) < rows {
		losses = make([]float64, rows)
	}
	losses = losses[:rows]
	parallel(&ceJobs, rows, 1, ceArgs{dlogits: dlogits, logits: logits, labels: labels, cols: cols, ignore: ignore, gradScale: gradScale, losses: losses}, fn)
	var loss float64
	n := 0
	for r, l := range losses {
		if labels[r] != ignore {
			loss += l
			n++
		}
	}
	ceLosses.mu.Lock()
	if cap(losses) > cap(ceLosses.buf) {
		ceLosses.buf = losses
	}
	ceLosses.mu.Unlock()
	return loss, n
}

func crossEntropyRangeGeneric(a *ceArgs, lo, hi int) {
	cols := a.cols
	for r := lo; r < hi; r++ {
		x := a.logits[r*cols : r*cols+cols]
		var d []float32
		if a.dlogits != nil {
			d = a.dlogits[r*cols : r*cols+cols]
		}
		if a.labels[r] == a.ignore {
			clear(d)
			continue
		}
		mx := float32(math.Inf(-1))
		for _, v := range x {
			mx = max(mx, v)
		}
		var sum float64
		for _, v := range x {
			sum += math.Exp(float64(v - mx))
		}
		l := a.labels[r]
		a.losses[r] = float64(mx) + math.Log(sum) - float64(x[l])
		if d != nil {
			inv := 1 / sum
			for j, v := range x {
				d[j] = a.gradScale * float32(math.Exp(float64(v-mx))*inv)
			}
			d[l] -= a.gradScale
		}
	}
}

// crossEntropyRangeSIMD: the row max, the sum of exponentials (float32
// lanes) and the gradient with the vector primitives.
func crossEntropyRangeSIMD(a *ceArgs, lo, hi int) {
	o := simd
	cols := a.cols
	nv := vlen(cols)
	for r := lo; r < hi; r++ {
		x := a.logits[r*cols : r*cols+cols]
		var d []float32
		if a.dlogits != nil {
			d = a.dlogits[r*cols : r*cols+cols]
		}
		if a.labels[r] == a.ignore {
			clear(d)
			continue
		}
		mx := float32(math.Inf(-1))
		if nv > 0 {
			mx = o.max(&x[0], nv)
		}
		for _, v := range x[nv:] {
			mx = max(mx, v)
		}
		var sum float64
		if nv > 0 {
			sum = float64(o.expSum(&x[0], nv, mx))
		}
		for _, v := range x[nv:] {
			sum += math.Exp(float64(v - mx))
		}
		l := a.labels[r]
		a.losses[r] = float64(mx) + math.Log(sum) - float64(x[l])
		if d != nil {
			s := float32(float64(a.gradScale) / sum)
			if nv > 0 {
				o.expScale(&d[0], &x[0], nv, mx, s)
			}
			for j := nv; j < cols; j++ {
				d[j] = s * expf(x[j]-mx)
			}
			d[l] -= a.gradScale
		}
	}
}
