package tensor

// Attention is multi-head scaled dot-product attention with an additive key
// mask and dropout on the attention weights, reading the heads in place:
//
//	q, k, v: [B*T, C] with C = NH*HS, head h of token t in columns h*HS..
//	scores  = scale * q_h · k_hᵀ + mask     [B, NH, T, T]
//	weights = dropout(softmax(scores))
//	out_h   = weights · v_h                 [B*T, C], heads in place
//
// It equals reshaping q, k, v to [B, T, NH, HS], permuting to [B, NH, T, HS],
// two MatMuls around Softmax and Dropout, and permuting back, but copies
// nothing and keeps only the softmax output for the backward pass (the
// dropout mask is regenerated). mask is [B, T] (0 or kernels.MaskedOut;
// nil for none), as Softmax takes it.
func (tp *Tape) Attention(q, k, v *Tensor, B, T, NH int, scale float32, mask []float32, dropout float32) *Tensor {
	if q.rank != 2 || !sameShape(q, k) || !sameShape(q, v) || q.dims[0] != B*T || q.dims[1]%NH != 0 {
		shapePanic("Attention", "q %v k %v v %v for B=%d T=%d NH=%d: need three [B*T, NH*HS]", q.Shape(), k.Shape(), v.Shape(), B, T, NH)
	}
	if mask != nil && len(mask) != B*T {
		shapePanic("Attention", "mask of %d for B=%d T=%d", len(mask), B, T)
	}
	if dropout < 0 || dropout >= 1 {
		shapePanic("Attention", "dropout %v outside [0,1)", dropout)
	}
	C := q.dims[1]
	HS := C / NH
	// scores[b,h] = q_bh · k_bhᵀ, then softmax in place → probs.
	probs := tp.alloc(false, B, NH, T, T)
	for b := 0; b < B; b++ {
		tp.dev.GemmStrided(false, true, NH, T, T, HS, 1,
			q, b*T*C, C, HS, k, b*T*C, C, HS, 0, probs, b*NH*T*T, T, T*T)
	}
	tp.dev.Softmax(probs, probs, B*NH*T, T, scale, mask, NH*T)
	w := probs
	var seed, offset uint64
	if dropout > 0 {
		seed, offset = tp.seed, tp.offset
		w = tp.pooledDirty(probs)
		tp.dev.DropoutMask(w, dropout, seed, offset)
		tp.dev.Mul(w, probs, w)
		tp.offset += uint64(probs.Size())
	}
	out := tp.alloc(false, B*T, C)
	tp.attnContext(out, w, v, B, T, NH, HS)
	if w != probs {
		tp.release(w)
	}
	if tp.recording(q, k, v) {
		nd := newNode(tp, &tp.ops.attention)
		*nd = attentionOp{q: q, k: k, v: v, probs: probs, mask: mask, B: B, T: T, NH: NH,
			scale: scale, dropout: dropout, seed: seed, offset: offset}
		tp.record(out, nd, q, k, v)
	}
	return out
}

// attnContext computes out_bh = w_bh · v_bh for every batch and head.
func (tp *Tape) attnContext(out, w, v *Tensor, B, T, NH, HS int) {
	C := NH * HS
	for b := 0; b < B; b++ {
		tp.dev.GemmStrided(false, false, NH, T, HS, T, 1,
			w, b*NH*T*T, T, T*T, v, b*T*C, C, HS, 0, out, b*T*C, C, HS)
	}
}

// attentionOp is a recorded Attention: the softmax output of its forward
// pass (before dropout) and the stream position of its dropout mask.
type attentionOp struct {
	q, k, v, probs *Tensor
	mask           []float32
	B, T, NH       int
	scale, dropout float32
	seed, offset   uint64
}

func (op *attentionOp) backward(tp *Tape, out *Tensor) {
	B, T, NH := op.B, op.T, op.NH
	dropout := op.dropout
	q, k, v, probs, dout := op.q, op.k, op.v, op.probs, out.Grad
	C := q.dims[1]
	HS := C / NH
	// The weights as used in the forward pass (probs times the dropout mask).
	w, mask := probs, (*Tensor)(nil)
	if dropout > 0 {
		mask = tp.pooledDirty(probs)
		tp.dev.DropoutMask(mask, dropout, op.seed, op.offset)
		w = tp.pooledDirty(probs)
		tp.dev.Mul(w, probs, mask)
	}
	// Each batch b's calls write rows b*T.. of every head's columns, so a new
	// gradient is overwritten whole (beta 0) by the loop.
	if req(v) { // dv_bh += w_bhᵀ · dout_bh
		dv, beta := tp.gradBeta(v)
		for b := 0; b < B; b++ {
			tp.dev.GemmStrided(true, false, NH, T, HS, T, 1,
				w, b*NH*T*T, T, T*T, dout, b*T*C, C, HS, beta, dv, b*T*C, C, HS)
		}
	}
	if w != probs {
		tp.release(w)
	}
	if !req(q) && !req(k) {
		if mask != nil {
			tp.release(mask)
		}
		return
	}
	// dw_bh = dout_bh · v_bhᵀ, then through dropout and softmax → dscores.
	dw := tp.pooledDirty(probs) // overwritten by the beta-0 products
	for b := 0; b < B; b++ {
		tp.dev.GemmStrided(false, true, NH, T, T, HS, 1,
			dout, b*T*C, C, HS, v, b*T*C, C, HS, 0, dw, b*NH*T*T, T, T*T)
	}
	if mask != nil {
		tp.dev.Mul(dw, dw, mask)
		tp.release(mask)
	}
	ds := tp.pooled(probs)
	tp.dev.SoftmaxBackward(ds, probs, dw, B*NH*T, T, op.scale, op.mask, NH*T)
	tp.release(dw)
	// scores = q·kᵀ: dq_bh += ds_bh · k_bh ; dk_bh += ds_bhᵀ · q_bh.
	if req(q) {
		dq, beta := tp.gradBeta(q)
		for b := 0; b < B; b++ {
			tp.dev.GemmStrided(false, false, NH, T, HS, T, 1,
				ds, b*NH*T*T, T, T*T, k, b*T*C, C, HS, beta, dq, b*T*C, C, HS)
		}
	}
	if req(k) {
		dk, beta := tp.gradBeta(k)
		for b := 0; b < B; b++ {
			tp.dev.GemmStrided(true, false, NH, T, HS, T, 1,
				ds, b*NH*T*T, T, T*T, q, b*T*C, C, HS, beta, dk, b*T*C, C, HS)
		}
	}
	tp.release(ds)
}
