package tensor

import "github.com/distilgo/distilgo/kernels"

// gelu is the exact (erf) GELU.
var gelu = &Pointwise{Name: "gelu", Forward: kernels.Gelu, Backward: kernels.GeluBackward}

// Gelu returns x·Φ(x), the exact (erf) GELU of torch.nn.GELU().
func (tp *Tape) Gelu(x *Tensor) *Tensor { return tp.pointwise(gelu, x) }
