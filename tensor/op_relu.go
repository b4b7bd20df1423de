package tensor

import "github.com/distilgo/distilgo/kernels"

// relu is max(x, 0).
var relu = &Pointwise{Name: "relu", Forward: kernels.Relu, Backward: kernels.ReluBackward}

// Relu returns max(x, 0) element-wise, as torch.relu (NaN stays NaN); its
// gradient is 1 where x > 0 and 0 elsewhere (0 at x = 0, as PyTorch).
func (tp *Tape) Relu(x *Tensor) *Tensor { return tp.pointwise(relu, x) }
