package tensor

// IgnoreIndex is the label value that cross-entropy skips, as PyTorch's
// ignore_index default and Hugging Face's MLM labels use it.
const IgnoreIndex = -100

// Recorded ops. Each op lives in its own file op_<name>.go: the Tape method
// (its forward), a typed struct holding what its backward needs, and that
// struct's backward method. This file is where ops are registered (the
// opNodes fields) and how they are recorded; docs/ARCHITECTURE.md ("Adding
// an op") has the recipe.

// backwarder is a recorded op's saved state.
type backwarder interface {
	// backward adds the op's contribution to its inputs' gradients, reading
	// out.Grad (the gradient of the op's output, not nil). It may hand
	// out.Grad's buffer to an input (passGrad); Backward releases it
	// otherwise.
	backward(tp *Tape, out *Tensor)
}

// node is one recorded op: its output, its inputs that may need gradients
// (for the grad-ready hook) and its typed saved state.
type node struct {
	out *Tensor
	in  [3]*Tensor
	op  backwarder
}

// opNodes holds one pool per op kind: the registration of the ops. A step
// that records the same ops again reuses the same node structs, so
// recording allocates nothing in steady state.
type opNodes struct {
	matMul       nodePool[matMulOp]
	linear       nodePool[linearOp]
	add          nodePool[addOp]
	mul          nodePool[mulOp]
	scale        nodePool[scaleOp]
	addBias      nodePool[addBiasOp]
	permute      nodePool[permuteOp]
	softmax      nodePool[softmaxOp]
	layerNorm    nodePool[layerNormOp]
	pointwise    nodePool[pointwiseOp]
	dropout      nodePool[dropoutOp]
	gather       nodePool[gatherOp]
	crossEntropy nodePool[crossEntropyOp]
	sum          nodePool[sumOp]
	attention    nodePool[attentionOp]

	perm [MaxRank]int // Permute's axes on their way to the device
}

// nodePool hands out the saved state of one op kind by recording order and
// takes it all back at the tape's next Reset (tracked by epoch, so no list
// of pools is needed to reset them).
type nodePool[T any] struct {
	items []*T
	n     int
	epoch uint64
}

// newNode returns a node of p's kind for tp's current pass. Nodes of an
// earlier pass are cleared when first reused, so they keep no tensor of a
// finished pass alive beyond the next pass.
func newNode[T any](tp *Tape, p *nodePool[T]) *T {
	if p.epoch != tp.epoch {
		var zero T
		for _, x := range p.items[:p.n] {
			*x = zero
		}
		p.n, p.epoch = 0, tp.epoch
	}
	if p.n == len(p.items) {
		p.items = append(p.items, new(T))
	}
	x := p.items[p.n]
	p.n++
	return x
}

// recording reports whether an op with these inputs (nil for absent ones)
// will be recorded: the tape records and one of them requires gradients.
func (tp *Tape) recording(a, b, c *Tensor) bool {
	return !tp.noGrad && (req(a) || req(b) || req(c))
}

// record appends a recorded op whose output is out and whose inputs are a,
// b, c (nil for absent ones), and marks out as requiring gradients. Ops
// call it only when recording(a, b, c) holds.
func (tp *Tape) record(out *Tensor, op backwarder, a, b, c *Tensor) {
	out.requiresGrad = true
	tp.nodes = append(tp.nodes, node{out: out, in: [3]*Tensor{a, b, c}, op: op})
}

func req(t *Tensor) bool { return t != nil && t.requiresGrad }

// passGrad adds out's gradient to x's gradient (an identity edge). When x
// has no gradient yet, the output gradient's buffer is handed over instead
// of copied: it is dead after this op anyway. Callers use it last among the
// op's reads of out.Grad.
func (tp *Tape) passGrad(out, x *Tensor) {
	dy := out.Grad
	if x.Grad == nil {
		g := tp.arena.tensor()
		*g = Tensor{data: dy.data, st: dy.st, off: dy.off, dims: x.dims, rank: x.rank}
		x.Grad = g
		out.Grad = nil // not released by Backward: x owns it now
		return
	}
	tp.dev.Axpy(1, dy, x.Grad)
}
