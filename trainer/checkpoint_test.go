package trainer

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/distilgo/distilgo/safetensors"
)

// saveTiny writes a checkpoint of a tiny model at step with recognisable
// moments and returns the model's parameters.
func saveTiny(t *testing.T, out string, step int) []float32 {
	t.Helper()
	m := tinyModel(t, 0)
	for i := range m.Params.Data {
		m.Params.Data[i] += float32(step) // distinct per checkpoint
	}
	opt := NewAdamW(m.Params, DefaultAdamWConfig(0.01))
	for i := range opt.M {
		opt.M[i], opt.V[i] = float32(i)*1e-3, float32(step)
	}
	opt.Steps = step
	st := &State{GlobalStep: step, Epoch: 1, EpochStep: 2, StepsPerEpoch: step - 2, TotalSteps: 100, Args: Trajectory{Seed: 9, LR: 1e-3},
		LogHistory: []Record{{Kind: KindTrain, Step: 1, Loss: fptr(4.5)}}}
	if _, err := SaveCheckpoint(out, m, opt, st); err != nil {
		t.Fatal(err)
	}
	return slices.Clone(m.Params.Data)
}

func TestCheckpointRoundTrip(t *testing.T) {
	out := t.TempDir()
	params := saveTiny(t, out, 5)
	c, err := LoadCheckpoint(checkpointDir(out, 5))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Model.Params.Data, params) {
		t.Error("parameters differ after the round trip")
	}
	for i := range c.M {
		if c.M[i] != float32(i)*1e-3 || c.V[i] != 5 {
			t.Fatalf("moment %d = %v, %v", i, c.M[i], c.V[i])
		}
	}
	want := State{Format: stateFormat, GlobalStep: 5, Epoch: 1, EpochStep: 2, StepsPerEpoch: 3, TotalSteps: 100, Args: Trajectory{Seed: 9, LR: 1e-3},
		LogHistory: []Record{{Kind: KindTrain, Step: 1, Loss: fptr(4.5)}}}
	if d := cmp.Diff(want, c.State); d != "" {
		t.Errorf("state (-want +got):\n%s", d)
	}
	// The checkpoint is also a Hugging Face model directory.
	if _, err := os.Stat(filepath.Join(c.Dir, "config.json")); err != nil {
		t.Error(err)
	}
}

// Every way an interrupted or damaged save can look makes the checkpoint
// invalid: LatestCheckpoint skips it with a message and returns the
// previous one, and LoadCheckpoint refuses it.
func TestBrokenCheckpointsAreSkipped(t *testing.T) {
	truncate := func(name string) func(string) error {
		return func(dir string) error {
			p := filepath.Join(dir, name)
			fi, err := os.Stat(p)
			if err != nil {
				return err
			}
			return os.Truncate(p, fi.Size()/2)
		}
	}
	remove := func(name string) func(string) error {
		return func(dir string) error { return os.Remove(filepath.Join(dir, name)) }
	}
	flip := func(name string) func(string) error {
		return func(dir string) error {
			p := filepath.Join(dir, name)
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b[len(b)/2] ^= 0x20 // same size, other content
			return os.WriteFile(p, b, 0o644)
		}
	}
	tests := []struct {
		name   string
		damage func(dir string) error
		reason string
	}{
		{"model truncated", truncate(safetensors.SingleFileName), "bytes"},
		{"optimizer truncated", truncate(optimizerName), "bytes"},
		{"state truncated", truncate(stateName), "bytes"},
		{"manifest truncated", truncate(manifestName), "corrupt manifest"},
		{"manifest missing", remove(manifestName), "no manifest"},
		{"model missing", remove(safetensors.SingleFileName), "no such file"},
		{"optimizer missing", remove(optimizerName), "no such file"},
		{"config missing", remove("config.json"), "no such file"},
		{"model bit flip", flip(safetensors.SingleFileName), "SHA-256"},
		{"state bit flip", flip(stateName), "SHA-256"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			saveTiny(t, out, 3)
			saveTiny(t, out, 7)
			if err := tc.damage(checkpointDir(out, 7)); err != nil {
				t.Fatal(err)
			}
			dir, skipped, err := LatestCheckpoint(out)
			if err != nil {
				t.Fatal(err)
			}
			if dir != checkpointDir(out, 3) {
				t.Errorf("latest = %q, want checkpoint-3", dir)
			}
			if len(skipped) != 1 || !strings.Contains(skipped[0].Error(), "checkpoint-7") || !strings.Contains(skipped[0].Error(), tc.reason) {
				t.Errorf("skipped = %v, want one error about checkpoint-7 mentioning %q", skipped, tc.reason)
			}
			if _, err := LoadCheckpoint(checkpointDir(out, 7)); err == nil {
				t.Error("LoadCheckpoint accepted the damaged checkpoint")
			}
		})
	}
}

// A save interrupted before its rename leaves only a hidden temporary
// directory: not a checkpoint, and removed by the next run.
func TestInterruptedSaveLeavesNoCheckpoint(t *testing.T) {
	out := t.TempDir()
	saveTiny(t, out, 3)
	// What a kill between writing the files and the rename leaves behind.
	tmp, err := os.MkdirTemp(out, ".checkpoint-9.tmp-")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(tmp, "model.safetensors"), []byte("partial"), 0o644)
	// And a checkpoint-N directory without its manifest (a file system that
	// reordered the rename before the data, or a copy cut short).
	os.MkdirAll(checkpointDir(out, 11), 0o755)
	dir, skipped, err := LatestCheckpoint(out)
	if err != nil || dir != checkpointDir(out, 3) || len(skipped) != 1 {
		t.Errorf("LatestCheckpoint = %q, %v, %v; want checkpoint-3 and one skipped", dir, skipped, err)
	}
	if err := removeStale(out); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("stale temporary directory still there: %v", err)
	}
}

func TestSaveReplacesAndPrunes(t *testing.T) {
	out := t.TempDir()
	for _, s := range []int{3, 4, 5, 6} {
		saveTiny(t, out, s)
	}
	// A broken checkpoint-5 from an abandoned run is replaced by a new save.
	os.Remove(filepath.Join(checkpointDir(out, 5), manifestName))
	saveTiny(t, out, 5)
	if _, err := validateCheckpoint(checkpointDir(out, 5)); err != nil {
		t.Errorf("replaced checkpoint: %v", err)
	}
	if err := pruneCheckpoints(out, 2, 5); err != nil {
		t.Fatal(err)
	}
	var names []string
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		names = append(names, e.Name())
	}
	// 6 is later than the current step 5: left for the run to replace.
	if want := []string{"checkpoint-4", "checkpoint-5", "checkpoint-6"}; !slices.Equal(names, want) {
		t.Errorf("after pruning: %v, want %v", names, want)
	}
}

func TestPrepareOutputDir(t *testing.T) {
	tests := []struct {
		name              string
		files             []string
		overwrite, resume bool
		wantErr           string
		wantLeft          []string
	}{
		{"missing dir", nil, false, false, "", nil},
		{"empty", []string{}, false, false, "", []string{}},
		{"unrelated files", []string{"notes.txt"}, false, false, "", []string{"notes.txt"}},
		{"previous run", []string{"log.jsonl", "checkpoint-5/"}, false, false, "holds another run", []string{"checkpoint-5", "log.jsonl"}},
		{"previous model", []string{"model.safetensors"}, false, false, "--overwrite", []string{"model.safetensors"}},
		{"resume", []string{"log.jsonl", "checkpoint-5/"}, false, true, "", []string{"checkpoint-5", "log.jsonl"}},
		{"overwrite", []string{"log.jsonl", "checkpoint-5/", "loss.png", "notes.txt", ".checkpoint-6.tmp-1/"}, true, false, "", []string{"notes.txt"}},
		{"both", []string{"log.jsonl"}, true, true, "exclude", []string{"log.jsonl"}},
		{"resume nothing", nil, false, true, "nothing to resume", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			if tc.files != nil {
				os.MkdirAll(dir, 0o755)
			}
			for _, f := range tc.files {
				if name, ok := strings.CutSuffix(f, "/"); ok {
					os.MkdirAll(filepath.Join(dir, name), 0o755)
				} else {
					os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644)
				}
			}
			err := prepareOutputDir(dir, tc.overwrite, tc.resume)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			entries, err := os.ReadDir(dir)
			var left []string
			if err == nil {
				left = []string{}
				for _, e := range entries {
					left = append(left, e.Name())
				}
			}
			if d := cmp.Diff(tc.wantLeft, left); d != "" {
				t.Errorf("files left (-want +got):\n%s", d)
			}
		})
	}
}
