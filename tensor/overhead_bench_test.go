package tensor

import "testing"

// BenchmarkTapeOverhead: a training step of tiny tensors through most ops
// (forward, backward), where the tape's own work (recording, dispatch,
// buffers) rather than the math dominates (tinyStep without dropout).
func BenchmarkTapeOverhead(b *testing.B) {
	s := newTinyStep()
	tp := NewTape()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.run(tp, uint64(i), false)
	}
}
