package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGoName(t *testing.T) {
	for in, want := range map[string]string{"k_fill": "kFill", "k_layernorm_bwd": "kLayernormBwd", "k_colsum_part": "kColsumPart"} {
		if got := goName(in); got != want {
			t.Errorf("goName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	const hdr = "typedef struct { int n; } EwArgs;\n"
	for _, c := range []struct{ name, src, want string }{
		{"none", "int x;", "no kernel declarations"},
		{"twice", "extern \"C\" __global__ void k_a(const EwArgs a) {}\nextern \"C\" __global__ void k_a(const EwArgs a) {}", "declared twice"},
		{"unknown args", "extern \"C\" __global__ void k_a(const FooArgs a) {}", "FooArgs is not defined"},
		{"other form", "extern \"C\" __global__ void k_a(const EwArgs a) {}\n__global__ void k_b(EwArgs a) {}", "2 __global__ declarations but 1"},
	} {
		_, err := parse(c.src, hdr)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// The committed lists are what the generator makes from kernels.cu now
// (make generate-check checks the same in CI).
func TestCommittedOutputIsCurrent(t *testing.T) {
	dir := filepath.Join("..", "..")
	src, err := os.ReadFile(filepath.Join(dir, "kernels.cu"))
	if err != nil {
		t.Fatal(err)
	}
	hdr, err := os.ReadFile(filepath.Join(dir, "kargs.h"))
	if err != nil {
		t.Fatal(err)
	}
	ks, err := parse(string(src), string(hdr))
	if err != nil {
		t.Fatal(err)
	}
	goSrc, err := goFile(ks)
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{"kernels_gen.go": string(goSrc), "testdata/emu/kernels_gen.h": string(cHeader(ks))} {
		got, err := os.ReadFile(filepath.Join(dir, path))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, string(got)); diff != "" {
			t.Errorf("cuda/%s is stale: run go generate ./cuda/ (-want +got):\n%s", path, diff)
		}
	}
}
