//go:build cuda && cgo

package cuda

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// groupRows against a direct construction: for every row, in increasing
// row order, the positions that index it, in increasing order.
func FuzzGroupRows(f *testing.F) {
	f.Add([]byte{3, 1, 3, 0, 9, 3, 0, 0}, uint8(10))
	f.Add([]byte{}, uint8(1))
	f.Add([]byte{0, 0, 0}, uint8(1))
	f.Fuzz(func(t *testing.T, raw []byte, nrows uint8) {
		n := int(nrows) + 1
		idx := make([]int32, len(raw))
		for i, b := range raw {
			idx[i] = int32(int(b) % n)
		}
		var s stageCache
		s.groupRows([]int32{0}, 1) // reuse of the buffers must not leak state
		packed, nu := s.groupRows(idx, n)
		var rows, starts, pos []int32
		for r := 0; r < n; r++ {
			first := true
			for i, x := range idx {
				if int(x) != r {
					continue
				}
				if first {
					rows, starts = append(rows, int32(r)), append(starts, int32(len(pos)))
					first = false
				}
				pos = append(pos, int32(i))
			}
		}
		starts = append(starts, int32(len(idx)))
		want := append(append(append([]int32{}, rows...), starts...), pos...)
		if nu != len(rows) {
			t.Fatalf("nu = %d, want %d", nu, len(rows))
		}
		if diff := cmp.Diff(want, packed); diff != "" {
			t.Errorf("groupRows(%v, %d) (-want +got):\n%s", idx, n, diff)
		}
	})
}
