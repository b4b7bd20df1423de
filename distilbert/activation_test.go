package distilbert

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/distilgo/distilgo/tensor"
)

// The tiny model with activation "relu" (every FFN and the MLM head): the
// backward pass's gradient of 4 elements of every parameter against
// central differences of the float32 loss, h = 1e-3 (and the same check
// with "gelu" as a control).
//
// Tolerance |g - fd| <= 6e-4 + 2e-2·|fd|: the float32 loss (≈ ln 100)
// rounds to ~3e-7, so a difference quotient carries up to ~1.5e-4 of noise
// (seen: 1.5e-4 at worst); 6e-4 is four times that. The h² term is far
// smaller, and a single parameter moved by 1e-3 moves ReLU inputs by about
// 1e-3 while the nearest to zero here is 4e-4 away, so a kink crossing is
// rare and shifts one element's quotient only. A wrong derivative (GELU'
// for ReLU, the head's activation missing) is off by 1e-2 or more on many
// elements.
func TestActivationModelFiniteDifferences(t *testing.T) {
	for _, act := range []string{"relu", "gelu"} {
		t.Run(act, func(t *testing.T) {
			cfg := tinyConfig()
			cfg.Activation = act
			cfg.Dropout, cfg.AttentionDropout = 0, 0
			m, err := New(cfg, 3)
			if err != nil {
				t.Fatal(err)
			}
			// Larger weights than the 0.02 init, so that activations spread
			// over both sides of zero.
			r := rand.New(rand.NewPCG(4, 4))
			for i := range m.Params.Data {
				m.Params.Data[i] += float32(r.NormFloat64() * 0.1)
			}
			in, labels := tinyBatch()
			loss := func() float64 {
				l, _, err := m.Loss(tensor.NewNoGradTape(), in, labels)
				if err != nil {
					t.Fatal(err)
				}
				return float64(l.Item())
			}
			m.Params.ZeroGrad()
			tp := tensor.NewTape()
			l, _, err := m.Loss(tp, in, labels)
			if err != nil {
				t.Fatal(err)
			}
			tp.Backward(l)
			const h = 1e-3
			checked := 0
			for pi, name := range m.Params.Names {
				p := m.Params.Params[pi]
				n := len(p.Host())
				for k := 0; k < 4; k++ {
					j := k * (n - 1) / 3
					x := p.Host()[j]
					p.Host()[j] = x + h
					lp := loss()
					p.Host()[j] = x - h
					lm := loss()
					p.Host()[j] = x
					fd := (lp - lm) / (2 * h)
					g := float64(p.Grad.Host()[j])
					if !(math.Abs(g-fd) <= 6e-4+2e-2*math.Abs(fd)) {
						t.Errorf("%s[%d]: gradient %.6g, central difference %.6g", name, j, g, fd)
					}
					checked++
				}
			}
			if checked < 100 {
				t.Fatalf("checked %d elements", checked)
			}
		})
	}
}
