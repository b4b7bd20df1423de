package tensor

import (
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
	keep := 1 / (1 - p)
	key := rng.Mix(seed)
	kernels.ParallelFor(len(mask), 1<<14, func(lo, hi int) {
		m := mask[lo:hi]
		c := offset + uint64(lo)
		j := 0
		if c&1 == 1 && len(m) > 0 { // odd start: the low half of its word
			m[0] = keepOrDrop(uint32(rng.Word(key, c>>1)), thr, keep)
			j, c = 1, c+1
		}
		for ; j+1 < len(m); j, c = j+2, c+2 { // (even, odd) pairs share a word
			w := rng.Word(key, c>>1)
			m[j] = keepOrDrop(uint32(w>>32), thr, keep)
			m[j+1] = keepOrDrop(uint32(w), thr, keep)
		}
		if j < len(m) {
			m[j] = keepOrDrop(uint32(rng.Word(key, c>>1)>>32), thr, keep)
		}
	})
}

func keepOrDrop(u, thr uint32, keep float32) float32 {
	if u >= thr {
		return keep
	}
	return 0
}
