package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/distilgo/distilgo/dataset"
	"github.com/distilgo/distilgo/internal/progress"
	"github.com/distilgo/distilgo/kernels"
	"github.com/distilgo/distilgo/trainer"
)

func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs, f := newTrainFlags(stderr)
	if err := parseTrain(fs, f, args, func(msg string) { fmt.Fprintln(stderr, msg) }); err != nil {
		return err
	}
	if err := f.check(); err != nil {
		return err
	}
	if err := f.push.check(); err != nil {
		return err
	}
	a := &f.args
	if a.BatchSize < 1 {
		return fmt.Errorf("--batch-size %d must be positive", a.BatchSize)
	}
	if !f.doTrain {
		return evalOnly(ctx, f, stdout, stderr)
	}
	if f.trainSize < 1 {
		return fmt.Errorf("--train-size %d must be positive", f.trainSize)
	}
	dev, err := openDevice(f.device, f.ddp)
	if err != nil {
		return err
	}
	if dev != nil {
		defer dev.Close()
	}
	comm, err := startComm(f.ddp)
	if err != nil {
		return err
	}
	defer func() { err = finishComm(comm, err, stderr) }()
	rank0 := comm.Rank() == 0
	if !rank0 {
		stdout = io.Discard // rank 0 speaks for the job
	}
	// Refuse before any download or preprocessing; rank 0 holds the
	// directory until the run ends.
	if rank0 {
		resume := a.Resume
		if _, err := os.Stat(a.OutputDir); err != nil && a.ResumeFrom != "" {
			resume = false // a checkpoint continued into a new directory
		}
		lock, err := trainer.LockOutputDir(a.OutputDir, f.overwrite, resume)
		if err != nil {
			return err
		}
		defer lock.Release()
	}
	p := progress.New(stdout)
	setRankThreads(f.threads, comm, p.Printf)
	logf := func(format string, args ...any) { p.Printf(format, args...) }
	logf("finetune: %s on %s, output in %s", f.model, f.data, a.OutputDir)
	var target *hubTarget
	if f.push.enabled && rank0 {
		// Before any download or preprocessing, as Trainer creates the
		// repository at start-up: a bad token fails now, not after training.
		var err error
		if target, err = setupHub(ctx, f.push.modelID, a.OutputDir, f.push.private, f.push.token); err != nil {
			return err
		}
		logf("Pushing to %s (strategy %s)", target.url, f.push.strategy)
	}

	m, modelDir, err := loadModel(ctx, f.model, f.seed, logf)
	if err != nil {
		return err
	}
	a.Precision = precisionOf(f.bf16) // recorded in checkpoints: a resume must match it
	if err := setPrecision(m, "--bf16", a.Precision, logf); err != nil {
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
	evalBatches := dataset.FixedMasked(test, col, f.evalBatchSize, f.seed)
	// The run's arguments and tokenizer go into the output directory and
	// every checkpoint, so that each of them evaluates and reproduces alone.
	files, err := tokenizerFiles(tokSrc)
	if err != nil {
		return err
	}
	if files[RunArgsName], err = runArgsJSON(fs); err != nil {
		return err
	}
	if files[TrainingArgsName], err = trainingArgsJSON(f, time.Now()); err != nil {
		return err
	}
	if rank0 {
		if err := os.MkdirAll(a.OutputDir, 0o755); err != nil {
			return err
		}
		if err := writeFiles(a.OutputDir, map[string][]byte{RunArgsName: files[RunArgsName], TrainingArgsName: files[TrainingArgsName]}); err != nil {
			return err
		}
	}

	logf("Model %s: %d layers, dim %d, %s parameters; %d training and %d evaluation chunks of %d tokens; %d threads",
		f.model, m.Config.NLayers, m.Config.Dim, groupDigits(m.Params.Len()), train.Len(), test.Len(), train.ChunkSize, kernels.Threads())
	if comm.Size() > 1 {
		logf("Data-parallel over %d ranks: global batch %d x %d x %d (ranks x --batch-size x --grad-accum) chunks", comm.Size(), comm.Size(), a.BatchSize, a.GradAccum)
	}
	tr := &trainer.Trainer{Model: m, Train: train, Collator: col, EvalBatches: evalBatches, Args: *a, Observer: display{p, a.OutputDir}, CheckpointFiles: files, Comm: comm}
	if dev != nil {
		logf("Training on %s", dev.Info().Name)
		tr.Device = dev
	}
	info := newCardInfo(f, "")
	var pr *pushRun
	if target != nil {
		info = newCardInfo(f, target.repoID)
		pr = newPushRun(target, f.push.strategy, a.OutputDir, tokSrc, info, logf)
		tr.OnSave, tr.OnStep = pr.onSave, pr.onStep
		defer pr.abort() // no-op after finish
	}
	start := time.Now()
	sum, err := tr.Run(ctx)
	if err != nil {
		return err
	}
	if !rank0 {
		return nil
	}
	if err := writeFiles(a.OutputDir, files); err != nil {
		return err
	}
	if err := writeCard(a.OutputDir, info.card(sum.History)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\n%s\n", trainer.FormatEpochTable(sum.Epochs))
	fmt.Fprintf(stdout, "Final perplexity %.2f (eval loss %.4f; token-weighted %.4f over %d masked tokens) after %d steps in %s.\n",
		sum.Final.Perplexity, sum.Final.Loss, sum.Final.TokenLoss, sum.Final.Tokens, sum.Steps, time.Since(start).Round(time.Second))
	fmt.Fprintf(stdout, "Model saved to %s (try: go run ./cmd/fillmask --model %s \"This is a great [MASK].\")\n", a.OutputDir, a.OutputDir)
	if pr != nil {
		if err := pr.finish(ctx); err != nil {
			return fmt.Errorf("%w; the model is saved in %s: push it again with `finetune push --model %s --hub-model-id %s`", err, a.OutputDir, a.OutputDir, target.repoID)
		}
	}
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
