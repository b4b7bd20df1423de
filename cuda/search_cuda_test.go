//go:build cuda && cgo

package cuda

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCandidates(t *testing.T) {
	root := t.TempDir()
	mk := func(rel string) string {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a12 := mk("a/libcublas.so.12")
	a1201 := mk("a/libcublas.so.12.0.1")
	mk("a/libcublasLt.so.12") // not matched by libcublas.so*
	b13 := mk("b/libcublas.so.13.0.0")
	os.MkdirAll(filepath.Join(root, "c/libcublas.so.14"), 0o755) // a directory: skipped
	got := candidates([]string{"libcublas.so.13", "libcublas.so.12"}, "libcublas.so*",
		[]string{filepath.Join(root, "a"), filepath.Join(root, "missing"), filepath.Join(root, "b"), filepath.Join(root, "c")})
	want := []string{"libcublas.so.13", "libcublas.so.12", a12, a1201, b13}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("candidates (-want +got):\n%s", diff)
	}
}

func TestSortByVersionDesc(t *testing.T) {
	got := []string{"/usr/local/cuda-11.8", "/usr/local/cuda-12.10", "/usr/local/cuda-12.9", "/usr/local/cuda-13.0"}
	sortByVersionDesc(got)
	want := []string{"/usr/local/cuda-13.0", "/usr/local/cuda-12.10", "/usr/local/cuda-12.9", "/usr/local/cuda-11.8"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

// A missing library is an error that names it and says how to point at it.
func TestMissingLibraryError(t *testing.T) {
	l := libs.nvrtc
	var bound string
	_, err := load(&l, filepath.Join(t.TempDir(), "libnvrtc.so.99"), &bound)
	if err == nil {
		t.Fatal("load of a missing file succeeded")
	}
	for _, want := range []string{"NVRTC", "Options.LibNVRTC", "libnvrtc.so.99"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}
