//go:build cuda && cgo

package cuda

import (
	"fmt"
	"github.com/distilgo/distilgo/internal/optest"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/distilgo/distilgo/distilbert"
	"github.com/distilgo/distilgo/kernels"
	"github.com/distilgo/distilgo/tensor"
)

func tinyConfig() distilbert.Config {
	cfg := distilbert.DefaultConfig()
	cfg.VocabSize, cfg.Dim, cfg.NLayers, cfg.NHeads, cfg.HiddenDim, cfg.MaxPositionEmbeddings = 100, 32, 2, 4, 64, 16
	return cfg
}

func smallConfig() distilbert.Config {
	cfg := distilbert.DefaultConfig()
	cfg.VocabSize, cfg.Dim, cfg.NLayers, cfg.NHeads, cfg.HiddenDim, cfg.MaxPositionEmbeddings = 300, 64, 2, 4, 128, 32
	return cfg
}

// mlmBatch returns B sequences of T random tokens with the last pad
// positions of every other sequence padded (id 0, mask 0), and about 15%
// of the real positions labelled with their token, replaced by id 3
// ([MASK]-like) in the input.
func mlmBatch(r *rand.Rand, B, T, V, pad int) (distilbert.Input, []int32) {
	in := distilbert.Input{B: B, T: T, InputIDs: make([]int32, B*T), AttentionMask: make([]int32, B*T)}
	labels := make([]int32, B*T)
	for b := 0; b < B; b++ {
		for t := 0; t < T; t++ {
			i := b*T + t
			labels[i] = tensor.IgnoreIndex
			if b%2 == 1 && t >= T-pad {
				continue // padding: id 0, mask 0
			}
			tok := int32(5 + r.IntN(V-5))
			in.InputIDs[i], in.AttentionMask[i] = tok, 1
			if r.Float64() < 0.15 {
				labels[i], in.InputIDs[i] = tok, 3
			}
		}
	}
	labels[0] = in.InputIDs[0] // at least one label
	return in, labels
}

// deviceGrads holds the flat gradient tensor of each model onDevice put
// on a device.
var deviceGrads = map[*distilbert.ForMaskedLM]*tensor.Tensor{}

// onDevice copies a model's parameters into dev's memory and binds its
// parameters and gradients (zeroed) to tensors there.
func onDevice(dev *Device, m *distilbert.ForMaskedLM) {
	n := m.Params.Len()
	data, grad := tensor.NewOn(dev, n), tensor.NewOn(dev, n)
	data.CopyFrom(m.Params.Data)
	m.Params.Bind(data, grad)
	deviceGrads[m] = grad
}

// read returns a host copy of x's values.
func read(x *tensor.Tensor) []float32 {
	v := make([]float32, x.Size())
	x.CopyTo(v)
	return v
}

// lossAndGrads runs one forward and backward pass on dev (nil for the CPU)
// and returns the loss and a host copy of the gradients.
func lossAndGrads(t testing.TB, dev *Device, m *distilbert.ForMaskedLM, in distilbert.Input, labels []int32, seed uint64) (float64, []float32) {
	tp := tensor.NewTape()
	if dev != nil {
		tp.SetDevice(dev)
		dev.Zero(deviceGrads[m])
	} else {
		m.Params.ZeroGrad()
	}
	tp.Seed(seed)
	loss, _, err := m.Loss(tp, in, labels)
	if err != nil {
		t.Fatal(err)
	}
	tp.Backward(loss)
	if dev == nil {
		return float64(loss.Item()), append([]float32(nil), m.Params.Grad...)
	}
	return float64(loss.Item()), read(deviceGrads[m])
}

// Loss and every parameter gradient of a tiny DistilBERT, dropout on,
// against the CPU. Tolerances: the loss is a mean of float64 row losses
// computed from logits that went through ~30 float32 reductions (products,
// softmax, layer norms), each within 1e-5 relative of the CPU (see
// tolReduce), so 2e-5 relative; each parameter's gradient passes back
// through as many again, and layer norm and softmax backward amplify
// relative differences modestly, so 2e-4 normwise per parameter tensor.
// A wrong kernel gives errors of order 1.
func TestTinyModelMatchesCPU(t *testing.T) {
	dev := device(t)
	for _, train := range []bool{false, true} {
		t.Run(fmt.Sprintf("dropout=%v", train), func(t *testing.T) {
			cpu, _ := distilbert.New(tinyConfig(), 3)
			gm, _ := distilbert.New(tinyConfig(), 3)
			cpu.Train(train)
			gm.Train(train)
			onDevice(dev, gm)
			in, labels := mlmBatch(rand.New(rand.NewPCG(1, 2)), 3, 8, 100, 3)
			wl, wg := lossAndGrads(t, nil, cpu, in, labels, 99)
			gl, gg := lossAndGrads(t, dev, gm, in, labels, 99)
			if math.Abs(gl-wl) > 2e-5*math.Abs(wl) {
				t.Errorf("loss %v, CPU %v", gl, wl)
			}
			checkGrads(t, cpu, gg, wg, 2e-4)
			// A second step on the same tape shapes reuses every buffer.
			gl2, gg2 := lossAndGrads(t, dev, gm, in, labels, 99)
			if gl2 != gl || optest.RelErr(gg2, gg) != 0 {
				t.Errorf("second pass: loss %v vs %v, gradient error %g: not deterministic or stale buffers", gl2, gl, optest.RelErr(gg2, gg))
			}
		})
	}
}

// checkGrads compares each parameter's gradient normwise: max|got-want|
// over max(max|want|, 1e-3·max|all gradients|). The floor is for gradients
// that vanish mathematically and hold only rounding noise: the key bias
// (softmax ignores a shift shared by all keys), whose CPU and GPU values
// are unrelated noise far below the other gradients.
func checkGrads(t *testing.T, m *distilbert.ForMaskedLM, got, want []float32, tol float64) {
	t.Helper()
	var all float64
	for _, v := range want {
		all = math.Max(all, math.Abs(float64(v)))
	}
	worst, worstName := 0.0, ""
	for i, name := range m.Params.Names {
		off, n := m.Params.Offsets[i], m.Params.Params[i].Size()
		var d, s float64
		for j := off; j < off+n; j++ {
			d = math.Max(d, math.Abs(float64(got[j])-float64(want[j])))
			s = math.Max(s, math.Abs(float64(want[j])))
		}
		e := d / math.Max(s, 1e-3*all)
		if e > worst {
			worst, worstName = e, name
		}
		if e > tol || math.IsNaN(e) {
			t.Errorf("gradient of %s: error %.3g > %.3g (max|cpu| %.3g, max over all %.3g)", name, e, tol, s, all)
		}
	}
	t.Logf("largest gradient error %.3g (%s)", worst, worstName)
}

// Inference logits on a no-grad tape, twice (buffers reused), against the
// CPU: 2e-5 normwise (forward only, see TestTinyModelMatchesCPU).
func TestTinyModelLogitsMatchCPU(t *testing.T) {
	dev := device(t)
	cpu, _ := distilbert.New(tinyConfig(), 4)
	gm, _ := distilbert.New(tinyConfig(), 4)
	cpu.Train(false)
	gm.Train(false)
	onDevice(dev, gm)
	r := rand.New(rand.NewPCG(5, 6))
	gtp := tensor.NewNoGradTape()
	gtp.SetDevice(dev)
	for rep := 0; rep < 2; rep++ {
		in, _ := mlmBatch(r, 2, 16, 100, 5)
		want, err := cpu.Logits(tensor.NewNoGradTape(), in)
		if err != nil {
			t.Fatal(err)
		}
		gtp.Reset()
		got, err := gm.Logits(gtp, in)
		if err != nil {
			t.Fatal(err)
		}
		optest.Compare(t, fmt.Sprintf("logits (pass %d)", rep), read(got), want.Host(), 2e-5)
	}
}

// distilbert-base-uncased's shapes at batch 8 x 128, dropout on, random
// init: loss and gradient norms against the CPU. Tolerances as
// TestTinyModelMatchesCPU but with 6 layers and rows of 768-3072: loss 5e-5
// relative, the global gradient norm 1e-4, each parameter's norm 1e-3.
// With TF32 the products round their inputs to 10-bit mantissas (about
// 5e-4 relative each): loss 5e-3, global norm 2e-2, each norm 5e-2.
func TestBaseModelMatchesCPU(t *testing.T) {
	dev := device(t)
	cfg, B, T := distilbert.DefaultConfig(), 8, 128
	if testDev.emulated { // the same checks at a size the emulator runs quickly
		cfg, B, T = tinyConfig(), 2, 16
	}
	cpu, err := distilbert.New(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	gm, _ := distilbert.New(cfg, 1)
	onDevice(dev, gm)
	in, labels := mlmBatch(rand.New(rand.NewPCG(8, 9)), B, T, cfg.VocabSize, T/6)
	t0 := time.Now()
	wl, wg := lossAndGrads(t, nil, cpu, in, labels, 5)
	tcpu := time.Since(t0)
	norms := func(g []float32) (float64, []float64) {
		var tot float64
		per := make([]float64, len(cpu.Params.Names))
		for i := range cpu.Params.Names {
			off, n := cpu.Params.Offsets[i], cpu.Params.Params[i].Size()
			per[i] = math.Sqrt(kernels.SumSquares(g[off : off+n]))
			tot += per[i] * per[i]
		}
		return math.Sqrt(tot), per
	}
	wn, wper := norms(wg)
	for _, tf32 := range []bool{false, true} {
		dev.SetTF32(tf32)
		t0 = time.Now()
		gl, gg := lossAndGrads(t, dev, gm, in, labels, 5)
		tgpu := time.Since(t0)
		gn, gper := norms(gg)
		// Per-parameter norms are compared relative to max(own norm,
		// floor·global norm): the key biases' gradients vanish
		// mathematically (softmax ignores a shift shared by all keys) and
		// their norms are rounding noise on both devices.
		lossTol, normTol, perTol, floor := 5e-5, 1e-4, 1e-3, 1e-3
		if tf32 {
			lossTol, normTol, perTol, floor = 5e-3, 2e-2, 5e-2, 1e-2
		}
		worst := 0.0
		for i := range wper {
			e := math.Abs(gper[i]-wper[i]) / math.Max(wper[i], floor*wn)
			worst = math.Max(worst, e)
			if e > perTol {
				t.Errorf("TF32=%v: ‖grad %s‖ = %.6g, CPU %.6g", tf32, cpu.Params.Names[i], gper[i], wper[i])
			}
		}
		t.Logf("TF32=%v: loss %.7f (CPU %.7f, rel %.2e), grad norm %.6g (CPU %.6g, rel %.2e), worst per-parameter norm rel %.2e; fwd+bwd GPU %v (first pass on this tape), CPU %v",
			tf32, gl, wl, math.Abs(gl-wl)/wl, gn, wn, math.Abs(gn-wn)/wn, worst, tgpu, tcpu)
		if math.Abs(gl-wl) > lossTol*wl {
			t.Errorf("TF32=%v: loss %v, CPU %v", tf32, gl, wl)
		}
		if math.Abs(gn-wn) > normTol*wn {
			t.Errorf("TF32=%v: grad norm %v, CPU %v", tf32, gn, wn)
		}
	}
	dev.SetTF32(false)
}
