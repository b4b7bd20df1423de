package trainer

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/distilgo/distilgo/distilbert"
)

// distilbert.LoadDir returns a model in evaluation mode; Run switches
// training mode on itself before every step (after each evaluation turned
// it off), so a run from a loaded model trains with dropout exactly as one
// from a model built in training mode, and differently from one without
// dropout.
func TestRunSwitchesTrainingModeOn(t *testing.T) {
	run := func(t *testing.T, tr *Trainer) []float32 {
		t.Helper()
		tr.Args.Epochs = 1
		if _, err := tr.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		return tr.Model.Params.Data
	}
	built := run(t, newTinyTrainer(t, filepath.Join(t.TempDir(), "built"), 0.1))

	saved := filepath.Join(t.TempDir(), "saved")
	if err := tinyModel(t, 0.1).SaveDir(saved); err != nil {
		t.Fatal(err)
	}
	loaded, err := distilbert.LoadDir(saved)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.DistilBert.Embeddings.Dropout.Training {
		t.Fatal("LoadDir returned a model in training mode")
	}
	tr := newTinyTrainer(t, filepath.Join(t.TempDir(), "loaded"), 0.1)
	tr.Model = loaded
	if got := run(t, tr); !slices.Equal(got, built) {
		t.Error("training from a loaded (evaluation-mode) model differs from training a built one")
	}
	if noDropout := run(t, newTinyTrainer(t, filepath.Join(t.TempDir(), "nodrop"), 0)); slices.Equal(noDropout, built) {
		t.Error("training with dropout 0.1 equals training without dropout: dropout was off")
	}
}
