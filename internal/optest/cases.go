package optest

import (
	"fmt"
	"math"

	"github.com/distilgo/distilgo/kernels"
	"github.com/distilgo/distilgo/tensor"
)

// Tolerances of a float32 device against the CPU (Case.DevTol). Devices
// run the same float32 formulas as package kernels (the CUDA kernels with
// --fmad=false), so ops without reductions are bit-identical (0).
// Reductions differ in summation order only: a float32 sum of n terms in
// two orders differs by at most about n·eps·sum|terms| and typically
// √n·eps·sum|terms|; for the rows here (n ≤ 3k, eps = 6e-8) that is below
// 1e-5 of the largest value (tolReduce). expf/erf on a GPU and the CPU's
// vector approximations agree to a few ulps (tolMath). Matrix products
// (cuBLAS, K ≤ 64 here) are reductions too.
const (
	tolReduce = 1e-5
	tolMath   = 1e-6
)

// Cases returns the table: every op of package tensor.
func Cases() []Case {
	var cs []Case
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
		cs = append(cs, Case{
			Name:   fmt.Sprintf("MatMul/tA=%v,tB=%v", tA, tB),
			Shapes: [][]int{as, bs}, DevTol: tolReduce, Products: true,
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.MatMul(in[0], in[1], tA, tB) },
			Ref: func(in [][]float64) []float64 { return matmulRef(in[0], in[1], 1, m, n, k, tA, tB) },
		}, Case{
			Name:   fmt.Sprintf("MatMul/batched/tA=%v,tB=%v", tA, tB),
			Shapes: [][]int{append([]int{2, 3}, as...), append([]int{2, 3}, bs...)}, DevTol: tolReduce, Products: true,
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.MatMul(in[0], in[1], tA, tB) },
			Ref: func(in [][]float64) []float64 { return matmulRef(in[0], in[1], 6, m, n, k, tA, tB) },
		})
	}
	mask := []float32{0, 0, kernels.MaskedOut, 0, 0.5, // batch 0: one key masked, one additive
		kernels.MaskedOut, kernels.MaskedOut, kernels.MaskedOut, kernels.MaskedOut, kernels.MaskedOut} // batch 1: all masked
	// Key mask [B=3, T=37]: batch 0 keeps all keys but one additive value,
	// batch 1 masks the last 10 keys, batch 2 every key.
	wideMask := make([]float32, 3*37)
	for j := 27; j < 37; j++ {
		wideMask[37+j] = kernels.MaskedOut
	}
	for j := 0; j < 37; j++ {
		wideMask[2*37+j] = kernels.MaskedOut
	}
	wideMask[5] = -1.5
	labels := []int32{3, tensor.IgnoreIndex, 0, 6, tensor.IgnoreIndex}
	allIgnored := []int32{tensor.IgnoreIndex, tensor.IgnoreIndex, tensor.IgnoreIndex}
	wideLabels := []int32{3000, 0, tensor.IgnoreIndex, 17, 1234}
	gatherIdx := []int32{3, 1, 3, 0, 9, 3, 0, 0}
	gatherRef := func(in [][]float64) []float64 {
		var out []float64
		for _, id := range gatherIdx {
			out = append(out, in[0][int(id)*6:int(id)*6+6]...)
		}
		return out
	}
	drop := dropoutMask(40, 0.3)
	drop2 := dropoutMask(3000, 0.1, 0.5)
	const aB, aT, aNH, aHS = 2, 3, 2, 4
	attnMask := []float32{0, 0, kernels.MaskedOut, 0, 0, 0} // batch 0: last key masked
	attnDrop := dropoutMask(aB*aNH*aT*aT, 0.25)
	cs = append(cs,
		Case{Name: "MatMul/size-1 dims", Shapes: [][]int{{1, 1}, {1, 3}}, DevTol: tolReduce, Products: true,
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
				return tp.MatMul(in[0], in[1], false, false)
			},
			Ref: func(in [][]float64) []float64 { return matmulRef(in[0], in[1], 1, 1, 3, 1, false, false) }},
		Case{Name: "MatMul/K=64", Shapes: [][]int{{33, 64}, {64, 17}}, DevTol: tolReduce, Products: true,
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
				return tp.MatMul(in[0], in[1], false, false)
			},
			Ref: func(in [][]float64) []float64 { return matmulRef(in[0], in[1], 1, 33, 17, 64, false, false) }},
		Case{Name: "Linear", Shapes: [][]int{{2, 3, 4}, {5, 4}, {5}}, DevTol: tolReduce, Products: true,
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.Linear(in[0], in[1], in[2]) },
			Ref: func(in [][]float64) []float64 { return linearRef(in[0], in[1], in[2], 6, 5, 4) }},
		Case{Name: "Linear/noBias", Shapes: [][]int{{9, 8}, {6, 8}}, DevTol: tolReduce, Products: true,
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.Linear(in[0], in[1], nil) },
			Ref: func(in [][]float64) []float64 { return linearRef(in[0], in[1], nil, 9, 6, 8) }},
		Case{Name: "Linear/manyRows", Shapes: [][]int{{700, 40}, {24, 40}, {24}}, DevTol: tolReduce, Products: true,
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.Linear(in[0], in[1], in[2]) },
			Ref: func(in [][]float64) []float64 { return linearRef(in[0], in[1], in[2], 700, 24, 40) }},
		Case{Name: "Add", Shapes: [][]int{{2, 3}, {2, 3}},
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.Add(in[0], in[1]) },
			Ref: func(in [][]float64) []float64 {
				return mapIdx(in[0], func(i int, v float64) float64 { return v + in[1][i] })
			}},
		Case{Name: "Add/same input twice", Shapes: [][]int{{2, 3}},
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.Add(in[0], in[0]) },
			Ref: func(in [][]float64) []float64 { return mapRef(in[0], func(v float64) float64 { return 2 * v }) }},
		Case{Name: "Sub", Shapes: [][]int{{2, 3}, {2, 3}},
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.Sub(in[0], in[1]) },
			Ref: func(in [][]float64) []float64 {
				return mapIdx(in[0], func(i int, v float64) float64 { return v - in[1][i] })
			}},
		Case{Name: "Mul", Shapes: [][]int{{4}, {4}},
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.Mul(in[0], in[1]) },
			Ref: func(in [][]float64) []float64 {
				return mapIdx(in[0], func(i int, v float64) float64 { return v * in[1][i] })
			}},
		Case{Name: "Scale", Shapes: [][]int{{2, 2}},
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.Scale(in[0], -1.5) },
			Ref: func(in [][]float64) []float64 { return mapRef(in[0], func(v float64) float64 { return -1.5 * v }) }},
		Case{Name: "Elementwise/graph", Shapes: [][]int{{4, 50}, {4, 50}},
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
				a := tp.Add(in[0], in[1])
				b := tp.Sub(tp.Mul(a, in[1]), tp.Scale(in[0], 0.75))
				return tp.Reshape(tp.Mul(b, a), 2, 100)
			},
			Ref: func(in [][]float64) []float64 {
				return mapIdx(in[0], func(i int, x float64) float64 {
					y := in[1][i]
					a := x + y
					return (a*y - 0.75*x) * a
				})
			}},
		// The bias gradient is a column sum (float64 on the GPU, float32 in
		// row order on the CPU).
		Case{Name: "AddBias", Shapes: [][]int{{3, 2, 4}, {4}}, DevTol: tolReduce,
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.AddBias(in[0], in[1]) },
			Ref: func(in [][]float64) []float64 {
				return mapIdx(in[0], func(i int, v float64) float64 { return v + in[1][i%4] })
			}},
		Case{Name: "AddBias/manyRows", Shapes: [][]int{{300, 50}, {50}}, DevTol: tolReduce,
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.AddBias(in[0], in[1]) },
			Ref: func(in [][]float64) []float64 {
				return mapIdx(in[0], func(i int, v float64) float64 { return v + in[1][i%50] })
			}},
		// Reshape is a view: gradients flow through it to the base.
		Case{Name: "Reshape then MatMul", Shapes: [][]int{{2, 6}, {3, 2}}, DevTol: tolReduce, Products: true,
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
				return tp.MatMul(tp.Reshape(in[0], 4, -1), in[1], false, false)
			},
			Ref: func(in [][]float64) []float64 { return matmulRef(in[0], in[1], 1, 4, 2, 3, false, false) }},
		Case{Name: "Permute/0213", Shapes: [][]int{{2, 3, 4, 5}},
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.Permute(in[0], 0, 2, 1, 3) },
			Ref: func(in [][]float64) []float64 { return permuteRef(in[0], []int{2, 3, 4, 5}, []int{0, 2, 1, 3}) }},
		Case{Name: "Permute/3102", Shapes: [][]int{{2, 3, 4, 5}},
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.Permute(in[0], 3, 1, 0, 2) },
			Ref: func(in [][]float64) []float64 { return permuteRef(in[0], []int{2, 3, 4, 5}, []int{3, 1, 0, 2}) }},
		Case{Name: "Permute/rank2", Shapes: [][]int{{3, 5}},
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.Permute(in[0], 1, 0) },
			Ref: func(in [][]float64) []float64 { return permuteRef(in[0], []int{3, 5}, []int{1, 0}) }},
		Case{Name: "Softmax/plain", Shapes: [][]int{{3, 5}}, DevTol: tolReduce,
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.Softmax(in[0], 1, nil, 1) },
			Ref: func(in [][]float64) []float64 { return softmaxRef(in[0], 3, 5, 1, nil, 1) }},
		// [B=2, NH=2, T=2, T=5] scores with a [B, T] key mask; batch 1 is
		// fully masked: uniform output and zero gradient, as masked_fill.
		Case{Name: "Softmax/scaled masked, fully masked rows", Shapes: [][]int{{2, 2, 2, 5}}, DevTol: tolReduce,
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.Softmax(in[0], 0.35, mask, 4) },
			Ref: func(in [][]float64) []float64 { return softmaxRef(in[0], 8, 5, float64(float32(0.35)), mask, 4) }},
		Case{Name: "Softmax/mask", Shapes: [][]int{{3, 2, 5, 37}}, DevTol: tolReduce,
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
				return tp.Softmax(in[0], 0.125, wideMask, 2*5)
			},
			Ref: func(in [][]float64) []float64 { return softmaxRef(in[0], 30, 37, 0.125, wideMask, 10) }},
		Case{Name: "Softmax/noMask/wide", Shapes: [][]int{{4, 1000}}, DevTol: tolReduce,
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.Softmax(in[0], 1, nil, 0) },
			Ref: func(in [][]float64) []float64 { return softmaxRef(in[0], 4, 1000, 1, nil, 1) }},
		Case{Name: "LayerNorm", Shapes: [][]int{{3, 6}, {6}, {6}}, DevTol: tolReduce,
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
				return tp.LayerNorm(in[0], in[1], in[2], 1e-12)
			},
			Ref: func(in [][]float64) []float64 { return layerNormRef(in[0], in[1], in[2], 6, float64(float32(1e-12))) }},
		Case{Name: "LayerNorm/size-1 rows, eps 1e-5", Shapes: [][]int{{1, 4}, {4}, {4}}, DevTol: tolReduce,
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
				return tp.LayerNorm(in[0], in[1], in[2], 1e-5)
			},
			Ref: func(in [][]float64) []float64 { return layerNormRef(in[0], in[1], in[2], 4, float64(float32(1e-5))) }},
		Case{Name: "LayerNorm/manyRows", Shapes: [][]int{{300, 96}, {96}, {96}}, DevTol: tolReduce,
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
				return tp.LayerNorm(in[0], in[1], in[2], 1e-5)
			},
			Ref: func(in [][]float64) []float64 { return layerNormRef(in[0], in[1], in[2], 96, float64(float32(1e-5))) }},
		Case{Name: "LayerNorm/xNoGrad", Shapes: [][]int{{5, 33}, {33}, {33}}, NoGrad: []int{0}, DevTol: tolReduce,
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
				return tp.LayerNorm(in[0], in[1], in[2], 1e-12)
			},
			Ref: func(in [][]float64) []float64 { return layerNormRef(in[0], in[1], in[2], 33, float64(float32(1e-12))) }},
		Case{Name: "Gelu", Shapes: [][]int{{13}}, DevTol: tolMath,
			Init: func(in [][]float32) {
				for i := range in[0] {
					in[0][i] = float32(i-6) * 0.7 // -4.2 .. 4.2, crossing 0
				}
			},
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.Gelu(in[0]) },
			Ref: func(in [][]float64) []float64 { return mapRef(in[0], geluRef) }},
		Case{Name: "Gelu/long", Shapes: [][]int{{1000}}, DevTol: tolMath,
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.Gelu(in[0]) },
			Ref: func(in [][]float64) []float64 { return mapRef(in[0], geluRef) }},
		// The kink at 0 is avoided: finite differences there are not a
		// derivative (|x| ≥ 0.05 from it here, far beyond h = 1e-6).
		Case{Name: "Relu", Shapes: [][]int{{2, 50}},
			Init: func(in [][]float32) {
				for i, v := range in[0] {
					if v > -0.05 && v < 0.05 {
						in[0][i] = 0.05 + v
					}
				}
			},
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.Relu(in[0]) },
			Ref: func(in [][]float64) []float64 { return mapRef(in[0], func(v float64) float64 { return max(v, 0) }) }},
		Case{Name: "Dropout", Shapes: [][]int{{4, 10}},
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.Dropout(in[0], 0.3) },
			Ref: func(in [][]float64) []float64 {
				return mapIdx(in[0], func(i int, v float64) float64 { return v * float64(drop[i]) })
			}},
		// Two calls: the stream offset advances.
		Case{Name: "Dropout/twice", Shapes: [][]int{{3000}},
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
				return tp.Dropout(tp.Dropout(in[0], 0.1), 0.5)
			},
			Ref: func(in [][]float64) []float64 {
				return mapIdx(in[0], func(i int, v float64) float64 { return v * float64(drop2[i]) })
			}},
		Case{Name: "Gather/noPadding", Shapes: [][]int{{10, 6}},
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.Gather(in[0], gatherIdx, -1) },
			Ref: gatherRef},
		// Row 0 is the padding row: no gradient reaches it.
		Case{Name: "Gather/padding", Shapes: [][]int{{10, 6}},
			Run:    func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.Gather(in[0], gatherIdx, 0) },
			Ref:    gatherRef,
			Frozen: func(_, i int) bool { return i < 6 }},
		Case{Name: "CrossEntropy/ignored", Shapes: [][]int{{5, 7}}, DevTol: tolReduce,
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.CrossEntropy(in[0], labels) },
			Ref: func(in [][]float64) []float64 { return crossEntropyRef(in[0], labels, 7, true) }},
		Case{Name: "CrossEntropy/allIgnored", Shapes: [][]int{{3, 4}},
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.CrossEntropy(in[0], allIgnored) },
			Ref: func(in [][]float64) []float64 { return crossEntropyRef(in[0], allIgnored, 4, true) }},
		Case{Name: "CrossEntropySum", Shapes: [][]int{{5, 7}}, DevTol: tolReduce,
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
				l, n := tp.CrossEntropySum(in[0], labels)
				if n != 3 {
					panic(fmt.Sprintf("count %d, want 3", n))
				}
				return l
			},
			Ref: func(in [][]float64) []float64 { return crossEntropyRef(in[0], labels, 7, false) }},
		Case{Name: "CrossEntropySum/wide", Shapes: [][]int{{5, 3001}}, DevTol: tolReduce,
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
				l, _ := tp.CrossEntropySum(in[0], wideLabels)
				return l
			},
			Ref: func(in [][]float64) []float64 { return crossEntropyRef(in[0], wideLabels, 3001, false) }},
		Case{Name: "Sum", Shapes: [][]int{{2, 3}}, DevTol: tolReduce,
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.Sum(in[0]) },
			Ref: func(in [][]float64) []float64 { return []float64{sum64(in[0])} }},
		Case{Name: "Mean", Shapes: [][]int{{2, 3}}, DevTol: tolReduce,
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return tp.Mean(in[0]) },
			Ref: func(in [][]float64) []float64 { return []float64{sum64(in[0]) / 6} }},
		Case{Name: "SumMean/graph", Shapes: [][]int{{30, 20}, {30, 20}}, DevTol: tolReduce,
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
				return tp.Scale(tp.Add(tp.Sum(tp.Mul(in[0], in[0])), tp.Mean(in[1])), 0.5)
			},
			Ref: func(in [][]float64) []float64 {
				var sq float64
				for _, v := range in[0] {
					sq += v * v
				}
				return []float64{0.5 * (sq + sum64(in[1])/600)}
			}},
	)
	for _, p := range []float32{0, 0.25} {
		var dm []float32
		if p > 0 {
			dm = attnDrop
		}
		cs = append(cs, Case{
			Name:   fmt.Sprintf("Attention/dropout=%v", p),
			Shapes: [][]int{{aB * aT, aNH * aHS}, {aB * aT, aNH * aHS}, {aB * aT, aNH * aHS}}, DevTol: tolReduce, Products: true,
			Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
				return tp.Attention(in[0], in[1], in[2], aB, aT, aNH, 0.5, attnMask, p)
			},
			Ref: func(in [][]float64) []float64 {
				return attentionRef(in[0], in[1], in[2], aB, aT, aNH, 0.5, attnMask, dm)
			},
		})
	}
	// Larger heads (HS = 8, T = 7) with batch 1's last two keys masked.
	const bB, bT, bNH, bHS = 2, 7, 3, 8
	bigMask := make([]float32, bB*bT)
	for j := 5; j < bT; j++ {
		bigMask[bT+j] = kernels.MaskedOut
	}
	bigDrop := dropoutMask(bB*bNH*bT*bT, 0.2)
	cs = append(cs, Case{
		Name:   "Attention/T=7,HS=8,dropout=0.2",
		Shapes: [][]int{{bB * bT, bNH * bHS}, {bB * bT, bNH * bHS}, {bB * bT, bNH * bHS}}, DevTol: tolReduce, Products: true,
		Run: func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
			return tp.Attention(in[0], in[1], in[2], bB, bT, bNH, 0.35, bigMask, 0.2)
		},
		Ref: func(in [][]float64) []float64 {
			return attentionRef(in[0], in[1], in[2], bB, bT, bNH, float64(float32(0.35)), bigMask, bigDrop)
		},
	})
	return cs
}

func geluRef(v float64) float64 { return 0.5 * v * (1 + math.Erf(v/math.Sqrt2)) }
