package tensor

// MatMul returns op(a)·op(b) over the last two axes, where op transposes when
// the flag is set. a and b have the same rank (2 to 4) and the same leading
// (batch) dims: a is [..., M, K] ([..., K, M] with transA), b is [..., K, N]
// ([..., N, K] with transB); the result is [..., M, N].
func (tp *Tape) MatMul(a, b *Tensor, transA, transB bool) *Tensor {
	if a.rank < 2 || a.rank != b.rank {
		shapePanic("MatMul", "ranks %v and %v: need equal ranks >= 2", a.Shape(), b.Shape())
	}
	batch := 1
	for i := 0; i < a.rank-2; i++ {
		if a.dims[i] != b.dims[i] {
			shapePanic("MatMul", "batch dims differ: %v vs %v", a.Shape(), b.Shape())
		}
		batch *= a.dims[i]
	}
	m, k := a.Dim(-2), a.Dim(-1)
	if transA {
		m, k = k, m
	}
	kb, n := b.Dim(-2), b.Dim(-1)
	if transB {
		kb, n = n, kb
	}
	if k != kb {
		shapePanic("MatMul", "inner dims differ: %v (transA=%v) x %v (transB=%v)", a.Shape(), transA, b.Shape(), transB)
	}
	var shape [MaxRank]int
	copy(shape[:], a.Shape())
	shape[a.rank-2], shape[a.rank-1] = m, n
	out := tp.alloc(k == 0, shape[:a.rank]...)
	tp.dev.Gemm(transA, transB, batch, m, n, k, 1, a, b, 0, out)
	if tp.recording(a, b, nil) {
		nd := newNode(tp, &tp.ops.matMul)
		*nd = matMulOp{a: a, b: b, batch: batch, m: m, n: n, k: k, transA: transA, transB: transB}
		tp.record(out, nd, a, b, nil)
	}
	return out
}

// matMulOp is a recorded MatMul: its operands and the product's sizes.
type matMulOp struct {
	a, b           *Tensor
	batch, m, n, k int
	transA, transB bool
}

func (op *matMulOp) backward(tp *Tape, out *Tensor) {
	batch, m, n, k := op.batch, op.m, op.n, op.k
	dc := out.Grad
	if req(op.a) {
		da, beta := tp.gradBeta(op.a)
		if !op.transA { // dA (M×K) += dC · op(B)ᵀ
			tp.dev.Gemm(false, !op.transB, batch, m, k, n, 1, dc, op.b, beta, da)
		} else { // dA (K×M) += op(B) · dCᵀ
			tp.dev.Gemm(op.transB, true, batch, k, m, n, 1, op.b, dc, beta, da)
		}
	}
	if req(op.b) {
		db, beta := tp.gradBeta(op.b)
		if !op.transB { // dB (K×N) += op(A)ᵀ · dC
			tp.dev.Gemm(!op.transA, false, batch, k, n, m, 1, op.a, dc, beta, db)
		} else { // dB (N×K) += dCᵀ · op(A)
			tp.dev.Gemm(true, op.transA, batch, n, k, m, 1, dc, op.a, beta, db)
		}
	}
}
