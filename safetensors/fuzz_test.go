package safetensors

import (
	"bytes"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzFromBytes feeds arbitrary bytes to the parser. It must never panic;
// whatever it accepts must be readable in full, and re-encoding the accepted
// tensors must give a file that parses to the same tensors.
func FuzzFromBytes(f *testing.F) {
	if golden, err := os.ReadFile(goldenPath); err == nil {
		f.Add(golden)
	}
	f.Add(file(`{}`, 0))
	f.Add(file(`{"__metadata__":{"format":"pt"},"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, 4))
	f.Add(file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"b":{"dtype":"BF16","shape":[0],"data_offsets":[0,0]},"c":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, 2))
	f.Add(file(`{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}`, 4))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, buf []byte) {
		st, err := FromBytes(buf)
		if err != nil {
			if _, ok := err.(*FormatError); !ok {
				t.Fatalf("error %T is not a *FormatError: %v", err, err)
			}
			return
		}
		var items []item
		for _, name := range st.Names() {
			info, raw, err := st.Raw(name)
			if err != nil {
				t.Fatal(err)
			}
			if len(raw) != info.NumElements()*info.DType.Size() {
				t.Fatalf("%q: %d bytes for %s%v", name, len(raw), info.DType, info.Shape)
			}
			switch {
			case info.DType.IsFloat():
				if _, _, err := st.Float32(name); err != nil {
					t.Fatal(err)
				}
			case info.DType.IsInt() && info.DType != U64:
				if _, _, err := st.Int64(name); err != nil {
					t.Fatal(err)
				}
			}
			items = append(items, item{name: name, dtype: info.DType, shape: info.Shape, nbytes: int64(len(raw)), raw: raw})
		}
		var out bytes.Buffer
		// Decoded JSON strings are valid UTF-8 and distinct, so the writer
		// must accept every file the reader accepts.
		if err := encode(&out, items, st.Metadata()); err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		back, err := FromBytes(out.Bytes())
		if err != nil {
			t.Fatalf("re-encoded file does not parse: %v", err)
		}
		if diff := cmp.Diff(st.Names(), back.Names()); diff != "" {
			t.Fatalf("names differ after re-encoding (-orig +back):\n%s", diff)
		}
		for _, name := range st.Names() {
			a, ra, _ := st.Raw(name)
			b, rb, _ := back.Raw(name)
			if a.DType != b.DType || !cmp.Equal(a.Shape, b.Shape) || !bytes.Equal(ra, rb) {
				t.Fatalf("%q differs after re-encoding", name)
			}
		}
	})
}
