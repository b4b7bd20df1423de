package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// rowsShapes: m up to smallMRows (the rows are read) and past it (the
// source is), k a multiple of 32, with a Go tail, odd, and a weight's width.
var rowsShapes = [][3]int{
	{1, 70, 32}, {3, 33, 65}, {4, 64, 81}, {5, 70, 96}, {8, 17, 768},
	{9, 40, 64}, {20, 35, 100},
}

// TestSgemmBF16Rows: a product from converted rows equals SgemmBF16 on the
// source bit for bit (the rows hold the values the product rounds B to, and
// dot4w sums them as dot4 does), at every level this CPU has, including
// the fallbacks: more rows than the small-M path takes, and rows converted
// at another level than the one running.
func TestSgemmBF16Rows(t *testing.T) {
	best := Level()
	r := rand.New(rand.NewPCG(91, 92))
	for _, s := range rowsShapes {
		m, n, k := s[0], s[1], s[2]
		a, lda, b, ldb, c0, ldc := packedOperands(r, false, true, m, n, k, 2)
		converted := ConvertBF16Rows(nil, n, k, b, ldb) // at the best level
		t.Run(fmt.Sprintf("%dx%dx%d", m, n, k), func(t *testing.T) {
			forEachLevel(t, func(t *testing.T) {
				rows := ConvertBF16Rows(nil, n, k, b, ldb)
				for _, rc := range []struct {
					name string
					r    *BF16Rows
				}{{"here", rows}, {"at " + best, converted}} {
					want := append([]float32(nil), c0...)
					SgemmBF16(false, true, m, n, k, 1.5, a, lda, b, ldb, -0.5, want, ldc)
					got := append([]float32(nil), c0...)
					SgemmBF16Rows(m, n, k, 1.5, a, lda, rc.r, -0.5, got, ldc)
					sameFloatBits(t, fmt.Sprintf("%s/%dx%dx%d rows converted %s (read: %v)", Level(), m, n, k, rc.name, BF16RowsRead(m, k)), got, want)
				}
			})
		})
	}
}

// TestSmallMNTWords runs the driver's word path on the pure-Go twin (every
// machine) and on each generated level this CPU has: smallMNT from cvtRow's
// words equals it from the float rows, bit for bit.
func TestSmallMNTWords(t *testing.T) {
	configs := []*bf16Config{bf16GoConfig}
	if _, flops := bf16PeakFunc(); flops > 0 {
		configs = append(configs, current.bf16)
	}
	r := rand.New(rand.NewPCG(93, 94))
	for _, g := range configs {
		if g == nil {
			continue
		}
		for _, s := range rowsShapes {
			m, n, k := s[0], s[1], s[2]
			if m > smallMRows {
				continue
			}
			a, lda, b, ldb, c0, ldc := packedOperands(r, false, true, m, n, k, 1)
			kp := (k + 1) / 2
			words := make([]uint32, n*kp)
			for j := 0; j < n; j++ {
				g.cvtRow(&words[j*kp], &b[j*ldb], k)
			}
			want := append([]float32(nil), c0...)
			g.smallMNT(m, n, k, -1, a, lda, b, ldb, nil, 2, want, ldc)
			got := append([]float32(nil), c0...)
			g.smallMNT(m, n, k, -1, a, lda, nil, 0, words, 2, got, ldc)
			sameFloatBits(t, fmt.Sprintf("%s/%dx%dx%d", g.name, m, n, k), got, want)
		}
	}
}

// TestSgemmBF16RowsShape: rows of another shape are a programmer error.
func TestSgemmBF16RowsShape(t *testing.T) {
	b := make([]float32, 6*8)
	rows := ConvertBF16Rows(nil, 6, 8, b, 8)
	if n, k := rows.Shape(); n != 6 || k != 8 {
		t.Fatalf("Shape() = %d, %d, want 6, 8", n, k)
	}
	defer func() {
		if recover() == nil {
			t.Error("SgemmBF16Rows with 6×8 rows for a 6×9 product did not panic")
		}
	}()
	SgemmBF16Rows(2, 6, 9, 1, make([]float32, 18), 9, rows, 0, make([]float32, 12), 6)
}
