package trainer_test

import (
	"fmt"
	"log"
	"os"
	"slices"

	"github.com/distilgo/distilgo/dataset"
	"github.com/distilgo/distilgo/distilbert"
	"github.com/distilgo/distilgo/tensor"
	"github.com/distilgo/distilgo/tokenizer"
	"github.com/distilgo/distilgo/trainer"
)

// A custom training loop with the pieces the Trainer uses, as the course's
// "custom training loop" section writes it with accelerate: model,
// collator, AdamW with weight decay, linear schedule, gradient clipping,
// evaluation (perplexity), then save and reload. A tiny model on a toy
// corpus, so that it runs in a fraction of a second.
func Example_customTrainingLoop() {
	const seed, lr, batchSize, epochs = 42, 3e-3, 8, 3
	tok, err := tokenizer.Load("../distilbert/testdata/tiny-hf")
	if err != nil {
		log.Fatal(err)
	}
	var docs []dataset.Document
	for i := range 200 {
		w := []string{"great", "good", "boring", "bad"}[i%4]
		docs = append(docs, dataset.Document{Text: fmt.Sprintf("this movie was %s and the acting was %s .", w, w)})
	}
	chunks, err := dataset.BuildChunks(docs, tok, 16) // the course's group_texts
	if err != nil {
		log.Fatal(err)
	}
	train, test, err := dataset.SplitTrainTest(chunks, 96, 32, seed)
	if err != nil {
		log.Fatal(err)
	}
	col := &dataset.Collator{MLMProbability: 0.15, Tok: tok} // DataCollatorForLanguageModeling
	evalBatches := dataset.FixedMasked(test, col, batchSize, seed)

	cfg := distilbert.DefaultConfig()
	cfg.VocabSize, cfg.Dim, cfg.NLayers, cfg.NHeads, cfg.HiddenDim, cfg.MaxPositionEmbeddings = tok.VocabSize(), 32, 2, 4, 64, 16
	model, err := distilbert.New(cfg, seed)
	if err != nil {
		log.Fatal(err)
	}
	opt := trainer.NewAdamW(model.Params, trainer.DefaultAdamWConfig(0.01))
	stepsPerEpoch := train.Len() / batchSize
	sched := trainer.LinearSchedule{Total: epochs * stepsPerEpoch}

	before, err := trainer.Evaluate(model, evalBatches)
	if err != nil {
		log.Fatal(err)
	}
	tp := tensor.NewTape()
	var batch dataset.Batch
	step := 0
	for epoch := range epochs {
		order := trainer.EpochOrder(seed, epoch, train.Len())
		for s := range stepsPerEpoch {
			col.Collate(&batch, train, order[s*batchSize:(s+1)*batchSize], seed, epoch, s)
			model.Train(true) // Evaluate left it in evaluation mode
			dropoutSeed := func(micro int) uint64 { return trainer.DropoutSeed(seed, step, micro) }
			if _, err := trainer.TrainStep(model, tp, opt, sched.LR(lr, step), 1.0, []dataset.Batch{batch}, dropoutSeed); err != nil {
				log.Fatal(err)
			}
			step++
		}
	}
	after, err := trainer.Evaluate(model, evalBatches)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d steps; perplexity fell: %v\n", step, after.Perplexity < before.Perplexity/2)

	dir, err := os.MkdirTemp("", "custom-loop")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := model.SaveDir(dir); err != nil { // config.json + model.safetensors
		log.Fatal(err)
	}
	reloaded, err := distilbert.LoadDir(dir) // in evaluation mode
	if err != nil {
		log.Fatal(err)
	}
	again, err := trainer.Evaluate(reloaded, evalBatches)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("reloaded: same weights", slices.Equal(reloaded.Params.Data, model.Params.Data), "same loss", again.Loss == after.Loss)
	// Output:
	// 36 steps; perplexity fell: true
	// reloaded: same weights true same loss true
}
