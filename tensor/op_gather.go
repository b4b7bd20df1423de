package tensor

// Gather returns rows idx of table ([rows, C]) as a [len(idx), C] tensor:
// an embedding lookup. Its backward scatter-adds into table's gradient,
// except into row paddingIdx (≥ 0), whose gradient is left untouched as
// torch.nn.Embedding(padding_idx=...) does; pass -1 for no padding row.
// An index outside the table panics.
func (tp *Tape) Gather(table *Tensor, idx []int32, paddingIdx int) *Tensor {
	if table.rank != 2 {
		shapePanic("Gather", "table %v: need [rows, C]", table.Shape())
	}
	if paddingIdx >= table.dims[0] {
		shapePanic("Gather", "paddingIdx %d outside table %v", paddingIdx, table.Shape())
	}
	c := table.dims[1]
	out := tp.alloc(false, len(idx), c)
	tp.dev.Gather(out, table, idx, c)
	if tp.recording(table, nil, nil) {
		nd := newNode(tp, &tp.ops.gather)
		*nd = gatherOp{table: table, idx: idx, cols: c, paddingIdx: paddingIdx}
		tp.record(out, nd, table, nil, nil)
	}
	return out
}

// gatherOp is a recorded Gather.
type gatherOp struct {
	table            *Tensor
	idx              []int32
	cols, paddingIdx int
}

func (op *gatherOp) backward(tp *Tape, out *Tensor) {
	// The padding row's gradient stays as it was.
	tp.dev.ScatterAdd(tp.grad(op.table), out.Grad, op.idx, op.cols, op.paddingIdx)
}
