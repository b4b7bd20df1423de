package trainer

import (
	"math"

	"github.com/distilgo/distilgo/tensor"
)

// ClipGradNorm scales the gradients g so that their global L2 norm is at most
// maxNorm, as torch.nn.utils.clip_grad_norm_ does: with total = ‖g‖₂,
// coef = maxNorm / (total + 1e-6), and g is multiplied by coef only when
// coef < 1. It returns total, the norm before clipping (what Trainer logs
// as grad_norm). maxNorm <= 0 disables clipping. A non-finite total leaves
// g unchanged (torch would spread the NaN into every gradient; the trainer
// stops on it instead).
func ClipGradNorm(g []float32, maxNorm float64) float64 {
	return clipGradNorm(CPU, tensor.FromData(g, len(g)), maxNorm)
}

// clipGradNorm is ClipGradNorm of the flat gradient tensor g on dev.
func clipGradNorm(dev Device, g *tensor.Tensor, maxNorm float64) float64 {
	total := math.Sqrt(dev.SumSquares(g))
	if maxNorm <= 0 || math.IsNaN(total) || math.IsInf(total, 0) {
		return total
	}
	if coef := maxNorm / (total + 1e-6); coef < 1 {
		dev.ScaleBuffer(float32(coef), g)
	}
	return total
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
