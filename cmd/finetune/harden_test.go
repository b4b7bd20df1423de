package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/distilgo/distilgo/distilbert"
	"github.com/distilgo/distilgo/internal/dirlock"
)

// asMainEnv makes the test binary run finetune's main with its arguments,
// so tests can start real finetune processes.
const asMainEnv = "FINETUNE_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// finetuneProcess returns a finetune process with args.
func finetuneProcess(args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), asMainEnv+"=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	return cmd, &stdout, &stderr
}

// tinyTrainArgs trains the fixture's tiny model for a few steps into out.
func tinyTrainArgs(t *testing.T, out, lr string) []string {
	vocab, corpus, config := fixture(t)
	return []string{"--model", "random:" + config, "--vocab", vocab, "--data", corpus, "--chunk-size", "16",
		"--train-size", "40", "--test-size", "8", "--batch-size", "8", "--cache-dir", t.TempDir(), "--threads", "1",
		"--epochs", "1", "--lr", lr, "--output-dir", out}
}

// A run into a directory another process holds fails at once, names the
// directory and the holder's PID, and (with --overwrite) deletes nothing.
func TestOutputDirLockedByAnotherProcess(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	os.MkdirAll(out, 0o755)
	os.WriteFile(filepath.Join(out, "log.jsonl"), []byte("{}\n"), 0o644)
	os.MkdirAll(filepath.Join(out, "checkpoint-5"), 0o755)
	l, err := dirlock.Acquire(out) // flock locks conflict between open files, even in one process
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	want := fmt.Sprintf("finetune: output directory: directory %s is in use by process %d (another run writes into it); wait for it to finish or choose another directory\n", out, os.Getpid())
	for _, extra := range [][]string{nil, {"--resume"}, {"--overwrite"}} {
		cmd, _, stderr := finetuneProcess(append(tinyTrainArgs(t, out, "1e-3"), extra...)...)
		start := time.Now()
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Errorf("%v: err = %v, want exit status 1", extra, err)
		}
		if stderr.String() != want {
			t.Errorf("%v: stderr = %q, want %q", extra, stderr.String(), want)
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("%v: the refusal took %v", extra, d)
		}
	}
	for _, name := range []string{"log.jsonl", "checkpoint-5"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("--overwrite while locked deleted %s: %v", name, err)
		}
	}
}

// Two runs started at the same moment into one empty directory: exactly one
// succeeds; the other is refused (by the lock, or by the first run's files
// if it finished first), and the directory holds the winner's model.
func TestConcurrentRunsIntoOneOutputDir(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a tiny model in two processes")
	}
	out := filepath.Join(t.TempDir(), "out")
	type proc struct {
		cmd            *exec.Cmd
		stdout, stderr *bytes.Buffer
		err            error
	}
	var ps []*proc
	for _, lr := range []string{"1e-3", "3e-3"} {
		cmd, stdout, stderr := finetuneProcess(tinyTrainArgs(t, out, lr)...)
		ps = append(ps, &proc{cmd: cmd, stdout: stdout, stderr: stderr})
	}
	for _, p := range ps {
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
	}
	var ok []*proc
	for _, p := range ps {
		p.err = p.cmd.Wait()
		if p.err == nil {
			ok = append(ok, p)
		}
	}
	if len(ok) != 1 {
		for i, p := range ps {
			t.Logf("run %d: %v\nstdout:\n%s\nstderr:\n%s", i, p.err, p.stdout, p.stderr)
		}
		t.Fatalf("%d runs succeeded, want exactly 1", len(ok))
	}
	for _, p := range ps {
		if p == ok[0] {
			continue
		}
		msg := p.stderr.String()
		byLock := strings.Contains(msg, fmt.Sprintf("directory %s is in use by process %d", out, ok[0].cmd.Process.Pid))
		byFiles := strings.Contains(msg, "holds another run")
		if !byLock && !byFiles {
			t.Errorf("refused run: stderr %q, want the lock's error naming process %d", msg, ok[0].cmd.Process.Pid)
		}
	}
	if !strings.Contains(ok[0].stdout.String(), "Model saved to") {
		t.Errorf("winner's output:\n%s", ok[0].stdout)
	}
	if _, err := os.Stat(filepath.Join(out, "model.safetensors")); err != nil {
		t.Error(err)
	}
}

// A random: config too large to train on this machine is refused before
// anything is allocated, with the figures in the message.
func TestRandomConfigTooLargeForMemory(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the machine's memory is read from /proc/meminfo (Linux)")
	}
	vocab, corpus, _ := fixture(t)
	cfg := distilbert.DefaultConfig()
	cfg.NLayers = 1_000_000_000 // every tensor under the per-tensor cap
	path := filepath.Join(t.TempDir(), "config.json")
	if err := cfg.Save(path); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--model", "random:" + path, "--vocab", vocab, "--data", corpus, "--output-dir", filepath.Join(t.TempDir(), "out")},
		{"eval", "--model", "random:" + path, "--vocab", vocab, "--data", corpus},
	} {
		_, _, err := runCmd(t, args...)
		want := "--model random:" + path + ": config: 7,087,872,024,458,298 parameters (vocab_size 30522, dim 768, hidden_dim 3072, max_position_embeddings 512, n_layers 1000000000): parameters, gradients and AdamW moments need 105617523.6 GiB, more than this machine's "
		if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), " GiB of memory") {
			t.Errorf("%s: err = %v\nwant %s... GiB of memory", args[0], err, want)
		}
	}
}

// Resuming a finished run says so (it used to print "epoch 3" for a
// two-epoch run) and leaves the model as it was.
func TestResumeFinishedRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	args := tinyTrainArgs(t, out, "1e-3")
	args[slices.Index(args, "--epochs")+1] = "2"
	if _, _, err := runCmd(t, args...); err != nil {
		t.Fatal(err)
	}
	stdout, _, err := runCmd(t, append(args, "--resume")...)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("Resuming from %s: the run is already finished (step 10 of 10, epoch 2 of 2); nothing to train", filepath.Join(out, "checkpoint-10"))
	if !strings.Contains(stdout, want) {
		t.Errorf("resume of a finished run:\n%s\nwant a line %q", stdout, want)
	}
}

// A run killed before its first checkpoint: rerun and --resume agree.
func TestKilledBeforeFirstCheckpointAdvice(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	os.MkdirAll(out, 0o755)
	os.WriteFile(filepath.Join(out, "log.jsonl"), []byte(`{"kind":"eval"}`+"\n"), 0o644)
	args := tinyTrainArgs(t, out, "1e-3")
	for _, tc := range []struct {
		extra []string
		want  string
	}{
		{nil, "output directory " + out + " holds a run that saved no checkpoint (log.jsonl): nothing to resume; pass --overwrite to replace it"},
		{[]string{"--resume"}, "output directory " + out + " holds a run that saved no checkpoint (log.jsonl): nothing to resume; pass --overwrite instead of --resume to start it again"},
	} {
		if _, _, err := runCmd(t, append(args, tc.extra...)...); err == nil || err.Error() != tc.want {
			t.Errorf("%v: err = %v\nwant %s", tc.extra, err, tc.want)
		}
	}
}

// The IMDB URL (DISTILGO_IMDB_URL may be a signed URL) is shown without its
// password, query string and fragment, in the log line and in the error.
func TestIMDBURLRedactedInLogAndError(t *testing.T) {
	t.Setenv("HF_HOME", t.TempDir())
	t.Setenv("HF_HUB_OFFLINE", "")
	t.Setenv("TRANSFORMERS_OFFLINE", "")
	t.Setenv(imdbURLEnv, "http://user:pw@127.0.0.1:1/aclImdb_v1.tar.gz?X-Amz-Signature=SECRET#frag")
	var log strings.Builder
	_, err := resolveData(context.Background(), "imdb", func(format string, args ...any) { fmt.Fprintf(&log, format+"\n", args...) })
	if err == nil {
		t.Fatal("no error from an unreachable URL")
	}
	if want := "Fetching the IMDB archive from http://user:xxxxx@127.0.0.1:1/aclImdb_v1.tar.gz?xxxxx#xxxxx (once; cached)\n"; log.String() != want {
		t.Errorf("log %q, want %q", log.String(), want)
	}
	for _, s := range []string{"SECRET", "pw@", ":pw", "frag"} {
		if strings.Contains(err.Error(), s) || strings.Contains(log.String(), s) {
			t.Errorf("%q shown: error %v; log %s", s, err, log.String())
		}
	}
}

// A token listed twice in vocab.txt: one warning in the log.
func TestDuplicateVocabTokenWarning(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vocab.txt")
	os.WriteFile(path, []byte("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nfilm\nfilm\n"), 0o644)
	var log strings.Builder
	if _, _, err := loadTokenizer(context.Background(), "", path, func(format string, args ...any) { fmt.Fprintf(&log, format+"\n", args...) }); err != nil {
		t.Fatal(err)
	}
	want := "warning: " + path + `: token "film" is listed more than once (ids 5 and 6): id 6 is used, the later one, as Hugging Face does` + "\n"
	if log.String() != want {
		t.Errorf("log %q, want %q", log.String(), want)
	}
}
