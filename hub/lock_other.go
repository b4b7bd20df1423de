//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package hub

import "context"

// fileLock is a no-op where flock(2) is unavailable: concurrent downloads
// of one blob by two processes are then not prevented.
type fileLock struct{}

func acquireLock(ctx context.Context, path string) (*fileLock, error) {
	return &fileLock{}, ctx.Err()
}

func (l *fileLock) release() {}
