package trainer

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/distilgo/distilgo/distilbert"
)

// CheckFinished refuses, with a useful message, the output directory of a
// training run that has not written its final model yet (it was
// interrupted, or is still running), given as the model to load by flag
// (e.g. "--model"): the error names the newest checkpoint, which can be
// loaded instead. Anything else (a finished run, a model directory, a Hub
// id, a path that does not exist) passes, for the loader to report.
func CheckFinished(flag, dir string) error {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil // not a directory: a Hub id, or an error the loader reports
	}
	if _, err := os.Stat(filepath.Join(dir, distilbert.ConfigFileName)); err == nil {
		return nil
	}
	ck, _, err := LatestCheckpoint(dir)
	if err != nil || ck == "" {
		return nil // not a run's output directory: let the loader say what is missing
	}
	return fmt.Errorf("%s %s: the training run in this directory is not finished (no final model yet); "+
		"its newest checkpoint is %s: pass %s %s, or finish the run with finetune --resume", flag, dir, ck, flag, ck)
}
