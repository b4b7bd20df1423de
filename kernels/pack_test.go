package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestPackers checks the panel packers of every level against the plain
// definition, for panel widths of every micro-tile, partial panels (valid <
// w), every K residue and leading dimensions; the source is guarded (nothing
// outside the panel may be read: its NaN guards would show up), and the
// destination may only be written within the panel plus packSlack floats.
func TestPackers(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		g := current.gemm
		if g == nil {
			g = genericGemm
		}
		r := rand.New(rand.NewPCG(81, 82))
		for _, w := range []int{4, 6, 8, 12, 14, 16, 32, 48, 64} {
			for _, k := range []int{1, 7, 8, 15, 16, 17, 33, 64} {
				for _, valid := range []int{1, w / 2, w - 1, w} {
					if valid < 1 {
						continue
					}
					for _, trans := range []bool{false, true} {
						name := fmt.Sprintf("w%d_k%d_valid%d_trans%v", w, k, valid, trans)
						// Source: k rows of valid values (plain) or valid rows
						// of k values (transposed), stride ld.
						rows, cols := k, valid
						if trans {
							rows, cols = valid, k
						}
						ld := cols + r.IntN(3)
						src := newGuarded((rows-1)*ld + cols)
						for i := 0; i < rows; i++ {
							fillUniform(r, src.s[i*ld:i*ld+cols], 1)
						}
						dst := newGuarded(k*w + packSlack)
						panel := dst.s[:k*w]
						if trans {
							// ahead: the next panel, as packB passes (past the
							// source here: a prefetch does not fault).
							g.packTranspose(panel, src.s, ld, k, w, valid, 4*w*ld)
						} else {
							g.packCopy(panel, src.s, ld, k, w, valid)
						}
						src.check(t, name+" src")
						dst.check(t, name+" dst")
						for p := 0; p < k; p++ {
							for j := 0; j < w; j++ {
								var want float32
								if j < valid {
									if trans {
										want = src.s[j*ld+p]
									} else {
										want = src.s[p*ld+j]
									}
								}
								if got := panel[p*w+j]; got != want {
									t.Fatalf("%s: panel[%d*%d+%d] = %v, want %v", name, p, w, j, got, want)
								}
							}
						}
					}
				}
			}
		}
	})
}
