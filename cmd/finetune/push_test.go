package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distilgo/distilgo/distilbert"
	"github.com/distilgo/distilgo/hub"
	"github.com/distilgo/distilgo/internal/fakehub"
	"github.com/distilgo/distilgo/tensor"
	"github.com/google/go-cmp/cmp"
)

// useFakeHub points the Hub environment at a fake Hub on loopback with its
// write token, and a fresh HF_HOME.
func useFakeHub(t *testing.T) *fakehub.Hub {
	t.Helper()
	h := fakehub.New(t)
	t.Setenv("HF_ENDPOINT", h.URL)
	t.Setenv("HF_TOKEN", h.Token)
	t.Setenv("HF_HOME", t.TempDir())
	t.Setenv("HF_HUB_CACHE", "")
	t.Setenv("HF_HUB_OFFLINE", "")
	w, a := pushRetryWait, pushAttempts
	pushRetryWait, pushAttempts = 10*time.Millisecond, 2
	t.Cleanup(func() { pushRetryWait, pushAttempts = w, a })
	return h
}

// tinyTrainArgs trains the fixture's tiny model for 2 epochs of 5 steps
// into out, checkpointing every 2 steps.
func pushTrainArgs(t *testing.T, out string) []string {
	vocab, corpus, config := fixture(t)
	return []string{"--model", "random:" + config, "--vocab", vocab, "--data", corpus, "--chunk-size", "16", "--train-size", "40",
		"--test-size", "8", "--batch-size", "8", "--cache-dir", t.TempDir(), "--threads", "1", "--epochs", "2", "--lr", "1e-3",
		"--save-every", "2", "--output-dir", out}
}

// logits runs the model in dir on a fixed batch.
func logits(t *testing.T, dir string) []float32 {
	t.Helper()
	m, err := distilbert.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m.Train(false)
	in := distilbert.Input{B: 2, T: 6, InputIDs: []int32{2, 9, 10, 4, 12, 3, 2, 20, 4, 30, 31, 3}}
	out, err := m.Logits(tensor.NewNoGradTape(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out.Host()
}

// checkRoundTrip downloads repo with ResolveModel and checks that the
// files are byte-identical to out's and the model gives out's logits
// exactly.
func checkRoundTrip(t *testing.T, repo, out string) {
	t.Helper()
	snap, err := hub.ResolveModel(context.Background(), repo, hub.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"} {
		got, err1 := os.ReadFile(filepath.Join(snap, name))
		want, err2 := os.ReadFile(filepath.Join(out, name))
		if err1 != nil || err2 != nil || string(got) != string(want) {
			t.Errorf("%s: downloaded file differs from the local output (%v, %v)", name, err1, err2)
		}
	}
	if diff := cmp.Diff(logits(t, out), logits(t, snap)); diff != "" {
		t.Errorf("logits of the downloaded model differ from the local one's (-local +hub):\n%s", diff)
	}
}

// repoFiles lists the files at the repository's head.
func repoFiles(h *fakehub.Hub, repo string) []string {
	var names []string
	for n := range h.Files(repo) {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// The round trip of the issue: finetune --push-to-hub with every_save
// against the fake Hub, pushes overlapping with training (the Hub is slow
// to commit, so saves arrive while a push is in flight and only the latest
// waiting one is pushed), then the model downloaded by id equals the local
// output.
func TestPushToHubEverySaveRoundTrip(t *testing.T) {
	h := useFakeHub(t)
	out := filepath.Join(t.TempDir(), "tiny-imdb")
	// The first push's commit is held until training has saved
	// checkpoint-8 (saves every 2 steps): if training waited for pushes, it
	// would never come and the hold would time out; meanwhile save 6
	// supersedes the waiting save 4.
	// A staging folder left by a crashed run is removed.
	if err := os.MkdirAll(filepath.Join(out, stagingPrefix+"3-stale", "root"), 0o755); err != nil {
		t.Fatal(err)
	}
	trainedOn := func() bool { _, err := os.Stat(filepath.Join(out, "checkpoint-8")); return err == nil }
	h.AddFault(fakehub.Fault{Server: "hub", Method: "POST", PathPrefix: "/api/models/alice/tiny-imdb/commit/", Delay: 60 * time.Second, Until: trainedOn, Times: 1})
	args := pushTrainArgs(t, out)
	stdout, _, err := runCmd(t, append(slices.Clone(args), "--push-to-hub", "--hub-strategy", "every_save")...)
	if err != nil {
		t.Fatal(err)
	}
	const repo = "alice/tiny-imdb" // the output directory's name under the token's user
	if strings.Contains(stdout, h.Token) {
		t.Error("the token appears in the output")
	}
	r := h.Repo(repo)
	if r == nil {
		t.Fatalf("repository %s not created; output:\n%s", repo, stdout)
	}
	var msgs []string
	for _, c := range r.Commits {
		msgs = append(msgs, r.Messages[c])
	}
	// The final push commits only what differs from the last save's push
	// (here nothing: the last save is the last step).
	if !strings.HasPrefix(msgs[1], "Training in progress, step ") || (msgs[len(msgs)-1] != "End of training" && msgs[len(msgs)-1] != "Training in progress, step 10") {
		t.Errorf("commit messages %q", msgs)
	}
	for _, want := range []string{"Pushing to " + h.URL + "/" + repo, "Pushed step 2 to the Hub", "superseded by a newer save", "Pushed to " + h.URL + "/" + repo} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "0 superseded") || !strings.Contains(stdout, "Pushed step 2 to the Hub") {
		t.Errorf("save 4 should be superseded by save 6 while the push of step 2 was held:\n%s", stdout)
	}
	want := []string{".gitattributes", "README.md", "config.json", RunArgsName, "log.jsonl", "loss.png", "model.safetensors", "special_tokens_map.json", "tokenizer_config.json", TrainingArgsName, "vocab.txt"}
	if diff := cmp.Diff(want, repoFiles(h, repo)); diff != "" {
		t.Errorf("repository files (-want +got):\n%s", diff)
	}
	for _, name := range want[1:] {
		local, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || string(h.Files(repo)[name].Data) != string(local) {
			t.Errorf("%s on the Hub differs from the local output (%v)", name, err)
		}
	}
	card, _ := os.ReadFile(filepath.Join(out, "README.md"))
	for _, want := range []string{`model="alice/tiny-imdb"`, "fillmask --model alice/tiny-imdb", "- name: tiny-imdb", "- type: perplexity",
		"- learning_rate: 0.001\n", "- train_batch_size: 8\n", "- seed: 42\n", "- num_epochs: 2.0\n", "- chunk_size: 16\n",
		"AdamW with betas=(0.9,0.999), epsilon=1e-08 and weight_decay=0.01", "\n| 1 | ", "\n| 2 | ", "- Go go1.", "- kernels "} {
		if !strings.Contains(string(card), want) {
			t.Errorf("model card lacks %q:\n%s", want, card)
		}
	}
	if st, _ := filepath.Glob(filepath.Join(out, stagingPrefix+"*")); len(st) > 0 {
		t.Errorf("staging folders left: %v", st)
	}
	checkRoundTrip(t, repo, out)

	// The commands load the model by id: finetune eval of the Hub id
	// prints exactly what it prints for the local output.
	evalArgs := func(model string) []string {
		return []string{"eval", "--model", model, "--vocab", args[3], "--data", args[5], "--chunk-size", "16", "--train-size", "40",
			"--test-size", "8", "--batch-size", "8", "--cache-dir", t.TempDir(), "--threads", "1"}
	}
	local, _, err1 := runCmd(t, evalArgs(out)...)
	remote, _, err2 := runCmd(t, evalArgs(repo)...)
	if err1 != nil || err2 != nil || local != remote || !strings.HasPrefix(local, `{"loss":`) {
		t.Errorf("eval of %s: %q (%v); of the local output: %q (%v)", repo, remote, err2, local, err1)
	}
}

// Background pushes that keep failing are reported and never fail the run;
// the final push still goes through.
func TestPushToHubEverySaveFailuresDoNotFailTheRun(t *testing.T) {
	h := useFakeHub(t)
	out := filepath.Join(t.TempDir(), "out")
	h.AddFault(fakehub.Fault{Server: "hub", Method: "POST", PathPrefix: "/api/models/alice/flaky/commit/", Status: 422,
		BodyContains: "Training in progress", Times: 1000})
	stdout, _, err := runCmd(t, append(pushTrainArgs(t, out), "--push-to-hub", "--hub-model-id", "flaky", "--hub-strategy", "every_save")...)
	if err != nil {
		t.Fatalf("failed background pushes failed the run: %v", err)
	}
	if strings.Contains(stdout, h.Token) {
		t.Error("the token appears in the output")
	}
	for _, want := range []string{"warning: push of step 2 to the Hub failed", "trying again", "training continues", "failed); last failure: hub: commit", "Pushed to "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	r := h.Repo("alice/flaky")
	if len(r.Commits) != 2 || r.Messages[r.Head()] != "End of training" {
		t.Errorf("commits %v, want the initial one and End of training", r.Messages)
	}
	checkRoundTrip(t, "alice/flaky", out)
}

// The checkpoint strategy also pushes the newest checkpoint under
// last-checkpoint/; the end strategy pushes once, at the end.
func TestPushToHubStrategies(t *testing.T) {
	for _, tc := range []struct {
		strategy string
		commits  int // besides the repository's initial one; -1: at least 2
	}{{"end", 1}, {"checkpoint", -1}} {
		t.Run(tc.strategy, func(t *testing.T) {
			h := useFakeHub(t)
			out := filepath.Join(t.TempDir(), "out")
			args := pushTrainArgs(t, out)
			_, _, err := runCmd(t, append(slices.Clone(args), "--push-to-hub", "--hub-model-id", "run-"+tc.strategy, "--hub-strategy", tc.strategy, "--hub-private")...)
			if err != nil {
				t.Fatal(err)
			}
			repo := "alice/run-" + tc.strategy
			r := h.Repo(repo)
			if r == nil || !r.Private {
				t.Fatalf("repository %s missing or not private", repo)
			}
			if n := len(r.Commits) - 1; (tc.commits > 0 && n != tc.commits) || n < 1 {
				t.Errorf("%d commits, want %d", n, tc.commits)
			}
			files := h.Files(repo)
			_, hasCkpt := files["last-checkpoint/model.safetensors"]
			if hasCkpt != (tc.strategy == "checkpoint") {
				t.Errorf("last-checkpoint/model.safetensors on the Hub: %v", hasCkpt)
			}
			if tc.strategy == "checkpoint" {
				want, _ := os.ReadFile(filepath.Join(out, "checkpoint-10", "optimizer.safetensors"))
				if got := files["last-checkpoint/optimizer.safetensors"]; got == nil || string(got.Data) != string(want) {
					t.Error("last-checkpoint/ is not the newest checkpoint")
				}
				// As the README says: last-checkpoint/ moved to
				// OUT/checkpoint-STEP resumes elsewhere.
				other := filepath.Join(t.TempDir(), "elsewhere")
				ck := filepath.Join(other, "checkpoint-10")
				if err := os.MkdirAll(ck, 0o755); err != nil {
					t.Fatal(err)
				}
				for name, f := range files {
					if rest, ok := strings.CutPrefix(name, "last-checkpoint/"); ok {
						if err := os.WriteFile(filepath.Join(ck, rest), f.Data, 0o644); err != nil {
							t.Fatal(err)
						}
					}
				}
				args[len(args)-1] = other
				stdout, _, err := runCmd(t, append(args, "--resume")...)
				if err != nil || !strings.Contains(stdout, "Resuming from") {
					t.Errorf("resume from the pushed checkpoint: err %v, output:\n%s", err, stdout)
				}
			}
			checkRoundTrip(t, repo, out)
		})
	}
}

// A bad token fails at start-up, before any training, naming what to do;
// the token is not shown.
func TestPushToHubBadTokenFailsEarly(t *testing.T) {
	h := useFakeHub(t)
	h.EchoAuth = true
	out := filepath.Join(t.TempDir(), "out")
	const bad = "hf_thisTokenIsWrong123456"
	_, _, err := runCmd(t, append(pushTrainArgs(t, out), "--push-to-hub", "--hub-token", bad)...)
	if !errors.Is(err, hub.ErrUnauthorized) || strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "token") {
		t.Errorf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "log.jsonl")); err == nil {
		t.Error("training ran before the token was checked")
	}
	t.Setenv("HF_TOKEN", "")
	_, _, err = runCmd(t, append(pushTrainArgs(t, out), "--push-to-hub")...)
	if err == nil || !strings.Contains(err.Error(), "HF_TOKEN") {
		t.Errorf("no token: err = %v", err)
	}
	_, _, err = runCmd(t, append(pushTrainArgs(t, out), "--push-to-hub", "--hub-strategy", "sometimes")...)
	if err == nil || !strings.Contains(err.Error(), "--hub-strategy") {
		t.Errorf("bad strategy: err = %v", err)
	}
}

// finetune push uploads an existing output directory, writing its card
// when it has none; a second push of the same directory commits nothing.
func TestPushSubcommand(t *testing.T) {
	h := useFakeHub(t)
	out := filepath.Join(t.TempDir(), "out")
	if _, _, err := runCmd(t, pushTrainArgs(t, out)...); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(out, "README.md")); err != nil {
		t.Fatalf("training did not write the model card: %v", err)
	}
	// The token of `huggingface-cli login`: $HF_HOME/token.
	t.Setenv("HF_TOKEN", "")
	if err := os.WriteFile(filepath.Join(os.Getenv("HF_HOME"), "token"), []byte(h.Token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, _, err := runCmd(t, "push", "--model", out, "--hub-model-id", "alice/pushed", "--last-checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "Pushed "+out+" to "+h.URL+"/alice/pushed") {
		t.Errorf("output: %s", stdout)
	}
	card, err := os.ReadFile(filepath.Join(out, "README.md"))
	if err != nil || !strings.Contains(string(card), "| 2 | ") || !strings.Contains(string(card), "learning_rate: 0.001") {
		t.Errorf("card written from log.jsonl and the checkpoint lacks the results or hyperparameters (err %v):\n%s", err, card)
	}
	if _, ok := h.Files("alice/pushed")["last-checkpoint/trainer_state.json"]; !ok {
		t.Errorf("last-checkpoint not pushed: %v", repoFiles(h, "alice/pushed"))
	}
	checkRoundTrip(t, "alice/pushed", out)
	commits := len(h.Repo("alice/pushed").Commits)
	stdout, _, err = runCmd(t, "push", "--model", out, "--hub-model-id", "alice/pushed")
	if err != nil || !strings.Contains(stdout, "nothing changed") || len(h.Repo("alice/pushed").Commits) != commits {
		t.Errorf("second push: err %v, output %q, %d commits (was %d)", err, stdout, len(h.Repo("alice/pushed").Commits), commits)
	}
	if _, _, err := runCmd(t, "push", "--model", t.TempDir(), "--hub-model-id", "alice/x"); err == nil || !strings.Contains(err.Error(), "not a model directory") {
		t.Errorf("empty directory: err = %v", err)
	}
}

// The background pusher never blocks submit, pushes only the latest
// waiting save, retries a failure and reports it without stopping.
func TestBGPusher(t *testing.T) {
	w, a := pushRetryWait, pushAttempts
	pushRetryWait, pushAttempts = time.Millisecond, 2
	t.Cleanup(func() { pushRetryWait, pushAttempts = w, a })
	release := make(chan struct{})
	var mu sync.Mutex
	var tried []int
	push := func(ctx context.Context, j *pushJob) error {
		mu.Lock()
		tried = append(tried, j.step)
		mu.Unlock()
		switch j.step {
		case 1:
			<-release // in flight while 2, 3 and 4 arrive
		case 4:
			return fmt.Errorf("injected failure of step %d", j.step)
		}
		j.commit = fmt.Sprint("c", j.step)
		return nil
	}
	var logMu sync.Mutex
	var logs []string
	b := newBGPusher(push, func(f string, args ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		logs = append(logs, fmt.Sprintf(f, args...))
	})
	job := func(step int) *pushJob {
		dir := t.TempDir()
		return &pushJob{step: step, staging: filepath.Join(dir, "s")}
	}
	b.submit(job(1))
	for !func() bool { mu.Lock(); defer mu.Unlock(); return len(tried) == 1 }() {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	for s := 2; s <= 4; s++ {
		b.submit(job(s))
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("submit blocked %s while a push was in flight", d)
	}
	close(release)
	for !func() bool { mu.Lock(); defer mu.Unlock(); return len(tried) == 3 }() {
		time.Sleep(time.Millisecond)
	}
	b.stop(false)
	if diff := cmp.Diff([]int{1, 4, 4}, tried); diff != "" {
		t.Errorf("pushed steps (-want +got):\n%s (2 and 3 are superseded by 4, which is tried twice)", diff)
	}
	got := b.summary()
	if !strings.Contains(got, "1 pushes") || !strings.Contains(got, "2 superseded") || !strings.Contains(got, "1 failed") || !strings.Contains(got, "injected failure of step 4") {
		t.Errorf("summary %q", got)
	}
	joined := strings.Join(logs, "\n")
	if !strings.Contains(joined, "trying again") || !strings.Contains(joined, "training continues") {
		t.Errorf("log:\n%s", joined)
	}
}

func TestHelpListsHubFlags(t *testing.T) {
	_, stderr, err := runCmd(t, "--help")
	if !errors.Is(err, errHelp) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"-push-to-hub", "-hub-model-id string", "-hub-private", "-hub-strategy string", `(default "end")`, "-hub-token string", "finetune push --model DIR"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	_, stderr, err = runCmd(t, "push", "-h")
	if !errors.Is(err, errHelp) || !strings.Contains(stderr, "-hub-model-id string") || !strings.Contains(stderr, "-last-checkpoint") {
		t.Errorf("push -h: err %v, output:\n%s", err, stderr)
	}
	if _, _, err := runCmd(t, "push"); err == nil || !strings.Contains(err.Error(), "--model") {
		t.Errorf("push without --model: err = %v", err)
	}
}
