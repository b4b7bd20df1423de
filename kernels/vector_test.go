package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The element-wise kernels perform one or two IEEE operations per element in
// a fixed order at every level, so they are checked exactly against plain
// loops, on lengths around the vector widths and the parallel grain.
var vectorLens = []int{0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 127, 1000, grain - 1, 3*grain + 5}

func TestElementwise(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(61, 62))
		for _, n := range vectorLens {
			a, b := make([]float32, n), make([]float32, n)
			fillUniform(r, a, 4)
			fillUniform(r, b, 4)
			if n > 3 {
				a[1], b[2] = float32(math.NaN()), float32(math.Inf(-1))
			}
			d0 := make([]float32, n)
			fillUniform(r, d0, 4)
			check := func(name string, run func(d []float32), want func(i int, d float32) float32) {
				t.Helper()
				d := newGuarded(n)
				copy(d.s, d0)
				run(d.s)
				d.check(t, name)
				for i := range n {
					w := want(i, d0[i])
					if math.Float32bits(d.s[i]) != math.Float32bits(w) && !(math.IsNaN(float64(w)) && math.IsNaN(float64(d.s[i]))) {
						t.Fatalf("%s n=%d: [%d] = %v, want %v", name, n, i, d.s[i], w)
					}
				}
			}
			const alpha = float32(-1.7)
			check("Axpy", func(d []float32) { Axpy(alpha, a, d) }, func(i int, d float32) float32 { return d + float32(alpha*a[i]) })
			check("Scale", func(d []float32) { Scale(alpha, d) }, func(i int, d float32) float32 { return d * alpha })
			check("Add", func(d []float32) { Add(d, a, b) }, func(i int, d float32) float32 { return a[i] + b[i] })
			check("Mul", func(d []float32) { Mul(d, a, b) }, func(i int, d float32) float32 { return a[i] * b[i] })
			check("MulAcc", func(d []float32) { MulAcc(d, a, b) }, func(i int, d float32) float32 { return d + float32(a[i]*b[i]) })
		}
	})
}

func TestRowVector(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(63, 64))
		for _, sz := range [][2]int{{0, 3}, {1, 1}, {3, 17}, {100, 768}, {4097, 5}} {
			rows, cols := sz[0], sz[1]
			x := newGuarded(rows * cols)
			fillUniform(r, x.s, 2)
			v := make([]float32, cols)
			fillUniform(r, v, 2)
			want := append([]float32(nil), x.s...)
			for i := range want {
				want[i] += v[i%cols]
			}
			AddRowVector(x.s, v, rows, cols)
			x.check(t, "x")
			sameBits(t, "AddRowVector", x.s, want)

			dst := newGuarded(cols)
			fillUniform(r, dst.s, 1)
			wantSum := append([]float32(nil), dst.s...)
			for i := 0; i < rows; i++ { // rows are added in order: exact
				for j := 0; j < cols; j++ {
					wantSum[j] += x.s[i*cols+j]
				}
			}
			SumRows(dst.s, x.s, rows, cols)
			dst.check(t, "dst")
			sameBits(t, "SumRows", dst.s, wantSum)
		}
	})
}

// TestDot: float64 accumulation of exact float32 products: within
// n·2^-53 relative of the float64 reference sum of |products|.
func TestDot(t *testing.T) {
	r := rand.New(rand.NewPCG(65, 66))
	x, y := make([]float32, 1001), make([]float32, 1001)
	fillUniform(r, x, 3)
	fillUniform(r, y, 3)
	var want, abs float64
	for i := range x {
		want += float64(x[i]) * float64(y[i])
		abs += math.Abs(float64(x[i]) * float64(y[i]))
	}
	if got := Dot(x, y); math.Abs(got-want) > 1001*abs*0x1p-53 {
		t.Fatalf("Dot = %v, want %v", got, want)
	}
	var ss float64
	for _, v := range x {
		ss += float64(v) * float64(v)
	}
	if got := SumSquares(x); math.Abs(got-ss) > 1001*ss*0x1p-53 {
		t.Fatalf("SumSquares = %v, want %v", got, ss)
	}
}

func TestGatherScatter(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(67, 68))
		const vocab, cols = 50, 37
		table := make([]float32, vocab*cols)
		fillUniform(r, table, 1)
		idx := make([]int32, 300)
		for i := range idx {
			idx[i] = int32(r.IntN(vocab))
		}
		dst := newGuarded(len(idx) * cols)
		GatherRows(dst.s, table, idx, cols)
		dst.check(t, "dst")
		for i, id := range idx {
			sameBits(t, "GatherRows", dst.s[i*cols:(i+1)*cols], table[int(id)*cols:(int(id)+1)*cols])
		}
		// skip -1 adds into every row; skip ≥ 0 (a row idx uses, as
		// idx[0] is) leaves that row as it was.
		for _, skip := range []int{-1, int(idx[0])} {
			dt := newGuarded(vocab * cols)
			fillUniform(r, dt.s, 1)
			want := append([]float32(nil), dt.s...)
			for i, id := range idx { // in index order: exact
				if int(id) == skip {
					continue
				}
				for j := 0; j < cols; j++ {
					want[int(id)*cols+j] += dst.s[i*cols+j]
				}
			}
			ScatterAddRows(dt.s, dst.s, idx, cols, skip)
			dt.check(t, "dtable")
			sameBits(t, fmt.Sprintf("ScatterAddRows(skip %d)", skip), dt.s, want)
		}
	})
}
