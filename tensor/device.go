package tensor

import (
	"sync"

	"github.com/distilgo/distilgo/kernels"
)

// Device runs the math of the ops on tensor storage. Every op of a Tape calls
// its Device and never touches kernels directly, so a backend that keeps
// storage elsewhere (a GPU) can implement this interface and run the same
// models. Backward methods accumulate into their gradient arguments.
//
// Shapes are checked by the ops before a Device method runs; the sizes passed
// are the flattened ones described on each method.
type Device interface {
	// Name identifies the device ("cpu").
	Name() string
	// Alloc returns new storage for n float32s in the device's memory, or
	// nil for a device that computes on host memory (the CPU): tapes and
	// NewOn then use host slices. Alloc(0) is cheap (tapes call it to learn
	// which kind of memory the device uses). The contents are undefined.
	Alloc(n int) Storage
	// Gemm: for each of batch products, c = alpha*op(a)*op(b) + beta*c with
	// op(a) m×k, op(b) k×n, operands contiguous and packed batch after batch.
	Gemm(transA, transB bool, batch, m, n, k int, alpha float32, a, b *Tensor, beta float32, c *Tensor)
	// GemmStrided is Gemm on sub-matrices: operand i of x starts at
	// offX + i*strideX in x's storage, with leading dimension ldX (the
	// attention products read heads in place from [B*T, C] activations).
	GemmStrided(transA, transB bool, batch, m, n, k int, alpha float32,
		a *Tensor, offA, lda, strideA int, b *Tensor, offB, ldb, strideB int,
		beta float32, c *Tensor, offC, ldc, strideC int)
	// AddRowVector adds v (cols) to each row of x; SumRows accumulates the
	// column sums of x into dv.
	AddRowVector(x, v *Tensor, rows, cols int)
	SumRows(dv, x *Tensor, rows, cols int)
	// Softmax over rows with scale and additive mask (see kernels.SoftmaxRows).
	Softmax(y, x *Tensor, rows, cols int, scale float32, mask []float32, rowsPerMask int)
	SoftmaxBackward(dx, y, dy *Tensor, rows, cols int, scale float32, mask []float32, rowsPerMask int)
	// LayerNorm over rows of cols, saving mean and rstd (rows each).
	LayerNorm(y, mean, rstd, x, w, b *Tensor, rows, cols int, eps float32)
	LayerNormBackward(dx, dw, db, dy, x, w, mean, rstd *Tensor, rows, cols int)
	// Pointwise sets y = f(x) element-wise; PointwiseBackward accumulates
	// dx += dy·f'(x) (activations: see Pointwise).
	Pointwise(f *Pointwise, y, x *Tensor)
	PointwiseBackward(f *Pointwise, dx, x, dy *Tensor)
	// DropoutMask fills mask with 0 or 1/(1-p), keeping each element with
	// probability 1-p from a counter-based stream (seed, offset+i).
	DropoutMask(mask *Tensor, p float32, seed, offset uint64)
	// Gather copies rows idx of table into dst; ScatterAdd is its backward,
	// adding into every row of dtable but skip (an embedding's padding row;
	// -1 for none).
	Gather(dst, table *Tensor, idx []int32, cols int)
	ScatterAdd(dtable, src *Tensor, idx []int32, cols, skip int)
	// CrossEntropy writes into loss (one element) scale times the float64
	// sum of the losses of rows whose label is not ignore, rounded once, and
	// scale*(softmax-onehot) into dlogits if not nil. The loss stays on the
	// device: callers read it with Item.
	CrossEntropy(loss, dlogits, logits *Tensor, labels []int32, rows, cols int, ignore int32, scale float32)
	// Elementwise: dst = a+b; dst = a*b; dst += a*b; y += alpha*x; x *= alpha.
	Add(dst, a, b *Tensor)
	Mul(dst, a, b *Tensor)
	MulAcc(dst, a, b *Tensor)
	Axpy(alpha float32, x, y *Tensor)
	Scale(alpha float32, x *Tensor)
	// AxpyScalar adds s*x to y, and AddScalar adds s*f to every element of
	// y, where s is the value of the one-element tensor s: the backward of
	// a loss or a sum takes its upstream gradient where it lives.
	AxpyScalar(s, x, y *Tensor)
	AddScalar(y, s *Tensor, f float32)
	// Permute writes src (shape dims) into dst with axes permuted by perm;
	// with acc it adds instead of overwriting.
	Permute(dst, src *Tensor, dims []int, perm []int, acc bool)
	// Sum writes into dst (one element) scale times the float64 sum of x's
	// elements, rounded once.
	Sum(dst, x *Tensor, scale float32)
	// Fill sets every element of x to v; Copy copies src into dst.
	Fill(x *Tensor, v float32)
	Copy(dst, src *Tensor)
}

// CPU is the default device: package kernels on host memory.
var CPU Device = cpuDevice{}

type cpuDevice struct{}

func (cpuDevice) Name() string { return "cpu" }

// Alloc returns nil: the CPU computes on host slices.
func (cpuDevice) Alloc(int) Storage { return nil }

// packedLD returns the leading dimensions of contiguous op(a) m×k and
// op(b) k×n operands (Device.Gemm's layout).
func packedLD(transA, transB bool, m, n, k int) (lda, ldb int) {
	lda, ldb = k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	return lda, ldb
}

func (cpuDevice) Gemm(transA, transB bool, batch, m, n, k int, alpha float32, a, b *Tensor, beta float32, c *Tensor) {
	lda, ldb := packedLD(transA, transB, m, n, k)
	if batch == 1 {
		kernels.Sgemm(transA, transB, m, n, k, alpha, a.data, lda, b.data, ldb, beta, c.data, n)
		return
	}
	kernels.SgemmBatched(transA, transB, m, n, k, alpha, a.data, lda, m*k, b.data, ldb, k*n, beta, c.data, n, m*n, batch)
}

func (cpuDevice) GemmStrided(transA, transB bool, batch, m, n, k int, alpha float32,
	a *Tensor, offA, lda, strideA int, b *Tensor, offB, ldb, strideB int,
	beta float32, c *Tensor, offC, ldc, strideC int) {
	kernels.SgemmBatched(transA, transB, m, n, k, alpha, a.data[offA:], lda, strideA, b.data[offB:], ldb, strideB, beta, c.data[offC:], ldc, strideC, batch)
}

func (cpuDevice) AddRowVector(x, v *Tensor, rows, cols int) {
	kernels.AddRowVector(x.data, v.data, rows, cols)
}
func (cpuDevice) SumRows(dv, x *Tensor, rows, cols int) { kernels.SumRows(dv.data, x.data, rows, cols) }

func (cpuDevice) Softmax(y, x *Tensor, rows, cols int, scale float32, mask []float32, rowsPerMask int) {
	kernels.SoftmaxRows(y.data, x.data, rows, cols, scale, mask, rowsPerMask)
}

func (cpuDevice) SoftmaxBackward(dx, y, dy *Tensor, rows, cols int, scale float32, mask []float32, rowsPerMask int) {
	kernels.SoftmaxRowsBackward(dx.data, y.data, dy.data, rows, cols, scale, mask, rowsPerMask)
}

func (cpuDevice) LayerNorm(y, mean, rstd, x, w, b *Tensor, rows, cols int, eps float32) {
	kernels.LayerNorm(y.data, mean.data, rstd.data, x.data, w.data, b.data, rows, cols, eps)
}

func (cpuDevice) LayerNormBackward(dx, dw, db, dy, x, w, mean, rstd *Tensor, rows, cols int) {
	kernels.LayerNormBackward(data(dx), data(dw), data(db), dy.data, x.data, w.data, mean.data, rstd.data, rows, cols)
}

func (cpuDevice) Pointwise(f *Pointwise, y, x *Tensor) { f.Forward(y.data, x.data) }
func (cpuDevice) PointwiseBackward(f *Pointwise, dx, x, dy *Tensor) {
	f.Backward(dx.data, x.data, dy.data)
}

func (cpuDevice) DropoutMask(mask *Tensor, p float32, seed, offset uint64) {
	dropoutMask(mask.data, p, seed, offset)
}

func (cpuDevice) Gather(dst, table *Tensor, idx []int32, cols int) {
	kernels.GatherRows(dst.data, table.data, idx, cols)
}

func (cpuDevice) ScatterAdd(dtable, src *Tensor, idx []int32, cols, skip int) {
	kernels.ScatterAddRows(dtable.data, src.data, idx, cols, skip)
}

func (cpuDevice) CrossEntropy(loss, dlogits, logits *Tensor, labels []int32, rows, cols int, ignore int32, scale float32) {
	sum, _ := kernels.CrossEntropy(data(dlogits), logits.data, labels, rows, cols, ignore, scale)
	loss.data[0] = float32(sum * float64(scale))
}

func (cpuDevice) Add(dst, a, b *Tensor)            { kernels.Add(dst.data, a.data, b.data) }
func (cpuDevice) Mul(dst, a, b *Tensor)            { kernels.Mul(dst.data, a.data, b.data) }
func (cpuDevice) MulAcc(dst, a, b *Tensor)         { kernels.MulAcc(dst.data, a.data, b.data) }
func (cpuDevice) Axpy(alpha float32, x, y *Tensor) { kernels.Axpy(alpha, x.data, y.data) }
func (cpuDevice) Scale(alpha float32, x *Tensor)   { kernels.Scale(alpha, x.data) }
func (cpuDevice) AxpyScalar(s, x, y *Tensor)       { kernels.Axpy(s.data[0], x.data, y.data) }
func (cpuDevice) AddScalar(y, s *Tensor, f float32) {
	j := addScalarJobs.Get().(*addScalarJob)
	j.y, j.v = y.data, float32(s.data[0]*f) // rounded before the adds: no FMA, as Fill then Axpy gave
	kernels.ParallelFor(len(j.y), 1<<15, j.fn)
	j.y = nil
	addScalarJobs.Put(j)
}

// addScalarJob is AddScalar's work with a func value bound once, so that a
// call passes ParallelFor no new closure (see permuteJob).
type addScalarJob struct {
	y  []float32
	v  float32
	fn func(lo, hi int)
}

var addScalarJobs = sync.Pool{New: func() any {
	j := &addScalarJob{}
	j.fn = j.run
	return j
}}

func (j *addScalarJob) run(lo, hi int) {
	y, v := j.y[lo:hi], j.v
	for i := range y {
		y[i] += v
	}
}
func (cpuDevice) Sum(dst, x *Tensor, scale float32) {
	var s float64
	for _, v := range x.data {
		s += float64(v)
	}
	dst.data[0] = float32(s * float64(scale))
}

func (cpuDevice) Fill(x *Tensor, v float32) {
	for i := range x.data {
		x.data[i] = v
	}
}

func (cpuDevice) Copy(dst, src *Tensor) { copy(dst.data, src.data) }

func (cpuDevice) Permute(dst, src *Tensor, dims []int, perm []int, acc bool) {
	permute(dst.data, src.data, dims, perm, acc)
}

func data(t *Tensor) []float32 {
	if t == nil {
		return nil
	}
	return t.data
}

// permute copies src (row-major with dims) into dst with axes reordered so
// that dst's axis i is src's axis perm[i]. Rank ≤ 4, padded to 4 internally.
func permute(dst, src []float32, dims []int, perm []int, acc bool) {
	r := len(dims)
	var d, p [MaxRank]int
	// Pad with leading size-1 axes.
	off := MaxRank - r
	for i := 0; i < off; i++ {
		d[i], p[i] = 1, i
	}
	for i := 0; i < r; i++ {
		d[off+i] = dims[i]
		p[off+i] = perm[i] + off
	}
	var sstr [MaxRank]int
	s := 1
	for i := MaxRank - 1; i >= 0; i-- {
		sstr[i] = s
		s *= d[i]
	}
	// Output dims and the matching source strides.
	var od, os [MaxRank]int
	for i := 0; i < MaxRank; i++ {
		od[i], os[i] = d[p[i]], sstr[p[i]]
	}
	j := permuteJobs.Get().(*permuteJob)
	j.dst, j.src, j.od, j.os, j.acc = dst, src, od, os, acc
	kernels.ParallelFor(od[0]*od[1], 1, j.fn)
	j.dst, j.src = nil, nil
	permuteJobs.Put(j)
}

// permuteJob holds one permute's arguments and a func value bound to it
// once, so that a permute passes ParallelFor no new closure (it would
// allocate on every call).
type permuteJob struct {
	dst, src []float32
	od, os   [MaxRank]int // output dims and the matching source strides
	acc      bool
	fn       func(lo, hi int)
}

var permuteJobs = sync.Pool{New: func() any {
	j := &permuteJob{}
	j.fn = j.run
	return j
}}

// run copies output rows [lo, hi) of the first two output axes.
func (j *permuteJob) run(lo, hi int) {
	dst, src, od, os, acc := j.dst, j.src, &j.od, &j.os, j.acc
	for ab := lo; ab < hi; ab++ {
		a, b := ab/od[1], ab%od[1]
		o := ab * od[2] * od[3]
		base := a*os[0] + b*os[1]
		for c := 0; c < od[2]; c++ {
			sb := base + c*os[2]
			row := dst[o : o+od[3]]
			if acc {
				for e := range row {
					row[e] += src[sb+e*os[3]]
				}
			} else {
				for e := range row {
					row[e] = src[sb+e*os[3]]
				}
			}
			o += od[3]
		}
	}
}
