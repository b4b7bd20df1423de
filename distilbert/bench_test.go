package distilbert

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/distilgo/distilgo/tensor"
)

// Full-size (distilbert-base-uncased) benchmarks at T = 128, one warm-up
// step outside the timing, so B/op and allocs/op are the steady state:
//
//	go test -run '^$' -bench . -benchtime 3x -benchmem ./distilbert/
func benchModel(b *testing.B, B int) (*ForMaskedLM, Input, []int32) {
	m, err := New(DefaultConfig(), 1)
	if err != nil {
		b.Fatal(err)
	}
	const T = 128
	r := rand.New(rand.NewPCG(9, 9))
	in := Input{B: B, T: T, InputIDs: make([]int32, B*T)}
	labels := make([]int32, B*T)
	for i := range in.InputIDs {
		in.InputIDs[i] = int32(1000 + r.IntN(29000))
		labels[i] = tensor.IgnoreIndex
		if r.Float64() < 0.15 {
			labels[i], in.InputIDs[i] = in.InputIDs[i], 103
		}
	}
	return m, in, labels
}

// BenchmarkTrainForwardBackward: loss over the masked positions and its
// backward pass (no optimizer), dropout on.
func BenchmarkTrainForwardBackward(b *testing.B) {
	for _, B := range []int{8, 64} {
		b.Run(fmt.Sprintf("B=%d", B), func(b *testing.B) {
			if testing.Short() && B > 8 {
				b.Skip("short")
			}
			m, in, labels := benchModel(b, B)
			m.Train(true)
			tp := tensor.NewTape()
			step := func(i int) {
				tp.Reset()
				tp.Seed(uint64(i))
				m.Params.ZeroGrad()
				loss, _, err := m.Loss(tp, in, labels)
				if err != nil {
					b.Fatal(err)
				}
				tp.Backward(loss)
			}
			step(0)
			b.ReportAllocs()
			i := 1
			for b.Loop() {
				step(i)
				i++
			}
			b.ReportMetric(float64((i-1)*B*in.T)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

// BenchmarkInference: full logits [B*T, V] with dropout off, no recording.
func BenchmarkInference(b *testing.B) {
	for _, B := range []int{8, 64} {
		b.Run(fmt.Sprintf("B=%d", B), func(b *testing.B) {
			if testing.Short() && B > 8 {
				b.Skip("short")
			}
			m, in, _ := benchModel(b, B)
			m.Train(false)
			tp := tensor.NewNoGradTape()
			run := func() {
				tp.Reset()
				if _, err := m.Logits(tp, in); err != nil {
					b.Fatal(err)
				}
			}
			run()
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				run()
				n++
			}
			b.ReportMetric(float64(n*B*in.T)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}
