package safetensors

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/distilgo/distilgo/internal/atomicfile"
)

// Tensor is a float32 tensor to write. Data holds the elements in row-major
// order; len(Data) must equal the product of Shape.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// RawTensor is a tensor of any dtype to write, its Data already encoded
// little-endian; len(Data) must equal the product of Shape times the dtype
// size.
type RawTensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// Write writes the tensors as F32 to path atomically: the file is written
// under a temporary name in the same directory, fsynced, renamed over path,
// and the directory is fsynced, so path holds either the old or the complete
// new content. meta becomes the header's "__metadata__"; "format": "pt" is
// added when meta has no "format" key, because transformers refuses files
// without it.
func Write(path string, ts []Tensor, meta map[string]string) error {
	items := make([]item, len(ts))
	for i, t := range ts {
		n, err := numElements(t.Shape)
		if err != nil || n != len(t.Data) {
			return fmt.Errorf("safetensors: write %s: tensor %q: shape %v does not hold %d elements", path, t.Name, t.Shape, len(t.Data))
		}
		items[i] = item{name: t.Name, dtype: F32, shape: t.Shape, nbytes: int64(4 * len(t.Data)), f32: t.Data}
	}
	return writeAtomic(path, items, meta)
}

// WriteRaw is Write for tensors of any dtype given as raw bytes.
func WriteRaw(path string, ts []RawTensor, meta map[string]string) error {
	items := make([]item, len(ts))
	for i, t := range ts {
		if !t.DType.Valid() {
			return fmt.Errorf("safetensors: write %s: tensor %q: unknown dtype %q", path, t.Name, t.DType)
		}
		n, err := numElements(t.Shape)
		if err != nil || n*t.DType.Size() != len(t.Data) {
			return fmt.Errorf("safetensors: write %s: tensor %q: %s%v does not match %d bytes", path, t.Name, t.DType, t.Shape, len(t.Data))
		}
		items[i] = item{name: t.Name, dtype: t.DType, shape: t.Shape, nbytes: int64(len(t.Data)), raw: t.Data}
	}
	return writeAtomic(path, items, meta)
}

// Encode writes the float32 tensors in safetensors format to w (not
// atomically; see Write).
func Encode(w io.Writer, ts []Tensor, meta map[string]string) error {
	items := make([]item, len(ts))
	for i, t := range ts {
		n, err := numElements(t.Shape)
		if err != nil || n != len(t.Data) {
			return fmt.Errorf("safetensors: encode: tensor %q: shape %v does not hold %d elements", t.Name, t.Shape, len(t.Data))
		}
		items[i] = item{name: t.Name, dtype: F32, shape: t.Shape, nbytes: int64(4 * len(t.Data)), f32: t.Data}
	}
	return encode(w, items, meta)
}

type item struct {
	name   string
	dtype  DType
	shape  []int
	nbytes int64
	f32    []float32 // either f32 or raw holds the data
	raw    []byte
}

func numElements(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 || (d > 0 && n > math.MaxInt/d) {
			return 0, fmt.Errorf("bad shape %v", shape)
		}
		n *= d
	}
	return n, nil
}

// header builds the header bytes the way the reference serializer does:
// tensors sorted by descending dtype rank then name, offsets assigned in that
// order, compact JSON with "__metadata__" first and the tensors in offset
// order, padded with spaces to a multiple of 8 bytes.
func header(items []item, meta map[string]string) ([]byte, error) {
	seen := map[string]bool{}
	for _, it := range items {
		switch {
		case it.name == metadataKey:
			return nil, fmt.Errorf("tensor name %q is reserved", metadataKey)
		case seen[it.name]:
			return nil, fmt.Errorf("duplicate tensor name %q", it.name)
		case !utf8.ValidString(it.name):
			return nil, fmt.Errorf("tensor name %q is not valid UTF-8", it.name)
		}
		seen[it.name] = true
	}
	sort.SliceStable(items, func(i, j int) bool {
		ri, rj := items[i].dtype.rank(), items[j].dtype.rank()
		if ri != rj {
			return ri > rj
		}
		return items[i].name < items[j].name
	})
	m := make(map[string]string, len(meta)+1)
	for k, v := range meta {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return nil, fmt.Errorf("metadata %q: %q is not valid UTF-8", k, v)
		}
		m[k] = v
	}
	if _, ok := m["format"]; !ok {
		m["format"] = "pt"
	}
	var b strings.Builder
	b.WriteString(`{"__metadata__":{`)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(&b, k)
		b.WriteByte(':')
		writeJSONString(&b, m[k])
	}
	b.WriteByte('}')
	var off int64
	for _, it := range items {
		b.WriteByte(',')
		writeJSONString(&b, it.name)
		fmt.Fprintf(&b, `:{"dtype":"%s","shape":[`, it.dtype)
		for i, d := range it.shape {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%d", d)
		}
		fmt.Fprintf(&b, `],"data_offsets":[%d,%d]}`, off, off+it.nbytes)
		off += it.nbytes
	}
	b.WriteByte('}')
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	return []byte(b.String()), nil
}

// writeJSONString writes s as a JSON string. encoding/json escapes <, > and
// & as \u003c etc.; serde_json (the reference) does not, so neither do we,
// to produce identical headers.
func writeJSONString(b *strings.Builder, s string) {
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // cannot fail for a string
	b.WriteString(strings.TrimSuffix(buf.String(), "\n"))
}

func encode(w io.Writer, items []item, meta map[string]string) error {
	items = slices.Clone(items)
	hdr, err := header(items, meta)
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(hdr)))
	bw.Write(n[:])
	bw.Write(hdr)
	var chunk [4096]byte
	for _, it := range items {
		if it.raw != nil {
			bw.Write(it.raw)
			continue
		}
		for len(it.f32) > 0 {
			k := min(len(it.f32), len(chunk)/4)
			for i, v := range it.f32[:k] {
				binary.LittleEndian.PutUint32(chunk[4*i:], math.Float32bits(v))
			}
			if _, err := bw.Write(chunk[:4*k]); err != nil {
				break // the error is sticky; Flush reports it
			}
			it.f32 = it.f32[k:]
		}
	}
	return bw.Flush()
}

func writeAtomic(path string, items []item, meta map[string]string) error {
	err := writeFileAtomic(path, func(w io.Writer) error { return encode(w, items, meta) })
	if err != nil {
		return fmt.Errorf("safetensors: write %s: %w", path, err)
	}
	return nil
}

// writeFileAtomic creates path with the content fill writes, atomically and
// with mode 0644 (package atomicfile): on any error path is left as it was.
func writeFileAtomic(path string, fill func(io.Writer) error) error {
	return atomicfile.Write(path, 0o644, fill)
}
