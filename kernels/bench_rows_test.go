package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// Benchmarks of the row and element-wise kernels at DistilBERT's training
// sizes (batch 64 × 128 tokens), per level and thread count. They report
// GB/s of the bytes each call must read and write (the kernels are
// memory-bound when vectorized) and ns per element.

func benchBytes(b *testing.B, bytes, elems float64, body func()) {
	body() // first touch of the outputs (page faults) outside the timing
	for b.Loop() {
		body()
	}
	s := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(bytes/s/1e9, "GB/s")
	b.ReportMetric(s*1e9/elems, "ns/elem")
}

func forEachLevelThreads(b *testing.B, f func(b *testing.B)) {
	forEachLevelB(b, func(b *testing.B) {
		for _, th := range benchThreads {
			b.Run(fmt.Sprintf("threads%d", th), func(b *testing.B) {
				withThreads(th, func() { f(b) })
			})
		}
	})
}

// BenchmarkSoftmaxRows: one layer's attention probabilities, B·NH·T rows of
// T = 128 scores with the key mask, forward and backward.
func BenchmarkSoftmaxRows(b *testing.B) {
	const rows, cols = 64 * 12 * 128, 128
	r := rand.New(rand.NewPCG(7, 7))
	x := make([]float32, rows*cols)
	y := make([]float32, rows*cols)
	dy := make([]float32, rows*cols)
	mask := make([]float32, 64*cols)
	fillUniform(r, x, 4)
	fillUniform(r, dy, 1)
	for i := range mask {
		if i%cols > 100 {
			mask[i] = MaskedOut
		}
	}
	b.Run("forward", func(b *testing.B) {
		forEachLevelThreads(b, func(b *testing.B) {
			benchBytes(b, 8*rows*cols, rows*cols, func() { SoftmaxRows(y, x, rows, cols, 0.125, mask, 12*128) })
		})
	})
	b.Run("backward", func(b *testing.B) {
		forEachLevelThreads(b, func(b *testing.B) {
			benchBytes(b, 16*rows*cols, rows*cols, func() { SoftmaxRowsBackward(x, y, dy, rows, cols, 0.125, mask, 12*128) })
		})
	})
}

// BenchmarkGelu: the FFN activation, 8192 × 3072.
func BenchmarkGelu(b *testing.B) {
	const n = 8192 * 3072
	x := make([]float32, n)
	y := make([]float32, n)
	fillUniform(rand.New(rand.NewPCG(8, 8)), x, 4)
	b.Run("forward", func(b *testing.B) {
		forEachLevelThreads(b, func(b *testing.B) { benchBytes(b, 8*n, n, func() { Gelu(y, x) }) })
	})
	b.Run("backward", func(b *testing.B) {
		forEachLevelThreads(b, func(b *testing.B) { benchBytes(b, 16*n, n, func() { GeluBackward(y, x, x) }) })
	})
}

// BenchmarkLayerNorm: 8192 rows of 768.
func BenchmarkLayerNorm(b *testing.B) {
	const rows, cols = 8192, 768
	r := rand.New(rand.NewPCG(9, 9))
	x := make([]float32, rows*cols)
	y := make([]float32, rows*cols)
	w, bb := make([]float32, cols), make([]float32, cols)
	mean, rstd := make([]float32, rows), make([]float32, rows)
	fillUniform(r, x, 2)
	fillUniform(r, w, 1)
	b.Run("forward", func(b *testing.B) {
		forEachLevelThreads(b, func(b *testing.B) {
			benchBytes(b, 8*rows*cols, rows*cols, func() { LayerNorm(y, mean, rstd, x, w, bb, rows, cols, 1e-12) })
		})
	})
	b.Run("backward", func(b *testing.B) {
		forEachLevelThreads(b, func(b *testing.B) {
			benchBytes(b, 12*rows*cols, rows*cols, func() { LayerNormBackward(y, w, bb, x, x, w, mean, rstd, rows, cols) })
		})
	})
}

// BenchmarkCrossEntropy: the masked-LM loss over the vocabulary for 8192
// tokens (15% of them labelled, as the course's collator masks), with the
// gradient.
func BenchmarkCrossEntropy(b *testing.B) {
	const rows, cols = 8192, 30522
	r := rand.New(rand.NewPCG(10, 10))
	logits := make([]float32, rows*cols)
	d := make([]float32, rows*cols)
	fillUniform(r, logits, 8)
	labels := make([]int32, rows)
	for i := range labels {
		labels[i] = -100
		if r.IntN(100) < 15 {
			labels[i] = int32(r.IntN(cols))
		}
	}
	forEachLevelThreads(b, func(b *testing.B) {
		benchBytes(b, 8*rows*cols, rows*cols, func() { CrossEntropy(d, logits, labels, rows, cols, -100, 1) })
	})
}

// BenchmarkAdamW: one step over DistilBERT's 66M parameters.
func BenchmarkAdamW(b *testing.B) {
	const n = 66_000_000
	p, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	fillUniform(rand.New(rand.NewPCG(11, 11)), g, 1)
	hp := AdamWParams{LR: 2e-5, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01, Step: 1}
	forEachLevelThreads(b, func(b *testing.B) {
		benchBytes(b, 28*n, n, func() { AdamW(p, g, m, v, hp) })
	})
}

// BenchmarkAxpy: y += a·x over 8192 × 768 (residual-sized).
func BenchmarkAxpy(b *testing.B) {
	const n = 8192 * 768
	x, y := make([]float32, n), make([]float32, n)
	forEachLevelThreads(b, func(b *testing.B) { benchBytes(b, 12*n, n, func() { Axpy(0.5, x, y) }) })
}
