package kernels

import (
	"os"
	"regexp"
	"testing"
)

// TestNEONAsmComments checks that every WORD-encoded instruction in the
// NEON assembly carries, in its comment, the instruction its macro
// arguments encode: FMLA_S4_ELEM(d, n, m, i) // FMLA Vd.4S, Vn.4S, Vm.S[i].
// (Runs on every architecture: it reads the source.)
func TestNEONAsmComments(t *testing.T) {
	src, err := os.ReadFile("gemm_neon_arm64.s")
	if err != nil {
		t.Fatal(err)
	}
	use := regexp.MustCompile(`(?m)^\t(FMLA|FMUL)_S4_ELEM\((\d+), (\d+), (\d+), (\d)\)(.*)$`)
	comment := regexp.MustCompile(`^ // (FMLA|FMUL) V(\d+)\.4S, V(\d+)\.4S, V(\d+)\.S\[(\d)\]$`)
	uses := use.FindAllStringSubmatch(string(src), -1)
	if len(uses) < 24 {
		t.Fatalf("found %d uses of the by-element macros, want at least the kernel's 24 FMLAs", len(uses))
	}
	for _, u := range uses {
		c := comment.FindStringSubmatch(u[6])
		if c == nil {
			t.Errorf("%q: no comment naming the instruction", u[0])
			continue
		}
		for i := 1; i <= 5; i++ {
			if c[i] != u[i] {
				t.Errorf("%q: comment disagrees with the macro arguments", u[0])
				break
			}
		}
	}
}
