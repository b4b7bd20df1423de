package safetensors

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// file assembles a safetensors file from a header string and a data size.
func file(hdr string, dataLen int) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
	b = append(b, hdr...)
	return append(b, make([]byte, dataLen)...)
}

func TestValidationErrors(t *testing.T) {
	hugeLen := binary.LittleEndian.AppendUint64(nil, MaxHeaderSize+1)
	tests := []struct {
		name   string
		buf    []byte
		kind   error
		detail string // substring of the message; names the tensor where there is one
	}{
		{"short file", []byte{1, 2, 3}, ErrHeaderSize, "fewer than the 8-byte"},
		{"header over limit", append(hugeLen, '{', '}'), ErrHeaderSize, "exceeds the limit"},
		{"header past end of file", append(binary.LittleEndian.AppendUint64(nil, 100), "{}"...), ErrHeaderSize, "exceeds the file"},
		{"invalid UTF-8", file("{\"\xff\":1}", 0), ErrHeaderJSON, "UTF-8"},
		{"not an object", file(`["x"]`, 0), ErrHeaderJSON, "start with '{'"},
		{"leading space", file(` {}`, 0), ErrHeaderJSON, "start with '{'"},
		{"bad JSON", file(`{"a":`, 0), ErrHeaderJSON, "not valid JSON"},
		{"trailing garbage", file(`{} x`, 0), ErrHeaderJSON, "not valid JSON"},
		{"duplicate name", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, 2), ErrHeaderJSON, `"a": bad header JSON: duplicate`},
		{"duplicate metadata", file(`{"__metadata__":{},"__metadata__":{}}`, 0), ErrHeaderJSON, "duplicate"},
		{"metadata not strings", file(`{"__metadata__":{"n":1}}`, 0), ErrHeaderJSON, "strings to strings"},
		{"entry not object", file(`{"w":[1]}`, 0), ErrHeaderJSON, `"w"`},
		{"missing dtype", file(`{"w":{"shape":[1],"data_offsets":[0,4]}}`, 4), ErrHeaderJSON, `missing "dtype"`},
		{"missing shape", file(`{"w":{"dtype":"F32","data_offsets":[0,4]}}`, 4), ErrHeaderJSON, `missing "shape"`},
		{"null shape", file(`{"w":{"dtype":"F32","shape":null,"data_offsets":[0,4]}}`, 4), ErrHeaderJSON, `bad "shape"`},
		{"missing offsets", file(`{"w":{"dtype":"F32","shape":[1]}}`, 4), ErrHeaderJSON, `missing "data_offsets"`},
		{"negative dim", file(`{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, 4), ErrHeaderJSON, `bad "shape"`},
		{"fractional dim", file(`{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, 4), ErrHeaderJSON, `bad "shape"`},
		{"dtype not a string", file(`{"w":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}`, 4), ErrHeaderJSON, `bad "dtype"`},
		{"unknown dtype", file(`{"w":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}`, 16), ErrDType, `"w": unknown dtype: "F128"`},
		{"lowercase dtype", file(`{"w":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}`, 4), ErrDType, `"f32"`},
		{"shape vs bytes mismatch", file(`{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}`, 12), ErrShape, "F32[2 2] needs 4 elements x 4 bytes"},
		{"shape overflow", file(`{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}`, 4), ErrShape, "overflows"},
		{"bytes overflow", file(`{"w":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,8]}}`, 8), ErrShape, "needs"},
		{"three offsets", file(`{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1,2]}}`, 1), ErrOffsets, "3 numbers"},
		{"reversed offsets", file(`{"w":{"dtype":"U8","shape":[0],"data_offsets":[1,0]}}`, 1), ErrOffsets, "end before begin"},
		{"offset overflow", file(`{"w":{"dtype":"U8","shape":[0],"data_offsets":[18446744073709551615,18446744073709551615]}}`, 0), ErrOffsets, "overflow"},
		{"outside data area", file(`{"w":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}`, 2), ErrOffsets, `"w": bad data_offsets: data_offsets [0, 4] outside`},
		{"gap", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}`, 3), ErrOffsets, `"b"`},
		{"gap at start", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, 2), ErrOffsets, "leaves a gap"},
		{"overlap", file(`{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}`, 3), ErrOffsets, "overlaps"},
		{"trailing data", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, 2), ErrOffsets, "cover 1 bytes of a data area of 2"},
	}
	dir := t.TempDir()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".safetensors")
			if err := os.WriteFile(path, tc.buf, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, via := range []string{"Open", "FromBytes"} {
				var err error
				if via == "Open" {
					var f *File
					f, err = Open(path)
					if err == nil {
						f.Close()
					}
				} else {
					_, err = FromBytes(tc.buf)
				}
				if !errors.Is(err, tc.kind) {
					t.Fatalf("%s: error %v, want %v", via, err, tc.kind)
				}
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Fatalf("%s: error %T is not a *FormatError", via, err)
				}
				if !strings.Contains(err.Error(), tc.detail) {
					t.Errorf("%s: error %q does not contain %q", via, err, tc.detail)
				}
				if via == "Open" && !strings.Contains(err.Error(), path) {
					t.Errorf("Open: error %q does not name the file", err)
				}
			}
		})
	}
}

func TestValidEdgeCases(t *testing.T) {
	tests := []struct {
		name string
		buf  []byte
		n    int
	}{
		{"empty object", file(`{}`, 0), 0},
		{"metadata only, padded", file(`{"__metadata__":{"format":"pt"}}       `, 0), 0},
		{"null metadata", file(`{"__metadata__":null}`, 0), 0},
		{"unknown extra key ignored", file(`{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"extra":true}}`, 1), 1},
		{"offsets out of name order", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, 2), 2},
		{"zero-size tensors anywhere", file(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"c":{"dtype":"F32","shape":[3,0],"data_offsets":[1,1]}}`, 1), 3},
	}
	for _, tc := range tests {
		f, err := FromBytes(tc.buf)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if f.Len() != tc.n {
			t.Errorf("%s: %d tensors, want %d", tc.name, f.Len(), tc.n)
		}
	}
}

func TestAccessErrors(t *testing.T) {
	le := binary.LittleEndian
	f, err := FromBytes(file(`{"f":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"i":{"dtype":"I64","shape":[1],"data_offsets":[8,16]},"u":{"dtype":"U64","shape":[1],"data_offsets":[16,24]},"e":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[24,25]}}`, 25))
	if err != nil {
		t.Fatal(err)
	}
	le.PutUint64(f.shards[0].data[16:], math.MaxUint64) // U64 beyond int64
	tests := []struct {
		name string
		call func() error
		kind error
		want string
	}{
		{"missing", func() error { _, _, err := f.Float32("nope"); return err }, ErrNotFound, `"nope"`},
		{"missing raw", func() error { _, _, err := f.Raw("nope"); return err }, ErrNotFound, `"nope"`},
		{"int as float", func() error { _, _, err := f.Float32("i"); return err }, ErrConvert, "I64 does not convert to float32"},
		{"fp8 as float", func() error { _, _, err := f.Float32("e"); return err }, ErrConvert, "F8_E4M3"},
		{"float as int", func() error { _, _, err := f.Int64("f"); return err }, ErrConvert, "F32 does not convert to int64"},
		{"u64 overflow", func() error { _, _, err := f.Int64("u"); return err }, ErrConvert, "overflows int64"},
		{"short dst", func() error { return f.ReadFloat32("f", make([]float32, 1)) }, ErrConvert, "destination has 1 elements"},
		{"long dst", func() error { return f.ReadFloat32("f", make([]float32, 3)) }, ErrConvert, "destination has 3 elements"},
	}
	for _, tc := range tests {
		err := tc.call()
		if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %v containing %q", tc.name, err, tc.kind, tc.want)
		}
	}
	if err := f.ReadFloat32("f", make([]float32, 2)); err != nil {
		t.Errorf("ReadFloat32 with the right length: %v", err)
	}
}

func TestOpenMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.safetensors")
	_, err := Open(path)
	if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Errorf("Open(missing) = %v, want a not-exist error naming the path", err)
	}
	if _, err := Open(t.TempDir()); err == nil {
		t.Error("Open(directory) succeeded")
	}
}

func TestWriteErrors(t *testing.T) {
	tests := []struct {
		name string
		ts   []Tensor
		meta map[string]string
		want string
	}{
		{"duplicate", []Tensor{{Name: "a", Shape: []int{1}, Data: []float32{1}}, {Name: "a", Shape: []int{1}, Data: []float32{2}}}, nil, `duplicate tensor name "a"`},
		{"reserved", []Tensor{{Name: "__metadata__", Shape: []int{1}, Data: []float32{1}}}, nil, "reserved"},
		{"shape mismatch", []Tensor{{Name: "a", Shape: []int{2, 2}, Data: []float32{1}}}, nil, `"a": shape [2 2] does not hold 1 elements`},
		{"negative dim", []Tensor{{Name: "a", Shape: []int{-1}, Data: nil}}, nil, `"a"`},
		{"invalid UTF-8 name", []Tensor{{Name: "\xff", Shape: []int{1}, Data: []float32{1}}}, nil, "UTF-8"},
		{"invalid UTF-8 metadata", nil, map[string]string{"k": "\xfe"}, "UTF-8"},
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	if err := Write(path, []Tensor{{Name: "old", Shape: []int{1}, Data: []float32{5}}}, nil); err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(path)
	for _, tc := range tests {
		err := Write(path, tc.ts, tc.meta)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want one naming %s and containing %q", tc.name, err, path, tc.want)
		}
	}
	// The failed writes left the old file intact and no temporary file.
	now, _ := os.ReadFile(path)
	if string(now) != string(old) {
		t.Error("a failed Write changed the existing file")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want only model.safetensors", names)
	}
	if err := Write(filepath.Join(dir, "no", "such", "dir.safetensors"), nil, nil); err == nil {
		t.Error("Write into a missing directory succeeded")
	}
	if err := WriteRaw(filepath.Join(dir, "x.safetensors"), []RawTensor{{Name: "a", DType: "Q4", Shape: []int{1}, Data: []byte{0}}}, nil); err == nil || !strings.Contains(err.Error(), "unknown dtype") {
		t.Errorf("WriteRaw with a bad dtype: %v", err)
	}
	if err := WriteRaw(filepath.Join(dir, "x.safetensors"), []RawTensor{{Name: "a", DType: F32, Shape: []int{2}, Data: []byte{0}}}, nil); err == nil || !strings.Contains(err.Error(), "does not match 1 bytes") {
		t.Errorf("WriteRaw with a short buffer: %v", err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("written file mode: %v %v, want 0644", st.Mode(), err)
	}
}
