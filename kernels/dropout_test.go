package kernels

import (
	"fmt"
	"math"
	"testing"

	"github.com/distilgo/distilgo/internal/rng"
	"github.com/google/go-cmp/cmp"
)

// dropoutThr is tensor's threshold for dropout probability p.
func dropoutThr(p float64) uint32 { return uint32(p * (1 << 32)) }

// TestDropoutWordsDefinition: the generic twin is rng.Uniform32's stream,
// position 2·word+i of seed, compared against thr; this pins DropoutWords
// to the definition (rng's tests pin Uniform32's values).
func TestDropoutWordsDefinition(t *testing.T) {
	for _, tc := range []struct {
		seed, word uint64
		p          float64
	}{
		{42, 0, 0.1}, {42, 7, 0.5}, {1, 1 << 20, 0.999}, {0, 3, 0}, {99, 1<<62 + 5, 0.3},
	} {
		t.Run(fmt.Sprintf("seed%d/word%d/p%v", tc.seed, tc.word, tc.p), func(t *testing.T) {
			const n = 64
			thr, keep := dropoutThr(tc.p), float32(1/(1-tc.p))
			want := make([]float32, n)
			for i := range want {
				if rng.Uniform32(tc.seed, 2*tc.word+uint64(i)) >= thr {
					want[i] = keep
				}
			}
			got := make([]float32, n)
			dropoutWordsGeneric(got, rng.Mix(tc.seed), tc.word, thr, keep)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("dropoutWordsGeneric vs rng.Uniform32 (-want +got):\n%s", d)
			}
		})
	}
}

// TestDropoutWordsLevels: every level gives the generic twin's bits, for
// lengths around the vector widths and unrolls, word counters that cross
// 2^32 and wrap at 2^64, and thresholds from 0 (keep all) to 2^32-1 and
// equal to a drawn value; guard bands catch writes past m.
func TestDropoutWordsLevels(t *testing.T) {
	lengths := []int{}
	for n := 0; n <= 80; n += 2 {
		lengths = append(lengths, n)
	}
	lengths = append(lengths, 254, 256, 258, 4096+46)
	if !testing.Short() {
		lengths = append(lengths, 1<<16+30)
	}
	key := rng.Mix(12345)
	words := []uint64{0, 1, 1<<32 - 3, math.MaxUint64 - 5, math.MaxUint64}
	thrs := []struct {
		name string
		thr  uint32
	}{
		{"p0", 0}, {"p0.1", dropoutThr(0.1)}, {"p0.5", dropoutThr(0.5)}, {"p0.999", dropoutThr(0.999)},
		{"max", math.MaxUint32},
	}
	start := Level()
	defer Use(start)
	forEachLevel(t, func(t *testing.T) {
		for _, n := range lengths {
			for _, w := range words {
				// Thresholds equal to a half of word 3 (positions 6 and 7):
				// keep needs >=, not >.
				w3 := rng.Word(key, w+3)
				eq := []struct {
					name string
					thr  uint32
				}{{"=hi(word3)", uint32(w3 >> 32)}, {"=lo(word3)", uint32(w3)}}
				for _, th := range append(thrs, eq...) {
					keep := float32(1.25)
					want := make([]float32, n)
					dropoutWordsGeneric(want, key, w, th.thr, keep)
					g := newGuarded(n)
					DropoutWords(g.s, key, w, th.thr, keep)
					name := fmt.Sprintf("n=%d word=%#x thr=%s", n, w, th.name)
					g.check(t, name)
					for i := range want {
						if math.Float32bits(g.s[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%s: m[%d] = %v, generic %v", name, i, g.s[i], want[i])
						}
					}
				}
			}
		}
	})
}

// TestDropoutWordsMixed: values are only keep or 0, and the kept fraction
// is near 1-p (a sanity check that the compare is unsigned and >=).
func TestDropoutWordsMixed(t *testing.T) {
	const n = 1 << 14
	m := make([]float32, n)
	forEachLevel(t, func(t *testing.T) {
		for _, p := range []float64{0, 0.1, 0.5, 0.9} {
			DropoutWords(m, rng.Mix(7), 11, dropoutThr(p), 2)
			kept := 0
			for i, v := range m {
				switch v {
				case 2:
					kept++
				case 0:
				default:
					t.Fatalf("p=%v: m[%d] = %v, want 0 or 2", p, i, v)
				}
			}
			// Binomial(n, 1-p): 5 standard deviations (<= 64 for n = 2^14).
			if got, want := float64(kept), n*(1-p); math.Abs(got-want) > 5*math.Sqrt(n*p*(1-p))+0.5 {
				t.Errorf("p=%v: kept %v of %d, want about %v", p, got, n, want)
			}
		}
	})
}

func TestDropoutWordsOddLength(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Error("DropoutWords with len(m)=3 did not panic")
		}
	}()
	DropoutWords(make([]float32, 3), 1, 0, 0, 1)
}

// BenchmarkDropoutWords: one 16 Ki-value piece of a mask (tensor's
// ParallelFor grain), one thread, per level (generic is the Go loop tensor
// ran before the vector kernels); bytes are those written.
func BenchmarkDropoutWords(b *testing.B) {
	m := make([]float32, 1<<14)
	forEachLevelB(b, func(b *testing.B) {
		b.SetBytes(int64(4 * len(m)))
		for i := 0; b.Loop(); i++ {
			DropoutWords(m, 0x1234, uint64(i)<<13, dropoutThr(0.1), 1/0.9)
		}
	})
}
