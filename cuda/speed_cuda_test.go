//go:build cuda && cgo

package cuda

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/distilgo/distilgo/dataset"
	"github.com/distilgo/distilgo/distilbert"
	"github.com/distilgo/distilgo/tensor"
	"github.com/distilgo/distilgo/trainer"
)

// deviceTrainer times the trainer's step (trainer.TrainStep) on the device:
// the course's step (forward, backward, gradient clipping at norm 1, AdamW
// with weight decay 0.01 on the decayed parameters) on one fixed batch.
type deviceTrainer struct {
	dev   *Device
	m     *distilbert.ForMaskedLM
	tp    *tensor.Tape
	opt   *trainer.AdamW
	steps int
	batch dataset.Batch
}

func newDeviceTrainer(dev *Device, cfg distilbert.Config, B, T int) (*deviceTrainer, error) {
	m, err := distilbert.New(cfg, 1)
	if err != nil {
		return nil, err
	}
	tr := &deviceTrainer{dev: dev, m: m, tp: tensor.NewTape(), opt: trainer.NewAdamW(m.Params, trainer.DefaultAdamWConfig(0.01))}
	tr.opt.Device = dev
	tr.opt.ToDevice()
	tr.tp.SetDevice(dev)
	in, labels := mlmBatch(rand.New(rand.NewPCG(1, 1)), B, T, cfg.VocabSize, 0)
	tr.batch = dataset.Batch{B: B, T: T, InputIDs: in.InputIDs, AttentionMask: in.AttentionMask, Labels: labels}
	return tr, nil
}

func (tr *deviceTrainer) step(t testing.TB) float32 {
	tr.steps++
	seed := func(int) uint64 { return uint64(tr.steps) }
	r, err := trainer.TrainStep(tr.m, tr.tp, tr.opt, 2e-5, 1, []dataset.Batch{tr.batch}, seed)
	if err != nil {
		t.Fatal(err)
	}
	return float32(r.Loss)
}

func (tr *deviceTrainer) close() { tr.opt.ToHost() }

// The training loop of TestTrainStepSpeed on a tiny model (runs on the
// emulator too), dropout off: the loss is finite and falls, and clipping leaves a
// gradient norm of at most 1.
func TestDeviceTrainerSmoke(t *testing.T) {
	dev := device(t)
	tr, err := newDeviceTrainer(dev, tinyConfig(), 2, 8)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.close()
	tr.opt.Config.WeightDecay = 0
	// Dropout off: with it, 5 steps of lr 2e-5 move the loss less than the
	// masks do, and the check below would test the dropout stream.
	tr.m.Train(false)
	first := tr.step(t)
	var ss float64
	for _, p := range tr.m.Params.Params { // views of the device's gradients
		ss += dev.SumSquares(p.Grad)
	}
	if n := math.Sqrt(ss); n > 1+1e-5 {
		t.Errorf("gradient norm after clipping %v > 1", n)
	}
	var last float32
	for i := 0; i < 5; i++ {
		last = tr.step(t)
	}
	if math.IsNaN(float64(last)) || last > first {
		t.Errorf("loss %v after 5 steps, first %v (lr 2e-5 on one batch should not raise it)", last, first)
	}
}

// Training throughput of distilbert-base at batch 64 x 128 (the course's
// batch), fp32 with TF32 off and on: forward, backward, clipping and AdamW,
// timed over 8 steps after 2 warm-up steps. It prints tokens/s and the
// projected time of the course's 3 epochs over 10,000 chunks (471 steps),
// and checks that no step after the first allocates device memory.
func TestTrainStepSpeed(t *testing.T) {
	dev := device(t)
	cfg, B, T, warm, timed := distilbert.DefaultConfig(), 64, 128, 2, 8
	if testDev.emulated { // the code path only; the timing means nothing
		cfg, B, T, warm, timed = tinyConfig(), 2, 8, 1, 2
	}
	tr, err := newDeviceTrainer(dev, cfg, B, T)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.close()
	for _, tf32 := range []bool{false, true} {
		dev.SetTF32(tf32)
		for i := 0; i < warm; i++ {
			tr.step(t)
		}
		dev.Synchronize()
		s0 := dev.Stats()
		start := time.Now()
		var loss float32
		for i := 0; i < timed; i++ {
			loss = tr.step(t)
		}
		dev.Synchronize()
		el := time.Since(start)
		s1 := dev.Stats()
		per := el / time.Duration(timed)
		zeroed := (s1.Zeroed - s0.Zeroed) / int64(timed)
		t.Logf("TF32=%v: %.0f tokens/s, %v/step (loss %.4f), course 3 epochs (471 steps) ≈ %.1f s; per step %d launches, %d host waits, %.2f GB zeroed on the device, %d device allocations",
			tf32, float64(timed*B*T)/el.Seconds(), per.Round(time.Microsecond), loss, 471*per.Seconds(),
			(s1.Launches-s0.Launches)/int64(timed), (s1.Syncs-s0.Syncs)/int64(timed), float64(zeroed)/1e9, s1.Allocs-s0.Allocs)
		if s1.Allocs != s0.Allocs {
			t.Errorf("TF32=%v: %d device allocations in steady state, want 0", tf32, s1.Allocs-s0.Allocs)
		}
		if math.IsNaN(float64(loss)) {
			t.Errorf("TF32=%v: loss is NaN", tf32)
		}
	}
	dev.SetTF32(false)
}

// BenchmarkTrainStep reports tokens/s of a distilbert-base training step at
// batch 64 x 128 (go test -tags cuda -bench TrainStep -benchtime 10x).
func BenchmarkTrainStep(b *testing.B) {
	dev := gpu(b)
	const B, T = 64, 128
	tr, err := newDeviceTrainer(dev, distilbert.DefaultConfig(), B, T)
	if err != nil {
		b.Fatal(err)
	}
	defer tr.close()
	for _, tf32 := range []bool{false, true} {
		name := "fp32"
		if tf32 {
			name = "tf32"
		}
		b.Run(name, func(b *testing.B) {
			dev.SetTF32(tf32)
			tr.step(b)
			dev.Synchronize()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				tr.step(b)
			}
			dev.Synchronize()
			b.ReportMetric(float64(b.N*B*T)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
	dev.SetTF32(false)
}
