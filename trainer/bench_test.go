package trainer

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/distilgo/distilgo/dataset"
	"github.com/distilgo/distilgo/distilbert"
	"github.com/distilgo/distilgo/kernels"
	"github.com/distilgo/distilgo/tensor"
)

// bertTok has BERT's vocabulary size and special ids ([PAD] 0, [UNK] 100,
// [CLS] 101, [SEP] 102, [MASK] 103).
type bertTok struct{ tinyTok }

func (bertTok) VocabSize() int          { return 30522 }
func (bertTok) IsSpecial(id int32) bool { return id == 0 || (id >= 100 && id <= 103) }
func (bertTok) MaskID() int32           { return 103 }
func (bertTok) VocabHash() [32]byte     { return sha256.Sum256([]byte("bert")) }

// BenchmarkTrainStep measures one optimizer step (forward, backward,
// clipping, AdamW) of distilbert-base-uncased on B chunks of 128 tokens with
// 15% masking and dropout on, the course's setting at B=64:
//
//	go test -run '^$' -bench 'TrainStep/B=64' -benchtime 3x ./trainer/
func BenchmarkTrainStep(b *testing.B) {
	for _, B := range []int{8, 64} {
		b.Run(fmt.Sprintf("base/B=%d", B), func(b *testing.B) {
			const T = 128
			m, err := distilbert.New(distilbert.DefaultConfig(), 1)
			if err != nil {
				b.Fatal(err)
			}
			r := rand.New(rand.NewPCG(1, 2))
			c := &dataset.Chunks{ChunkSize: T, IDs: make([]int32, B*T), WordIDs: make([]int32, B*T)}
			for i := range c.IDs {
				c.IDs[i], c.WordIDs[i] = int32(1000+r.IntN(29000)), int32(i%T)
			}
			idx := make([]int, B)
			for i := range idx {
				idx[i] = i
			}
			batch := make([]dataset.Batch, 1)
			(&dataset.Collator{MLMProbability: 0.15, Tok: bertTok{}}).Collate(&batch[0], c, idx, 42, 0, 0)
			opt := NewAdamW(m.Params, DefaultAdamWConfig(0.01))
			tp := tensor.NewTape()
			m.Train(true)
			step := 0
			for b.Loop() {
				if _, err := TrainStep(m, tp, opt, 2e-5, 1, batch, func(int) uint64 { return uint64(step) }); err != nil {
					b.Fatal(err)
				}
				step++
			}
			b.Logf("kernels %s, %d threads", kernels.Level(), kernels.Threads())
			b.ReportMetric(float64(step)/b.Elapsed().Seconds(), "steps/s")
			b.ReportMetric(float64(step*B*T)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}
