package tensor

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The host accessors copy exactly Size() values and share storage where
// they say they do (Host, SetHost).
func TestHostAccess(t *testing.T) {
	x := FromData([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	got := make([]float32, 6)
	x.CopyTo(got)
	if diff := cmp.Diff([]float32{1, 2, 3, 4, 5, 6}, got); diff != "" {
		t.Errorf("CopyTo (-want +got):\n%s", diff)
	}
	got[0] = 99 // a copy: x is unchanged
	x.CopyFrom([]float32{6, 5, 4, 3, 2, 1})
	if diff := cmp.Diff([]float32{6, 5, 4, 3, 2, 1}, x.Host()); diff != "" {
		t.Errorf("Host after CopyFrom (-want +got):\n%s", diff)
	}
	x.Host()[5] = 7 // Host is the storage
	if got := x.Host()[5]; got != 7 {
		t.Errorf("write through Host: got %v, want 7", got)
	}
	buf := []float32{0, 0, 0, 0, 0, 0, 8}
	x.SetHost(buf[1:7])
	buf[6] = 9
	if diff := cmp.Diff([]float32{0, 0, 0, 0, 0, 9}, x.Host()); diff != "" {
		t.Errorf("Host after SetHost (-want +got):\n%s", diff)
	}
	if got := Scalar(2.5).Item(); got != 2.5 {
		t.Errorf("Scalar(2.5).Item() = %v", got)
	}
}

// Wrong lengths are programmer errors: each panics naming the method and
// both sizes.
func TestHostAccessPanics(t *testing.T) {
	x := New(2, 3)
	for _, tc := range []struct {
		name, want string
		f          func()
	}{
		{"CopyTo", "tensor.CopyTo: len(dst)=5, tensor [2 3] has 6 elements", func() { x.CopyTo(make([]float32, 5)) }},
		{"CopyFrom", "tensor.CopyFrom: len(src)=7, tensor [2 3] has 6 elements", func() { x.CopyFrom(make([]float32, 7)) }},
		{"SetHost", "tensor.SetHost: len(data)=2 does not match shape [2 3] (size 6)", func() { x.SetHost(make([]float32, 2)) }},
		{"Item", "tensor.Item: shape [2 3] has 6 elements, want 1", func() { x.Item() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				msg := fmt.Sprint(recover())
				if !strings.Contains(msg, tc.want) {
					t.Errorf("panic %q, want %q", msg, tc.want)
				}
			}()
			tc.f()
		})
	}
}
