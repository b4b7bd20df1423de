package kernels

// Axpy computes y += alpha*x.
func Axpy(alpha float32, x, y []float32) {
	checkLen("Axpy", "y", len(y), len(x))
	parallel(&ewJobs, len(x), grain, ewArgs{y: y, x: x, alpha: alpha}, axpyRange)
}

func axpyRange(a *ewArgs, lo, hi int) { axpyRow(a.alpha, a.x[lo:hi], a.y[lo:hi]) }

// Scale computes x *= alpha.
func Scale(alpha float32, x []float32) {
	parallel(&ewJobs, len(x), grain, ewArgs{x: x, alpha: alpha}, scaleRange)
}

func scaleRange(a *ewArgs, lo, hi int) { scaleRow(a.alpha, a.x[lo:hi]) }

// Add computes dst = a + b elementwise.
func Add(dst, a, b []float32) {
	checkLen("Add", "a", len(a), len(dst))
	checkLen("Add", "b", len(b), len(dst))
	parallel(&ewJobs, len(dst), grain, ewArgs{y: dst, x: a, z: b}, addRange)
}

func addRange(a *ewArgs, lo, hi int) { addRow(a.y[lo:hi], a.x[lo:hi], a.z[lo:hi]) }

// Mul computes dst = a * b elementwise.
func Mul(dst, a, b []float32) {
	checkLen("Mul", "a", len(a), len(dst))
	checkLen("Mul", "b", len(b), len(dst))
	parallel(&ewJobs, len(dst), grain, ewArgs{y: dst, x: a, z: b}, mulRange)
}

func mulRange(a *ewArgs, lo, hi int) { mulRow(a.y[lo:hi], a.x[lo:hi], a.z[lo:hi]) }

// MulAcc computes dst += a * b elementwise.
func MulAcc(dst, a, b []float32) {
	checkLen("MulAcc", "a", len(a), len(dst))
	checkLen("MulAcc", "b", len(b), len(dst))
	parallel(&ewJobs, len(dst), grain, ewArgs{y: dst, x: a, z: b}, mulAccRange)
}

func mulAccRange(a *ewArgs, lo, hi int) { mulAccRow(a.y[lo:hi], a.x[lo:hi], a.z[lo:hi]) }

// rowArgs are the arguments of a row-structured kernel call.
type rowArgs struct {
	x, v       []float32
	rows, cols int
}

var rowJobs argPool[job[rowArgs]]

// AddRowVector adds the row vector v (cols values) to each of the rows of x.
func AddRowVector(x, v []float32, rows, cols int) {
	checkLen("AddRowVector", "x", len(x), rows*cols)
	checkLen("AddRowVector", "v", len(v), cols)
	parallel(&rowJobs, rows, max(1, grain/max(cols, 1)), rowArgs{x: x, v: v, rows: rows, cols: cols}, addRowVectorRange)
}

func addRowVectorRange(a *rowArgs, lo, hi int) {
	cols := a.cols
	for r := lo; r < hi; r++ {
		axpyRow(1, a.v[:cols], a.x[r*cols:r*cols+cols])
	}
}

// SumRows accumulates the column sums of x (rows×cols) into dst (cols): the
// backward of AddRowVector. Rows are added in order, so the result does not
// depend on the number of threads.
func SumRows(dst, x []float32, rows, cols int) {
	checkLen("SumRows", "x", len(x), rows*cols)
	checkLen("SumRows", "dst", len(dst), cols)
	parallel(&rowJobs, cols, 256, rowArgs{x: x, v: dst, rows: rows, cols: cols}, sumRowsRange)
}

func sumRowsRange(a *rowArgs, lo, hi int) {
	cols := a.cols
	for r := 0; r < a.rows; r++ {
		axpyRow(1, a.x[r*cols+lo:r*cols+hi], a.v[lo:hi])
	}
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

// axpyGeneric: y += alpha*x, unrolled by 4. The float32 conversions forbid
// fused multiply-adds, so the result matches the vector kernels exactly.
func axpyGeneric(alpha float32, x, y []float32) {
	n := len(x)
	y = y[:n]
	i := 0
	for ; i+4 <= n; i += 4 {
		y[i] += float32(alpha * x[i])
		y[i+1] += float32(alpha * x[i+1])
		y[i+2] += float32(alpha * x[i+2])
		y[i+3] += float32(alpha * x[i+3])
	}
	for ; i < n; i++ {
		y[i] += float32(alpha * x[i])
	}
}
