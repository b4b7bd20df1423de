package distilbert

import (
	"github.com/google/go-cmp/cmp"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distilgo/distilgo/internal/detinit"
	"github.com/distilgo/distilgo/safetensors"
	"github.com/distilgo/distilgo/tensor"
)

// Goldens from tools/golden/gen_distilbert.py (plain PyTorch following
// transformers' modeling_distilbert.py op for op; torch 1.13, float32,
// model.eval()). See tools/golden/README.md for each file's contents.

func openGolden(t *testing.T, name string) *safetensors.File {
	t.Helper()
	f, err := safetensors.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func goldenF32(t *testing.T, f *safetensors.File, name string) []float32 {
	t.Helper()
	v, _, err := f.Float32(name)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func goldenI32(t *testing.T, f *safetensors.File, name string) ([]int32, []int) {
	t.Helper()
	v, shape, err := f.Int64(name)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int32, len(v))
	for i, x := range v {
		out[i] = int32(x)
	}
	return out, shape
}

func maxAbs(x []float32) float64 {
	var m float64
	for _, v := range x {
		m = math.Max(m, math.Abs(float64(v)))
	}
	return m
}

// compareScaled fails if any |got-want| exceeds rel times the largest |want|
// of the tensor (floor 1e-30), and reports the largest difference seen.
func compareScaled(t *testing.T, what string, got, want []float32, rel float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, golden %d", what, len(got), len(want))
	}
	tol := rel * math.Max(maxAbs(want), 1e-30)
	var worst float64
	for i := range want {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if !(d <= tol) { // also catches NaN
			t.Fatalf("%s[%d] = %v, golden %v (|diff| %.3g > %.3g)", what, i, got[i], want[i], d, tol)
		}
		worst = math.Max(worst, d)
	}
	t.Logf("%s: max |diff| %.3g (%.2g of scale)", what, worst, worst/math.Max(maxAbs(want), 1e-30))
}

// isKeyBias reports the attention key bias, whose true gradient is exactly
// zero (softmax is invariant to a per-row constant, and q·b_k is constant
// over the keys): both sides hold only rounding noise there.
func isKeyBias(name string) bool { return strings.HasSuffix(name, "attention.k_lin.bias") }

// TestTinyGolden: logits, loss and the gradient of every parameter of the
// tiny model (V=100, C=32, 2 layers, 4 heads) with padding and ignored
// labels, against PyTorch.
//
// Tolerance 1e-5 of each tensor's scale: float32 torch differs from float64
// torch by at most 7.6e-7 of scale on these tensors (recorded in the file's
// metadata), and our float32 kernels sum in another order, so the two float32
// results may differ by about twice that; 1e-5 leaves a 5x margin while any
// wrong formula shows as O(1e-2) or more. The key biases' gradients are
// noise around zero (torch: ~1e-8) and must be below 1e-6 absolute.
func TestTinyGolden(t *testing.T) {
	m, in, labels := checkTinyGolden(t, "gelu", "tiny_mlm.safetensors")
	if n := countLabelled(labels); n != 6 {
		t.Errorf("%d labelled positions, golden has 6", n)
	}

	// All labels ignored: torch gives NaN; we define loss 0, zero gradients.
	for i := range labels {
		labels[i] = tensor.IgnoreIndex
	}
	m.Params.ZeroGrad()
	tp2 := tensor.NewTape()
	loss2, n, err := m.Loss(tp2, in, labels)
	if err != nil || n != 0 || loss2.Item() != 0 {
		t.Fatalf("all ignored: loss %v n %d err %v, want 0, 0, nil", loss2.Item(), n, err)
	}
	tp2.Backward(loss2)
	if maxAbs(m.Params.Grad) != 0 {
		t.Fatalf("all ignored: non-zero gradients")
	}
}

// TestTinyReluGolden: TestTinyGolden's model, weights and batch with
// activation "relu" (every FFN and the MLM head), against PyTorch's
// F.relu: logits, loss and every parameter's gradient, with the same
// tolerances (float32 torch is within 7.9e-7 of float64 torch here, file
// metadata).
func TestTinyReluGolden(t *testing.T) {
	checkTinyGolden(t, "relu", "tiny_mlm_relu.safetensors")
}

// checkTinyGolden builds the tiny model with activation act and the
// weights, batch and labels of tiny_mlm.safetensors, and compares its
// logits, loss and every gradient with the golden file's (TestTinyGolden
// states the tolerances). It returns the model, batch and labels for
// further checks.
func checkTinyGolden(t *testing.T, act, golden string) (*ForMaskedLM, Input, []int32) {
	t.Helper()
	params := openGolden(t, "tiny_mlm.safetensors")
	f := params
	if golden != "tiny_mlm.safetensors" {
		f = openGolden(t, golden)
	}
	cfg := tinyConfig()
	cfg.Activation = act
	m := build(cfg)
	for i, name := range m.Params.Names {
		if err := params.ReadFloat32(name, m.Params.Params[i].Host()); err != nil {
			t.Fatal(err)
		}
	}
	m.Train(false)
	ids, shape := goldenI32(t, params, "input_ids")
	mask, _ := goldenI32(t, params, "attention_mask")
	labels, _ := goldenI32(t, params, "labels")
	in := Input{B: shape[0], T: shape[1], InputIDs: ids, AttentionMask: mask}

	logits, err := m.Logits(tensor.NewNoGradTape(), in)
	if err != nil {
		t.Fatal(err)
	}
	compareScaled(t, "logits", logits.Host(), goldenF32(t, f, "logits"), 1e-5)
	tp := tensor.NewTape()
	loss, _, err := m.Loss(tp, in, labels)
	if err != nil {
		t.Fatal(err)
	}
	compareScaled(t, "loss", []float32{loss.Item()}, goldenF32(t, f, "loss"), 1e-6)
	tp.Backward(loss)
	for i, name := range m.Params.Names {
		got := m.Params.Params[i].Grad.Host()
		if isKeyBias(name) {
			if a := maxAbs(got); a > 1e-6 {
				t.Errorf("grad.%s: max |g| %.3g, want ~0 (< 1e-6)", name, a)
			}
			continue
		}
		compareScaled(t, "grad."+name, got, goldenF32(t, f, "grad."+name), 1e-5)
	}
	return m, in, labels
}

// countLabelled counts the labels that are not ignored.
func countLabelled(labels []int32) int {
	n := 0
	for _, l := range labels {
		if l != tensor.IgnoreIndex {
			n++
		}
	}
	return n
}

// TestFullSizeGolden: distilbert-base-uncased size with the deterministic
// detinit.Base weights (both sides generate them), batch 2×128 with one
// padded row and 15% labels: the loss, the logits at 8 positions over the
// whole vocabulary, every parameter's gradient norm and first 16 gradient
// values, against PyTorch.
//
// Tolerances: float32 torch is within 8e-8 (loss, grad norms) and 7.6e-7
// (logits) of float64 torch here; reductions over C=768 and H=3072 terms in a
// different order add a few 1e-7 relative. We allow 1e-6 for the loss, 5e-6
// for logits and grad norms (relative to scale) and 5e-5 of scale for
// individual gradient values (small elements of a large tensor carry the
// absolute error of its largest ones). The key biases' true gradient is 0:
// their norm must be < 1e-6.
func TestFullSizeGolden(t *testing.T) {
	if testing.Short() {
		t.Skip("full-size model (67M parameters): slow test")
	}
	f := openGolden(t, "full_mlm.safetensors")
	m := build(DefaultConfig())
	for i, name := range m.Params.Names {
		detinit.Base.Fill(name, m.Params.Params[i].Host())
	}
	m.Train(false)
	ids, shape := goldenI32(t, f, "input_ids")
	mask, _ := goldenI32(t, f, "attention_mask")
	labels, _ := goldenI32(t, f, "labels")
	in := Input{B: shape[0], T: shape[1], InputIDs: ids, AttentionMask: mask}

	posBT, _ := goldenI32(t, f, "logits_positions") // [8, 2] (b, t)
	pos := make([]int32, len(posBT)/2)
	for i := range pos {
		pos[i] = posBT[2*i]*int32(in.T) + posBT[2*i+1]
	}
	logits, err := m.LogitsAt(tensor.NewNoGradTape(), in, pos)
	if err != nil {
		t.Fatal(err)
	}
	compareScaled(t, "logits_at", logits.Host(), goldenF32(t, f, "logits_at"), 5e-6)

	tp := tensor.NewTape()
	loss, _, err := m.Loss(tp, in, labels)
	if err != nil {
		t.Fatal(err)
	}
	compareScaled(t, "loss", []float32{loss.Item()}, goldenF32(t, f, "loss"), 1e-6)
	tp.Backward(loss)
	for i, name := range m.Params.Names {
		g := m.Params.Params[i].Grad.Host()
		var ss float64
		for _, v := range g {
			ss += float64(v) * float64(v)
		}
		norm := math.Sqrt(ss)
		want := float64(goldenF32(t, f, "gradnorm."+name)[0])
		if isKeyBias(name) {
			if norm > 1e-6 {
				t.Errorf("gradnorm.%s = %.3g, want ~0 (< 1e-6)", name, norm)
			}
			continue
		}
		if math.Abs(norm-want) > 5e-6*want {
			t.Errorf("gradnorm.%s = %.9g, golden %.9g (rel %.2g)", name, norm, want, math.Abs(norm-want)/want)
		}
		head := goldenF32(t, f, "gradhead."+name)
		tol := 5e-5 * math.Max(maxAbs(g), 1e-30)
		for j, w := range head {
			if d := math.Abs(float64(g[j] - w)); d > tol {
				t.Errorf("grad.%s[%d] = %v, golden %v (|diff| %.3g > %.3g)", name, j, g[j], w, d, tol)
				break
			}
		}
	}
}

// TestLoadReferenceCheckpoint: a directory written the way transformers'
// save_pretrained writes it (no vocab_projector.weight) loads, and gives the
// reference's logits (1e-5 of scale, as TestTinyGolden).
func TestLoadReferenceCheckpoint(t *testing.T) {
	m, err := LoadDir(filepath.Join("testdata", "tiny-hf"))
	if err != nil {
		t.Fatal(err)
	}
	m.Train(false)
	f := openGolden(t, "tiny_hf_logits.safetensors")
	ids, shape := goldenI32(t, f, "input_ids")
	mask, _ := goldenI32(t, f, "attention_mask")
	logits, err := m.Logits(tensor.NewNoGradTape(), Input{B: shape[0], T: shape[1], InputIDs: ids, AttentionMask: mask})
	if err != nil {
		t.Fatal(err)
	}
	compareScaled(t, "logits", logits.Host(), goldenF32(t, f, "logits"), 1e-5)
}

// TestLoadDirReturnsEvalMode: LoadDir returns the model in evaluation mode,
// as transformers' from_pretrained returns model.eval(). The logits of the
// freshly loaded model equal, bit for bit, those of the same checkpoint with
// dropout switched off explicitly; with dropout on (tiny-hf has dropout 0.1)
// they differ, so the comparison can fail.
func TestLoadDirReturnsEvalMode(t *testing.T) {
	dir := filepath.Join("testdata", "tiny-hf")
	loaded, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	ref.Train(false)
	f := openGolden(t, "tiny_hf_logits.safetensors")
	ids, shape := goldenI32(t, f, "input_ids")
	mask, _ := goldenI32(t, f, "attention_mask")
	in := Input{B: shape[0], T: shape[1], InputIDs: ids, AttentionMask: mask}
	logits := func(m *ForMaskedLM) []float32 {
		l, err := m.Logits(tensor.NewNoGradTape(), in)
		if err != nil {
			t.Fatal(err)
		}
		return l.Host()
	}
	if diff := cmp.Diff(logits(ref), logits(loaded)); diff != "" {
		t.Errorf("logits after LoadDir differ from evaluation mode (-eval +loaded):\n%s", diff)
	}
	ref.Train(true)
	if cmp.Equal(logits(ref), logits(loaded)) {
		t.Errorf("logits with dropout on equal those after LoadDir: the test cannot tell the modes apart")
	}
}
