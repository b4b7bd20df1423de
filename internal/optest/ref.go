package optest

import (
	"math"

	"github.com/distilgo/distilgo/kernels"
	"github.com/distilgo/distilgo/tensor"
)

// Float64 references of the ops.

func matmulRef(a, b []float64, batch, m, n, k int, tA, tB bool) []float64 {
	out := make([]float64, batch*m*n)
	for z := 0; z < batch; z++ {
		A, B := a[z*m*k:], b[z*k*n:]
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var s float64
				for p := 0; p < k; p++ {
					av := A[i*k+p]
					if tA {
						av = A[p*m+i]
					}
					bv := B[p*n+j]
					if tB {
						bv = B[j*k+p]
					}
					s += av * bv
				}
				out[z*m*n+i*n+j] = s
			}
		}
	}
	return out
}

// linearRef is x·wᵀ + b (b may be nil) for x rows×in, w out×in.
func linearRef(x, w, b []float64, rows, out, in int) []float64 {
	y := matmulRef(x, w, 1, rows, out, in, false, true)
	if b != nil {
		for i := range y {
			y[i] += b[i%out]
		}
	}
	return y
}

func softmaxRef(x []float64, rows, cols int, scale float64, mask []float32, rpm int) []float64 {
	out := make([]float64, len(x))
	for r := 0; r < rows; r++ {
		v := make([]float64, cols)
		mx := math.Inf(-1)
		for j := range v {
			v[j] = scale * x[r*cols+j]
			if mask != nil {
				mv := mask[(r/rpm)*cols+j]
				if mv <= kernels.MaskedOut {
					v[j] = kernels.MaskedOut
				} else {
					v[j] += float64(mv)
				}
			}
			mx = math.Max(mx, v[j])
		}
		var s float64
		for j := range v {
			v[j] = math.Exp(v[j] - mx)
			s += v[j]
		}
		for j := range v {
			out[r*cols+j] = v[j] / s
		}
	}
	return out
}

func layerNormRef(x, w, b []float64, cols int, eps float64) []float64 {
	out := make([]float64, len(x))
	for r := 0; r < len(x)/cols; r++ {
		row := x[r*cols : r*cols+cols]
		var m, v float64
		for _, e := range row {
			m += e
		}
		m /= float64(cols)
		for _, e := range row {
			v += (e - m) * (e - m)
		}
		v /= float64(cols)
		for j, e := range row {
			out[r*cols+j] = (e-m)/math.Sqrt(v+eps)*w[j] + b[j]
		}
	}
	return out
}

func crossEntropyRef(x []float64, labels []int32, cols int, mean bool) []float64 {
	var s float64
	n := 0
	for r, l := range labels {
		if l == tensor.IgnoreIndex {
			continue
		}
		row := x[r*cols : r*cols+cols]
		mx := math.Inf(-1)
		for _, v := range row {
			mx = math.Max(mx, v)
		}
		var z float64
		for _, v := range row {
			z += math.Exp(v - mx)
		}
		s += mx + math.Log(z) - row[l]
		n++
	}
	if mean && n > 0 {
		s /= float64(n)
	}
	return []float64{s}
}

// attentionRef is multi-head attention in float64 with the same layout and
// masked_fill semantics as Tape.Attention; drop is the dropout mask (nil:
// none).
func attentionRef(q, k, v []float64, B, T, NH int, scale float64, mask []float32, drop []float32) []float64 {
	C := len(q) / (B * T)
	HS := C / NH
	out := make([]float64, len(q))
	for b := 0; b < B; b++ {
		for h := 0; h < NH; h++ {
			s := make([]float64, T*T)
			for i := 0; i < T; i++ {
				for j := 0; j < T; j++ {
					var d float64
					for e := 0; e < HS; e++ {
						d += q[(b*T+i)*C+h*HS+e] * k[(b*T+j)*C+h*HS+e]
					}
					s[i*T+j] = d
				}
			}
			p := softmaxRef(s, T, T, scale, mask[b*T:(b+1)*T], T)
			if drop != nil {
				for i := range p {
					p[i] *= float64(drop[(b*NH+h)*T*T+i])
				}
			}
			for i := 0; i < T; i++ {
				for e := 0; e < HS; e++ {
					var d float64
					for j := 0; j < T; j++ {
						d += p[i*T+j] * v[(b*T+j)*C+h*HS+e]
					}
					out[(b*T+i)*C+h*HS+e] = d
				}
			}
		}
	}
	return out
}

// permuteRef is x (shape dims) with axes permuted: out axis i is x's axis
// perm[i].
func permuteRef(x []float64, dims, perm []int) []float64 {
	r := len(dims)
	stride := make([]int, r)
	s := 1
	for i := r - 1; i >= 0; i-- {
		stride[i] = s
		s *= dims[i]
	}
	od := make([]int, r)
	for i, p := range perm {
		od[i] = dims[p]
	}
	out := make([]float64, len(x))
	idx := make([]int, r)
	for e := range out {
		src := 0
		for i := 0; i < r; i++ {
			src += idx[i] * stride[perm[i]]
		}
		out[e] = x[src]
		for i := r - 1; i >= 0; i-- { // next output index
			idx[i]++
			if idx[i] < od[i] {
				break
			}
			idx[i] = 0
		}
	}
	return out
}

func mapRef(x []float64, f func(float64) float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = f(v)
	}
	return y
}

func mapIdx(x []float64, f func(int, float64) float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = f(i, v)
	}
	return y
}

func sum64(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s
}

// dropoutMask returns the mask that n elements get from Dropout calls with
// probabilities ps, in order, at the start of a tape seeded with Seed: the
// product of the masks, computed by the CPU device. (The stream itself is
// tested in package tensor.)
func dropoutMask(n int, ps ...float32) []float32 {
	ones := make([]float32, n)
	for i := range ones {
		ones[i] = 1
	}
	tp := tensor.NewNoGradTape()
	tp.Seed(Seed)
	x := tensor.FromData(ones, n)
	for _, p := range ps {
		x = tp.Dropout(x, p)
	}
	return append([]float32(nil), x.Host()...)
}
