package trainer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/distilgo/distilgo/dataset"
	"github.com/distilgo/distilgo/distributed"
	"github.com/distilgo/distilgo/tensor"
)

// run is one call of Trainer.Run: the loop's state between its methods.
type run struct {
	t     *Trainer
	a     Args
	obs   Observer
	dev   Device
	comm  distributed.Comm
	rank0 bool

	// n training chunks of B per micro-batch, k micro-batches per step
	// over all ranks (see ddp.go), nMicro per epoch; perEpoch steps per
	// epoch, total in the run over epochs epochs.
	n, B, k, nMicro         int
	perEpoch, total, epochs int
	sched                   Schedule
	opt                     *AdamW
	st                      *State
	sum                     Summary
	logf                    *logFile

	tp, evalTp *tensor.Tape // training and evaluation tapes on dev
	batches    []dataset.Batch
	order      []int
	orderEpoch int
	lr         float64 // of the last step

	// Times: the run's start and the elapsed time of the runs it resumes;
	// this session's steps; the current logging window.
	start        time.Time
	baseElapsed  float64
	sessionStart time.Time
	sessionSteps int
	winStart     time.Time
	winTokens    int
	lastSaved    int // step of the newest checkpoint, -1: none
	lastEval     int // step of the newest evaluation, -1: none
}

// start validates the trainer, prepares the output directory, plans the
// run, resumes if asked and puts the model and optimizer on the device.
func (t *Trainer) start() (*run, error) {
	r, err := t.newRun()
	if err != nil {
		return nil, err
	}
	if err := r.prepareOutput(); err != nil {
		return nil, err
	}
	if err := r.plan(); err != nil {
		return nil, err
	}
	if r.a.Resume {
		if err := r.resume(); err != nil {
			return nil, err
		}
	}
	if err := r.begin(); err != nil {
		return nil, err
	}
	return r, nil
}

// newRun checks the trainer's inputs and its device.
func (t *Trainer) newRun() (*run, error) {
	a := t.Args
	if err := a.validate(); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if t.Train.Len() == 0 {
		return nil, errors.New("train: no training chunks")
	}
	if len(t.EvalBatches) == 0 {
		return nil, errors.New("train: no evaluation batches")
	}
	r := &run{t: t, a: a, obs: t.Observer, dev: t.Device, comm: t.comm(), lastSaved: -1, lastEval: -1, orderEpoch: -1}
	if r.obs == nil {
		r.obs = silent{}
	}
	if r.dev == nil {
		r.dev = CPU
	}
	r.rank0 = r.comm.Rank() == 0
	if r.comm.Size() > 1 && r.dev != CPU {
		return nil, fmt.Errorf("train: data-parallel training (%d ranks) runs on the CPU only, not on device %s", r.comm.Size(), r.dev.Name())
	}
	if a.Precision != "" {
		p, _ := tensor.ParsePrecision(a.Precision) // validated
		t.Model.Precision = p
	}
	if _, err := tensor.WithPrecision(tapeDevice(r.dev), t.Model.Precision); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return r, nil
}

// prepareOutput creates the output directory and removes the temporary
// directories of interrupted saves (rank 0; the others wait for it).
func (r *run) prepareOutput() error {
	out := r.a.OutputDir
	if r.rank0 {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return fmt.Errorf("train: %w", err)
		}
		if err := removeStale(out); err != nil {
			return fmt.Errorf("train: clean %s: %w", out, err)
		}
	}
	if err := r.comm.Barrier(); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return nil
}

// plan sizes the run (steps per epoch, total, schedule) and creates the
// optimizer and the state of a run at step 0.
func (r *run) plan() error {
	t, a := r.t, r.a
	r.n, r.B, r.k = t.Train.Len(), a.BatchSize, a.GradAccum*r.comm.Size()
	r.nMicro = (r.n + r.B - 1) / r.B
	r.perEpoch = (r.nMicro + r.k - 1) / r.k
	r.total = a.Epochs * r.perEpoch
	if a.MaxSteps > 0 {
		r.total = a.MaxSteps
	}
	r.epochs = (r.total + r.perEpoch - 1) / r.perEpoch
	var err error
	if r.sched, err = a.schedule(r.total); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	r.opt = NewAdamW(t.Model.Params, AdamWConfig{Beta1: a.Beta1, Beta2: a.Beta2, Eps: a.Eps, WeightDecay: a.WeightDecay})
	r.opt.Device = r.dev
	r.st = &State{Format: stateFormat, StepsPerEpoch: r.perEpoch, TotalSteps: r.total,
		Args: a.Trajectory.recorded(r.comm.Size(), t.Model.Precision), Data: identifyData(t.Train, t.EvalBatches)}
	return nil
}

// begin checks that the ranks start together, uploads the parameters and
// moments to the device, opens the log (rank 0) and makes the tapes.
func (r *run) begin() error {
	if err := syncStart(r.comm, r.t.Model, r.opt, r.st); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	r.opt.ToDevice()
	if r.rank0 {
		var err error
		if r.logf, err = openLog(filepath.Join(r.a.OutputDir, LogFileName), r.st.LogHistory); err != nil {
			return fmt.Errorf("train: %w", err)
		}
	}
	r.tp = tensor.NewTape()
	r.tp.SetDevice(tapeDevice(r.dev))
	r.evalTp = tensor.NewNoGradTape()
	r.evalTp.SetDevice(tapeDevice(r.dev))
	r.batches = make([]dataset.Batch, r.k)
	for _, rec := range r.st.LogHistory {
		if rec.Kind == KindEval {
			r.lastEval = rec.Step
		}
	}
	r.start, r.baseElapsed = time.Now(), r.st.ElapsedSec
	return nil
}

// resume restores the newest (or the chosen) checkpoint.
func (r *run) resume() error {
	dir, skipped, err := r.a.resumeCheckpoint(r.a.OutputDir)
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	for _, e := range skipped {
		r.obs.Printf("warning: ignoring invalid checkpoint: %v", e)
	}
	if dir == "" {
		return fmt.Errorf("resume: no valid checkpoint in %s: nothing to resume; pass --overwrite instead of --resume to start the run again", r.a.OutputDir)
	}
	if r.st, err = r.t.restore(dir, r.opt, r.st); err != nil {
		return fmt.Errorf("resume from %s: %w", dir, err)
	}
	r.sum.ResumedFrom, r.lastSaved = dir, r.st.GlobalStep
	if r.st.GlobalStep >= r.total {
		r.obs.Printf("Resuming from %s: the run is already finished (step %d of %d, epoch %d of %d); nothing to train", dir, r.st.GlobalStep, r.total, r.epochs, r.epochs)
	} else {
		r.obs.Printf("Resuming from %s (step %d of %d, epoch %d)", dir, r.st.GlobalStep, r.total, r.st.Epoch+1)
	}
	return nil
}

func (r *run) close() {
	r.opt.ToHost()
	if r.logf != nil {
		r.logf.close()
	}
}

// record appends a log record to the history and log.jsonl.
func (r *run) record(rec Record) error {
	r.st.LogHistory = append(r.st.LogHistory, rec)
	if r.logf == nil {
		return nil
	}
	return r.logf.append(rec)
}

func (r *run) elapsed() float64 { return r.baseElapsed + time.Since(r.start).Seconds() }
func (r *run) epoch() float64   { return float64(r.st.GlobalStep) / float64(r.perEpoch) }

// evaluate runs and logs an evaluation that stops early (with ctx's error)
// when ctx is cancelled (one process only: ranks evaluate in step and
// without a progress line).
func (r *run) evaluate(ctx context.Context) (EvalResult, error) {
	var (
		res EvalResult
		err error
	)
	if r.comm.Size() > 1 {
		res, err = evaluateShared(r.comm, r.t.Model, r.t.EvalBatches)
	} else {
		res, err = evaluateOn(ctx, r.evalTp, r.t.Model, r.t.EvalBatches, r.obs.Evaluating(len(r.t.EvalBatches)))
	}
	if err != nil {
		return res, err
	}
	r.sum.Final, r.lastEval = res, r.st.GlobalStep
	err = r.record(Record{Kind: KindEval, Step: r.st.GlobalStep, Epoch: r.epoch(),
		EvalLoss: fptr(res.Loss), EvalTokenLoss: fptr(res.TokenLoss), Perplexity: fptr(res.Perplexity), EvalTokens: res.Tokens,
		ElapsedSec: r.elapsed()})
	return res, err
}

// evaluateFirst evaluates before the first step of a new run, then starts
// the session's clocks (speed and ETA leave the evaluation out).
func (r *run) evaluateFirst(ctx context.Context) error {
	defer func() { r.sessionStart, r.winStart = time.Now(), time.Now() }()
	if r.st.GlobalStep != 0 || len(r.st.LogHistory) != 0 || r.a.SkipInitialEval {
		return nil
	}
	r.obs.Printf("Evaluating before training (%d batches)", len(r.t.EvalBatches))
	res, err := r.evaluate(ctx)
	switch {
	case err != nil && ctx.Err() != nil:
		// Interrupted: the loop stops at once, before a step.
		return nil
	case err != nil:
		return fmt.Errorf("train: evaluation before training: %w", err)
	}
	r.obs.Printf("Before training: eval loss %.4f, perplexity %.2f (%d masked tokens)", res.Loss, res.Perplexity, res.Tokens)
	return nil
}

// save writes a checkpoint of the current step (rank 0; the others only
// note it), prunes old ones and tells the observer and OnSave.
func (r *run) save() error {
	if !r.rank0 {
		r.lastSaved = r.st.GlobalStep
		return nil
	}
	r.st.ElapsedSec = r.elapsed()
	if r.opt.onDevice {
		r.opt.ToHost()
		defer r.opt.ToDevice()
	}
	dir, err := SaveCheckpoint(r.a.OutputDir, r.t.Model, r.opt, r.st)
	if err != nil {
		return err
	}
	r.lastSaved = r.st.GlobalStep
	if err := r.t.writeCheckpointFiles(dir); err != nil {
		return err
	}
	if err := pruneCheckpoints(r.a.OutputDir, r.a.KeepCheckpoints, r.st.GlobalStep); err != nil {
		r.obs.Printf("warning: %v", err)
	}
	r.obs.Saved(dir, r.st.LogHistory)
	r.obs.Printf("Saved %s", dir)
	if r.t.OnSave != nil {
		r.t.OnSave(dir, r.st.GlobalStep, r.st.LogHistory)
	}
	return nil
}

// stopIfAsked checkpoints and returns ErrInterrupted once ctx is cancelled
// (on any rank).
func (r *run) stopIfAsked(ctx context.Context) error {
	err := stopRequested(ctx, r.comm)
	if err == nil {
		return nil
	}
	if r.lastSaved != r.st.GlobalStep {
		if serr := r.save(); serr != nil {
			return fmt.Errorf("%w at step %d: %v; saving failed: %v", ErrInterrupted, r.st.GlobalStep, err, serr)
		}
	}
	r.obs.Done()
	return fmt.Errorf("%w at step %d (%v); continue with --resume", ErrInterrupted, r.st.GlobalStep, err)
}

// step collates this rank's micro-batches of the next step and runs it.
func (r *run) step() (StepResult, error) {
	st, a := r.st, r.a
	if r.orderEpoch != st.Epoch {
		r.order, r.orderEpoch = EpochOrder(a.Seed, st.Epoch, r.n), st.Epoch
	}
	m0 := st.EpochStep * r.k
	m1 := min(m0+r.k, r.nMicro)
	mine := shardMicro(m0, m1, r.comm.Rank(), r.comm.Size())
	for i, j := range mine {
		r.t.Collator.Collate(&r.batches[i], r.t.Train, r.order[j*r.B:min((j+1)*r.B, r.n)], a.Seed, st.Epoch, j)
	}
	r.t.Model.Train(true)
	step := st.GlobalStep
	r.lr = a.LR * r.sched.Factor(step)
	seed := func(i int) uint64 { return DropoutSeed(a.Seed, step, mine[i]-m0) }
	var (
		res StepResult
		err error
	)
	if r.comm.Size() == 1 {
		res, err = TrainStep(r.t.Model, r.tp, r.opt, r.lr, a.MaxGradNorm, r.batches[:len(mine)], seed)
	} else {
		res, err = DataParallelStep(r.comm, r.t.Model, r.tp, r.opt, r.lr, a.MaxGradNorm, r.batches[:len(mine)], seed)
	}
	if err != nil {
		return res, r.t.stepError(step+1, err, r.lastSaved)
	}
	return res, nil
}

// account books a finished step: counters, progress, logs, the epoch's
// end, evaluation and checkpoint.
func (r *run) account(res StepResult) error {
	st := r.st
	st.GlobalStep++
	st.EpochStep++
	if res.Labels > 0 { // a step without masked tokens says nothing about the loss
		st.EpochLossSum += res.Loss
		st.EpochLossSteps++
		st.LogLossSum += res.Loss
		st.LogLossSteps++
	}
	st.TokensSeen += int64(res.Tokens)
	r.sessionSteps++
	r.winTokens += res.Tokens
	if r.t.OnStep != nil {
		r.t.OnStep(st.GlobalStep, res.Loss)
	}
	tokPerSec := float64(r.winTokens) / time.Since(r.winStart).Seconds()
	r.obs.Stepped(Status{Step: st.GlobalStep, Total: r.total, Epoch: r.epoch(), Epochs: r.epochs, Loss: res.Loss, LR: r.lr, TokensPerSec: tokPerSec, ETA: r.eta()})

	if r.a.LogEvery > 0 && st.GlobalStep%r.a.LogEvery == 0 {
		if err := r.logTrain(res.GradNorm, tokPerSec); err != nil {
			return err
		}
	}
	epochEnd := st.EpochStep == r.perEpoch || st.GlobalStep == r.total
	if epochEnd {
		if err := r.record(Record{Kind: KindEpoch, Step: st.GlobalStep, Epoch: r.epoch(), Loss: meanOf(st.EpochLossSum, st.EpochLossSteps), ElapsedSec: r.elapsed()}); err != nil {
			return fmt.Errorf("train: %w", err)
		}
	}
	if r.a.evalAt(st.GlobalStep, r.total, epochEnd) {
		// Not interruptible: the step's bookkeeping follows, and the
		// interrupt is taken at the next step.
		res, err := r.evaluate(context.Background())
		if err != nil {
			return fmt.Errorf("train: evaluation at step %d: %w", st.GlobalStep, err)
		}
		if !epochEnd {
			r.obs.Printf("step %d/%d: eval loss %.4f, perplexity %.2f", st.GlobalStep, r.total, res.Loss, res.Perplexity)
		}
	}
	if epochEnd {
		r.endEpoch()
	}
	if r.a.saveAt(st.GlobalStep, epochEnd) {
		if err := r.save(); err != nil {
			return fmt.Errorf("train: step %d: %w", st.GlobalStep, err)
		}
	}
	return nil
}

// eta estimates the time left from this session's steps (< 0: unknown).
func (r *run) eta() time.Duration {
	stepsPerSec := float64(r.sessionSteps) / time.Since(r.sessionStart).Seconds()
	if stepsPerSec > 0 {
		return time.Duration(float64(r.total-r.st.GlobalStep) / stepsPerSec * float64(time.Second))
	}
	return -1
}

// logTrain writes a train record and starts a new logging window.
func (r *run) logTrain(gradNorm, tokPerSec float64) error {
	st := r.st
	rec := Record{Kind: KindTrain, Step: st.GlobalStep, Epoch: r.epoch(), Loss: meanOf(st.LogLossSum, st.LogLossSteps),
		LearningRate: fptr(r.lr), GradNorm: fptr(gradNorm), TokensPerSec: fptr(tokPerSec), ElapsedSec: r.elapsed()}
	if err := r.record(rec); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	st.LogLossSum, st.LogLossSteps = 0, 0
	r.winStart, r.winTokens = time.Now(), 0
	return nil
}

// endEpoch prints the epoch's line and moves the data position to the
// next epoch.
func (r *run) endEpoch() {
	st := r.st
	line := fmt.Sprintf("epoch %d/%d (step %d/%d)", st.Epoch+1, r.epochs, st.GlobalStep, r.total)
	if st.EpochLossSteps > 0 {
		line += fmt.Sprintf(": training loss %.4f", st.EpochLossSum/float64(st.EpochLossSteps))
	}
	if r.lastEval == st.GlobalStep {
		line += fmt.Sprintf(", validation loss %.4f, perplexity %.2f", r.sum.Final.Loss, r.sum.Final.Perplexity)
	}
	r.obs.Printf("%s", line)
	st.Epoch++
	st.EpochStep, st.EpochLossSum, st.EpochLossSteps = 0, 0, 0
}

// finish saves the final model (rank 0) and returns the summary.
func (r *run) finish() (*Summary, error) {
	r.obs.Done()
	st := r.st
	if r.sum.Final.Batches == 0 {
		// Resumed at the end of a finished run: report its last evaluation.
		for _, rec := range st.LogHistory {
			if rec.Kind == KindEval && rec.EvalLoss != nil && rec.EvalTokenLoss != nil && rec.Perplexity != nil {
				r.sum.Final = EvalResult{Loss: float64(*rec.EvalLoss), TokenLoss: float64(*rec.EvalTokenLoss), Perplexity: float64(*rec.Perplexity), Tokens: rec.EvalTokens}
			}
		}
	}
	r.opt.ToHost()
	if r.rank0 {
		if err := r.t.Model.SaveDir(r.a.OutputDir); err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		r.obs.Saved(r.a.OutputDir, st.LogHistory)
	}
	r.sum.Steps = st.GlobalStep
	r.sum.History = st.LogHistory
	r.sum.Epochs = EpochTable(st.LogHistory)
	return &r.sum, nil
}
