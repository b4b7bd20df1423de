package distilbert

import (
	"math"
	"strings"
	"testing"

	"github.com/distilgo/distilgo/kernels"
	"github.com/distilgo/distilgo/tensor"
)

// bf16Run is one forward and backward pass of m at its Precision: full
// logits, the loss on the labelled positions and every gradient.
type bf16Run struct {
	logits []float32
	loss   float64
	grad   []float32
	device string
}

func runPrecision(t *testing.T, m *ForMaskedLM, p tensor.Precision, in Input, labels []int32) bf16Run {
	t.Helper()
	m.Precision = p
	m.Params.ZeroGrad()
	tp := tensor.NewTape()
	logits, err := m.Logits(tp, in)
	if err != nil {
		t.Fatal(err)
	}
	loss := tp.CrossEntropy(logits, labels)
	tp.Backward(loss)
	return bf16Run{
		logits: append([]float32(nil), logits.Host()...),
		loss:   float64(loss.Item()),
		grad:   append([]float32(nil), m.Params.Grad...),
		device: tp.Device().Name(),
	}
}

// TestBF16MatchesFP32 compares a whole forward and backward pass with bf16
// matmuls against float32, at the start-up kernels level and, where that is
// the hardware level, at the emulation too.
//
// Bounds. bf16 keeps 8 significant bits, so rounding an operand errs by at
// most u_b = 2^-9 relatively, and a dot product of rounded operands by at
// most 2·u_b·Σ|a_i b_i| (the float32 accumulation adds ~2^-24, negligible).
// With errors of random sign the typical relative error of an output is
// u_b·√2 ≈ 2^-8.5 of the row's scale, and a logit is the end of a chain of
// D = 4·L + 2 products on its critical path (Q/K/V, output and two FFN
// products per layer share the residual stream; layer norms rescale, they do
// not amplify) so the logits' RMS error relative to their RMS is bounded by
// D·2·u_b = D·2^-8 (errors added linearly, the worst case of the chain):
// 0.039 for L = 2. The loss is logsumexp(z) - z_y: each term is 1-Lipschitz
// in the max norm, so |Δloss| ≤ 2·max|Δz| over the labelled rows, checked
// with the measured max. Gradients: each parameter's gradient is a product
// of the same chains run backward (2·D deep at most) so its relative error
// is ≤ 2·D·2^-8 ≈ 0.078, and cosine similarity 1 - ε²/2 ≥ 0.99 allows ε ≤
// 0.14, twice that; a gradient that is not computed, or computed with the
// wrong operand, has a cosine far below.
func TestBF16MatchesFP32(t *testing.T) {
	cfg := tinyConfig()
	cfg.VocabSize, cfg.Dim, cfg.NHeads, cfg.HiddenDim, cfg.MaxPositionEmbeddings = 500, 128, 4, 256, 64
	m, err := New(cfg, 5)
	if err != nil {
		t.Fatal(err)
	}
	const B, T = 4, 40
	in := Input{B: B, T: T, InputIDs: make([]int32, B*T)}
	labels := make([]int32, B*T)
	for i := range in.InputIDs {
		in.InputIDs[i] = int32((i*131 + 7) % cfg.VocabSize)
		labels[i] = tensor.IgnoreIndex
		if i%3 == 0 {
			labels[i] = int32((i*17 + 3) % cfg.VocabSize)
		}
	}
	levels := []string{kernels.Level()}
	if kernels.BF16Hardware() {
		levels = append(levels, kernels.LevelAVX512) // the emulation
	}
	start := kernels.Level()
	defer kernels.Use(start)
	for _, level := range levels {
		t.Run(level, func(t *testing.T) {
			if err := kernels.Use(level); err != nil {
				t.Fatal(err)
			}
			ref := runPrecision(t, m, tensor.FP32, in, labels)
			got := runPrecision(t, m, tensor.BF16, in, labels)
			m.Precision = tensor.FP32
			if ref.device != "cpu" || got.device != "cpu-bf16" {
				t.Fatalf("devices %q, %q; want cpu, cpu-bf16", ref.device, got.device)
			}
			depth := float64(4*cfg.NLayers + 2)
			var se, sr, maxDiff float64
			for i, v := range got.logits {
				d := float64(v - ref.logits[i])
				se += d * d
				sr += float64(ref.logits[i]) * float64(ref.logits[i])
				maxDiff = math.Max(maxDiff, math.Abs(d))
			}
			rel := math.Sqrt(se / sr)
			if bound := depth * math.Ldexp(1, -8); !(rel <= bound) {
				t.Errorf("logits: relative RMS error %.4g > bound %.4g", rel, bound)
			}
			if rel == 0 {
				t.Errorf("bf16 logits equal fp32 bit for bit: bf16 matmuls did not run")
			}
			if d := math.Abs(got.loss - ref.loss); !(d <= 2*maxDiff) {
				t.Errorf("loss %v vs fp32 %v: |diff| %.3g > 2·max|Δlogit| = %.3g", got.loss, ref.loss, d, 2*maxDiff)
			}
			t.Logf("logits rel RMS err %.3g (bound %.3g), max |Δ| %.3g; loss %.6f vs %.6f", rel, depth*math.Ldexp(1, -8), maxDiff, got.loss, ref.loss)
			worst, worstName := 2.0, ""
			for pi, name := range m.Params.Names {
				off, n := m.Params.Offsets[pi], m.Params.Params[pi].Size()
				gg, r := got.grad[off:off+n], ref.grad[off:off+n]
				var dot, ng, nr float64
				for i := range gg {
					dot += float64(gg[i]) * float64(r[i])
					ng += float64(gg[i]) * float64(gg[i])
					nr += float64(r[i]) * float64(r[i])
				}
				if nr == 0 && ng == 0 {
					continue // no gradient either way
				}
				if strings.HasSuffix(name, "attention.k_lin.bias") {
					// Its true gradient is exactly zero (a key bias adds the
					// same q·b to every score of a query row; softmax ignores
					// it), so both sides are rounding noise: check that the
					// bf16 one is noise too, against the query bias's.
					qi := m.Params.Aliases[strings.TrimSuffix(name, "k_lin.bias")+"q_lin.bias"]
					qo, qn := m.Params.Offsets[qi], m.Params.Params[qi].Size()
					var nq float64
					for _, v := range ref.grad[qo : qo+qn] {
						nq += float64(v) * float64(v)
					}
					if !(ng <= 1e-4*nq) {
						t.Errorf("gradient of %s: |g|² %.3g not ≪ the query bias's %.3g", name, ng, nq)
					}
					continue
				}
				cos := dot / math.Sqrt(ng*nr)
				if cos < worst {
					worst, worstName = cos, name
				}
				if !(cos >= 0.99) {
					t.Errorf("gradient of %s: cosine similarity with fp32 %.5f < 0.99", name, cos)
				}
			}
			t.Logf("lowest gradient cosine %.5f (%s)", worst, worstName)
		})
	}
}
