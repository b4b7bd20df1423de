package hub

import (
	"errors"
	"syscall"
)

// isDiskFull reports whether err is a write failure for lack of space:
// ERROR_DISK_FULL (112), ERROR_HANDLE_DISK_FULL (39), or Go's ENOSPC.
func isDiskFull(err error) bool {
	var errno syscall.Errno
	return errors.Is(err, syscall.ENOSPC) || (errors.As(err, &errno) && (errno == 112 || errno == 39))
}
