package kernels

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestNEONAsmComments checks that every WORD-encoded instruction in the
// NEON assembly carries, in its comment, the instruction that its macro
// arguments encode, e.g. FMLA_S4_ELEM(8, 2, 0, 1) // FMLA V8.4S, V2.4S, V0.S[1].
// (Runs on every architecture: it reads the sources.)
func TestNEONAsmComments(t *testing.T) {
	use := regexp.MustCompile(`(?m)^\t([A-Z]+)_S4(_ELEM)?\(([0-9, ]+)\)(.*)$`)
	want := map[string]int{"gemm_neon_arm64.s": 24 * 2, "rows_neon_arm64.s": 20}
	for file, least := range want {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		uses := use.FindAllStringSubmatch(string(src), -1)
		if len(uses) < least {
			t.Fatalf("%s: %d uses of the encoding macros, want at least %d", file, len(uses), least)
		}
		for _, u := range uses {
			args := strings.Split(strings.ReplaceAll(u[3], " ", ""), ",")
			regs := make([]string, len(args))
			for i, a := range args {
				regs[i] = "V" + a + ".4S"
			}
			if u[2] == "_ELEM" {
				if len(args) != 4 {
					t.Errorf("%s: %q: want 4 arguments", file, u[0])
					continue
				}
				regs = []string{regs[0], regs[1], fmt.Sprintf("V%s.S[%s]", args[2], args[3])}
			}
			if wantComment := "// " + u[1] + " " + strings.Join(regs, ", "); strings.TrimSpace(u[4]) != wantComment {
				t.Errorf("%s: %q: comment should read %q", file, u[0], wantComment)
			}
		}
	}
}
