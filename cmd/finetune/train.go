package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/distilgo/distilgo/dataset"
	"github.com/distilgo/distilgo/kernels"
	"github.com/distilgo/distilgo/trainer"
)

func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, f := newTrainFlags(stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := f.check(); err != nil {
		return err
	}
	a := &f.args
	a.BatchSize, a.Seed, a.MLMProbability, a.WholeWord = f.batchSize, f.seed, f.mlmProbability, f.wholeWord
	if f.trainSize < 1 {
		return fmt.Errorf("--train-size %d must be positive", f.trainSize)
	}
	// Refuse before any download or preprocessing.
	if err := trainer.PrepareOutputDir(a.OutputDir, f.overwrite, a.Resume); err != nil {
		return err
	}
	setThreads(f.threads)
	p := trainer.NewProgress(stdout)
	logf := func(format string, args ...any) { p.Printf(format, args...) }

	m, modelDir, err := loadModel(ctx, f.model, f.seed, logf)
	if err != nil {
		return err
	}
	if err := setPrecision(m, "--bf16", precisionOf(f.bf16), logf); err != nil {
		return err
	}
	tok, tokSrc, err := loadTokenizer(ctx, modelDir, f.vocab, logf)
	if err != nil {
		return err
	}
	if tok.VocabSize() != m.Config.VocabSize {
		return fmt.Errorf("tokenizer %s has %d tokens, the model's vocab_size is %d", tokSrc.vocab, tok.VocabSize(), m.Config.VocabSize)
	}
	source, err := resolveData(ctx, f.data, logf)
	if err != nil {
		return err
	}
	train, test, err := prepare(f.dataFlags, source, tok, m.Config.MaxPositionEmbeddings, logf)
	if err != nil {
		return err
	}
	col := &dataset.Collator{MLMProbability: f.mlmProbability, WholeWord: f.wholeWord, Tok: tok}
	evalBatches := dataset.FixedMasked(test, col, f.batchSize, f.seed)

	logf("Model %s: %d layers, dim %d, %s parameters; %d training and %d evaluation chunks of %d tokens; %d threads",
		f.model, m.Config.NLayers, m.Config.Dim, groupDigits(m.Params.Len()), train.Len(), test.Len(), train.ChunkSize, kernels.Threads())
	tr := &trainer.Trainer{Model: m, Train: train, Collator: col, EvalBatches: evalBatches, Args: *a, Progress: p}
	start := time.Now()
	sum, err := tr.Run(ctx)
	if err != nil {
		return err
	}
	if err := writeTokenizerFiles(a.OutputDir, tokSrc); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\n%s\n", trainer.FormatEpochTable(sum.Epochs))
	fmt.Fprintf(stdout, "Final perplexity %.2f (eval loss %.4f; token-weighted %.4f over %d masked tokens) after %d steps in %s.\n",
		sum.Final.Perplexity, sum.Final.Loss, sum.Final.TokenLoss, sum.Final.Tokens, sum.Steps, time.Since(start).Round(time.Second))
	fmt.Fprintf(stdout, "Model saved to %s (try: go run ./cmd/fillmask --model %s \"This is a great [MASK].\")\n", a.OutputDir, a.OutputDir)
	return nil
}

// prepare reads, tokenizes, chunks and splits the data as the course does.
func prepare(d dataFlags, source string, tok dataset.Tokenizer, maxPos int, logf func(string, ...any)) (train, test *dataset.Chunks, err error) {
	opt := dataset.CourseOptions(source, tok, d.cacheDir)
	opt.ChunkSize, opt.MaxPositions = d.chunkSize, maxPos
	opt.TrainSize, opt.TestSize, opt.Seed = d.trainSize, d.testSize, d.seed
	opt.Logf = logf
	train, test, err = dataset.Prepare(opt)
	if err != nil {
		return nil, nil, fmt.Errorf("prepare data %s: %w", source, err)
	}
	return train, test, nil
}

func setThreads(n int) {
	if n == 0 {
		n = runtime.NumCPU()
	}
	kernels.SetThreads(n)
}

// groupDigits prints n with thousands separators.
func groupDigits(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
