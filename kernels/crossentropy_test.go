package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// crossEntropyRef64 is the float64 reference: per-row losses and gradients.
func crossEntropyRef64(logits []float32, labels []int32, rows, cols int, ignore int32, gradScale float32) (loss float64, count int, grad []float64) {
	grad = make([]float64, rows*cols)
	for r := 0; r < rows; r++ {
		if labels[r] == ignore {
			continue
		}
		x := logits[r*cols : r*cols+cols]
		mx := math.Inf(-1)
		for _, v := range x {
			mx = math.Max(mx, float64(v))
		}
		var sum float64
		for _, v := range x {
			sum += math.Exp(float64(v) - mx)
		}
		loss += mx + math.Log(sum) - float64(x[labels[r]])
		count++
		for j, v := range x {
			grad[r*cols+j] = float64(gradScale) * math.Exp(float64(v)-mx) / sum
		}
		grad[r*cols+int(labels[r])] -= float64(gradScale)
	}
	return loss, count, grad
}

// TestCrossEntropy compares with the float64 reference, with the vocabulary
// size of DistilBERT and odd sizes. Tolerances: the vector levels sum
// exp(x - max) in float32 lanes (2·lanes partial sums, each of cols/(2·lanes)
// terms, relative error <= (cols/16 + 3)·u after the final reduction), so the
// log-sum-exp of a row is within that much absolutely, and each gradient
// entry within (that + 4u) relative plus u·gradScale for the label's
// subtraction.
func TestCrossEntropy(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(41, 42))
		for _, sz := range [][2]int{{1, 1}, {3, 3}, {3, 4}, {3, 5}, {3, 7}, {5, 15}, {5, 16}, {5, 17}, {4, 33}, {6, 1000}, {3, 30522}, {0, 5}} {
			rows, cols := sz[0], sz[1]
			t.Run(fmt.Sprintf("%dx%d", rows, cols), func(t *testing.T) {
				logits := make([]float32, rows*cols)
				fillUniform(r, logits, 10)
				labels := make([]int32, rows)
				for i := range labels {
					labels[i] = int32(r.IntN(cols))
					if i%3 == 1 {
						labels[i] = -100
					}
				}
				gradScale := float32(1) / float32(max(rows, 1))
				wantLoss, wantCount, wantGrad := crossEntropyRef64(logits, labels, rows, cols, -100, gradScale)
				d := newGuarded(rows * cols)
				fillUniform(r, d.s, 1) // must be overwritten, also on ignored rows
				loss, count := CrossEntropy(d.s, logits, labels, rows, cols, -100, gradScale)
				d.check(t, "dlogits")
				if count != wantCount {
					t.Fatalf("count = %d, want %d", count, wantCount)
				}
				rel := float64(cols/16+8) * u
				// Per row: the log-sum-exp within rel, plus the float32
				// rounding of max and of the label's logit (|x| <= 10 and
				// log(cols) <= 11, so 64u covers them).
				if diff := math.Abs(loss - wantLoss); diff > (rel+64*u)*float64(count) {
					t.Fatalf("loss = %v, want %v (|diff| %.3g)", loss, wantLoss, diff)
				}
				for i, w := range wantGrad {
					tol := math.Abs(w)*(rel+4*u) + u*float64(gradScale)
					if diff := math.Abs(float64(d.s[i]) - w); !(diff <= tol) {
						t.Fatalf("dlogits[%d] = %v, want %v (|diff| %.3g > %.3g)", i, d.s[i], w, diff, tol)
					}
				}
				// Without gradient: same loss.
				loss2, _ := CrossEntropy(nil, logits, labels, rows, cols, -100, gradScale)
				if loss2 != loss {
					t.Fatalf("loss without gradient %v != %v", loss2, loss)
				}
			})
		}
	})
}
