package tensor

import (
	"sync"

	"github.com/distilgo/distilgo/internal/rng"
	"github.com/distilgo/distilgo/kernels"
)

// Dropout randomness is counter-based: element i of a call with stream offset
// o keeps its value iff rng.Uniform32(seed, o+i) ≥ p·2^32. The mask is a
// pure function of (seed, offset), so it can be generated in parallel,
// reproduced after a resume, and regenerated rather than stored.
//
// Uniform32 reads one SplitMix64 word per two positions (high half for even
// positions, low half for odd), so the loop below mixes once per pair: the
// masks of attention dropout are large (B·NH·T² values per layer, made
// twice). cuda/kernels.cu (k_dropout) computes the same function.

func dropoutMask(mask []float32, p float32, seed, offset uint64) {
	thr := uint32(float64(p) * (1 << 32))
	if p >= 1 {
		clear(mask)
		return
	}
	j := dropoutJobs.Get().(*dropoutJob)
	j.mask, j.thr, j.keep, j.key, j.offset = mask, thr, 1/(1-p), rng.Mix(seed), offset
	kernels.ParallelFor(len(mask), 1<<14, j.fn)
	j.mask = nil
	dropoutJobs.Put(j)
}

// dropoutJob holds one mask's arguments and a func value bound to it once,
// so that a mask passes ParallelFor no new closure (it would allocate on
// every call, as permuteJob explains).
type dropoutJob struct {
	mask   []float32
	thr    uint32
	keep   float32
	key    uint64
	offset uint64
	fn     func(lo, hi int)
}

var dropoutJobs = sync.Pool{New: func() any {
	j := &dropoutJob{}
	j.fn = j.run
	return j
}}

// run fills mask[lo:hi].
func (j *dropoutJob) run(lo, hi int) {
	m := j.mask[lo:hi]
	thr, keep, key := j.thr, j.keep, j.key
	c := j.offset + uint64(lo)
	i := 0
	if c&1 == 1 && len(m) > 0 { // odd start: the low half of its word
		m[0] = keepOrDrop(uint32(rng.Word(key, c>>1)), thr, keep)
		i, c = 1, c+1
	}
	// (even, odd) pairs share a word: the vector kernel takes them all.
	// Position c+i reads word (c+i)>>1, which wraps to 0 with the
	// position counter (at 2^63 words): split the range there.
	pairs := (len(m) - i) &^ 1
	if r := -c; r != 0 && uint64(pairs) > r {
		kernels.DropoutWords(m[i:i+int(r)], key, c>>1, thr, keep)
		i, c, pairs = i+int(r), 0, pairs-int(r)
	}
	kernels.DropoutWords(m[i:i+pairs], key, c>>1, thr, keep)
	i, c = i+pairs, c+uint64(pairs)
	if i < len(m) {
		m[i] = keepOrDrop(uint32(rng.Word(key, c>>1)>>32), thr, keep)
	}
}

func keepOrDrop(u, thr uint32, keep float32) float32 {
	if u >= thr {
		return keep
	}
	return 0
}
