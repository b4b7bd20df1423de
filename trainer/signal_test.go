package trainer

import (
	"context"
	"testing"
	"time"

	"github.com/distilgo/distilgo/dataset"
	"github.com/distilgo/distilgo/distilbert"
	"github.com/distilgo/distilgo/internal/shareddata"
	"github.com/distilgo/distilgo/tokenizer"
)

// signalConfig is a small DistilBERT with the real BERT vocabulary.
func signalConfig() distilbert.Config {
	cfg := distilbert.DefaultConfig()
	cfg.Dim, cfg.NLayers, cfg.NHeads, cfg.HiddenDim, cfg.MaxPositionEmbeddings = 64, 2, 2, 256, 64
	return cfg
}

// A from-scratch run on real IMDB reviews learns: the validation perplexity
// of a random DistilBERT (about V = 30522, a uniform guess) falls by a
// large factor in a few hundred steps. Data: every 10th training review
// (2,500), chunks of 64 tokens.
func TestLearningSignalIMDB(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: trains for a few hundred steps")
	}
	vocab := shareddata.Path(t, "bert-base-uncased/vocab.txt")
	archive := shareddata.Path(t, "imdb/aclImdb_v1.tar.gz")
	tok, err := tokenizer.LoadVocab(vocab)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	docs, err := dataset.ReadIMDB(archive, dataset.Train)
	if err != nil {
		t.Fatal(err)
	}
	var sub []dataset.Document
	for i := 0; i < len(docs); i += 10 {
		sub = append(sub, docs[i])
	}
	chunks, err := dataset.BuildChunks(sub, tok, 64)
	if err != nil {
		t.Fatal(err)
	}
	train, test, err := dataset.SplitTrainTest(chunks, 1200, 100, 42)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("data: %d chunks from %d reviews in %v", chunks.Len(), len(sub), time.Since(start))
	m, err := distilbert.New(signalConfig(), 1)
	if err != nil {
		t.Fatal(err)
	}
	col := &dataset.Collator{MLMProbability: 0.15, Tok: tok}
	tr := &Trainer{Model: m, Train: train, Collator: col, EvalBatches: dataset.FixedMasked(test, col, 50, 42), Args: DefaultArgs()}
	a := &tr.Args
	a.OutputDir, a.Epochs, a.BatchSize, a.LR, a.WarmupSteps, a.EvalEvery, a.SaveEvery, a.LogEvery = t.TempDir(), 1, 8, 3e-3, 10, 50, 0, 50
	start = time.Now()
	sum, err := tr.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ppl []float64
	for _, r := range sum.History {
		if r.Kind == KindEval {
			ppl = append(ppl, float64(*r.Perplexity))
		}
	}
	t.Logf("%d steps in %v; validation perplexity %v", sum.Steps, time.Since(start), ppl)
	first, last := ppl[0], ppl[len(ppl)-1]
	if first < 10000 {
		t.Errorf("initial perplexity %v: a random model should be near uniform over 30522", first)
	}
	if last > first/20 {
		t.Errorf("perplexity fell from %.0f to %.0f: less than the factor 20 expected", first, last)
	}
}
