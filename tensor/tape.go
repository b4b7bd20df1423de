package tensor

import "fmt"

// Tape records ops for the backward pass and owns the memory of the tensors
// its ops create. A Tape is not safe for concurrent use; use one per
// goroutine.
type Tape struct {
	dev    Device
	noGrad bool
	nodes  []node
	ops    opNodes // the recorded ops' saved state (ops.go)
	epoch  uint64  // counts Resets: which pass the ops' nodes belong to
	arena  arena

	// Dropout stream: seed and the next counter position.
	seed, offset uint64

	// free holds gradient buffers released during Backward (arena memory,
	// reused within the step).
	free []buf

	// memKnown reports that devMem was learnt from the current device:
	// whether it allocates its own storage (Device.Alloc) rather than
	// using host slices.
	memKnown, devMem bool

	// gradReady, if set, is called by Backward for each leaf whose
	// gradient is complete (SetGradReadyHook); readyAt is its scratch.
	gradReady func(*Tensor)
	readyAt   map[int][]*Tensor

	// weights holds bf16 weights packed during this pass (precision.go).
	weights packedWeights
}

// SetGradReadyHook makes Backward call f(t) for every leaf tensor t that
// requires gradients (a parameter, not the output of a recorded op) as soon
// as t.Grad holds all of this backward pass's contributions: right after
// the backward of the first recorded op that reads t, while the ops before
// it still run. Data-parallel training starts reducing a parameter's
// gradient there, overlapping the rest of the backward pass, as
// DistributedDataParallel's bucket hooks do. A leaf no recorded op reads is
// not reported. nil removes the hook.
func (tp *Tape) SetGradReadyHook(f func(t *Tensor)) { tp.gradReady = f }

// planGradReady maps each recorded op's index to the leaves whose last
// backward contribution it makes (the first op, in recording order, that
// reads them).
func (tp *Tape) planGradReady() {
	if tp.readyAt == nil {
		tp.readyAt = map[int][]*Tensor{}
	}
	clear(tp.readyAt)
	produced := make(map[*Tensor]bool, len(tp.nodes))
	seen := map[*Tensor]bool{}
	for i := range tp.nodes {
		n := &tp.nodes[i]
		for _, in := range n.in {
			if in != nil && in.requiresGrad && !produced[in] && !seen[in] {
				seen[in] = true
				tp.readyAt[i] = append(tp.readyAt[i], in)
			}
		}
		produced[n.out] = true
	}
}

// NewTape returns a recording tape on the CPU device.
func NewTape() *Tape { return &Tape{dev: CPU} }

// NewNoGradTape returns a tape that records nothing: ops compute values
// only and their outputs never require gradients (evaluation, inference).
func NewNoGradTape() *Tape { return &Tape{dev: CPU, noGrad: true} }

// Device returns the device the tape's ops run on.
func (tp *Tape) Device() Device { return tp.dev }

// SetDevice makes the tape's ops run on d.
func (tp *Tape) SetDevice(d Device) { tp.dev, tp.memKnown = d, false }

// Seed sets the dropout stream; call it at the start of every step with a
// value derived from the run's seed and the step, so runs are reproducible.
func (tp *Tape) Seed(seed uint64) { tp.seed, tp.offset = seed, 0 }

// Reset forgets the recorded ops and recycles every tensor and buffer the
// tape created: none of them may be used afterwards. Parameters and other
// tensors made outside the tape are untouched (their gradients too).
func (tp *Tape) Reset() {
	clear(tp.nodes) // drop references for the garbage collector
	tp.nodes = tp.nodes[:0]
	tp.epoch++
	clear(tp.free)
	tp.free = tp.free[:0]
	tp.arena.reset()
	tp.weights.invalidate()
}

// Backward computes the gradient of the scalar loss with respect to every
// tensor that requires it, accumulating into each Grad, by running the
// recorded ops in reverse order (recording order is a topological order).
// Gradients of parameters accumulate across calls until zeroed.
//
// An op's output gradient is dead once that op's backward has run (ops read
// only their own output's gradient), so its buffer goes back to the tape and
// serves later gradients: only leaves (tensors no recorded op produced, such
// as parameters and inputs) keep their Grad after Backward. This keeps the
// memory of a backward pass to the activations plus a few live gradients.
func (tp *Tape) Backward(loss *Tensor) {
	if tp.noGrad {
		panic("tensor.Backward: tape is in no-grad mode")
	}
	if loss.Size() != 1 {
		panic(fmt.Sprintf("tensor.Backward: loss has shape %v, want a scalar", loss.Shape()))
	}
	defer tp.weights.invalidate() // an optimizer step may follow
	if !loss.requiresGrad {
		return // nothing depends on a parameter
	}
	tp.dev.Fill(tp.grad(loss), 1)
	if tp.gradReady != nil {
		tp.planGradReady()
	}
	for i := len(tp.nodes) - 1; i >= 0; i-- {
		n := &tp.nodes[i]
		if n.out.Grad != nil { // else no gradient reached this op
			n.op.backward(tp, n.out)
			tp.release(n.out.Grad)
			n.out.Grad = nil
		}
		if tp.gradReady != nil {
			for _, t := range tp.readyAt[i] {
				tp.gradReady(t)
			}
		}
	}
}

// release returns a dead gradient buffer to the free list.
func (tp *Tape) release(g *Tensor) {
	if g != nil {
		tp.free = append(tp.free, buf{host: g.data, st: g.st, off: g.off})
	}
}

// mem returns the device whose Alloc makes the tape's buffers, or nil when
// the tape's device computes on host memory.
func (tp *Tape) mem() Device {
	if !tp.memKnown {
		tp.memKnown, tp.devMem = true, tp.dev.Alloc(0) != nil
	}
	if tp.devMem {
		return tp.dev
	}
	return nil
}

// zero clears t, on the host or on the tape's device.
func (tp *Tape) zero(t *Tensor) {
	if t.st != nil {
		tp.dev.Fill(t, 0)
		return
	}
	clear(t.data)
}

// pooledDirty is pooled without clearing: for scratch that is overwritten
// whole before it is read.
func (tp *Tape) pooledDirty(t *Tensor) *Tensor {
	g := tp.arena.tensor()
	g.dims, g.rank = t.dims, t.rank
	g.bind(tp.floatsFromFreeDirty(g.Size()))
	g.Grad, g.requiresGrad = nil, false
	return g
}

// gradBeta returns t's gradient for an op that is about to add a product
// into it, and the beta to add with: 1 when the gradient already exists, 0
// when it is new, in which case its buffer is not cleared first and the op
// must overwrite every element (a GEMM with beta 0 does).
func (tp *Tape) gradBeta(t *Tensor) (*Tensor, float32) {
	if t.Grad != nil {
		return t.Grad, 1
	}
	g := tp.pooledDirty(t)
	t.Grad = g
	return g, 0
}

// floatsFromFreeDirty returns a buffer of n (contents undefined) from the
// free list (the smallest that fits) or, if none fits, from the arena.
func (tp *Tape) floatsFromFreeDirty(n int) buf {
	best := -1
	for i, b := range tp.free {
		if b.cap() >= n && (best < 0 || b.cap() < tp.free[best].cap()) {
			best = i
		}
	}
	if best < 0 {
		b, _ := tp.arena.buffer(n, tp.mem())
		return b
	}
	b := tp.free[best]
	if b.st == nil {
		b.host = b.host[:n]
	}
	last := len(tp.free) - 1
	tp.free[best] = tp.free[last]
	tp.free[last] = buf{}
	tp.free = tp.free[:last]
	return b
}

// Scratch returns n float32s of tape-owned host memory, valid until Reset
// (for data such as attention masks that ops read but do not
// differentiate).
func (tp *Tape) Scratch(n int) []float32 {
	b, _ := tp.arena.buffer(n, nil)
	return b.host
}

// ScratchInt32 returns n int32s of tape-owned memory, valid until Reset
// (label positions, gathered indices).
func (tp *Tape) ScratchInt32(n int) []int32 {
	a := &tp.arena
	if a.nint == len(a.ints) {
		a.ints = append(a.ints, nil)
	}
	b := a.ints[a.nint]
	if cap(b) < n {
		b = make([]int32, n)
		a.ints[a.nint] = b
	}
	a.nint++
	return b[:n]
}

// alloc returns a tensor of the given shape from the arena, zeroed if zero.
func (tp *Tape) alloc(zero bool, shape ...int) *Tensor {
	t := tp.arena.tensor()
	t.setShape("alloc", shape)
	b, fresh := tp.arena.buffer(t.Size(), tp.mem())
	t.bind(b)
	if zero && (b.st != nil || !fresh) { // new host memory is zero already
		tp.zero(t)
	}
	t.Grad = nil
	t.requiresGrad = false
	return t
}

// grad returns t's gradient, allocating a zero one from the arena if needed.
func (tp *Tape) grad(t *Tensor) *Tensor {
	if t.Grad == nil {
		t.Grad = tp.pooled(t)
	}
	return t.Grad
}

// pooled returns a zeroed tensor shaped like t whose memory comes from the
// gradient free list: for gradients and short-lived scratch that is handed
// back with release.
func (tp *Tape) pooled(t *Tensor) *Tensor {
	g := tp.pooledDirty(t)
	tp.zero(g)
	return g
}

// ArenaBytes returns the memory of the float and int buffers the tape holds
// for its ops' outputs (kept across Reset for reuse): a server checks with
// it that its activation memory stopped growing.
func (tp *Tape) ArenaBytes() int {
	n := 0
	for _, b := range tp.arena.bufs {
		n += 4 * b.cap()
	}
	for _, b := range tp.arena.ints {
		n += 4 * cap(b)
	}
	return n
}

// buf is a float buffer of the arena: a host slice, or a device's storage
// from element off on.
type buf struct {
	host []float32
	st   Storage
	off  int
}

// cap returns how many float32s b can hold.
func (b buf) cap() int {
	if b.st != nil {
		return b.st.Len() - b.off
	}
	return cap(b.host)
}

// bind makes b t's storage.
func (t *Tensor) bind(b buf) { t.data, t.st, t.off = b.host, b.st, b.off }

// arena recycles tensors and float buffers by allocation order: a step that
// repeats the same sequence of shapes gets the same buffers back (host
// slices on a host device, storage of the tape's device otherwise).
type arena struct {
	bufs    []buf
	nbuf    int
	tensors []*Tensor
	ntensor int
	ints    [][]int32
	nint    int
}

func (a *arena) reset() { a.nbuf, a.ntensor, a.nint = 0, 0, 0 }

// buffer returns the next buffer, of n float32s: host memory when d is
// nil, else d's storage. fresh reports a new one (new host memory is zero,
// new device storage undefined).
func (a *arena) buffer(n int, d Device) (b buf, fresh bool) {
	if a.nbuf == len(a.bufs) {
		a.bufs = append(a.bufs, buf{})
	}
	p := &a.bufs[a.nbuf]
	a.nbuf++
	if d == nil {
		if p.st != nil || cap(p.host) < n {
			*p = buf{host: make([]float32, n)}
			return *p, true
		}
		return buf{host: p.host[:n]}, false
	}
	if p.st == nil || p.cap() < n {
		*p = buf{st: d.Alloc(n)}
		return *p, true
	}
	return *p, false
}

func (a *arena) tensor() *Tensor {
	if a.ntensor == len(a.tensors) {
		a.tensors = append(a.tensors, new(Tensor))
	}
	t := a.tensors[a.ntensor]
	a.ntensor++
	return t
}
