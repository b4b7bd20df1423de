//go:build cuda && cgo

package cuda

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// The tests run on a real GPU when Open finds one. Elsewhere they run on
// the CPU emulator of testdata/emu (built with g++ into a temporary
// directory), which executes the same kernels.cu with every CUDA thread as
// a coroutine and a reference SGEMM in place of cuBLAS: it checks the
// package's logic (device storage, launches, argument blocks, kernel
// code) but not the hardware, NVRTC or cuBLAS. Tests that measure the real
// thing (distilbert-base sizes, timing) skip on the emulator.

var testDev struct {
	once     sync.Once
	dev      *Device
	emulated bool
	why      string
	tmp      string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if testDev.dev != nil {
		testDev.dev.Close()
	}
	if testDev.tmp != "" {
		os.RemoveAll(testDev.tmp)
	}
	os.Exit(code)
}

// device returns the shared test device (GPU or emulator), or skips.
func device(t testing.TB) *Device {
	t.Helper()
	testDev.once.Do(openTestDevice)
	if os.Getenv("DISTILGO_CUDA_REQUIRE_GPU") != "" && (testDev.dev == nil || testDev.emulated) {
		// On the GPU machine a missing GPU is a failure, not a skip.
		t.Fatalf("DISTILGO_CUDA_REQUIRE_GPU is set but no GPU opened: %s", testDev.why)
	}
	if testDev.dev == nil {
		t.Skip(testDev.why)
	}
	return testDev.dev
}

// gpu returns the shared device if it is a real GPU, or skips.
func gpu(t testing.TB) *Device {
	t.Helper()
	d := device(t)
	if testDev.emulated {
		t.Skip("needs a real GPU (running on the CPU emulator)")
	}
	return d
}

func openTestDevice() {
	d, err := Open(Options{})
	if err == nil {
		testDev.dev = d
		fmt.Fprintf(os.Stderr, "cuda tests: %s\n", describe(d.Info()))
		return
	}
	gpuErr := err
	if os.Getenv("DISTILGO_CUDA_NO_EMU") != "" || os.Getenv("DISTILGO_CUDA_REQUIRE_GPU") != "" {
		testDev.why = fmt.Sprintf("no GPU: %v (emulator not used)", gpuErr)
		return
	}
	lib, err := buildEmulator()
	if err != nil {
		testDev.why = fmt.Sprintf("no GPU: %v; no emulator: %v", gpuErr, err)
		return
	}
	d, err = Open(Options{LibCUDA: lib, LibCUBLAS: lib, LibNVRTC: lib})
	if err != nil {
		testDev.why = fmt.Sprintf("no GPU: %v; emulator: %v", gpuErr, err)
		return
	}
	testDev.dev, testDev.emulated = d, true
	fmt.Fprintf(os.Stderr, "cuda tests: no GPU (%v); running on the CPU emulator\n", gpuErr)
}

func describe(in Info) string {
	return fmt.Sprintf("%s (sm_%d%d, %d SMs, %.1f GiB), driver %d, cuBLAS %d, NVRTC %d.%d, kernels as %s; %s, %s, %s",
		in.Name, in.Major, in.Minor, in.Multiprocessors, float64(in.TotalMemory)/(1<<30), in.DriverVersion,
		in.CUBLASVersion, in.NVRTCMajor, in.NVRTCMinor, in.Image, in.LibCUDA, in.LibCUBLAS, in.LibNVRTC)
}

// buildEmulator compiles testdata/emu/emu.cpp into a shared library.
func buildEmulator() (string, error) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		return "", fmt.Errorf("the emulator runs on linux/amd64 only")
	}
	cxx, err := exec.LookPath("g++")
	if err != nil {
		return "", fmt.Errorf("g++ not found")
	}
	dir, err := os.MkdirTemp("", "distilgo-cuda-emu")
	if err != nil {
		return "", err
	}
	testDev.tmp = dir
	out := filepath.Join(dir, "libdistilgo_emucuda.so")
	args := []string{"-O2", "-std=c++17", "-shared", "-fPIC", "-o", out, filepath.Join("testdata", "emu", "emu.cpp")}
	// For debugging the emulator or the kernels, e.g. "-fsanitize=address"
	// (then run with LD_PRELOAD of libasan).
	args = append(args, strings.Fields(os.Getenv("DISTILGO_CUDA_EMU_CFLAGS"))...)
	cmd := exec.Command(cxx, args...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("g++: %v: %s", err, msg)
	}
	return out, nil
}
