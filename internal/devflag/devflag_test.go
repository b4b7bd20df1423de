package devflag

import (
	"errors"
	"strings"
	"testing"

	"github.com/distilgo/distilgo/cuda"
)

func TestOpen(t *testing.T) {
	if d, err := Open("--device", "cpu", cuda.Options{}); d != nil || err != nil {
		t.Errorf("cpu: %v, %v; want nil, nil", d, err)
	}
	if _, err := Open("--device", "tpu", cuda.Options{}); err == nil || !strings.Contains(err.Error(), `--device "tpu": want cpu or cuda`) {
		t.Errorf("tpu: err %v", err)
	}
	opts := cuda.Options{LibCUDA: "/nonexistent/libcuda.so"}
	_, openErr := cuda.Open(opts)
	d, err := Open("--device", "cuda", opts)
	switch {
	case !errors.Is(openErr, cuda.ErrNotBuilt):
		if err == nil || !strings.HasPrefix(err.Error(), "--device cuda: ") {
			t.Errorf("cuda with a missing driver library: %v, %v", d, err)
		}
	case err == nil || !strings.Contains(err.Error(), "--device cuda: this binary was built without CUDA support") || !strings.Contains(err.Error(), "-tags cuda"):
		t.Errorf("cuda in a build without it: err %v, want one naming the flag and the build tag", err)
	}
}
