package kernels

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestBF16Encodings checks every instruction that the generator emits as
// bytes (VDPBF16PS, VCVTNE2PS2BF16: the Go assembler knows neither) against
// GNU as: each byte line of bf16_amd64.s follows a comment holding the
// instruction in GNU syntax; all of them are assembled in one file and the
// machine code must equal the bytes, instruction by instruction. It needs
// binutils (as, objcopy), not the instructions themselves.
func TestBF16Encodings(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("GNU as here targets " + runtime.GOARCH + ", not amd64: bf16 encodings not checked")
	}
	for _, tool := range []string{"as", "objcopy"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("binutils %s not found: bf16 encodings not checked (apt-get install binutils)", tool)
		}
	}
	src, err := os.ReadFile("bf16_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	type inst struct {
		gnu   string
		bytes []byte
		line  int
	}
	mnemonic := regexp.MustCompile(`^\s*// ((?:vdpbf16ps|vcvtne2ps2bf16) .*)$`)
	lines := strings.Split(string(src), "\n")
	var insts []inst
	seen := map[string]bool{}
	for i := 0; i+1 < len(lines); i++ {
		m := mnemonic.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		var code []byte
		for _, stmt := range strings.Split(strings.TrimSpace(lines[i+1]), ";") {
			f := strings.Fields(stmt)
			if len(f) != 2 || f[0] != "BYTE" || !strings.HasPrefix(f[1], "$0x") {
				t.Fatalf("bf16_amd64.s:%d: %q after %q is not a BYTE line", i+2, lines[i+1], m[1])
			}
			v, err := strconv.ParseUint(f[1][3:], 16, 8)
			if err != nil {
				t.Fatalf("bf16_amd64.s:%d: %v", i+2, err)
			}
			code = append(code, byte(v))
		}
		if key := m[1] + fmt.Sprint(code); !seen[key] {
			seen[key] = true
			insts = append(insts, inst{m[1], code, i + 1})
		}
	}
	if len(insts) < 10 {
		t.Fatalf("found %d byte-encoded instructions in bf16_amd64.s, want the bf16 kernels' (generator comments changed?)", len(insts))
	}
	dir := t.TempDir()
	var asm strings.Builder
	asm.WriteString("\t.text\n")
	for _, in := range insts {
		asm.WriteString("\t" + in.gnu + "\n")
	}
	sFile, oFile, bin := filepath.Join(dir, "x.s"), filepath.Join(dir, "x.o"), filepath.Join(dir, "x.bin")
	if err := os.WriteFile(sFile, []byte(asm.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range [][]string{{"as", "--64", "-o", oFile, sFile}, {"objcopy", "-O", "binary", "--only-section=.text", oFile, bin}} {
		if out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(cmd, " "), err, out)
		}
	}
	want, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	off := 0
	for _, in := range insts {
		end := min(off+len(in.bytes), len(want))
		if !bytes.Equal(in.bytes, want[off:end]) {
			t.Fatalf("bf16_amd64.s:%d: %s: generated % x, GNU as % x", in.line, in.gnu, in.bytes, want[off:min(off+8, len(want))])
		}
		off = end
	}
	if off != len(want) {
		t.Fatalf("GNU as produced %d bytes, the generated encodings %d", len(want), off)
	}
	t.Logf("%d distinct byte-encoded instructions match GNU as", len(insts))
}
