// Package cudaemu gives tests outside package cuda a CUDA device to run on:
// a real GPU when one opens, else the CPU emulator of the CUDA kernels
// (cuda/testdata/emu/emu.cpp, built with g++), which runs the same
// kernels.cu with every CUDA thread as a coroutine. It is how CI runs
// finetune --device cuda without a GPU.
package cudaemu

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/distilgo/distilgo/cuda"
)

// Options returns the cuda.Options that open a device for tb: the zero
// Options when a GPU opens, else those of the emulator, built into a
// temporary directory of tb. Without either tb is skipped (failed under
// CI=true, where .ci/run installs g++), and in a build without -tags cuda
// it is skipped.
func Options(tb testing.TB) cuda.Options {
	tb.Helper()
	d, err := cuda.Open(cuda.Options{})
	if err == nil {
		d.Close()
		return cuda.Options{}
	}
	skip := tb.Skipf
	if os.Getenv("CI") == "true" {
		skip = tb.Fatalf
	}
	switch {
	case errors.Is(err, cuda.ErrNotBuilt):
		tb.Skip("built without -tags cuda")
	case runtime.GOOS != "linux" || runtime.GOARCH != "amd64":
		tb.Skipf("no GPU (%v), and the CUDA emulator runs on linux/amd64 only", err)
	}
	cxx, lerr := exec.LookPath("g++")
	if lerr != nil {
		skip("no GPU (%v), and no g++ to build the CUDA emulator", err)
	}
	_, file, _, _ := runtime.Caller(0)
	src := filepath.Join(filepath.Dir(file), "..", "..", "cuda", "testdata", "emu", "emu.cpp")
	lib := filepath.Join(tb.TempDir(), "libdistilgo_emucuda.so")
	if out, err := exec.Command(cxx, "-O2", "-std=c++17", "-shared", "-fPIC", "-o", lib, src).CombinedOutput(); err != nil {
		tb.Fatalf("build the CUDA emulator: %v\n%s", err, out)
	}
	tb.Logf("no GPU (%v): running on the CUDA emulator", err)
	return cuda.Options{LibCUDA: lib, LibCUBLAS: lib, LibNVRTC: lib}
}
