//go:build cuda && cgo

package cuda

/*
#include "kargs.h"
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/distilgo/distilgo/tensor"
)

// The tensor.Device methods. Shapes are checked by the tape before these
// run; index and label ranges are checked here, as package kernels does.

func op(trans bool) int {
	if trans {
		return cublasOpT
	}
	return cublasOpN
}

// Gemm computes c = alpha*op(a)*op(b) + beta*c per batch with cuBLAS. cuBLAS
// is column-major, and a row-major matrix is its transpose in column-major
// order, so the row-major C = op(A)·op(B) is computed as the column-major
// Cᵀ = op(B)ᵀ·op(A)ᵀ: operands swapped, m and n swapped, leading
// dimensions as in the row-major layout.
func (d *Device) Gemm(transA, transB bool, batch, m, n, k int, alpha float32, a, b *tensor.Tensor, beta float32, c *tensor.Tensor) {
	d.begin()
	defer d.end()
	if batch == 0 || m == 0 || n == 0 {
		return
	}
	if k == 0 { // no products: c = beta*c
		pc := d.ptr(c)
		if beta == 0 {
			d.ew(kFill, pc, 0, 0, batch*m*n, 0)
		} else {
			d.ew(kScale, pc, 0, 0, batch*m*n, beta)
		}
		return
	}
	pa, pb := d.ptr(a), d.ptr(b)
	pc := d.ptr(c)
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	var st C.int
	if batch == 1 {
		st = sgemm(d.blas, op(transB), op(transA), n, m, k, alpha, pb, ldb, pa, lda, beta, pc, n)
	} else {
		st = sgemmStridedBatched(d.blas, op(transB), op(transA), n, m, k, alpha, pb, ldb, int64(k*n), pa, lda, int64(m*k), beta, pc, n, int64(m*n), batch)
	}
	if err := cublasErr(st, fmt.Sprintf("SGEMM batch=%d m=%d n=%d k=%d transA=%v transB=%v", batch, m, n, k, transA, transB)); err != nil {
		panic(err.Error())
	}
	d.stats.Launches++
}

// GemmStrided is Gemm on sub-matrices: operand i of x starts at offX +
// i*strideX floats into x's storage, with leading dimension ldX (row-major,
// as Gemm). It maps to cuBLAS as Gemm does.
func (d *Device) GemmStrided(transA, transB bool, batch, m, n, k int, alpha float32,
	a *tensor.Tensor, offA, lda, strideA int, b *tensor.Tensor, offB, ldb, strideB int,
	beta float32, c *tensor.Tensor, offC, ldc, strideC int) {
	d.begin()
	defer d.end()
	if batch == 0 || m == 0 || n == 0 {
		return
	}
	pc := d.ptr(c) + 4*uint64(offC)
	if k == 0 { // no products: each m×n block of c becomes beta times itself
		for i := 0; i < batch; i++ {
			for r := 0; r < m; r++ {
				row := pc + 4*uint64(i*strideC+r*ldc)
				if beta == 0 {
					d.ew(kFill, row, 0, 0, n, 0)
				} else {
					d.ew(kScale, row, 0, 0, n, beta)
				}
			}
		}
		return
	}
	pa := d.ptr(a) + 4*uint64(offA)
	pb := d.ptr(b) + 4*uint64(offB)
	var st C.int
	if batch == 1 {
		st = sgemm(d.blas, op(transB), op(transA), n, m, k, alpha, pb, ldb, pa, lda, beta, pc, ldc)
	} else {
		st = sgemmStridedBatched(d.blas, op(transB), op(transA), n, m, k, alpha, pb, ldb, int64(strideB), pa, lda, int64(strideA), beta, pc, ldc, int64(strideC), batch)
	}
	if err := cublasErr(st, fmt.Sprintf("strided SGEMM batch=%d m=%d n=%d k=%d lda=%d ldb=%d ldc=%d", batch, m, n, k, lda, ldb, ldc)); err != nil {
		panic(err.Error())
	}
	d.stats.Launches++
}

// AddRowVector adds v to each row of x.
func (d *Device) AddRowVector(x, v *tensor.Tensor, rows, cols int) {
	d.begin()
	defer d.end()
	if rows*cols == 0 {
		return
	}
	pv := d.ptr(v)
	px := d.ptr(x)
	args := C.RowArgs{x: C.dptr(px), v: C.dptr(pv), rows: C.int(rows), cols: C.int(cols)}
	d.launch(kAddRow, d.blocks(int64(rows*cols)), 1, 256, 1, unsafe.Pointer(&args))
}

// colsum accumulates column sums over rows into out0 (mode 0: of x) or
// the layer-norm parameter gradients into out0 (dw) and out1 (db) (mode
// 1), in float64 per column, in two passes over fixed row chunks.
func (d *Device) colsum(mode int, x, dy, mean, rstd, out0, out1 uint64, rows, cols int) {
	if rows == 0 || cols == 0 || (out0 == 0 && out1 == 0) {
		return
	}
	chunk := 128
	nchunk := (rows + chunk - 1) / chunk
	if nchunk > 256 {
		nchunk = 256
		chunk = (rows + nchunk - 1) / nchunk
		nchunk = (rows + chunk - 1) / chunk
	}
	planes := 1
	if mode == 1 {
		planes = 2
	}
	part := d.scratchFor("colsum", 8*planes*nchunk*cols)
	pa := C.ColPartArgs{x: C.dptr(x), dy: C.dptr(dy), mean: C.dptr(mean), rstd: C.dptr(rstd), part: C.dptr(part),
		rows: C.int(rows), cols: C.int(cols), chunk: C.int(chunk), nchunk: C.int(nchunk), mode: C.int(mode)}
	d.launch(kColsumPart, (cols+31)/32, nchunk, 32, 8, unsafe.Pointer(&pa))
	fa := C.ColFinalArgs{part: C.dptr(part), out0: C.dptr(out0), out1: C.dptr(out1), cols: C.int(cols), nchunk: C.int(nchunk), mode: C.int(mode)}
	d.launch(kColsumFinal, d.blocks(int64(cols)), 1, 256, 1, unsafe.Pointer(&fa))
}

// SumRows accumulates the column sums of x into dv.
func (d *Device) SumRows(dv, x *tensor.Tensor, rows, cols int) {
	d.begin()
	defer d.end()
	if rows*cols == 0 {
		return
	}
	px := d.ptr(x)
	pd := d.ptr(dv)
	d.colsum(0, px, 0, 0, 0, pd, 0, rows, cols)
}

// rowBlocks is the grid for one warp per row in blocks of 4 warps.
func rowBlocks(rows int) int { return (rows + 3) / 4 }

// Softmax computes the masked, scaled row softmax (kernels.SoftmaxRows).
func (d *Device) Softmax(y, x *tensor.Tensor, rows, cols int, scale float32, mask []float32, rowsPerMask int) {
	d.begin()
	defer d.end()
	if rows*cols == 0 {
		return
	}
	pm := d.stageRaw(asBytes(mask))
	px := d.ptr(x)
	py := d.ptr(y)
	args := C.SoftmaxArgs{y: C.dptr(py), x: C.dptr(px), mask: C.dptr(pm), rows: C.int(rows), cols: C.int(cols), rpm: C.int(max(rowsPerMask, 1)), scale: C.float(scale)}
	d.launch(kSoftmax, rowBlocks(rows), 1, 128, 1, unsafe.Pointer(&args))
}

// SoftmaxBackward accumulates the softmax input gradient.
func (d *Device) SoftmaxBackward(dx, y, dy *tensor.Tensor, rows, cols int, scale float32, mask []float32, rowsPerMask int) {
	d.begin()
	defer d.end()
	if rows*cols == 0 {
		return
	}
	pm := d.stageRaw(asBytes(mask))
	py, pdy := d.ptr(y), d.ptr(dy)
	pdx := d.ptr(dx)
	args := C.SoftmaxBwdArgs{dx: C.dptr(pdx), y: C.dptr(py), dy: C.dptr(pdy), mask: C.dptr(pm), rows: C.int(rows), cols: C.int(cols), rpm: C.int(max(rowsPerMask, 1)), scale: C.float(scale)}
	d.launch(kSoftmaxBwd, rowBlocks(rows), 1, 128, 1, unsafe.Pointer(&args))
}

// LayerNorm normalizes rows, saving mean and rstd.
func (d *Device) LayerNorm(y, mean, rstd, x, w, b *tensor.Tensor, rows, cols int, eps float32) {
	d.begin()
	defer d.end()
	if rows == 0 {
		return
	}
	px, pw, pb := d.ptr(x), d.ptr(w), d.ptr(b)
	py, pm, pr := d.ptr(y), d.ptr(mean), d.ptr(rstd)
	args := C.LayerNormArgs{y: C.dptr(py), mean: C.dptr(pm), rstd: C.dptr(pr), x: C.dptr(px), w: C.dptr(pw), b: C.dptr(pb), rows: C.int(rows), cols: C.int(cols), eps: C.float(eps)}
	d.launch(kLayernorm, rowBlocks(rows), 1, 128, 1, unsafe.Pointer(&args))
}

// LayerNormBackward accumulates dx, and dw and db when not nil.
func (d *Device) LayerNormBackward(dx, dw, db, dy, x, w, mean, rstd *tensor.Tensor, rows, cols int) {
	d.begin()
	defer d.end()
	if rows == 0 {
		return
	}
	pdy, px, pw, pm, pr := d.ptr(dy), d.ptr(x), d.ptr(w), d.ptr(mean), d.ptr(rstd)
	pdx := d.ptr(dx)
	pdw, pdb := d.ptr(dw), d.ptr(db)
	args := C.LayerNormBwdArgs{dx: C.dptr(pdx), dy: C.dptr(pdy), x: C.dptr(px), w: C.dptr(pw), mean: C.dptr(pm), rstd: C.dptr(pr), rows: C.int(rows), cols: C.int(cols)}
	d.launch(kLayernormBwd, rowBlocks(rows), 1, 128, 1, unsafe.Pointer(&args))
	d.colsum(1, px, pdy, pm, pr, pdw, pdb, rows, cols)
}

// Pointwise computes y = f(x) with the kernel k_<f.Name> (EwArgs: d=y, a=x).
func (d *Device) Pointwise(f *tensor.Pointwise, y, x *tensor.Tensor) {
	d.begin()
	defer d.end()
	k := d.pointwiseKernels(f)
	px := d.ptr(x)
	py := d.ptr(y)
	d.ew(k[0], py, px, 0, x.Size(), 0)
}

// PointwiseBackward accumulates dx += dy*f'(x) with the kernel
// k_<f.Name>_bwd (EwArgs: d=dx, a=x, b=dy).
func (d *Device) PointwiseBackward(f *tensor.Pointwise, dx, x, dy *tensor.Tensor) {
	d.begin()
	defer d.end()
	k := d.pointwiseKernels(f)
	px, pdy := d.ptr(x), d.ptr(dy)
	pdx := d.ptr(dx)
	d.ew(k[1], pdx, px, pdy, x.Size(), 0)
}

// pointwiseKernels returns f's forward and backward kernels, found by name
// once per function.
func (d *Device) pointwiseKernels(f *tensor.Pointwise) [2]kernel {
	if k, ok := d.pointwise[f]; ok {
		return k
	}
	var k [2]kernel
	for i, name := range []string{"k_" + f.Name, "k_" + f.Name + "_bwd"} {
		var ok bool
		if k[i], ok = kernelByName(name); !ok {
			panic(fmt.Sprintf("cuda: pointwise function %q has no kernel %s in cuda/kernels.cu", f.Name, name))
		}
	}
	if d.pointwise == nil {
		d.pointwise = map[*tensor.Pointwise][2]kernel{}
	}
	d.pointwise[f] = k
	return k
}

// DropoutMask fills mask from the counter-based stream of tensor/rng.go,
// bit for bit.
func (d *Device) DropoutMask(mask *tensor.Tensor, p float32, seed, offset uint64) {
	d.begin()
	defer d.end()
	n := mask.Size()
	pm := d.ptr(mask)
	if n == 0 {
		return
	}
	if p >= 1 {
		d.ew(kFill, pm, 0, 0, n, 0)
		return
	}
	thr := uint32(float64(p) * (1 << 32))
	keep := 1 / (1 - p)
	args := C.DropoutArgs{mask: C.dptr(pm), n: C.longlong(n), seed: C.ulonglong(seed), offset: C.ulonglong(offset), thr: C.uint(thr), keep: C.float(keep)}
	d.launch(kDropout, d.blocks(int64(n)), 1, 256, 1, unsafe.Pointer(&args))
}

func checkIndices(op string, idx []int32, nrows int) {
	for i, id := range idx {
		if id < 0 || int(id) >= nrows {
			panic(fmt.Sprintf("cuda.%s: index %d at %d outside [0,%d)", op, id, i, nrows))
		}
	}
}

// Gather copies rows idx of table into dst.
func (d *Device) Gather(dst, table *tensor.Tensor, idx []int32, cols int) {
	d.begin()
	defer d.end()
	if len(idx) == 0 || cols == 0 {
		return
	}
	checkIndices("Gather", idx, table.Size()/cols)
	pi := d.stageRaw(asBytes(idx))
	pt := d.ptr(table)
	pd := d.ptr(dst)
	args := C.GatherArgs{dst: C.dptr(pd), table: C.dptr(pt), idx: C.dptr(pi), n: C.longlong(len(idx)), cols: C.int(cols)}
	d.launch(kGather, d.blocks(int64(len(idx)*cols)), 1, 256, 1, unsafe.Pointer(&args))
}

// ScatterAdd adds row i of src into row idx[i] of dtable, except into row
// skip; repeated indices add up in index order, as on the CPU.
func (d *Device) ScatterAdd(dtable, src *tensor.Tensor, idx []int32, cols, skip int) {
	d.begin()
	defer d.end()
	if len(idx) == 0 || cols == 0 {
		return
	}
	nrows := dtable.Size() / cols
	checkIndices("ScatterAdd", idx, nrows)
	groups, nu := d.stageGroups(idx, nrows)
	ps := d.ptr(src)
	pt := d.ptr(dtable)
	args := C.ScatterArgs{dtable: C.dptr(pt), src: C.dptr(ps), rows: C.dptr(groups), starts: C.dptr(groups + 4*uint64(nu)),
		pos: C.dptr(groups + 4*uint64(2*nu+1)), nu: C.int(nu), cols: C.int(cols), skip: C.int(skip)}
	bx := min(256, (cols+31)/32*32)
	d.launch(kScatter, min(nu, 65535), 1, bx, 1, unsafe.Pointer(&args))
}

// CrossEntropy computes per-row losses on the device and sums them there
// in row order (as package kernels does) into loss, without waiting.
func (d *Device) CrossEntropy(loss, dlogits, logits *tensor.Tensor, labels []int32, rows, cols int, ignore int32, scale float32) {
	d.begin()
	defer d.end()
	pout := d.ptr(loss)
	if rows == 0 {
		d.ew(kFill, pout, 0, 0, 1, 0)
		return
	}
	for r, l := range labels[:rows] {
		if l != ignore && (l < 0 || int(l) >= cols) {
			panic(fmt.Sprintf("cuda.CrossEntropy: label %d at row %d outside [0,%d)", l, r, cols))
		}
	}
	pl := d.stageRaw(asBytes(labels[:rows]))
	px := d.ptr(logits)
	pd := d.ptr(dlogits)
	losses := d.scratchFor("xent", 8*rows)
	args := C.XentArgs{dlogits: C.dptr(pd), logits: C.dptr(px), labels: C.dptr(pl), losses: C.dptr(losses),
		rows: C.int(rows), cols: C.int(cols), ignore: C.int(ignore), gscale: C.float(scale)}
	d.launch(kXent, min(rows, 65535), 1, 256, 1, unsafe.Pointer(&args))
	// Ignored rows have loss 0: adding them changes no sum.
	d.finishSum(pout, losses, rows, scale)
}

// finishSum writes float32(scale * the float64 sum of n values at part,
// in order) to dst, on the device.
func (d *Device) finishSum(dst, part uint64, n int, scale float32) {
	args := C.FinishArgs{dst: C.dptr(dst), part: C.dptr(part), n: C.longlong(n), scale: C.float(scale)}
	d.launch(kSumFinish, 1, 1, 1, 1, unsafe.Pointer(&args))
}

// Add sets dst = a + b.
func (d *Device) Add(dst, a, b *tensor.Tensor) { d.binary(kAdd, dst, a, b) }

// Mul sets dst = a * b.
func (d *Device) Mul(dst, a, b *tensor.Tensor) { d.binary(kMul, dst, a, b) }

// MulAcc adds a * b to dst.
func (d *Device) MulAcc(dst, a, b *tensor.Tensor) { d.binary(kMulacc, dst, a, b) }

func (d *Device) binary(k kernel, dst, a, b *tensor.Tensor) {
	d.begin()
	defer d.end()
	pa, pb := d.ptr(a), d.ptr(b)
	pd := d.ptr(dst)
	d.ew(k, pd, pa, pb, dst.Size(), 0)
}

// Axpy adds alpha*x to y.
func (d *Device) Axpy(alpha float32, x, y *tensor.Tensor) {
	d.begin()
	defer d.end()
	px := d.ptr(x)
	py := d.ptr(y)
	d.ew(kAxpy, py, px, 0, y.Size(), alpha)
}

// AxpyScalar adds s*x to y, s the value of the one-element tensor s.
func (d *Device) AxpyScalar(s, x, y *tensor.Tensor) {
	d.begin()
	defer d.end()
	ps, px := d.ptr(s), d.ptr(x)
	py := d.ptr(y)
	d.ew(kAxpyDev, py, px, ps, y.Size(), 0)
}

// AddScalar adds s*f to every element of y, s the value of the
// one-element tensor s.
func (d *Device) AddScalar(y, s *tensor.Tensor, f float32) {
	d.begin()
	defer d.end()
	ps := d.ptr(s)
	py := d.ptr(y)
	d.ew(kAddDev, py, 0, ps, y.Size(), f)
}

// Scale multiplies x by alpha.
func (d *Device) Scale(alpha float32, x *tensor.Tensor) {
	d.begin()
	defer d.end()
	px := d.ptr(x)
	d.ew(kScale, px, 0, 0, x.Size(), alpha)
}

// Permute writes src (shape dims) into dst with axes permuted, or adds.
func (d *Device) Permute(dst, src *tensor.Tensor, dims []int, perm []int, acc bool) {
	d.begin()
	defer d.end()
	r := len(dims)
	var dd, pp [4]int
	off := 4 - r
	for i := 0; i < off; i++ {
		dd[i], pp[i] = 1, i
	}
	for i := 0; i < r; i++ {
		dd[off+i] = dims[i]
		pp[off+i] = perm[i] + off
	}
	var sstr [4]int
	s := 1
	for i := 3; i >= 0; i-- {
		sstr[i] = s
		s *= dd[i]
	}
	if s == 0 {
		return
	}
	ps := d.ptr(src)
	pd := d.ptr(dst)
	args := C.PermuteArgs{dst: C.dptr(pd), src: C.dptr(ps), n: C.longlong(s)}
	for i := 0; i < 4; i++ {
		args.od[i] = C.int(dd[pp[i]])
		args.os[i] = C.longlong(sstr[pp[i]])
	}
	if acc {
		args.acc = 1
	}
	d.launch(kPermute, d.blocks(int64(s)), 1, 256, 1, unsafe.Pointer(&args))
}

// Sum writes scale times the float64 sum of x into dst, on the device:
// per-block partial sums, then in block order (deterministic).
func (d *Device) Sum(dst, x *tensor.Tensor, scale float32) {
	d.begin()
	defer d.end()
	pd := d.ptr(dst)
	n := x.Size()
	if n == 0 {
		d.ew(kFill, pd, 0, 0, 1, 0)
		return
	}
	part, g := d.partialSums(d.ptr(x), n, false)
	d.finishSum(pd, part, g, scale)
}

// partialSums launches k_sum over n floats at p (n > 0) and returns where
// its g float64 per-block partial sums are.
func (d *Device) partialSums(p uint64, n int, square bool) (part uint64, g int) {
	g = int(min((int64(n)+255)/256, 1024))
	part = d.scratchFor("sum", 8*g)
	args := C.SumArgs{x: C.dptr(p), part: C.dptr(part), n: C.longlong(n)}
	if square {
		args.square = 1
	}
	d.launch(kSum, g, 1, 256, 1, unsafe.Pointer(&args))
	return part, g
}

// sum reduces n floats at p in float64: per-block partial sums on the
// device, then in block order on the host (deterministic); it waits for
// the device.
func (d *Device) sum(p uint64, n int, square bool) float64 {
	if n == 0 {
		return 0
	}
	part, g := d.partialSums(p, n, square)
	host := make([]float64, g)
	d.download(unsafe.Pointer(&host[0]), part, 8*g)
	var s float64
	for _, v := range host {
		s += v
	}
	return s
}

// Fill sets every element of x to v.
func (d *Device) Fill(x *tensor.Tensor, v float32) {
	d.begin()
	defer d.end()
	px := d.ptr(x)
	if v == 0 && x.Size() > 1 {
		must(cuMemset32(px, 0, x.Size()), "cuMemsetD32Async")
		d.stats.Zeroed += 4 * int64(x.Size())
		return
	}
	d.ew(kFill, px, 0, 0, x.Size(), v)
}

// Copy copies src into dst.
func (d *Device) Copy(dst, src *tensor.Tensor) {
	d.begin()
	defer d.end()
	ps := d.ptr(src)
	pd := d.ptr(dst)
	if n := src.Size(); n > 0 {
		must(cuDtoD(pd, ps, 4*n), "copy on the device")
	}
}
