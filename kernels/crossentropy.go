package kernels

import "math"

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

func crossEntropyGeneric(dlogits, logits []float32, labels []int32, rows, cols int, ignore int32, gradScale float32) (float64, int) {
	losses := make([]float64, rows)
	ParallelFor(rows, 1, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			x := logits[r*cols : r*cols+cols]
			var d []float32
			if dlogits != nil {
				d = dlogits[r*cols : r*cols+cols]
			}
			if labels[r] == ignore {
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
			lse := float64(mx) + math.Log(sum)
			l := labels[r]
			losses[r] = lse - float64(x[l])
			if d != nil {
				inv := 1 / sum
				for j, v := range x {
					d[j] = gradScale * float32(math.Exp(float64(v-mx))*inv)
				}
				d[l] -= gradScale
			}
		}
	})
	var loss float64
	n := 0
	for r, l := range losses {
		if labels[r] != ignore {
			loss += l
			n++
		}
	}
	return loss, n
}
