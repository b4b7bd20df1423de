package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/distilgo/distilgo/kernels"
)

// Every op's forward is compared with a float64 reference, and its backward
// with central finite differences of that float64 reference.
//
// Tolerances: the op runs in float32 (unit roundoff 6e-8); with O(1) inputs
// and at most ~100 terms per reduction the float32 results carry absolute
// errors of order 1e-6. The finite differences are taken in float64 with
// h = 1e-6 on smooth functions, so their error (h² terms and roundoff,
// ~1e-9) is negligible. We therefore require |got - want| <= 1e-4 * (1 +
// |want|): two orders of magnitude above the expected float32 error, and far
// below the size of any wrong formula (a missing term is O(0.1)).
const fdTol = 1e-4

type fdCase struct {
	name   string
	shapes [][]int // inputs; each gets random values in [-1, 1)
	noGrad []bool  // inputs that are data (no gradient checked)
	// run applies the op under test on the tape.
	run func(tp *Tape, in []*Tensor) *Tensor
	// ref is the same function in float64.
	ref func(in [][]float64) []float64
	// init optionally overrides input values.
	init func(in [][]float32)
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = 2*r.Float32() - 1
	}
	return s
}

func to64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

func prod(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func runFD(t *testing.T, c fdCase) {
	t.Helper()
	r := rand.New(rand.NewPCG(1, uint64(len(c.name))))
	vals := make([][]float32, len(c.shapes))
	for i, s := range c.shapes {
		vals[i] = randSlice(r, prod(s))
	}
	if c.init != nil {
		c.init(vals)
	}
	in := make([]*Tensor, len(c.shapes))
	for i, s := range c.shapes {
		in[i] = FromData(append([]float32(nil), vals[i]...), s...)
		if c.noGrad == nil || !c.noGrad[i] {
			in[i].SetRequiresGrad(true)
		}
	}
	tp := NewTape()
	tp.Seed(7)
	out := c.run(tp, in)

	// Forward against the float64 reference.
	ref64 := make([][]float64, len(vals))
	for i := range vals {
		ref64[i] = to64(vals[i])
	}
	want := c.ref(ref64)
	if len(want) != out.Size() {
		t.Fatalf("%s: reference has %d outputs, op %d", c.name, len(want), out.Size())
	}
	for i, w := range want {
		if g := float64(out.Data[i]); math.Abs(g-w) > fdTol*(1+math.Abs(w)) || math.IsNaN(g) {
			t.Fatalf("%s: forward[%d] = %v, want %v", c.name, i, g, w)
		}
	}

	// Backward of L = sum(out * w) with random weights w.
	wts := randSlice(r, out.Size())
	loss := tp.Sum(tp.Mul(out, FromData(wts, out.Shape()...)))
	tp.Backward(loss)
	lossRef := func() float64 {
		o := c.ref(ref64)
		var s float64
		for i, v := range o {
			s += v * float64(wts[i])
		}
		return s
	}
	const h = 1e-6
	for i := range in {
		if c.noGrad != nil && c.noGrad[i] {
			continue
		}
		if in[i].Grad == nil {
			t.Fatalf("%s: input %d has no gradient", c.name, i)
		}
		for j := range ref64[i] {
			x := ref64[i][j]
			ref64[i][j] = x + h
			lp := lossRef()
			ref64[i][j] = x - h
			lm := lossRef()
			ref64[i][j] = x
			num := (lp - lm) / (2 * h)
			got := float64(in[i].Grad.Data[j])
			if math.Abs(got-num) > fdTol*(1+math.Abs(num)) || math.IsNaN(got) {
				t.Fatalf("%s: d/d input%d[%d] = %v, finite difference %v", c.name, i, j, got, num)
			}
		}
	}
}

// Float64 references.

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
		if l == IgnoreIndex {
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

func mapRef(x []float64, f func(float64) float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = f(v)
	}
	return y
}

func TestOpsFiniteDifferences(t *testing.T) {
	mask := []float32{0, 0, kernels.MaskedOut, 0, 0.5, // batch 0: one key masked, one additive
		kernels.MaskedOut, kernels.MaskedOut, kernels.MaskedOut, kernels.MaskedOut, kernels.MaskedOut} // batch 1: all masked
	labels := []int32{3, IgnoreIndex, 0, 6, IgnoreIndex}
	allIgnored := []int32{IgnoreIndex, IgnoreIndex, IgnoreIndex, IgnoreIndex, IgnoreIndex}
	gatherIdx := []int32{2, 0, 2, 4, 1, 2}

	var cases []fdCase
	for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
		tA, tB := tr[0], tr[1]
		m, n, k := 3, 4, 5
		as, bs := []int{m, k}, []int{k, n}
		if tA {
			as = []int{k, m}
		}
		if tB {
			bs = []int{n, k}
		}
		cases = append(cases, fdCase{
			name:   fmt.Sprintf("MatMul tA=%v tB=%v", tA, tB),
			shapes: [][]int{as, bs},
			run:    func(tp *Tape, in []*Tensor) *Tensor { return tp.MatMul(in[0], in[1], tA, tB) },
			ref:    func(in [][]float64) []float64 { return matmulRef(in[0], in[1], 1, m, n, k, tA, tB) },
		})
		bas, bbs := append([]int{2, 3}, as...), append([]int{2, 3}, bs...)
		cases = append(cases, fdCase{
			name:   fmt.Sprintf("MatMul batched tA=%v tB=%v", tA, tB),
			shapes: [][]int{bas, bbs},
			run:    func(tp *Tape, in []*Tensor) *Tensor { return tp.MatMul(in[0], in[1], tA, tB) },
			ref:    func(in [][]float64) []float64 { return matmulRef(in[0], in[1], 6, m, n, k, tA, tB) },
		})
	}
	cases = append(cases,
		fdCase{
			name:   "MatMul size-1 dims",
			shapes: [][]int{{1, 1}, {1, 3}},
			run:    func(tp *Tape, in []*Tensor) *Tensor { return tp.MatMul(in[0], in[1], false, false) },
			ref:    func(in [][]float64) []float64 { return matmulRef(in[0], in[1], 1, 1, 3, 1, false, false) },
		},
		fdCase{
			name:   "Linear",
			shapes: [][]int{{2, 3, 4}, {5, 4}, {5}},
			run:    func(tp *Tape, in []*Tensor) *Tensor { return tp.Linear(in[0], in[1], in[2]) },
			ref: func(in [][]float64) []float64 {
				y := matmulRef(in[0], in[1], 1, 6, 5, 4, false, true)
				for i := range y {
					y[i] += in[2][i%5]
				}
				return y
			},
		},
		fdCase{
			name:   "Linear no bias",
			shapes: [][]int{{3, 4}, {2, 4}},
			run:    func(tp *Tape, in []*Tensor) *Tensor { return tp.Linear(in[0], in[1], nil) },
			ref:    func(in [][]float64) []float64 { return matmulRef(in[0], in[1], 1, 3, 2, 4, false, true) },
		},
		fdCase{
			name:   "Add",
			shapes: [][]int{{2, 3}, {2, 3}},
			run:    func(tp *Tape, in []*Tensor) *Tensor { return tp.Add(in[0], in[1]) },
			ref: func(in [][]float64) []float64 {
				return mapIdx(in[0], func(i int, v float64) float64 { return v + in[1][i] })
			},
		},
		fdCase{
			name:   "Add same input twice",
			shapes: [][]int{{2, 3}},
			run:    func(tp *Tape, in []*Tensor) *Tensor { return tp.Add(in[0], in[0]) },
			ref:    func(in [][]float64) []float64 { return mapRef(in[0], func(v float64) float64 { return 2 * v }) },
		},
		fdCase{
			name:   "Sub",
			shapes: [][]int{{2, 3}, {2, 3}},
			run:    func(tp *Tape, in []*Tensor) *Tensor { return tp.Sub(in[0], in[1]) },
			ref: func(in [][]float64) []float64 {
				return mapIdx(in[0], func(i int, v float64) float64 { return v - in[1][i] })
			},
		},
		fdCase{
			name:   "Mul",
			shapes: [][]int{{4}, {4}},
			run:    func(tp *Tape, in []*Tensor) *Tensor { return tp.Mul(in[0], in[1]) },
			ref: func(in [][]float64) []float64 {
				return mapIdx(in[0], func(i int, v float64) float64 { return v * in[1][i] })
			},
		},
		fdCase{
			name:   "Scale",
			shapes: [][]int{{2, 2}},
			run:    func(tp *Tape, in []*Tensor) *Tensor { return tp.Scale(in[0], -1.5) },
			ref:    func(in [][]float64) []float64 { return mapRef(in[0], func(v float64) float64 { return -1.5 * v }) },
		},
		fdCase{
			name:   "AddBias",
			shapes: [][]int{{3, 2, 4}, {4}},
			run:    func(tp *Tape, in []*Tensor) *Tensor { return tp.AddBias(in[0], in[1]) },
			ref: func(in [][]float64) []float64 {
				return mapIdx(in[0], func(i int, v float64) float64 { return v + in[1][i%4] })
			},
		},
		fdCase{
			// Reshape is a view: check gradients flow through it to the base.
			name:   "Reshape then MatMul",
			shapes: [][]int{{2, 6}, {3, 2}},
			run: func(tp *Tape, in []*Tensor) *Tensor {
				return tp.MatMul(tp.Reshape(in[0], 4, -1), in[1], false, false)
			},
			ref: func(in [][]float64) []float64 { return matmulRef(in[0], in[1], 1, 4, 2, 3, false, false) },
		},
		fdCase{
			name:   "Permute 0213 (head split)",
			shapes: [][]int{{2, 3, 4, 5}},
			run:    func(tp *Tape, in []*Tensor) *Tensor { return tp.Permute(in[0], 0, 2, 1, 3) },
			ref: func(in [][]float64) []float64 {
				out := make([]float64, len(in[0]))
				for b := 0; b < 2; b++ {
					for t := 0; t < 3; t++ {
						for h := 0; h < 4; h++ {
							for d := 0; d < 5; d++ {
								out[((b*4+h)*3+t)*5+d] = in[0][((b*3+t)*4+h)*5+d]
							}
						}
					}
				}
				return out
			},
		},
		fdCase{
			name:   "Permute 2-D transpose",
			shapes: [][]int{{3, 5}},
			run:    func(tp *Tape, in []*Tensor) *Tensor { return tp.Permute(in[0], 1, 0) },
			ref: func(in [][]float64) []float64 {
				out := make([]float64, 15)
				for i := 0; i < 3; i++ {
					for j := 0; j < 5; j++ {
						out[j*3+i] = in[0][i*5+j]
					}
				}
				return out
			},
		},
		fdCase{
			name:   "Softmax plain",
			shapes: [][]int{{3, 5}},
			run:    func(tp *Tape, in []*Tensor) *Tensor { return tp.Softmax(in[0], 1, nil, 1) },
			ref:    func(in [][]float64) []float64 { return softmaxRef(in[0], 3, 5, 1, nil, 1) },
		},
		fdCase{
			// [B=2, NH=2, T=2, T=5] scores with a [B, T] key mask; batch 1 is
			// fully masked: uniform output and zero gradient, as masked_fill.
			name:   "Softmax scaled masked, fully masked rows",
			shapes: [][]int{{2, 2, 2, 5}},
			run:    func(tp *Tape, in []*Tensor) *Tensor { return tp.Softmax(in[0], 0.35, mask, 4) },
			ref:    func(in [][]float64) []float64 { return softmaxRef(in[0], 8, 5, float64(float32(0.35)), mask, 4) },
		},
		fdCase{
			name:   "LayerNorm",
			shapes: [][]int{{3, 6}, {6}, {6}},
			run:    func(tp *Tape, in []*Tensor) *Tensor { return tp.LayerNorm(in[0], in[1], in[2], 1e-12) },
			ref:    func(in [][]float64) []float64 { return layerNormRef(in[0], in[1], in[2], 6, float64(float32(1e-12))) },
		},
		fdCase{
			name:   "LayerNorm size-1 rows, eps 1e-5",
			shapes: [][]int{{1, 4}, {4}, {4}},
			run:    func(tp *Tape, in []*Tensor) *Tensor { return tp.LayerNorm(in[0], in[1], in[2], 1e-5) },
			ref:    func(in [][]float64) []float64 { return layerNormRef(in[0], in[1], in[2], 4, float64(float32(1e-5))) },
		},
		fdCase{
			name:   "Gelu",
			shapes: [][]int{{13}},
			init: func(in [][]float32) {
				for i := range in[0] {
					in[0][i] = float32(i-6) * 0.7 // -4.2 .. 4.2, crossing 0
				}
			},
			run: func(tp *Tape, in []*Tensor) *Tensor { return tp.Gelu(in[0]) },
			ref: func(in [][]float64) []float64 {
				return mapRef(in[0], func(v float64) float64 { return 0.5 * v * (1 + math.Erf(v/math.Sqrt2)) })
			},
		},
		fdCase{
			name:   "Gather with repeated indices",
			shapes: [][]int{{5, 3}},
			run:    func(tp *Tape, in []*Tensor) *Tensor { return tp.Gather(in[0], gatherIdx, -1) },
			ref: func(in [][]float64) []float64 {
				var out []float64
				for _, id := range gatherIdx {
					out = append(out, in[0][int(id)*3:int(id)*3+3]...)
				}
				return out
			},
		},
		fdCase{
			name:   "CrossEntropy mean with ignored labels",
			shapes: [][]int{{5, 7}},
			run:    func(tp *Tape, in []*Tensor) *Tensor { return tp.CrossEntropy(in[0], labels) },
			ref:    func(in [][]float64) []float64 { return crossEntropyRef(in[0], labels, 7, true) },
		},
		fdCase{
			name:   "CrossEntropy all labels ignored: loss 0, zero grads",
			shapes: [][]int{{5, 7}},
			run:    func(tp *Tape, in []*Tensor) *Tensor { return tp.CrossEntropy(in[0], allIgnored) },
			ref:    func(in [][]float64) []float64 { return crossEntropyRef(in[0], allIgnored, 7, true) },
		},
		fdCase{
			name:   "CrossEntropySum",
			shapes: [][]int{{5, 7}},
			run: func(tp *Tape, in []*Tensor) *Tensor {
				l, n := tp.CrossEntropySum(in[0], labels)
				if n != 3 {
					panic(fmt.Sprintf("count %d, want 3", n))
				}
				return l
			},
			ref: func(in [][]float64) []float64 { return crossEntropyRef(in[0], labels, 7, false) },
		},
		fdCase{
			name:   "Sum",
			shapes: [][]int{{2, 3}},
			run:    func(tp *Tape, in []*Tensor) *Tensor { return tp.Sum(in[0]) },
			ref:    func(in [][]float64) []float64 { return []float64{sum64(in[0])} },
		},
		fdCase{
			name:   "Mean",
			shapes: [][]int{{2, 3}},
			run:    func(tp *Tape, in []*Tensor) *Tensor { return tp.Mean(in[0]) },
			ref:    func(in [][]float64) []float64 { return []float64{sum64(in[0]) / 6} },
		},
	)
	// Dropout: the reference applies the same counter-based mask.
	dropMask := make([]float32, 40)
	dropoutMask(dropMask, 0.3, 7, 0)
	cases = append(cases, fdCase{
		name:   "Dropout",
		shapes: [][]int{{4, 10}},
		run:    func(tp *Tape, in []*Tensor) *Tensor { return tp.Dropout(in[0], 0.3) },
		ref: func(in [][]float64) []float64 {
			return mapIdx(in[0], func(i int, v float64) float64 { return v * float64(dropMask[i]) })
		},
	})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runFD(t, c) })
	}
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

// The padding row of an embedding gets no gradient from the lookup, as
// torch.nn.Embedding(padding_idx=0): its existing gradient is kept exactly.
func TestGatherPaddingIdx(t *testing.T) {
	table := FromData([]float32{1, 2, 3, 4, 5, 6}, 3, 2).SetRequiresGrad(true)
	table.Grad.Data[0], table.Grad.Data[1] = 0.25, -0.5 // e.g. from a tied projection
	tp := NewTape()
	out := tp.Gather(table, []int32{0, 2, 0, 1}, 0)
	tp.Backward(tp.Sum(out))
	want := []float32{0.25, -0.5, 1, 1, 1, 1}
	for i, w := range want {
		if table.Grad.Data[i] != w {
			t.Fatalf("grad = %v, want %v", table.Grad.Data, want)
		}
	}
}

// attentionRef is multi-head attention in float64 with the same layout and
// masked_fill semantics as Tape.Attention; drop is the dropout mask (nil: none).
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

func TestAttentionFiniteDifferences(t *testing.T) {
	const B, T, NH, HS = 2, 3, 2, 4
	C := NH * HS
	// Batch 0: last key masked; batch 1: all keys visible.
	mask := []float32{0, 0, kernels.MaskedOut, 0, 0, 0}
	scale := float32(0.5)
	drop := make([]float32, B*NH*T*T)
	dropoutMask(drop, 0.25, 7, 0) // Tape.Seed(7), first stream use
	for _, p := range []float32{0, 0.25} {
		var dm []float32
		if p > 0 {
			dm = drop
		}
		runFD(t, fdCase{
			name:   fmt.Sprintf("Attention dropout=%v", p),
			shapes: [][]int{{B * T, C}, {B * T, C}, {B * T, C}},
			run: func(tp *Tape, in []*Tensor) *Tensor {
				return tp.Attention(in[0], in[1], in[2], B, T, NH, scale, mask, p)
			},
			ref: func(in [][]float64) []float64 {
				return attentionRef(in[0], in[1], in[2], B, T, NH, float64(scale), mask, dm)
			},
		})
	}
}

// dropoutMask is the pure function uniform32 of (seed, position), whatever
// the offset parity and the split into parallel ranges; and it keeps 1-p of
// the elements (4 standard deviations of a binomial over 200,000 draws).
func TestDropoutMaskStream(t *testing.T) {
	const n, p = 200_001, float32(0.3)
	for _, off := range []uint64{0, 1, 12345, 1<<40 + 7} {
		mask := make([]float32, n)
		dropoutMask(mask, p, 99, off)
		kept := 0
		for i, m := range mask {
			want := float32(0)
			if uniform32(99, off+uint64(i)) >= uint32(float64(p)*(1<<32)) {
				want = 1 / (1 - p)
				kept++
			}
			if m != want {
				t.Fatalf("offset %d: mask[%d] = %v, want %v", off, i, m, want)
			}
		}
		sd := math.Sqrt(n * 0.3 * 0.7)
		if d := math.Abs(float64(kept) - 0.7*n); d > 4*sd {
			t.Errorf("offset %d: kept %d of %d, want 0.7·n ± %.0f", off, kept, n, 4*sd)
		}
	}
	// Both halves of a word are used, and differ between seeds.
	if uniform32(1, 0) == uniform32(1, 1) || uniform32(1, 0) == uniform32(2, 0) {
		t.Errorf("stream values repeat")
	}
}
