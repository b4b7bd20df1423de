package safetensors

import (
	"path/filepath"
	"testing"
)

// benchElems is the size of DistilBERT's word embedding matrix (V x C =
// 30522 x 768), the largest tensor of the model.
const benchElems = 30522 * 768

func benchFile(b *testing.B) (string, []float32) {
	b.Helper()
	data := make([]float32, benchElems)
	for i := range data {
		data[i] = float32(i%1000) * 0.001
	}
	path := filepath.Join(b.TempDir(), "bench.safetensors")
	if err := Write(path, []Tensor{{Name: "w", Shape: []int{30522, 768}, Data: data}}, nil); err != nil {
		b.Fatal(err)
	}
	return path, data
}

// BenchmarkReadFloat32 measures open (mmap + header validation) plus F32
// conversion of a 94 MB tensor into a preallocated buffer.
func BenchmarkReadFloat32(b *testing.B) {
	path, _ := benchFile(b)
	dst := make([]float32, benchElems)
	b.SetBytes(4 * benchElems)
	for b.Loop() {
		f, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := f.ReadFloat32("w", dst); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

// BenchmarkWrite measures an atomic write (including fsync) of a 94 MB
// tensor.
func BenchmarkWrite(b *testing.B) {
	path, data := benchFile(b)
	b.SetBytes(4 * benchElems)
	for b.Loop() {
		if err := Write(path, []Tensor{{Name: "w", Shape: []int{30522, 768}, Data: data}}, nil); err != nil {
			b.Fatal(err)
		}
	}
}
