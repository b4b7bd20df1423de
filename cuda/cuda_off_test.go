//go:build !cuda || !cgo

package cuda

import (
	"errors"
	"testing"
)

func TestOpenWithoutTagFails(t *testing.T) {
	d, err := Open(Options{})
	if d != nil || !errors.Is(err, ErrNotBuilt) {
		t.Fatalf("Open = %v, %v; want nil, ErrNotBuilt", d, err)
	}
}
