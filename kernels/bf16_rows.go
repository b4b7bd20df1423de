package kernels

// BF16Rows is a row-major float32 matrix B (n rows of k) converted to bf16
// once, for the small products that stream it: C = A·Bᵀ with a few rows of
// A (at most smallMRows), the shape of inference on a few tokens against a
// weight (x·Wᵀ). Those products are memory bound, and the bf16 rows are
// half the bytes of the float32 ones (the small-M path otherwise reads the
// floats and rounds them as it streams). The words are the values the
// product rounds B to, so C has the same bits as SgemmBF16 on the source.
type BF16Rows struct {
	g     *bf16Config // the level that converted; nil: nothing converted
	n, k  int
	words []uint32  // ceil(k/2) words per row: cvtRow's pairs
	b     []float32 // the source
	ldb   int
}

// Bytes returns the memory of the converted rows.
func (r *BF16Rows) Bytes() int { return 4 * len(r.words) }

// Shape returns the source's rows and columns.
func (r *BF16Rows) Shape() (n, k int) { return r.n, r.k }

// BF16RowsRead reports whether SgemmBF16Rows at the current level reads the
// converted rows for a product of m rows of A over k (else it runs
// SgemmBF16 on the source, and a BF16Rows is not worth keeping).
func BF16RowsRead(m, k int) bool {
	g := current.bf16
	return g != nil && g.dot4w != nil && g.streamsB(false, true, m, k)
}

// ConvertBF16Rows converts the n×k row-major b (leading dimension ldb) to
// bf16 rows for SgemmBF16Rows, reusing dst's memory when dst is not nil,
// and returns them. Below the avx512bf16 level it only records b.
func ConvertBF16Rows(dst *BF16Rows, n, k int, b []float32, ldb int) *BF16Rows {
	checkMatrix("ConvertBF16Rows", n, k, b, ldb)
	r := dst
	if r == nil {
		r = new(BF16Rows)
	}
	words := r.words[:0]
	*r = BF16Rows{n: n, k: k, b: b, ldb: ldb}
	g := current.bf16
	if g == nil || g.dot4w == nil || n == 0 || k == 0 {
		r.words = words
		return r
	}
	kp := (k + 1) / 2
	if cap(words) < n*kp {
		words = make([]uint32, n*kp)
	}
	r.g, r.words = g, words[:n*kp]
	ParallelFor(n, 64, func(lo, hi int) {
		for j := lo; j < hi; j++ {
			g.cvtRow(&r.words[j*kp], &b[j*ldb], k)
		}
	})
	return r
}

// SgemmBF16Rows is SgemmBF16(false, true, ...) with B from converted rows:
// C = alpha*bf16(A)·bf16(B)ᵀ + beta*C for A m×k and B (the source of r)
// n×k, bit for bit. Where the current level does not read the rows (a
// product of more rows than the small-M path takes, another level than
// the one that converted) it runs SgemmBF16 on the source.
func SgemmBF16Rows(m, n, k int, alpha float32, a []float32, lda int, r *BF16Rows, beta float32, c []float32, ldc int) {
	if r.n != n || r.k != k {
		panicShape("SgemmBF16Rows", "rows are %dx%d, product needs %dx%d", r.n, r.k, n, k)
	}
	checkGemm("SgemmBF16Rows", false, true, m, n, k, a, lda, r.b, r.ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	g := current.bf16
	if r.g == nil || r.g != g || !BF16RowsRead(m, k) {
		sgemmBF16Impl(false, true, m, n, k, alpha, a, lda, r.b, r.ldb, beta, c, ldc)
		return
	}
	g.smallMNT(m, n, k, alpha, a, lda, nil, 0, r.words, beta, c, ldc)
}
