//go:build !unix

package dirlock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// flockSupported: a killed process leaves its lock file.
const flockSupported = false

// acquire creates the lock file exclusively: without flock, the file's
// existence is the lock.
func acquire(dir, path string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o644)
	if errors.Is(err, os.ErrExist) {
		pid := 0
		if g, err := os.Open(path); err == nil {
			pid = readPID(g)
			g.Close()
		}
		return nil, fmt.Errorf("%w (if no such process runs, it died without unlocking: delete %s)", busyError(dir, pid), path)
	}
	if err != nil {
		return nil, fmt.Errorf("lock directory %s: %w", dir, err)
	}
	if err := writePID(f); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("lock directory %s: write %s: %w", dir, path, err)
	}
	return &Lock{dir: dir, f: f}, nil
}

func release(l *Lock) error {
	err := l.f.Close()
	if rerr := os.Remove(filepath.Join(l.dir, FileName)); err == nil {
		err = rerr
	}
	return err
}
