package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/distilgo/distilgo/cuda"
)

// --device names a device this binary can run on, or fails before any
// work with an error naming the flag (and, in a build without CUDA, the
// build tag).
func TestDeviceFlagErrors(t *testing.T) {
	_, openErr := cuda.Open(cudaOptions)
	built := !errors.Is(openErr, cuda.ErrNotBuilt)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown", []string{"--device", "tpu"}, `--device "tpu": want cpu or cuda`},
		{"cuda with ddp", []string{"--device", "cuda", "--ddp"}, "--device cuda"},
	}
	if !built {
		tests = append(tests, struct {
			name string
			args []string
			want string
		}{"cuda not built", []string{"--device", "cuda"}, "--device cuda: this binary was built without CUDA support: rebuild it with CGO_ENABLED=1 go build -tags cuda"})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := runCmd(t, append(tc.args, "--output-dir", t.TempDir(), "--data", "nonexistent.txt")...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}
