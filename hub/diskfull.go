//go:build !plan9 && !windows

package hub

import (
	"errors"
	"syscall"
)

// isDiskFull reports whether err is a write failure for lack of space.
func isDiskFull(err error) bool { return errors.Is(err, syscall.ENOSPC) }
