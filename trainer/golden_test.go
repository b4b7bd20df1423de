package trainer

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/distilgo/distilgo/dataset"
	"github.com/distilgo/distilgo/distilbert"
	"github.com/distilgo/distilgo/safetensors"
	"github.com/distilgo/distilgo/tensor"
)

// goldenTrain is written by tools/golden/gen_distilbert.py (gen_train):
// the plain-PyTorch reference DistilBERT (tiny config, DetInit weights,
// dropout off) trained 10 steps on fixed batches with torch.optim.AdamW
// (decay groups as transformers' Trainer), clip_grad_norm_(1.0) and a linear
// LambdaLR; it holds the initial and final parameters, the batches, and per
// step the loss, the learning rate and the gradient norm before clipping.
const goldenTrain = "../distilbert/testdata/tiny_train.safetensors"

func int32sOf(t *testing.T, f *safetensors.File, name string) ([]int32, []int) {
	t.Helper()
	v, shape, err := f.Int64(name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	out := make([]int32, len(v))
	for i, x := range v {
		out[i] = int32(x)
	}
	return out, shape
}

func float64sOf(t *testing.T, f *safetensors.File, name string) []float64 {
	t.Helper()
	info, raw, err := f.Raw(name)
	if err != nil || info.DType != "F64" {
		t.Fatalf("%s: %v (dtype %s)", name, err, info.DType)
	}
	out := make([]float64, len(raw)/8)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
	}
	return out
}

func TestGoldenAgainstPyTorch(t *testing.T) {
	f, err := safetensors.Open(goldenTrain)
	if err != nil {
		t.Fatalf("golden (make golden writes it): %v", err)
	}
	defer f.Close()
	meta := f.Metadata()
	var mc struct {
		VocabSize             int     `json:"vocab_size"`
		Dim                   int     `json:"dim"`
		NLayers               int     `json:"n_layers"`
		NHeads                int     `json:"n_heads"`
		HiddenDim             int     `json:"hidden_dim"`
		MaxPositionEmbeddings int     `json:"max_position_embeddings"`
		Dropout               float64 `json:"dropout"`
		AttentionDropout      float64 `json:"attention_dropout"`
		PadTokenID            int     `json:"pad_token_id"`
	}
	var tc struct {
		Steps       int        `json:"steps"`
		LR          float64    `json:"lr"`
		Betas       [2]float64 `json:"betas"`
		Eps         float64    `json:"eps"`
		WeightDecay float64    `json:"weight_decay"`
		MaxGradNorm float64    `json:"max_grad_norm"`
		WarmupSteps int        `json:"warmup_steps"`
	}
	var decayed []string
	for key, dst := range map[string]any{"config": &mc, "train": &tc, "decay_params": &decayed} {
		if err := json.Unmarshal([]byte(meta[key]), dst); err != nil {
			t.Fatalf("golden metadata %q: %v", key, err)
		}
	}
	cfg := distilbert.DefaultConfig()
	cfg.VocabSize, cfg.Dim, cfg.NLayers, cfg.NHeads, cfg.HiddenDim, cfg.MaxPositionEmbeddings = mc.VocabSize, mc.Dim, mc.NLayers, mc.NHeads, mc.HiddenDim, mc.MaxPositionEmbeddings
	cfg.Dropout, cfg.AttentionDropout, cfg.PadTokenID = mc.Dropout, mc.AttentionDropout, mc.PadTokenID
	m, err := distilbert.New(cfg, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range m.Params.Names {
		data, shape, err := f.Float32("init." + name)
		if err != nil || !slices.Equal(shape, m.Params.Params[i].Shape()) {
			t.Fatalf("init.%s: %v, shape %v want %v", name, err, shape, m.Params.Params[i].Shape())
		}
		copy(m.Params.Params[i].Host(), data)
	}
	opt := NewAdamW(m.Params, AdamWConfig{Beta1: tc.Betas[0], Beta2: tc.Betas[1], Eps: tc.Eps, WeightDecay: tc.WeightDecay})
	got := opt.decayedNames()
	slices.Sort(got)
	if d := cmp.Diff(decayed, got); d != "" {
		t.Errorf("weight-decay group differs from the reference's (-torch +ours):\n%s", d)
	}

	ids, shape := int32sOf(t, f, "input_ids") // [S, B, T]
	mask, _ := int32sOf(t, f, "attention_mask")
	labels, _ := int32sOf(t, f, "labels")
	S, B, T := shape[0], shape[1], shape[2]
	wantLoss, _, _ := f.Float32("losses")
	wantNorm, _, _ := f.Float32("grad_norms")
	wantLR := float64sOf(t, f, "lrs")
	if S != tc.Steps || len(wantLoss) != S || len(wantNorm) != S || len(wantLR) != S {
		t.Fatalf("golden has %d steps, %d losses, %d norms, %d lrs", S, len(wantLoss), len(wantNorm), len(wantLR))
	}

	sched := LinearSchedule{Warmup: tc.WarmupSteps, Total: tc.Steps}
	tp := tensor.NewTape()
	m.Train(false) // the reference ran model.eval()
	for s := range S {
		n := B * T
		batch := dataset.Batch{B: B, T: T, InputIDs: ids[s*n : (s+1)*n], AttentionMask: mask[s*n : (s+1)*n], Labels: labels[s*n : (s+1)*n]}
		lr := sched.LR(tc.LR, s)
		if math.Abs(lr-wantLR[s]) > 1e-15 {
			t.Errorf("step %d: lr %v, torch %v", s, lr, wantLR[s])
		}
		res, err := TrainStep(m, tp, opt, lr, tc.MaxGradNorm, []dataset.Batch{batch}, func(int) uint64 { return 0 })
		if err != nil {
			t.Fatalf("step %d: %v", s, err)
		}
		// Tolerance 1e-6 relative for the loss and the gradient norm: both
		// are float32 computations of the same formula in another order
		// (measured: 1.1e-7 and 2.3e-7, a few ulps).
		if d := math.Abs(res.Loss-float64(wantLoss[s])) / float64(wantLoss[s]); d > 1e-6 {
			t.Errorf("step %d: loss %.8g, torch %.8g (rel diff %.2g > 1e-6)", s, res.Loss, wantLoss[s], d)
		}
		if d := math.Abs(res.GradNorm-float64(wantNorm[s])) / float64(wantNorm[s]); d > 1e-6 {
			t.Errorf("step %d: grad norm %.8g, torch %.8g (rel diff %.2g > 1e-6)", s, res.GradNorm, wantNorm[s], d)
		}
	}
	for i, name := range m.Params.Names {
		want, _, err := f.Float32("final." + name)
		if err != nil {
			t.Fatal(err)
		}
		// Tolerance 1e-5 absolute (measured max 2.7e-6, in ffn.lin1.weight):
		// Adam divides each gradient by its running RMS, so an element whose
		// gradient is small takes a step of up to lr = 1e-3 whose size
		// depends on float32 noise in that gradient; 1e-5 is 1% of one
		// step. A wrong decay group would be off by lr*wd*|p|*steps = 3e-5
		// for |p| = 0.3, and the groups are compared by name above.
		tol := 1e-5
		if strings.HasSuffix(name, "attention.k_lin.bias") {
			// The key bias adds q_i·b_k to every score of row i, which
			// softmax cancels: its true gradient is 0 and both gradients
			// are rounding noise, which Adam turns into steps of up to lr
			// in arbitrary directions. Only that bound can be checked.
			tol = 2 * float64(tc.Steps) * tc.LR
		}
		for j, w := range want {
			if d := math.Abs(float64(m.Params.Params[i].Host()[j] - w)); d > tol {
				t.Errorf("final %s[%d] = %v, torch %v (|diff| %.2g > %.2g)", name, j, m.Params.Params[i].Host()[j], w, d, tol)
				break
			}
		}
	}
}
