package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/distilgo/distilgo/hub"
	"github.com/distilgo/distilgo/internal/dirlock"
	"github.com/distilgo/distilgo/internal/lossplot"
	"github.com/distilgo/distilgo/trainer"
)

// Hub strategies, as TrainingArguments' hub_strategy.
const (
	strategyEnd        = "end"        // push the final model and card
	strategyEverySave  = "every_save" // also push the model at each save, in the background
	strategyCheckpoint = "checkpoint" // also push the latest checkpoint as last-checkpoint/
)

// lastCheckpointDir is where the checkpoint strategy puts the latest
// checkpoint in the repository (Trainer's name).
const lastCheckpointDir = "last-checkpoint"

// stagingPrefix starts the names of the folders, inside the output
// directory, that hold what a background push sends. Trainer's pushes
// ignore "_*" in the output directory; so does ours.
const stagingPrefix = "_hub-staging-"

// pushIgnore are the output directory's files a push leaves out (Trainer's
// ignore_patterns, plus the trainer's temporary checkpoint folders and the
// run's lock file).
var pushIgnore = []string{"_*", trainer.CheckpointPrefix + "*", "." + trainer.CheckpointPrefix + "*", dirlock.FileName}

// pushFlags are the Hub flags of the train command (TrainingArguments'
// push_to_hub, hub_model_id, hub_private_repo, hub_strategy, hub_token).
type pushFlags struct {
	enabled  bool
	modelID  string
	private  bool
	strategy string
	token    string
}

func (p *pushFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&p.enabled, "push-to-hub", false, "push the model and its card (README.md) to the Hugging Face Hub (token: --hub-token, $HF_TOKEN or the token file of huggingface-cli login)")
	fs.StringVar(&p.modelID, "hub-model-id", "", "repository to push to, \"user/name\" or \"org/name\" (default: the --output-dir's name under the token's user)")
	fs.BoolVar(&p.private, "hub-private", false, "create the repository private (an existing repository keeps its visibility)")
	fs.StringVar(&p.strategy, "hub-strategy", strategyEnd, "what is pushed: end (the final model), every_save (also the model at each save, in the background) or checkpoint (also the latest checkpoint as last-checkpoint/, to resume elsewhere)")
	fs.StringVar(&p.token, "hub-token", "", "Hub token with write access (default: $HF_TOKEN, else the token file of huggingface-cli login, $HF_HOME/token)")
}

func (p *pushFlags) check() error {
	switch p.strategy {
	case strategyEnd, strategyEverySave, strategyCheckpoint:
		return nil
	}
	return fmt.Errorf("--hub-strategy %q: want end, every_save or checkpoint", p.strategy)
}

// hubOptions are the Hub options of the environment, with the token of
// --hub-token when given.
func hubOptions(token string) hub.Options {
	opt := hub.DefaultOptions()
	if token != "" {
		opt.Token = token
	}
	return opt
}

// hubTarget is the repository pushed to.
type hubTarget struct {
	repoID string
	url    string
	opt    hub.Options
}

// setupHub finds the repository id (the token's user when modelID has no
// namespace; the output directory's name when modelID is empty) and
// creates the repository if needed, as Trainer does at start-up, so that a
// bad token fails before the training, not after.
func setupHub(ctx context.Context, modelID, dir string, private bool, token string) (*hubTarget, error) {
	opt := hubOptions(token)
	if opt.Token == "" {
		return nil, errors.New("pushing to the Hub needs a token with write access: set HF_TOKEN, pass --hub-token, or run `huggingface-cli login`")
	}
	if opt.Offline {
		return nil, errors.New("pushing to the Hub is impossible in offline mode (HF_HUB_OFFLINE is set)")
	}
	id, what := modelID, "--hub-model-id "+modelID
	if id == "" {
		id = cardModelName("", dir)
		what = "repository " + id + " (the output directory's name; --hub-model-id names another)"
	}
	full, err := hub.FullRepoID(ctx, id, opt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	url, err := hub.CreateRepo(ctx, full, private, opt)
	if err != nil {
		return nil, err
	}
	return &hubTarget{repoID: full, url: url, opt: opt}, nil
}

// uploadOptions returns the options of one upload.
func (t *hubTarget) uploadOptions(msg string, logf func(string, ...any)) hub.UploadOptions {
	return hub.UploadOptions{Options: t.opt, CommitMessage: msg, Logf: logf}
}

// pushRun pushes a training run: in the background at each save
// (every_save, checkpoint), and at the end.
type pushRun struct {
	target   *hubTarget
	strategy string
	out      string
	tok      tokenizerSource
	info     cardInfo
	logf     func(string, ...any)
	bg       *bgPusher // nil for the end strategy

	// The background pusher's messages wait here until the training
	// goroutine prints them (drain): the progress printer is not safe for
	// concurrent use.
	mu   sync.Mutex
	msgs []string
}

func newPushRun(target *hubTarget, strategy, out string, tok tokenizerSource, info cardInfo, logf func(string, ...any)) *pushRun {
	// Staging folders left by a run that crashed mid-push.
	if stale, _ := filepath.Glob(filepath.Join(out, stagingPrefix+"*")); len(stale) > 0 {
		for _, d := range stale {
			os.RemoveAll(d)
		}
	}
	r := &pushRun{target: target, strategy: strategy, out: out, tok: tok, info: info, logf: logf}
	if strategy != strategyEnd {
		r.bg = newBGPusher(r.pushStaged, r.bgLogf)
	}
	return r
}

func (r *pushRun) bgLogf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

// drain prints the background pusher's messages; it is the trainer's
// OnStep hook, and runs on the training goroutine.
func (r *pushRun) drain() {
	r.mu.Lock()
	msgs := r.msgs
	r.msgs = nil
	r.mu.Unlock()
	for _, m := range msgs {
		r.logf("%s", m)
	}
}

func (r *pushRun) onStep(int, float64) { r.drain() }

// onSave is the trainer's OnSave hook: it stages the save and hands it to
// the background pusher. It runs on the training goroutine; staging makes
// hard links (or, across file systems, copies) of the checkpoint files so
// that a later prune of the checkpoint cannot pull them from under the
// push.
func (r *pushRun) onSave(ckpt string, step int, history []trainer.Record) {
	if r.bg == nil {
		return
	}
	r.drain()
	job, err := r.stage(ckpt, step, history)
	if err != nil {
		r.logf("warning: cannot prepare the push of step %d: %v (training continues)", step, err)
		return
	}
	r.bg.submit(job)
}

// stage builds, in a folder of the output directory, what a push at this
// save sends: the checkpoint's model with the tokenizer files, the log,
// the plot and the card at the root, and with the checkpoint strategy the
// whole checkpoint under last-checkpoint/.
func (r *pushRun) stage(ckpt string, step int, history []trainer.Record) (*pushJob, error) {
	dir, err := os.MkdirTemp(r.out, fmt.Sprintf("%s%d-", stagingPrefix, step))
	if err != nil {
		return nil, err
	}
	job := &pushJob{step: step, staging: dir, message: fmt.Sprintf("Training in progress, step %d", step)}
	fail := func(err error) (*pushJob, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	root := filepath.Join(dir, "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		return fail(err)
	}
	for _, name := range []string{"config.json", "model.safetensors"} {
		if err := linkOrCopy(filepath.Join(ckpt, name), filepath.Join(root, name)); err != nil {
			return fail(err)
		}
	}
	for _, name := range []string{trainer.LogFileName, lossplot.FileName} {
		// log.jsonl grows in place: copy it. A missing plot is fine.
		if err := copyFile(filepath.Join(r.out, name), filepath.Join(root, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fail(err)
		}
	}
	tokFiles, err := tokenizerFiles(r.tok)
	if err != nil {
		return fail(err)
	}
	if err := writeFiles(root, tokFiles); err != nil {
		return fail(err)
	}
	if err := writeCard(root, r.info.card(history)); err != nil {
		return fail(err)
	}
	if r.strategy == strategyCheckpoint {
		cp := filepath.Join(dir, "checkpoint")
		if err := os.Mkdir(cp, 0o755); err != nil {
			return fail(err)
		}
		entries, err := os.ReadDir(ckpt)
		if err != nil {
			return fail(err)
		}
		for _, e := range entries {
			if e.Type().IsRegular() {
				if err := linkOrCopy(filepath.Join(ckpt, e.Name()), filepath.Join(cp, e.Name())); err != nil {
					return fail(err)
				}
			}
		}
		job.checkpoint = cp
	}
	job.root = root
	return job, nil
}

// pushStaged sends a staged save: the model, then the checkpoint.
func (r *pushRun) pushStaged(ctx context.Context, j *pushJob) error {
	info, err := hub.UploadFolder(ctx, r.target.repoID, j.root, r.target.uploadOptions(j.message, r.bgLogf))
	if err != nil {
		return err
	}
	if j.checkpoint != "" {
		opt := r.target.uploadOptions(j.message+", checkpoint", r.bgLogf)
		opt.PathInRepo = lastCheckpointDir
		if info, err = hub.UploadFolder(ctx, r.target.repoID, j.checkpoint, opt); err != nil {
			return err
		}
	}
	j.commit = info.OID
	return nil
}

// finish stops the background pushes (waiting for the one in flight) and
// pushes the output directory, and with the checkpoint strategy its newest
// checkpoint, as the final commits.
func (r *pushRun) finish(ctx context.Context) error {
	if r.bg != nil {
		r.bg.stop(false)
		r.drain()
		if s := r.bg.summary(); s != "" {
			r.logf("%s", s)
		}
	}
	opt := r.target.uploadOptions("End of training", r.logf)
	opt.Ignore = pushIgnore
	info, err := hub.UploadFolder(ctx, r.target.repoID, r.out, opt)
	if err != nil {
		return err
	}
	if r.strategy == strategyCheckpoint {
		ckpt, _, err := trainer.LatestCheckpoint(r.out)
		if err == nil && ckpt != "" {
			copt := r.target.uploadOptions("End of training, checkpoint", r.logf)
			copt.PathInRepo = lastCheckpointDir
			if info, err = hub.UploadFolder(ctx, r.target.repoID, ckpt, copt); err != nil {
				return err
			}
		}
	}
	r.logf("Pushed to %s (commit %s)", r.target.url, info.OID)
	return nil
}

// abort stops the background pushes without waiting for them to finish.
func (r *pushRun) abort() {
	if r.bg != nil {
		r.bg.stop(true)
	}
}

// linkOrCopy makes dst a hard link to src, or a copy where links fail.
func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	return copyFile(src, dst)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// runPush is `finetune push`: upload an existing model directory.
func runPush(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("finetune push", flag.ContinueOnError)
	fs.SetOutput(stderr)
	model := fs.String("model", "", "model directory to push (a finetune --output-dir, or any directory in the Hugging Face layout)")
	modelID := fs.String("hub-model-id", "", "repository, \"user/name\" or \"org/name\" (default: the directory's name under the token's user)")
	private := fs.Bool("hub-private", false, "create the repository private (an existing repository keeps its visibility)")
	token := fs.String("hub-token", "", "Hub token with write access (default: $HF_TOKEN, else the token file of huggingface-cli login, $HF_HOME/token)")
	withCkpt := fs.Bool("last-checkpoint", false, "also push the directory's newest checkpoint as last-checkpoint/ (to resume elsewhere)")
	message := fs.String("commit-message", "Upload model using distilgo", "commit message")
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: finetune push --model DIR [--hub-model-id USER/NAME] [flags]

Pushes a model directory to the Hugging Face Hub as transformers'
push_to_hub does: the repository is created if needed, files the
repository already has are not sent again, checkpoints are left out. A
directory without README.md gets a model card written from its log.jsonl.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := parse(fs, args, nil, nil); err != nil {
		return err
	}
	if *model == "" {
		return errors.New("push: --model DIR is required")
	}
	for _, name := range []string{"config.json", "model.safetensors"} {
		if _, err := os.Stat(filepath.Join(*model, name)); err != nil {
			return fmt.Errorf("push: %s is not a model directory: %w", *model, err)
		}
	}
	target, err := setupHub(ctx, *modelID, *model, *private, *token)
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
	if _, err := os.Stat(filepath.Join(*model, cardFile)); errors.Is(err, os.ErrNotExist) {
		if err := writeCardFromDir(*model, target.repoID); err != nil {
			return fmt.Errorf("push: %w", err)
		}
		logf("Wrote the model card %s", filepath.Join(*model, cardFile))
	}
	opt := target.uploadOptions(*message, logf)
	opt.Ignore = pushIgnore
	info, err := hub.UploadFolder(ctx, target.repoID, *model, opt)
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	if *withCkpt {
		ckpt, _, err := trainer.LatestCheckpoint(*model)
		if err != nil || ckpt == "" {
			return fmt.Errorf("push: --last-checkpoint: no valid checkpoint in %s", *model)
		}
		copt := target.uploadOptions(*message+", checkpoint", logf)
		copt.PathInRepo = lastCheckpointDir
		if info, err = hub.UploadFolder(ctx, target.repoID, ckpt, copt); err != nil {
			return fmt.Errorf("push: %w", err)
		}
	}
	fmt.Fprintf(stdout, "Pushed %s to %s (commit %s; %s)\n", *model, target.url, info.OID, describeCommit(info))
	return nil
}

func describeCommit(info *hub.CommitInfo) string {
	if len(info.Committed) == 0 {
		return "nothing changed"
	}
	return fmt.Sprintf("%d files committed: %s", len(info.Committed), strings.Join(info.Committed, ", "))
}

// writeCardFromDir writes a card for a directory from its log.jsonl and the
// hyperparameters of its newest checkpoint, where it has them.
func writeCardFromDir(dir, repoID string) error {
	info := cardInfo{modelName: cardModelName(repoID, dir), repoID: repoID}
	var history []trainer.Record
	if h, err := trainer.ReadLog(filepath.Join(dir, trainer.LogFileName)); err == nil {
		history = h
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if ckpt, _, err := trainer.LatestCheckpoint(dir); err == nil && ckpt != "" {
		if cp, err := trainer.LoadCheckpoint(ckpt); err == nil {
			info.args = &cp.State.Args
		}
	}
	return writeCard(dir, info.card(history))
}
