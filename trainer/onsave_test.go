package trainer

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// OnSave sees every checkpoint right after it is written, while it still
// exists, with the history up to its step.
func TestOnSaveCalledForEachCheckpoint(t *testing.T) {
	dir := t.TempDir()
	tr := newTinyTrainer(t, dir, 0)
	tr.Args.SaveEvery, tr.Args.KeepCheckpoints = 2, 1
	type call struct {
		Dir     string
		Step    int
		LastLog int
	}
	var got []call
	tr.OnSave = func(ckpt string, step int, history []Record) {
		if _, err := os.Stat(filepath.Join(ckpt, manifestName)); err != nil {
			t.Errorf("checkpoint %s incomplete when OnSave runs: %v", ckpt, err)
		}
		got = append(got, call{ckpt, step, history[len(history)-1].Step})
	}
	sum, err := tr.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var want []call
	for s := 2; s <= sum.Steps; s += 2 {
		want = append(want, call{checkpointDir(dir, s), s, s})
	}
	if sum.Steps%2 != 0 {
		want = append(want, call{checkpointDir(dir, sum.Steps), sum.Steps, sum.Steps})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("OnSave calls (-want +got):\n%s", diff)
	}
}
