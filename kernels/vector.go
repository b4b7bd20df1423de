package kernels

// Axpy computes y += alpha*x.
func Axpy(alpha float32, x, y []float32) {
	checkLen("Axpy", "y", len(y), len(x))
	ParallelFor(len(x), grain, func(lo, hi int) { axpyGeneric(alpha, x[lo:hi], y[lo:hi]) })
}

// Scale computes x *= alpha.
func Scale(alpha float32, x []float32) {
	ParallelFor(len(x), grain, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			x[i] *= alpha
		}
	})
}

// Add computes dst = a + b elementwise.
func Add(dst, a, b []float32) {
	checkLen("Add", "a", len(a), len(dst))
	checkLen("Add", "b", len(b), len(dst))
	ParallelFor(len(dst), grain, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			dst[i] = a[i] + b[i]
		}
	})
}

// Mul computes dst = a * b elementwise.
func Mul(dst, a, b []float32) {
	checkLen("Mul", "a", len(a), len(dst))
	checkLen("Mul", "b", len(b), len(dst))
	ParallelFor(len(dst), grain, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			dst[i] = a[i] * b[i]
		}
	})
}

// MulAcc computes dst += a * b elementwise.
func MulAcc(dst, a, b []float32) {
	checkLen("MulAcc", "a", len(a), len(dst))
	checkLen("MulAcc", "b", len(b), len(dst))
	ParallelFor(len(dst), grain, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			dst[i] += a[i] * b[i]
		}
	})
}

// AddRowVector adds the row vector v (cols values) to each of the rows of x.
func AddRowVector(x, v []float32, rows, cols int) {
	checkLen("AddRowVector", "x", len(x), rows*cols)
	checkLen("AddRowVector", "v", len(v), cols)
	ParallelFor(rows, max(1, grain/max(cols, 1)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			axpyGeneric(1, v[:cols], x[r*cols:r*cols+cols])
		}
	})
}

// SumRows accumulates the column sums of x (rows×cols) into dst (cols): the
// backward of AddRowVector.
func SumRows(dst, x []float32, rows, cols int) {
	checkLen("SumRows", "x", len(x), rows*cols)
	checkLen("SumRows", "dst", len(dst), cols)
	ParallelFor(cols, 256, func(lo, hi int) {
		for r := 0; r < rows; r++ {
			axpyGeneric(1, x[r*cols+lo:r*cols+hi], dst[lo:hi])
		}
	})
}

// Dot returns the float64-accumulated dot product of x and y.
func Dot(x, y []float32) float64 {
	checkLen("Dot", "y", len(y), len(x))
	var s float64
	for i, v := range x {
		s += float64(v) * float64(y[i])
	}
	return s
}

// SumSquares returns the float64-accumulated sum of x[i]², for gradient norms.
func SumSquares(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return s
}
