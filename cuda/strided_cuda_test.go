//go:build cuda && cgo

package cuda

import (
	"fmt"
	"github.com/distilgo/distilgo/internal/optest"
	"math/rand/v2"
	"testing"

	"github.com/distilgo/distilgo/tensor"
)

// GemmStrided on head-sized blocks read in place from [B*T, C] rows (the
// attention layout), every transpose, beta 0 and 1, against the CPU
// device: tolReduce (K = HS = 8 here).
func TestGemmStridedMatchesCPU(t *testing.T) {
	dev := device(t)
	const B, T, NH, HS = 2, 5, 3, 8
	C := NH * HS
	r := rand.New(rand.NewPCG(1, 9))
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			for _, beta := range []float32{0, 1} {
				t.Run(fmt.Sprintf("tA=%v,tB=%v,beta=%v", ta, tb, beta), func(t *testing.T) {
					// An operand that is T×HS is read in place from [B*T, C]
					// rows (ld C, heads HS apart); one that is HS×T from a
					// [B, NH, HS, T] buffer (ld T, heads HS*T apart).
					type layout struct{ off, ld, stride int }
					inPlace := func(bb int) layout { return layout{bb * T * C, C, HS} }
					headMajor := func(bb int) layout { return layout{bb * NH * HS * T, T, HS * T} }
					la, lb := inPlace, headMajor // A T×HS, B HS×T
					if ta {
						la = headMajor // A stored HS×T
					}
					if tb {
						lb = inPlace // B stored T×HS
					}
					q := randData(r, B*T*C)
					kk := randData(r, B*T*C)
					c0 := randData(r, B*NH*T*T)
					run := func(d tensor.Device) []float32 {
						on := func(v []float32, shape ...int) *tensor.Tensor {
							x := tensor.NewOn(d, shape...)
							x.CopyFrom(v)
							return x
						}
						a, b, c := on(q, B*T, C), on(kk, B*T, C), on(c0, B*NH, T, T)
						for bb := 0; bb < B; bb++ {
							A, Bl := la(bb), lb(bb)
							d.GemmStrided(ta, tb, NH, T, T, HS, 0.5,
								a, A.off, A.ld, A.stride, b, Bl.off, Bl.ld, Bl.stride, beta, c, bb*NH*T*T, T, T*T)
						}
						return read(c)
					}
					want := run(tensor.CPU)
					got := run(dev)
					optest.Compare(t, "c", got, want, tolReduce)
				})
			}
		}
	}
}
