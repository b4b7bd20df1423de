package tensor

import (
	"testing"

	"github.com/distilgo/distilgo/internal/rng"
	"github.com/google/go-cmp/cmp"
)

// uniform32 is the per-position definition the dropout tests check
// dropoutMask against.
var uniform32 = rng.Uniform32

// TestDropoutMaskPinned pins a mask with an odd offset and an odd length
// (both the lone low half at the start and the lone high half at the end),
// as produced before the stream moved to internal/rng.
func TestDropoutMaskPinned(t *testing.T) {
	m := make([]float32, 11)
	dropoutMask(m, 0.5, 7, 3)
	want := []float32{2, 2, 0, 2, 0, 2, 2, 0, 0, 0, 0}
	if d := cmp.Diff(want, m); d != "" {
		t.Errorf("dropoutMask(p 0.5, seed 7, offset 3) (-want +got):\n%s", d)
	}
}
