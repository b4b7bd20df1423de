//go:build cuda && cgo

package cuda

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/distilgo/distilgo/kernels"
	"github.com/distilgo/distilgo/tensor"
	"github.com/google/go-cmp/cmp"
)

// An opCase builds a graph from its inputs on a tape; the harness runs it
// on the CPU and on the CUDA device from the same input values, backpropagates
// sum(out * r) for a fixed random r, and compares the output and every
// input gradient.
type opCase struct {
	name   string
	shapes [][]int // inputs, all requiring gradients unless noGrad
	noGrad []int   // indices of inputs that do not require gradients
	build  func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor
	// tol is the allowed normwise relative error max|gpu-cpu| / max|cpu|
	// of the output and of each gradient; 0 means bit-identical.
	tol float64
}

type opResult struct {
	out   []float32
	grads [][]float32
	loss  float64
}

func randData(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}

func size(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func runCase(t *testing.T, c opCase, dev *Device) opResult {
	t.Helper()
	r := rand.New(rand.NewPCG(7, uint64(len(c.name))))
	in := make([]*tensor.Tensor, len(c.shapes))
	for i, s := range c.shapes {
		in[i] = tensor.FromData(randData(r, size(s)), s...)
		skip := false
		for _, j := range c.noGrad {
			skip = skip || i == j
		}
		if !skip {
			in[i].SetRequiresGrad(true)
		}
		if dev != nil {
			dev.Upload(in[i].Data)
		}
	}
	tp := tensor.NewTape()
	if dev != nil {
		tp.SetDevice(dev)
	}
	tp.Seed(12345)
	out := c.build(tp, in)
	w := tensor.FromData(randData(r, out.Size()), out.Shape()...)
	if dev != nil {
		dev.Upload(w.Data)
	}
	loss := tp.Sum(tp.Mul(out, w))
	tp.Backward(loss)
	res := opResult{loss: float64(loss.Item())}
	read := func(x []float32) []float32 {
		if dev == nil {
			return append([]float32(nil), x...)
		}
		return dev.Read(x)
	}
	res.out = read(out.Data)
	for _, x := range in {
		if x.RequiresGrad() {
			res.grads = append(res.grads, read(x.Grad.Data))
		}
	}
	return res
}

// relErr is max|a-b| / max|b| (0 when both are zero).
func relErr(a, b []float32) float64 {
	var d, m float64
	for i := range b {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
		m = math.Max(m, math.Abs(float64(b[i])))
	}
	if d == 0 {
		return 0
	}
	if m == 0 {
		return math.Inf(1)
	}
	return d / m
}

func compare(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i, v := range got {
		if math.IsNaN(float64(v)) != math.IsNaN(float64(want[i])) {
			t.Fatalf("%s[%d] = %v, CPU %v", what, i, v, want[i])
		}
	}
	if tol == 0 {
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s differs from the CPU bit for bit (-cpu +gpu):\n%s", what, diff)
		}
		return
	}
	if e := relErr(got, want); e > tol {
		t.Errorf("%s: normwise relative error %.3g > %.3g", what, e, tol)
	}
}

// Tolerances. The GPU runs the same float32 formulas as package kernels
// with --fmad=false, so ops without reductions are bit-identical (tol 0).
// Reductions differ in summation order only: a float32 sum of n terms in
// two orders differs by at most about n·eps·sum|terms| and typically
// √n·eps·sum|terms|; for the rows here (n ≤ 1k, eps = 6e-8) that is below
// 1e-5 of the largest value (tolReduce). expf/erf on the GPU and the CPU's
// vector approximations agree to a few ulps (tolMath, 1e-6). Products
// through cuBLAS (K ≤ 64 here) are reductions too (tolReduce).
const (
	tolReduce = 1e-5
	tolMath   = 1e-6
)

func opCases() []opCase {
	var cs []opCase
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			ta, tb := ta, tb
			M, K, N := 5, 7, 3
			as, bs := []int{M, K}, []int{K, N}
			if ta {
				as = []int{K, M}
			}
			if tb {
				bs = []int{N, K}
			}
			cs = append(cs, opCase{
				name: fmt.Sprintf("MatMul/tA=%v,tB=%v", ta, tb), shapes: [][]int{as, bs}, tol: tolReduce,
				build: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.MatMul(in[0], in[1], ta, tb) },
			})
			cs = append(cs, opCase{
				name:   fmt.Sprintf("MatMulBatched/tA=%v,tB=%v", ta, tb),
				shapes: [][]int{append([]int{2, 3}, as...), append([]int{2, 3}, bs...)}, tol: tolReduce,
				build: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.MatMul(in[0], in[1], ta, tb) },
			})
		}
	}
	cs = append(cs,
		opCase{name: "MatMul/K=64", shapes: [][]int{{33, 64}, {64, 17}}, tol: tolReduce,
			build: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
				return tp.MatMul(in[0], in[1], false, false)
			}},
		opCase{name: "Linear", shapes: [][]int{{2, 4, 8}, {6, 8}, {6}}, tol: tolReduce,
			build: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.Linear(in[0], in[1], in[2]) }},
		opCase{name: "Linear/noBias", shapes: [][]int{{9, 8}, {6, 8}}, tol: tolReduce,
			build: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.Linear(in[0], in[1], nil) }},
		opCase{name: "Linear/manyRows", shapes: [][]int{{700, 40}, {24, 40}, {24}}, tol: tolReduce,
			build: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.Linear(in[0], in[1], in[2]) }},
		opCase{name: "Softmax/mask", shapes: [][]int{{3, 2, 5, 37}}, tol: tolReduce,
			build: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
				// Key mask [B=3, T=37]: batch 0 keeps all, batch 1 masks the
				// last 10 keys, batch 2 masks every key (fully masked rows).
				mask := make([]float32, 3*37)
				for j := 27; j < 37; j++ {
					mask[37+j] = kernels.MaskedOut
				}
				for j := 0; j < 37; j++ {
					mask[2*37+j] = kernels.MaskedOut
				}
				mask[5] = -1.5 // an ordinary additive value
				return tp.Softmax(in[0], 0.125, mask, 2*5)
			}},
		opCase{name: "Softmax/noMask/wide", shapes: [][]int{{4, 1000}}, tol: tolReduce,
			build: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.Softmax(in[0], 1, nil, 0) }},
		opCase{name: "LayerNorm", shapes: [][]int{{6, 40}, {40}, {40}}, tol: tolReduce,
			build: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
				return tp.LayerNorm(in[0], in[1], in[2], 1e-12)
			}},
		opCase{name: "LayerNorm/manyRows", shapes: [][]int{{300, 96}, {96}, {96}}, tol: tolReduce,
			build: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
				return tp.LayerNorm(in[0], in[1], in[2], 1e-5)
			}},
		opCase{name: "LayerNorm/xNoGrad", shapes: [][]int{{5, 33}, {33}, {33}}, noGrad: []int{0}, tol: tolReduce,
			build: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
				return tp.LayerNorm(in[0], in[1], in[2], 1e-12)
			}},
		opCase{name: "Gelu", shapes: [][]int{{1000}}, tol: tolMath,
			build: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.Gelu(in[0]) }},
		opCase{name: "Dropout", shapes: [][]int{{3000}}, tol: 0,
			build: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
				return tp.Dropout(tp.Dropout(in[0], 0.1), 0.5) // two calls: the stream offset advances
			}},
		opCase{name: "Gather/padding", shapes: [][]int{{10, 6}}, tol: 0,
			build: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
				return tp.Gather(in[0], []int32{3, 1, 3, 0, 9, 3, 0, 0}, 0)
			}},
		opCase{name: "Gather/noPadding", shapes: [][]int{{10, 6}}, tol: 0,
			build: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
				return tp.Gather(in[0], []int32{3, 1, 3, 0, 9, 3, 0, 0}, -1)
			}},
		opCase{name: "CrossEntropy/ignored", shapes: [][]int{{7, 11}}, tol: tolReduce,
			build: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
				return tp.CrossEntropy(in[0], []int32{3, tensor.IgnoreIndex, 0, 10, tensor.IgnoreIndex, 5, 5})
			}},
		opCase{name: "CrossEntropySum/wide", shapes: [][]int{{5, 3001}}, tol: tolReduce,
			build: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
				l, _ := tp.CrossEntropySum(in[0], []int32{3000, 0, tensor.IgnoreIndex, 17, 1234})
				return l
			}},
		opCase{name: "CrossEntropy/allIgnored", shapes: [][]int{{3, 4}}, tol: 0,
			build: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
				return tp.CrossEntropy(in[0], []int32{tensor.IgnoreIndex, tensor.IgnoreIndex, tensor.IgnoreIndex})
			}},
		opCase{name: "Permute/0213", shapes: [][]int{{2, 3, 4, 5}}, tol: 0,
			build: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.Permute(in[0], 0, 2, 1, 3) }},
		opCase{name: "Permute/3102", shapes: [][]int{{2, 3, 4, 5}}, tol: 0,
			build: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.Permute(in[0], 3, 1, 0, 2) }},
		opCase{name: "Permute/rank2", shapes: [][]int{{7, 9}}, tol: 0,
			build: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.Permute(in[0], 1, 0) }},
		opCase{name: "Elementwise", shapes: [][]int{{4, 50}, {4, 50}}, tol: 0,
			build: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
				a := tp.Add(in[0], in[1])
				b := tp.Sub(tp.Mul(a, in[1]), tp.Scale(in[0], 0.75))
				return tp.Reshape(tp.Mul(b, a), 2, 100)
			}},
		// The bias gradient is a column sum (float64 on the GPU, float32 in
		// row order on the CPU).
		opCase{name: "AddBias", shapes: [][]int{{300, 50}, {50}}, tol: tolReduce,
			build: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.AddBias(in[0], in[1]) }},
		opCase{name: "SumMean", shapes: [][]int{{30, 20}, {30, 20}}, tol: tolReduce,
			build: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
				s := tp.Add(tp.Sum(tp.Mul(in[0], in[0])), tp.Mean(in[1]))
				return tp.Scale(s, 0.5)
			}},
	)
	return cs
}

// Every op, forward and backward, on the CUDA device against tensor.CPU.
func TestOpsMatchCPU(t *testing.T) {
	dev := device(t)
	for _, c := range opCases() {
		t.Run(c.name, func(t *testing.T) {
			want := runCase(t, c, nil)
			got := runCase(t, c, dev)
			compare(t, "output", got.out, want.out, c.tol)
			if len(got.grads) != len(want.grads) {
				t.Fatalf("%d gradients, CPU %d", len(got.grads), len(want.grads))
			}
			for i := range want.grads {
				compare(t, fmt.Sprintf("grad[%d]", i), got.grads[i], want.grads[i], c.tol)
			}
			// The loss is a float64 sum on both devices, rounded to float32.
			if d := math.Abs(got.loss - want.loss); d > 1e-5*math.Max(1, math.Abs(want.loss)) {
				t.Errorf("loss %v, CPU %v", got.loss, want.loss)
			}
		})
	}
}
