package kernels

import "github.com/distilgo/distilgo/internal/rng"

// DropoutWords fills a dropout mask from consecutive words of a SplitMix64
// stream: for k < len(m)/2, with w = rng.Word(key, word+k) (word+k modulo
// 2^64),
//
//	m[2k]   = keep if uint32(w>>32) >= thr, else 0
//	m[2k+1] = keep if uint32(w)     >= thr, else 0
//
// which is, position for position, rng.Uniform32's stream compared against
// thr: tensor's dropout masks are this function of (Mix(seed), offset/2) for
// the pairs that start at an even offset. len(m) must be even (the caller
// handles an odd first or last position); an odd length panics.
//
// The vector levels mix 4 (AVX2) or 8 (AVX-512) words per instruction and
// give the same bits as the generic level's Go loop.
func DropoutWords(m []float32, key, word uint64, thr uint32, keep float32) {
	if len(m)&1 != 0 {
		panicShape("DropoutWords", "len(m)=%d, need an even length", len(m))
	}
	if simd != nil && simd.dropout != nil {
		if nv := vlen(len(m)); nv > 0 {
			simd.dropout(&m[0], nv, key+(word+1)*golden, thr, keep)
			m, word = m[nv:], word+uint64(nv/2)
		}
	}
	dropoutWordsGeneric(m, key, word, thr, keep)
}

// golden is SplitMix64's increment (rng.Word adds it once per word).
const golden = 0x9e3779b97f4a7c15

// dropoutWordsGeneric is DropoutWords in Go, one rng.Word per pair: the
// generic level and the oracle of the vector ones.
func dropoutWordsGeneric(m []float32, key, word uint64, thr uint32, keep float32) {
	for k := 0; 2*k+1 < len(m); k++ {
		w := rng.Word(key, word+uint64(k))
		m[2*k] = keepOrZero(uint32(w>>32), thr, keep)
		m[2*k+1] = keepOrZero(uint32(w), thr, keep)
	}
}

func keepOrZero(u, thr uint32, keep float32) float32 {
	if u >= thr {
		return keep
	}
	return 0
}
