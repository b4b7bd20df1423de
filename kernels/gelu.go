package kernels

import "math"

// Gelu computes y = x * Φ(x) = 0.5*x*(1 + erf(x/√2)), the exact form used by
// torch.nn.GELU() and Hugging Face's "gelu" activation.
func Gelu(y, x []float32) {
	checkLen("Gelu", "y", len(y), len(x))
	geluImpl(y[:len(x)], x)
}

// GeluBackward accumulates dx += dy * (Φ(x) + x*φ(x)).
func GeluBackward(dx, x, dy []float32) {
	checkLen("GeluBackward", "dx", len(dx), len(x))
	checkLen("GeluBackward", "dy", len(dy), len(x))
	geluBackwardImpl(dx[:len(x)], x, dy[:len(x)])
}

var (
	geluImpl         = geluGeneric
	geluBackwardImpl = geluBackwardGeneric
)

const grain = 1 << 14 // elements per parallel task for elementwise kernels

func geluGeneric(y, x []float32) {
	ParallelFor(len(x), grain, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			v := float64(x[i])
			y[i] = float32(0.5 * v * (1 + math.Erf(v/math.Sqrt2)))
		}
	})
}

func geluBackwardGeneric(dx, x, dy []float32) {
	const invSqrt2Pi = 0.3989422804014327
	ParallelFor(len(x), grain, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			v := float64(x[i])
			cdf := 0.5 * (1 + math.Erf(v/math.Sqrt2))
			pdf := invSqrt2Pi * math.Exp(-0.5*v*v)
			dx[i] += float32(float64(dy[i]) * (cdf + v*pdf))
		}
	})
}
