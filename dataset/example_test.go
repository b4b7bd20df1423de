package dataset_test

import (
	"fmt"
	"log"

	"github.com/distilgo/distilgo/dataset"
	"github.com/distilgo/distilgo/tokenizer"
	"github.com/distilgo/distilgo/trainer"
)

// The course's data pipeline: prepare (or load from the cache) 10,000
// training and 1,000 evaluation chunks of 128 tokens, mask the evaluation
// set once, and mask a training batch per step.
func Example() {
	tok, err := tokenizer.LoadVocab("../shared/data/bert-base-uncased/vocab.txt")
	if err != nil {
		log.Fatal(err)
	}
	opt := dataset.CourseOptions("../shared/data/imdb/aclImdb_v1.tar.gz", tok, "cache")
	train, test, err := dataset.Prepare(opt)
	if err != nil {
		log.Fatal(err)
	}
	col := &dataset.Collator{MLMProbability: 0.15, Tok: tok}
	eval := dataset.FixedMasked(test, col, 64, 42)
	if err := dataset.WriteMaskedJSONL("eval.jsonl", eval); err != nil {
		log.Fatal(err)
	}

	const B, epoch = 64, 0
	order := trainer.EpochOrder(42, epoch, train.Len()) // the order finetune visits
	var batch dataset.Batch                             // reused: no allocation per step
	for step := 0; (step+1)*B <= len(order); step++ {
		col.Collate(&batch, train, order[step*B:(step+1)*B], 42, epoch, step)
		// ... forward batch.InputIDs, batch.AttentionMask; loss on batch.Labels
	}
	fmt.Println(batch.B, batch.T)
}
