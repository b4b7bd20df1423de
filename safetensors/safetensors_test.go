package safetensors

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestF16AllValues checks the conversion of every one of the 65536 half
// values against the definition of binary16, evaluated in float64:
// (-1)^s * 2^(e-15) * (1 + m/1024) for normals, (-1)^s * 2^-14 * m/1024 for
// subnormals. Every half value is exact in float32, so the comparison is
// exact (NaNs only need to stay NaN with the same sign).
func TestF16AllValues(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		s, e, m := h>>15, (h>>10)&0x1f, h&0x3ff
		var want float64
		switch {
		case e == 0x1f && m == 0:
			want = math.Inf(1)
		case e == 0x1f:
			want = math.NaN()
		case e == 0:
			want = math.Ldexp(float64(m)/1024, -14)
		default:
			want = math.Ldexp(1+float64(m)/1024, e-15)
		}
		if s == 1 {
			want = -want
		}
		got := f16ToF32(uint16(h))
		if math.IsNaN(want) {
			if !math.IsNaN(float64(got)) || math.Signbit(float64(got)) != (s == 1) {
				t.Fatalf("f16 %#04x: got %v, want NaN with sign %d", h, got, s)
			}
			continue
		}
		if float64(got) != want || math.Signbit(float64(got)) != (s == 1) {
			t.Fatalf("f16 %#04x: got %v, want %v", h, got, want)
		}
	}
}

// TestBF16AllValues checks bfloat16 conversion against its definition: the
// 16 bits are the upper half of a float32 (exact, NaNs kept).
func TestBF16AllValues(t *testing.T) {
	for b := 0; b < 1<<16; b++ {
		s, e, m := b>>15, (b>>7)&0xff, b&0x7f
		var want float64
		switch {
		case e == 0xff && m == 0:
			want = math.Inf(1)
		case e == 0xff:
			want = math.NaN()
		case e == 0:
			want = math.Ldexp(float64(m)/128, -126)
		default:
			want = math.Ldexp(1+float64(m)/128, e-127)
		}
		if s == 1 {
			want = -want
		}
		got := float64(bf16ToF32(uint16(b)))
		if math.IsNaN(want) != math.IsNaN(got) || (!math.IsNaN(want) && (got != want || math.Signbit(got) != (s == 1))) {
			t.Fatalf("bf16 %#04x: got %v, want %v", b, got, want)
		}
	}
}

// goldenPath is the file written by tools/golden/gen_safetensors.py.
const goldenPath = "testdata/python_dtypes.safetensors"

// TestPythonGolden reads a file written by the plain-Python writer and checks
// every value exactly (the literals below are those the script packs).
func TestPythonGolden(t *testing.T) {
	f, err := Open(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	wantNames := []string{"a \"quoted\" name/é", "bf16", "bool", "empty", "f16", "f32", "f64", "i32", "i64", "scalar", "u8"}
	if diff := cmp.Diff(wantNames, f.Names()); diff != "" {
		t.Errorf("Names (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"format": "pt", "written_by": "tools/golden/gen_safetensors.py"}, f.Metadata()); diff != "" {
		t.Errorf("Metadata (-want +got):\n%s", diff)
	}

	inf := float32(math.Inf(1))
	floats := []struct {
		name  string
		shape []int
		want  []float32
	}{
		{"f32", []int{2, 3}, []float32{0, 1, -1.5, math.MaxFloat32, math.SmallestNonzeroFloat32, float32(math.Copysign(0, -1))}},
		{"f16", []int{12}, []float32{0, 1, -2, 0.5, 65504, 0x1p-14, 0x1p-24, 3 * 0x1p-24, -1023 * 0x1p-24, inf, -inf, float32(math.NaN())}},
		{"bf16", []int{2, 4}, []float32{1, -2.5, 3.140625, 3.3895313892515355e38, 0x1p-133, float32(math.Copysign(0, -1)), inf, 65536}},
		{"f64", []int{3}, []float32{0.1, -inf, 0}},
		{"scalar", []int{}, []float32{42}},
		{"empty", []int{0, 4}, []float32{}},
		{"a \"quoted\" name/é", []int{1}, []float32{7}},
	}
	// Bitwise comparison: distinguishes -0 from 0 and treats NaN == NaN.
	bitsEq := cmp.Comparer(func(a, b float32) bool {
		return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
	})
	for _, tc := range floats {
		got, shape, err := f.Float32(tc.name)
		if err != nil {
			t.Errorf("Float32(%q): %v", tc.name, err)
			continue
		}
		if diff := cmp.Diff(tc.shape, shape); diff != "" {
			t.Errorf("%s shape (-want +got):\n%s", tc.name, diff)
		}
		if diff := cmp.Diff(tc.want, got, bitsEq); diff != "" {
			t.Errorf("%s values (-want +got):\n%s", tc.name, diff)
		}
	}

	ints := []struct {
		name string
		want []int64
	}{
		{"i64", []int64{-100, 0, 1 << 40}},
		{"i32", []int64{-7, math.MaxInt32}},
		{"u8", []int64{0, 255}},
		{"bool", []int64{1, 0}},
	}
	for _, tc := range ints {
		got, _, err := f.Int64(tc.name)
		if err != nil {
			t.Errorf("Int64(%q): %v", tc.name, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

// TestWriterMatchesPython re-encodes the Python golden's raw tensors with
// WriteRaw: the output must be byte-identical (same sort order, offsets,
// compact JSON, escaping and padding as the reference serializer).
func TestWriterMatchesPython(t *testing.T) {
	want, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	f, err := FromBytes(want)
	if err != nil {
		t.Fatal(err)
	}
	var ts []RawTensor
	for _, name := range f.Names() {
		info, raw, err := f.Raw(name)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, RawTensor{Name: name, DType: info.DType, Shape: info.Shape, Data: raw})
	}
	path := filepath.Join(t.TempDir(), "out.safetensors")
	if err := WriteRaw(path, ts, f.Metadata()); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("WriteRaw output differs from the Python-written file:\n got %q\nwant %q", got[:min(len(got), 400)], want[:min(len(want), 400)])
	}
}

// TestHeaderLayout pins the exact bytes for a small F32 file: sorted names,
// "__metadata__" first with "format":"pt" added, compact JSON, space
// padding to 8 bytes.
func TestHeaderLayout(t *testing.T) {
	var buf bytes.Buffer
	err := Encode(&buf, []Tensor{
		{Name: "b", Shape: []int{2}, Data: []float32{1, 2}},
		{Name: "a", Shape: []int{}, Data: []float32{3}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	hdr := `{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`
	for len(hdr)%8 != 0 {
		hdr += " "
	}
	var want bytes.Buffer
	binary.Write(&want, binary.LittleEndian, uint64(len(hdr)))
	want.WriteString(hdr)
	binary.Write(&want, binary.LittleEndian, []float32{3, 1, 2})
	if diff := cmp.Diff(want.Bytes(), buf.Bytes()); diff != "" {
		t.Errorf("encoded bytes (-want +got):\n%s", diff)
	}
}

// TestRoundTrip writes float32 tensors and reads them back bit-exactly,
// through Open (mmap) and FromBytes; Encode and Write produce the same bytes.
func TestRoundTrip(t *testing.T) {
	ts := []Tensor{
		{Name: "w", Shape: []int{3, 4}, Data: []float32{1, -2, 3.5, 1e-30, 1e30, float32(math.Inf(-1)), 0, 7, 8, 9, 10, 11}},
		{Name: "bias", Shape: []int{4}, Data: []float32{0.25, 0.5, 0.75, 1}},
		{Name: "scalar", Shape: nil, Data: []float32{-1}},
		{Name: "empty", Shape: []int{0}, Data: []float32{}},
	}
	meta := map[string]string{"step": "12", "format": "pt"}
	path := filepath.Join(t.TempDir(), "rt.safetensors")
	if err := Write(path, ts, meta); err != nil {
		t.Fatal(err)
	}
	var enc bytes.Buffer
	if err := Encode(&enc, ts, meta); err != nil {
		t.Fatal(err)
	}
	onDisk, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onDisk, enc.Bytes()) {
		t.Error("Write and Encode produce different bytes")
	}
	mem, err := FromBytes(onDisk)
	if err != nil {
		t.Fatal(err)
	}
	disk, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer disk.Close()
	for _, f := range []*File{mem, disk} {
		if diff := cmp.Diff(meta, f.Metadata()); diff != "" {
			t.Errorf("metadata (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"bias", "empty", "scalar", "w"}, f.Names()); diff != "" {
			t.Errorf("names (-want +got):\n%s", diff)
		}
		for _, tt := range ts {
			got, shape, err := f.Float32(tt.Name)
			if err != nil {
				t.Fatal(err)
			}
			wantShape := tt.Shape
			if wantShape == nil {
				wantShape = []int{}
			}
			if diff := cmp.Diff(wantShape, shape); diff != "" {
				t.Errorf("%s shape (-want +got):\n%s", tt.Name, diff)
			}
			if diff := cmp.Diff(tt.Data, got); diff != "" {
				t.Errorf("%s data (-want +got):\n%s", tt.Name, diff)
			}
			info, ok := f.Info(tt.Name)
			if !ok || info.DType != F32 || info.NumElements() != len(tt.Data) {
				t.Errorf("Info(%q) = %+v, %v", tt.Name, info, ok)
			}
		}
	}
}

// TestWriteRawRoundTrip writes mixed dtypes and checks the data area order
// (descending dtype rank, then name) and the values.
func TestWriteRawRoundTrip(t *testing.T) {
	le := binary.LittleEndian
	i64 := le.AppendUint64(le.AppendUint64(nil, uint64(1<<62)), uint64(math.MaxUint64)) // 2^62, -1
	f16 := le.AppendUint16(le.AppendUint16(nil, 0x3c00), 0xc000)                        // 1, -2
	u8 := []byte{9}
	path := filepath.Join(t.TempDir(), "raw.safetensors")
	err := WriteRaw(path, []RawTensor{
		{Name: "z_u8", DType: U8, Shape: []int{1}, Data: u8},
		{Name: "a_f16", DType: F16, Shape: []int{2}, Data: f16},
		{Name: "m_i64", DType: I64, Shape: []int{2}, Data: i64},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	offsets := map[string][2]int64{}
	for _, n := range f.Names() {
		info, _ := f.Info(n)
		offsets[n] = [2]int64{info.Begin, info.End}
	}
	wantOffsets := map[string][2]int64{"m_i64": {0, 16}, "a_f16": {16, 20}, "z_u8": {20, 21}}
	if diff := cmp.Diff(wantOffsets, offsets); diff != "" {
		t.Errorf("offsets (-want +got):\n%s", diff)
	}
	gotI, _, err := f.Int64("m_i64")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{1 << 62, -1}, gotI); diff != "" {
		t.Errorf("m_i64 (-want +got):\n%s", diff)
	}
	gotF, _, err := f.Float32("a_f16")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]float32{1, -2}, gotF); diff != "" {
		t.Errorf("a_f16 (-want +got):\n%s", diff)
	}
}
