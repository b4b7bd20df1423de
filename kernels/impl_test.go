package kernels

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestLevels(t *testing.T) {
	ls := Levels()
	if len(ls) == 0 || ls[len(ls)-1] != LevelGeneric {
		t.Fatalf("Levels() = %v, want generic last", ls)
	}
	if !slices.Contains(ls, Level()) {
		t.Fatalf("Level() = %q not in %v", Level(), ls)
	}
	if os.Getenv(EnvLevel) == "" && Level() != ls[0] {
		t.Fatalf("start-up level %q, want the best, %q", Level(), ls[0])
	}
	if asmBuild && runtime.GOARCH == "amd64" && !slices.Contains(ls, LevelAVX2) && hasAVX2Test() {
		t.Fatalf("AVX2 CPU but Levels() = %v", ls)
	}
	if asmBuild && runtime.GOARCH == "arm64" && !slices.Contains(ls, LevelNEON) {
		t.Fatalf("arm64 build but Levels() = %v, want neon", ls)
	}
	if err := Use("sse9"); err == nil || !strings.Contains(err.Error(), "unknown") {
		t.Fatalf("Use(sse9) = %v, want an unknown-level error", err)
	}
	for _, l := range []string{LevelAVX512, LevelAVX2, LevelNEON} {
		if !slices.Contains(ls, l) {
			if err := Use(l); err == nil || !strings.Contains(err.Error(), "not supported") {
				t.Fatalf("Use(%s) on a CPU without it = %v, want a not-supported error", l, err)
			}
		}
	}
}

// hasAVX2Test reads /proc/cpuinfo independently of cpuid.
func hasAVX2Test() bool {
	b, err := os.ReadFile("/proc/cpuinfo")
	return err == nil && strings.Contains(string(b), " avx2 ") && strings.Contains(string(b), " fma ")
}

// TestEnvLevel runs this test binary again with DISTILGO_KERNELS set and
// checks the level it starts with (and that a bad value stops start-up).
func TestEnvLevel(t *testing.T) {
	if os.Getenv("DISTILGO_KERNELS_CHILD") != "" {
		os.Stdout.WriteString("level=" + Level() + "\n")
		return
	}
	if testing.Short() {
		t.Skip("spawns processes")
	}
	for _, want := range Levels() {
		cmd := exec.Command(os.Args[0], "-test.run=^TestEnvLevel$")
		cmd.Env = append(os.Environ(), EnvLevel+"="+want, "DISTILGO_KERNELS_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "level="+want+"\n") {
			t.Fatalf("%s=%s: err %v, output %s", EnvLevel, want, err, out)
		}
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestEnvLevel$")
	cmd.Env = append(os.Environ(), EnvLevel+"=sse9", "DISTILGO_KERNELS_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "DISTILGO_KERNELS") {
		t.Fatalf("bad %s: err %v, output %s", EnvLevel, err, out)
	}
}

// TestAsmAVX2UsesVEXOnly: the AVX2 functions must run on CPUs without
// AVX-512, so they may use neither zmm nor mask registers nor the registers
// 16-31 (which force the EVEX encoding).
func TestAsmAVX2UsesVEXOnly(t *testing.T) {
	files, err := filepath.Glob("*_amd64.s") // the generated families
	if err != nil || len(files) == 0 {
		t.Fatalf("no generated *_amd64.s files (%v)", err)
	}
	evex := regexp.MustCompile(`\b([XY](1[6-9]|2[0-9]|3[01])|Z[0-9]+|K[0-7])\b`)
	avx2 := 0
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		fn := ""
		for _, line := range strings.Split(string(src), "\n") {
			if strings.HasPrefix(line, "TEXT ") {
				fn = line
				if strings.Contains(fn, "AVX2") {
					avx2++
				}
			}
			if strings.Contains(fn, "AVX2") && evex.MatchString(line) {
				t.Errorf("%s: %s: EVEX-only register in %q", name, fn, line)
			}
		}
	}
	if avx2 == 0 {
		t.Errorf("no AVX2 function in %v", files)
	}
}
