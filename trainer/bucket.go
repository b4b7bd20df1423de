package trainer

import (
	"github.com/distilgo/distilgo/distributed"
	"github.com/distilgo/distilgo/nn"
	"github.com/distilgo/distilgo/tensor"
)

// BucketBytes is the size of the gradient buckets a data-parallel step
// all-reduces while the backward pass still runs (PyTorch
// DistributedDataParallel's bucket_cap_mb is 25 MB). 0 reduces the whole
// gradient in one call after the backward pass. Set it before training.
var BucketBytes = 25 << 20

// bucket is a range [lo, hi) of ParamSet.Grad reduced by one all-reduce.
type bucket struct{ lo, hi int }

// gradReducer all-reduces a ParamSet's gradient in buckets, each as soon as
// the backward pass has completed the gradients of all its parameters (the
// tape's grad-ready hook), on a goroutine of its own, so that the transfer
// overlaps the backward pass of the earlier layers. Buckets hold
// consecutive parameters taken from the last (the first whose gradients
// are complete) and are reduced strictly in that order on every rank, as
// collectives must be.
type gradReducer struct {
	c       distributed.Comm
	grad    []float32
	buckets []bucket
	of      map[*tensor.Tensor]int // parameter -> bucket
	size    []int                  // parameters per bucket
	pending []int                  // parameters of each bucket not yet complete
	next    int                    // next bucket to launch
	work    chan int
	done    chan error
}

// newGradReducer splits ps's gradient into buckets of about bytes (at least
// one parameter each; bytes <= 0: one bucket).
func newGradReducer(c distributed.Comm, ps *nn.ParamSet, bytes int) *gradReducer {
	r := &gradReducer{c: c, grad: ps.Grad, of: make(map[*tensor.Tensor]int, len(ps.Params))}
	hi, n := len(ps.Grad), 0
	for i := len(ps.Params) - 1; i >= 0; i-- {
		r.of[ps.Params[i]] = len(r.buckets)
		n++
		lo := ps.Offsets[i]
		if i == 0 || (bytes > 0 && 4*(hi-lo) >= bytes) {
			r.buckets = append(r.buckets, bucket{lo, hi})
			r.size = append(r.size, n)
			hi, n = lo, 0
		}
	}
	r.pending = make([]int, len(r.buckets))
	return r
}

// start prepares a step: every bucket pending, the reducing goroutine
// waiting for the first.
func (r *gradReducer) start() {
	copy(r.pending, r.size)
	r.next = 0
	r.work = make(chan int, len(r.buckets))
	r.done = make(chan error, len(r.buckets))
	work, done := r.work, r.done
	go func() {
		for b := range work {
			done <- r.c.AllReduceSum(r.grad[r.buckets[b].lo:r.buckets[b].hi])
		}
	}()
}

// ready is the tape's grad-ready hook: parameter p's gradient is complete.
func (r *gradReducer) ready(p *tensor.Tensor) {
	b, ok := r.of[p]
	if !ok {
		return
	}
	r.pending[b]--
	for r.next < len(r.buckets) && r.pending[r.next] == 0 {
		r.work <- r.next
		r.next++
	}
}

// finish launches the buckets not launched yet (parameters the backward
// pass did not reach, or no backward pass at all on this rank) and waits
// for every bucket's all-reduce.
func (r *gradReducer) finish() error {
	for ; r.next < len(r.buckets); r.next++ {
		r.work <- r.next
	}
	close(r.work)
	var first error
	for range r.buckets {
		if err := <-r.done; err != nil && first == nil {
			first = err
		}
	}
	return first
}
