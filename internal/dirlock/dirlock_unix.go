//go:build unix

package dirlock

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// flockSupported: the kernel releases the lock of a killed process.
const flockSupported = true

func acquire(dir, path string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock directory %s: %w", dir, err)
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if errors.Is(err, unix.EWOULDBLOCK) {
		pid := readPID(f)
		f.Close()
		return nil, busyError(dir, pid)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock directory %s: flock %s: %w", dir, path, err)
	}
	if err := writePID(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock directory %s: write %s: %w", dir, path, err)
	}
	return &Lock{dir: dir, f: f}, nil
}

// release closes the file, which drops the flock. The file stays: removing
// a flock'd file races with a process that has just opened it (it would
// lock the removed file while a third process locks a new one).
func release(l *Lock) error {
	return l.f.Close()
}
