//go:build cuda && cgo

package cuda

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/distilgo/distilgo/tensor"
)

// The methods below are reached through interface assertions so that this
// file compiles whether or not package tensor has them.

type gemmStrider interface {
	GemmStrided(transA, transB bool, batch, m, n, k int, alpha float32,
		a *tensor.Tensor, offA, lda, strideA int, b *tensor.Tensor, offB, ldb, strideB int,
		beta float32, c *tensor.Tensor, offC, ldc, strideC int)
}

// GemmStrided on head-sized blocks read in place from [B*T, C] rows (the
// attention layout), every transpose, beta 0 and 1, against the CPU
// device: tolReduce (K = HS = 8 here).
func TestGemmStridedMatchesCPU(t *testing.T) {
	dev := device(t)
	cpu, ok := tensor.CPU.(gemmStrider)
	if !ok {
		t.Skip("tensor.Device has no GemmStrided in this tree")
	}
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
					run := func(d gemmStrider, up func([]float32)) []float32 {
						a := tensor.FromData(append([]float32(nil), q...), B*T, C)
						b := tensor.FromData(append([]float32(nil), kk...), B*T, C)
						c := tensor.FromData(append([]float32(nil), c0...), B*NH, T, T)
						for _, x := range [][]float32{a.Host(), b.Host(), c.Host()} {
							up(x)
						}
						for bb := 0; bb < B; bb++ {
							A, Bl := la(bb), lb(bb)
							d.GemmStrided(ta, tb, NH, T, T, HS, 0.5,
								a, A.off, A.ld, A.stride, b, Bl.off, Bl.ld, Bl.stride, beta, c, bb*NH*T*T, T, T*T)
						}
						return c.Host()
					}
					want := run(cpu, func([]float32) {})
					got := run(dev, dev.Upload)
					compare(t, "c", dev.Read(got), want, tolReduce)
				})
			}
		}
	}
}
