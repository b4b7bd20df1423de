//go:build !linux

package progress

import "os"

// isTerminal reports whether f is a character device: a terminal in
// practice (it is also true of /dev/null, which only costs a few escape
// sequences sent nowhere).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
