package kernels

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestNEONAsmComments checks that every WORD-encoded instruction in the
// NEON assembly carries, in its comment, the instruction that its macro
// arguments encode, e.g. FMLA_S4_ELEM(8, 2, 0, 1) // FMLA V8.4S, V2.4S, V0.S[1].
// (Runs on every architecture: it reads the sources.)
func TestNEONAsmComments(t *testing.T) {
	use := regexp.MustCompile(`(?m)^\t([A-Z]+)_S4(_ELEM)?\(([0-9, ]+)\)(.*)$`)
	want := map[string]int{"gemm_neon_arm64.s": 24 * 2, "rows_neon_arm64.s": 20, "math_neon_arm64.s": 120}
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

// TestNEONExpBlocks checks that the exp blocks written out in
// math_neon_arm64.s (one per use) are identical, so that a change to one
// is made to all.
func TestNEONExpBlocks(t *testing.T) {
	src, err := os.ReadFile("math_neon_arm64.s")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile(`(?s)// exp block: V1 = exp\(V0\)\n(.*?)// end exp block`).FindAllStringSubmatch(string(src), -1)
	if len(blocks) != 7 {
		t.Fatalf("%d exp blocks, want 7 (exp, smExpSum, expSum, expScale, gelu, geluBackward twice)", len(blocks))
	}
	for i, b := range blocks[1:] {
		if b[1] != blocks[0][1] {
			t.Errorf("exp block %d differs from the first:\n%s\nwant\n%s", i+1, b[1], blocks[0][1])
		}
	}
}

// TestNEONMathTable checks the constant table of math_neon_arm64.s against
// the Go constants of polyf32.go, and those against the coefficients of the
// AVX levels' generator (kernels/_asm), so that every level uses the same
// approximations. (Runs on every architecture: it reads the sources.)
func TestNEONMathTable(t *testing.T) {
	want := []float32{expLo, expHi, expLog2e, expMagic, expNegLn2Hi, expNegLn2Lo}
	want = append(want, expP[:]...)
	want = append(want, 1, 0.5, 2, 4, erfSplit, invSqrt2f, -0.5, invSqrt2Pif)
	want = append(want, erfSmall[:]...)
	want = append(want, erfLarge[:]...)
	want = append(want, 0)
	src, err := os.ReadFile("math_neon_arm64.s")
	if err != nil {
		t.Fatal(err)
	}
	data := regexp.MustCompile(`(?m)^DATA neonMath<>\+(\d+)\(SB\)/4, \$(0x[0-9a-f]{8})`).FindAllStringSubmatch(string(src), -1)
	if len(data) != len(want) {
		t.Fatalf("math_neon_arm64.s: %d DATA entries, want %d", len(data), len(want))
	}
	for i, d := range data {
		off, _ := strconv.Atoi(d[1])
		bits, _ := strconv.ParseUint(d[2], 0, 32)
		if off != 4*i || uint32(bits) != math.Float32bits(want[i]) {
			t.Errorf("DATA neonMath<>+%d = %s (%v), want offset %d = %#08x (%v)", off, d[2], math.Float32frombits(uint32(bits)), 4*i, math.Float32bits(want[i]), want[i])
		}
	}

	// The AVX generator's coefficient lists, wherever in kernels/_asm.
	files, _ := filepath.Glob("_asm/*.go")
	var gen strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		gen.Write(b)
	}
	list := func(re string) []float32 {
		m := regexp.MustCompile(re).FindStringSubmatch(gen.String())
		if m == nil {
			t.Fatalf("kernels/_asm: no match for %s", re)
		}
		var vs []float32
		for _, f := range strings.Split(m[1], ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 32)
			if err != nil {
				t.Fatalf("kernels/_asm: %s: %v", re, err)
			}
			vs = append(vs, float32(v))
		}
		return vs
	}
	for _, c := range []struct {
		name      string
		got, want []float32
	}{
		{"erfSmall", erfSmall[:], list(`erfSmall = \[\]float32\{([^}]*)\}`)},
		{"erfLarge", erfLarge[:], list(`erfLarge = \[\]float32\{([^}]*)\}`)},
		{"expP", expP[:], append(list(`cst\("expP0", ([0-9.e+-]+)\)`), list(`range \[\]float32\{([^}]*)\}`)...)},
		{"erfSplit", []float32{erfSplit}, list(`erfSplit = ([0-9.]+)`)},
		{"ln2", []float32{expNegLn2Hi, expNegLn2Lo}, append(list(`"negLn2Hi", ([0-9.e+-]+)\)`), list(`"negLn2Lo", ([0-9.e+-]+)\)`)...)},
	} {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s = %v in polyf32.go, %v in kernels/_asm", c.name, c.got, c.want)
		}
	}
}
