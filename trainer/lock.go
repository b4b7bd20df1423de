package trainer

import (
	"errors"
	"fmt"
	"os"

	"github.com/distilgo/distilgo/internal/dirlock"
)

// LockOutputDir gives a run exclusive use of its output directory for its
// whole life, then checks the directory as prepareOutputDir does (so that
// --overwrite deletes nothing while another run uses it). The directory is
// created when missing (not for resume: there is nothing to resume then).
// A second run into a locked directory fails at once with an error naming
// the directory and the PID of the run that holds it; the kernel releases
// the lock of a killed run, so no stale lock is left. The caller releases
// the lock when the run ends.
func LockOutputDir(dir string, overwrite, resume bool) (*dirlock.Lock, error) {
	if overwrite && resume {
		return nil, errors.New("output directory: --overwrite and --resume exclude each other")
	}
	if _, err := os.Stat(dir); resume && errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("output directory %s does not exist: nothing to resume", dir)
	}
	l, err := dirlock.Acquire(dir)
	if err != nil {
		return nil, fmt.Errorf("output directory: %w", err)
	}
	if err := prepareOutputDir(dir, overwrite, resume); err != nil {
		l.Release()
		return nil, err
	}
	return l, nil
}
