package tensor

// CrossEntropy returns the mean softmax cross-entropy of logits [N, V]
// against labels [N], skipping labels equal to IgnoreIndex, as
// torch.nn.functional.cross_entropy(ignore_index=-100). With no label
// counted the loss is 0 and all gradients are zero (PyTorch gives NaN).
func (tp *Tape) CrossEntropy(logits *Tensor, labels []int32) *Tensor {
	n := countLabels(labels)
	scale := float32(0)
	if n > 0 {
		scale = 1 / float32(n)
	}
	return tp.crossEntropy("CrossEntropy", logits, labels, scale)
}

// CrossEntropySum returns the summed cross-entropy over the counted labels
// and their number. Gradient accumulation divides the sums of several
// micro-batches by their total count, so k micro-batches equal one batch.
func (tp *Tape) CrossEntropySum(logits *Tensor, labels []int32) (*Tensor, int) {
	return tp.crossEntropy("CrossEntropySum", logits, labels, 1), countLabels(labels)
}

func countLabels(labels []int32) int {
	n := 0
	for _, l := range labels {
		if l != IgnoreIndex {
			n++
		}
	}
	return n
}

// crossEntropy computes the loss times scale and, when recording, its
// gradient with respect to the logits in the forward pass (the backward
// only scales it by the upstream scalar).
func (tp *Tape) crossEntropy(name string, logits *Tensor, labels []int32, scale float32) *Tensor {
	if logits.rank != 2 || logits.dims[0] != len(labels) {
		shapePanic(name, "logits %v with %d labels: need [N, V] and N labels", logits.Shape(), len(labels))
	}
	rows, cols := logits.dims[0], logits.dims[1]
	var dl *Tensor
	recording := tp.recording(logits, nil, nil)
	if recording {
		dl = tp.alloc(false, rows, cols)
	}
	out := tp.alloc(false)
	tp.dev.CrossEntropy(out, dl, logits, labels, rows, cols, IgnoreIndex, scale)
	if recording {
		nd := newNode(tp, &tp.ops.crossEntropy)
		*nd = crossEntropyOp{logits: logits, dlogits: dl}
		tp.record(out, nd, logits, nil, nil)
	}
	return out
}

// crossEntropyOp is a recorded CrossEntropy(Sum): dlogits is the gradient
// of the (scaled) loss with respect to the logits.
type crossEntropyOp struct{ logits, dlogits *Tensor }

func (op *crossEntropyOp) backward(tp *Tape, out *Tensor) {
	// The upstream scalar is read where it lives (no host round trip); a
	// non-finite loss shows in Item, which the trainer checks every step.
	tp.dev.AxpyScalar(out.Grad, op.dlogits, tp.grad(op.logits))
}
