package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// u is the unit roundoff of float32 (half an ULP of 1): the scale of every
// tolerance in these tests.
const u = 1.0 / (1 << 24)

// forEachLevel runs f once per implementation level this CPU supports, with
// that level selected, restoring the start-up level afterwards.
func forEachLevel(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	start := Level()
	defer func() {
		if err := Use(start); err != nil {
			t.Fatal(err)
		}
	}()
	for _, l := range Levels() {
		t.Run(l, func(t *testing.T) {
			if err := Use(l); err != nil {
				t.Fatal(err)
			}
			f(t)
		})
	}
}

// withThreads runs f with Threads() == n.
func withThreads(n int, f func()) {
	old := Threads()
	SetThreads(n)
	defer SetThreads(old)
	f()
}

// guardLen is the number of NaN sentinels on each side of a guarded buffer.
const guardLen = 67

// guarded is a buffer with NaN guard bands around the slice under test, so
// that a write past either end is detected.
type guarded struct {
	all []float32
	s   []float32 // the usable part
}

// sentinel is a NaN with a payload that no arithmetic produces.
var sentinel = math.Float32frombits(0x7fc0beef)

func newGuarded(n int) *guarded {
	all := make([]float32, n+2*guardLen)
	for i := range all {
		all[i] = sentinel
	}
	return &guarded{all: all, s: all[guardLen : guardLen+n : guardLen+n]}
}

// check fails t if a guard band changed.
func (g *guarded) check(t *testing.T, name string) {
	t.Helper()
	n := len(g.s)
	for i := 0; i < guardLen; i++ {
		if math.Float32bits(g.all[i]) != 0x7fc0beef || math.Float32bits(g.all[guardLen+n+i]) != 0x7fc0beef {
			t.Fatalf("%s: guard band overwritten (index %d before or after the slice)", name, guardLen-i)
		}
	}
}

func isSentinel(v float32) bool { return math.Float32bits(v) == 0x7fc0beef }

// fillUniform fills s with uniform values in [-scale, scale).
func fillUniform(r *rand.Rand, s []float32, scale float32) {
	for i := range s {
		s[i] = scale * (2*r.Float32() - 1)
	}
}

// fillInts fills s with integers in [-lim, lim]: products and sums of them
// stay exact in float32 as long as magnitudes stay below 2^24.
func fillInts(r *rand.Rand, s []float32, lim int) {
	for i := range s {
		s[i] = float32(r.IntN(2*lim+1) - lim)
	}
}
