// Package dirlock gives a process exclusive use of a directory for its
// whole life: an advisory lock on a lock file inside it, which names the
// holder's PID for the error a second process gets.
//
// On Unix the lock is flock(2): the kernel releases it when the process
// exits in any way (kill -9 included), so a lock is never stale and the
// lock file can stay in the directory. Elsewhere the lock file is created
// exclusively and removed on Release; a process that dies without
// releasing leaves it behind, and the error says to delete it.
package dirlock

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// FileName is the lock file inside a locked directory. It is hidden, so
// that listings of the directory's files (and checks for a previous run's
// files) pass over it.
const FileName = ".distilgo.lock"

// Lock is a held directory lock.
type Lock struct {
	dir string
	f   *os.File
}

// Acquire creates dir if needed and locks it, without waiting: when another
// process holds the lock it fails at once with an error naming dir and the
// holder's PID.
func Acquire(dir string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lock directory %s: %w", dir, err)
	}
	return acquire(dir, filepath.Join(dir, FileName))
}

// Dir is the locked directory.
func (l *Lock) Dir() string { return l.dir }

// Release unlocks the directory. It is safe to call more than once.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := release(l)
	l.f = nil
	return err
}

// busyError is what a second process gets.
func busyError(dir string, pid int) error {
	holder := "another process"
	if pid > 0 {
		holder = fmt.Sprintf("process %d", pid)
	}
	return fmt.Errorf("directory %s is in use by %s (another run writes into it); wait for it to finish or choose another directory", dir, holder)
}

// readPID reads the PID written in a lock file (0 when unknown: the holder
// may not have written it yet).
func readPID(f *os.File) int {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	pid, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// writePID replaces the lock file's content with this process's PID.
func writePID(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return err
}
