// Package safetensors reads and writes Hugging Face's safetensors format:
// an 8-byte little-endian header length N, N bytes of JSON header
//
//	{"__metadata__": {"format": "pt"},
//	 "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, ...}
//
// then the raw little-endian tensor data, data_offsets counting from the end
// of the header.
//
// Open memory-maps a file (on unix; elsewhere it reads it once) and validates
// the whole header before returning: header size bound, UTF-8 JSON object,
// known dtypes, shape x dtype size = byte length, offsets sorted, contiguous,
// non-overlapping and covering the data area exactly, no duplicate names.
// Tensors are then converted on request, F32/F16/BF16/F64 to float32 and
// integer types to int64, or handed out raw. OpenIndex and OpenDir open a
// sharded checkpoint (model.safetensors.index.json) as one File.
//
// Write writes float32 tensors the way the reference implementation does
// (tensors sorted by dtype then name, compact JSON header with
// "__metadata__" first, padded with spaces to a multiple of 8 bytes), to a
// temporary file that is fsynced and renamed over the target.
package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"slices"
	"sort"
	"unicode/utf8"
)

// MaxHeaderSize bounds the JSON header (100 MB, as the reference
// implementation), so a corrupt length cannot make Open allocate or scan
// gigabytes.
const MaxHeaderSize = 100_000_000

// metadataKey is the reserved header key of the string-to-string metadata.
const metadataKey = "__metadata__"

// TensorInfo describes one tensor of a file.
type TensorInfo struct {
	Name  string
	DType DType
	Shape []int // empty for a scalar
	// Begin and End are the data_offsets: byte offsets of the tensor's data
	// from the start of the data area (just after the header).
	Begin, End int64
	// Path is the file holding the tensor (a shard, for sharded checkpoints).
	Path string
}

// NumElements returns the product of the shape (1 for a scalar).
func (t TensorInfo) NumElements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// File is an open safetensors file, or a set of shards opened as one. Its
// methods are safe for concurrent use until Close.
type File struct {
	path    string // the file or index opened
	shards  []*shard
	tensors map[string]entry
	names   []string // sorted
	meta    map[string]string
}

type entry struct {
	info  TensorInfo
	shard *shard
}

// shard is one mapped (or read) file.
type shard struct {
	path  string
	buf   []byte // whole file
	data  []byte // data area: buf[8+N:]
	close func() error
}

// Open opens and validates the safetensors file at path. The file stays
// mapped until Close; it must not be truncated meanwhile (Write replaces
// files by rename, which is safe).
func Open(path string) (*File, error) {
	sh, infos, meta, err := openShard(path)
	if err != nil {
		return nil, err
	}
	f := newFile(path, meta)
	f.shards = []*shard{sh}
	for _, ti := range infos {
		f.tensors[ti.Name] = entry{info: ti, shard: sh}
	}
	f.finish()
	return f, nil
}

// FromBytes parses and validates an in-memory safetensors file. The File
// refers to buf, which must not be modified while the File is in use.
func FromBytes(buf []byte) (*File, error) {
	infos, n, meta, err := parseHeader("", buf)
	if err != nil {
		return nil, err
	}
	sh := &shard{buf: buf, data: buf[8+n:], close: func() error { return nil }}
	f := newFile("", meta)
	f.shards = []*shard{sh}
	for _, ti := range infos {
		f.tensors[ti.Name] = entry{info: ti, shard: sh}
	}
	f.finish()
	return f, nil
}

func newFile(path string, meta map[string]string) *File {
	if meta == nil {
		meta = map[string]string{}
	}
	return &File{path: path, tensors: map[string]entry{}, meta: meta}
}

func (f *File) finish() {
	f.names = make([]string, 0, len(f.tensors))
	for name := range f.tensors {
		f.names = append(f.names, name)
	}
	sort.Strings(f.names)
}

func openShard(path string) (*shard, []TensorInfo, map[string]string, error) {
	buf, unmap, err := mapFile(path)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("safetensors: %w", err)
	}
	infos, n, meta, err := parseHeader(path, buf)
	if err != nil {
		unmap()
		return nil, nil, nil, err
	}
	return &shard{path: path, buf: buf, data: buf[8+n:], close: unmap}, infos, meta, nil
}

// Close releases the file (unmaps it). Slices returned by Raw are invalid
// afterwards.
func (f *File) Close() error {
	var first error
	for _, s := range f.shards {
		if err := s.close(); err != nil && first == nil {
			first = fmt.Errorf("safetensors: close %s: %w", s.path, err)
		}
	}
	f.shards = nil
	f.tensors = nil
	f.names = nil
	return first
}

// Path returns the path given to Open, OpenIndex or OpenDir.
func (f *File) Path() string { return f.path }

// Names returns the tensor names in sorted order.
func (f *File) Names() []string { return slices.Clone(f.names) }

// Len returns the number of tensors.
func (f *File) Len() int { return len(f.names) }

// Info returns the description of the named tensor.
func (f *File) Info(name string) (TensorInfo, bool) {
	e, ok := f.tensors[name]
	if !ok {
		return TensorInfo{}, false
	}
	ti := e.info
	ti.Shape = slices.Clone(ti.Shape)
	return ti, true
}

// Metadata returns a copy of the header's "__metadata__" map (for a sharded
// checkpoint, the union of the shards' maps; the first shard in file name
// order wins on conflicting keys).
func (f *File) Metadata() map[string]string {
	m := make(map[string]string, len(f.meta))
	for k, v := range f.meta {
		m[k] = v
	}
	return m
}

func (f *File) lookup(name string) (entry, error) {
	e, ok := f.tensors[name]
	if !ok {
		return entry{}, formatErr(f.path, name, ErrNotFound, "no such tensor among %d", len(f.names))
	}
	return e, nil
}

// Raw returns the tensor's bytes as stored (little-endian). The slice aliases
// the mapped file: do not modify it, and do not use it after Close.
func (f *File) Raw(name string) (TensorInfo, []byte, error) {
	e, err := f.lookup(name)
	if err != nil {
		return TensorInfo{}, nil, err
	}
	ti := e.info
	ti.Shape = slices.Clone(ti.Shape)
	return ti, e.shard.data[e.info.Begin:e.info.End], nil
}

// Float32 returns the tensor converted to float32 (from F32, F16, BF16 or
// F64; F64 rounds to nearest) and its shape.
func (f *File) Float32(name string) ([]float32, []int, error) {
	e, err := f.lookup(name)
	if err != nil {
		return nil, nil, err
	}
	dst := make([]float32, e.info.NumElements())
	if err := f.ReadFloat32(name, dst); err != nil {
		return nil, nil, err
	}
	return dst, slices.Clone(e.info.Shape), nil
}

// ReadFloat32 converts the tensor into dst, which must have exactly as many
// elements as the tensor. It allocates nothing, so a model can load straight
// into its parameter buffer.
func (f *File) ReadFloat32(name string, dst []float32) error {
	e, err := f.lookup(name)
	if err != nil {
		return err
	}
	ti := e.info
	if n := ti.NumElements(); len(dst) != n {
		return formatErr(e.shard.path, name, ErrConvert, "destination has %d elements, tensor %s%v has %d", len(dst), ti.DType, ti.Shape, n)
	}
	src := e.shard.data[ti.Begin:ti.End]
	switch ti.DType {
	case F32:
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		}
	case F16:
		for i := range dst {
			dst[i] = f16ToF32(binary.LittleEndian.Uint16(src[2*i:]))
		}
	case BF16:
		for i := range dst {
			dst[i] = bf16ToF32(binary.LittleEndian.Uint16(src[2*i:]))
		}
	case F64:
		for i := range dst {
			dst[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(src[8*i:])))
		}
	default:
		return formatErr(e.shard.path, name, ErrConvert, "dtype %s does not convert to float32 (F32, F16, BF16, F64 do)", ti.DType)
	}
	return nil
}

// Int64 returns the tensor converted to int64 (from any integer dtype or
// BOOL) and its shape. A U64 value above math.MaxInt64 is an error.
func (f *File) Int64(name string) ([]int64, []int, error) {
	e, err := f.lookup(name)
	if err != nil {
		return nil, nil, err
	}
	ti := e.info
	src := e.shard.data[ti.Begin:ti.End]
	dst := make([]int64, ti.NumElements())
	le := binary.LittleEndian
	switch ti.DType {
	case Bool, U8:
		for i := range dst {
			dst[i] = int64(src[i])
		}
	case I8:
		for i := range dst {
			dst[i] = int64(int8(src[i]))
		}
	case I16:
		for i := range dst {
			dst[i] = int64(int16(le.Uint16(src[2*i:])))
		}
	case U16:
		for i := range dst {
			dst[i] = int64(le.Uint16(src[2*i:]))
		}
	case I32:
		for i := range dst {
			dst[i] = int64(int32(le.Uint32(src[4*i:])))
		}
	case U32:
		for i := range dst {
			dst[i] = int64(le.Uint32(src[4*i:]))
		}
	case I64:
		for i := range dst {
			dst[i] = int64(le.Uint64(src[8*i:]))
		}
	case U64:
		for i := range dst {
			v := le.Uint64(src[8*i:])
			if v > math.MaxInt64 {
				return nil, nil, formatErr(e.shard.path, name, ErrConvert, "element %d = %d overflows int64", i, v)
			}
			dst[i] = int64(v)
		}
	default:
		return nil, nil, formatErr(e.shard.path, name, ErrConvert, "dtype %s does not convert to int64 (integer dtypes and BOOL do)", ti.DType)
	}
	return dst, slices.Clone(ti.Shape), nil
}

// parseHeader validates buf as a whole safetensors file and returns its
// tensors sorted by offset, the header length N and the metadata.
func parseHeader(path string, buf []byte) ([]TensorInfo, int, map[string]string, error) {
	if len(buf) < 8 {
		return nil, 0, nil, formatErr(path, "", ErrHeaderSize, "file has %d bytes, fewer than the 8-byte header length", len(buf))
	}
	n64 := binary.LittleEndian.Uint64(buf)
	if n64 > MaxHeaderSize {
		return nil, 0, nil, formatErr(path, "", ErrHeaderSize, "header length %d exceeds the limit of %d bytes", n64, MaxHeaderSize)
	}
	n := int(n64)
	if 8+n > len(buf) {
		return nil, 0, nil, formatErr(path, "", ErrHeaderSize, "header length %d exceeds the file (%d bytes)", n, len(buf))
	}
	hdr := buf[8 : 8+n]
	infos, meta, err := parseJSON(path, hdr)
	if err != nil {
		return nil, 0, nil, err
	}
	if err := validate(path, infos, int64(len(buf)-8-n)); err != nil {
		return nil, 0, nil, err
	}
	return infos, n, meta, nil
}

// parseJSON decodes the header object, detecting duplicate names, which
// encoding/json would silently merge.
func parseJSON(path string, hdr []byte) ([]TensorInfo, map[string]string, error) {
	if !utf8.Valid(hdr) {
		return nil, nil, formatErr(path, "", ErrHeaderJSON, "header is not valid UTF-8")
	}
	if len(hdr) == 0 || hdr[0] != '{' {
		return nil, nil, formatErr(path, "", ErrHeaderJSON, "header does not start with '{'")
	}
	if !json.Valid(hdr) {
		// Decode for a precise message.
		var v any
		err := json.Unmarshal(hdr, &v)
		return nil, nil, formatErr(path, "", ErrHeaderJSON, "header is not valid JSON: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(hdr))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil { // '{', guaranteed by the checks above
		return nil, nil, formatErr(path, "", ErrHeaderJSON, "%v", err)
	}
	var (
		infos   []TensorInfo
		meta    map[string]string
		seen    = map[string]bool{}
		hasMeta bool
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, formatErr(path, "", ErrHeaderJSON, "%v", err)
		}
		name := tok.(string) // object keys are strings in valid JSON
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, formatErr(path, name, ErrHeaderJSON, "%v", err)
		}
		if name == metadataKey {
			if hasMeta {
				return nil, nil, formatErr(path, "", ErrHeaderJSON, "duplicate %q", metadataKey)
			}
			hasMeta = true
			if err := json.Unmarshal(raw, &meta); err != nil {
				return nil, nil, formatErr(path, "", ErrHeaderJSON, "%s must map strings to strings: %v", metadataKey, err)
			}
			continue
		}
		if seen[name] {
			return nil, nil, formatErr(path, name, ErrHeaderJSON, "duplicate tensor name")
		}
		seen[name] = true
		ti, err := parseInfo(path, name, raw)
		if err != nil {
			return nil, nil, err
		}
		infos = append(infos, ti)
	}
	return infos, meta, nil
}

// parseInfo decodes one tensor's {"dtype", "shape", "data_offsets"} with
// exact (case-sensitive) keys; other keys are ignored, as the reference does.
func parseInfo(path, name string, raw json.RawMessage) (TensorInfo, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return TensorInfo{}, formatErr(path, name, ErrHeaderJSON, "entry is not an object")
	}
	var (
		dt      string
		shape   []uint64
		offsets []uint64
	)
	for _, f := range []struct {
		key string
		dst any
	}{{"dtype", &dt}, {"shape", &shape}, {"data_offsets", &offsets}} {
		v, ok := obj[f.key]
		if !ok {
			return TensorInfo{}, formatErr(path, name, ErrHeaderJSON, "missing %q", f.key)
		}
		if err := json.Unmarshal(v, f.dst); err != nil || string(v) == "null" {
			return TensorInfo{}, formatErr(path, name, ErrHeaderJSON, "bad %q %s: want %s", f.key, v, map[string]string{
				"dtype": "a string", "shape": "a list of non-negative integers", "data_offsets": "[begin, end] non-negative integers"}[f.key])
		}
	}
	ti := TensorInfo{Name: name, DType: DType(dt), Path: path}
	if !ti.DType.Valid() {
		return TensorInfo{}, formatErr(path, name, ErrDType, "%q", dt)
	}
	if len(offsets) != 2 {
		return TensorInfo{}, formatErr(path, name, ErrOffsets, "data_offsets has %d numbers, want 2", len(offsets))
	}
	if offsets[0] > math.MaxInt64 || offsets[1] > math.MaxInt64 {
		return TensorInfo{}, formatErr(path, name, ErrOffsets, "data_offsets %v overflow", offsets)
	}
	ti.Begin, ti.End = int64(offsets[0]), int64(offsets[1])
	if ti.End < ti.Begin {
		return TensorInfo{}, formatErr(path, name, ErrOffsets, "data_offsets [%d, %d] end before begin", ti.Begin, ti.End)
	}
	// Element count with overflow checks: the product must fit an int and,
	// times the dtype size, an int64.
	nel := uint64(1)
	ti.Shape = make([]int, len(shape))
	for i, d := range shape {
		hi, lo := bits.Mul64(nel, d)
		if hi != 0 || lo > math.MaxInt || d > math.MaxInt {
			return TensorInfo{}, formatErr(path, name, ErrShape, "shape %v overflows", shape)
		}
		nel = lo
		ti.Shape[i] = int(d)
	}
	size := uint64(ti.DType.Size())
	if hi, nbytes := bits.Mul64(nel, size); hi != 0 || nbytes != uint64(ti.End-ti.Begin) {
		return TensorInfo{}, formatErr(path, name, ErrShape, "%s%v needs %d elements x %d bytes, data_offsets [%d, %d] give %d bytes",
			ti.DType, shape, nel, size, ti.Begin, ti.End, ti.End-ti.Begin)
	}
	return ti, nil
}

// validate checks that the tensors, sorted by offsets, tile the data area
// [0, dataLen) exactly: no gap, no overlap, nothing outside, nothing left.
// It sorts infos in place.
func validate(path string, infos []TensorInfo, dataLen int64) error {
	sort.Slice(infos, func(i, j int) bool {
		if infos[i].Begin != infos[j].Begin {
			return infos[i].Begin < infos[j].Begin
		}
		if infos[i].End != infos[j].End {
			return infos[i].End < infos[j].End
		}
		return infos[i].Name < infos[j].Name
	})
	var end int64
	for _, ti := range infos {
		if ti.End > dataLen {
			return formatErr(path, ti.Name, ErrOffsets, "data_offsets [%d, %d] outside the data area of %d bytes", ti.Begin, ti.End, dataLen)
		}
		if ti.Begin != end {
			what := "overlaps the previous tensor"
			if ti.Begin > end {
				what = "leaves a gap after the previous tensor"
			}
			return formatErr(path, ti.Name, ErrOffsets, "data_offsets [%d, %d] %s (which ends at %d)", ti.Begin, ti.End, what, end)
		}
		end = ti.End
	}
	if end != dataLen {
		return formatErr(path, "", ErrOffsets, "tensors cover %d bytes of a data area of %d bytes", end, dataLen)
	}
	return nil
}

// readAll is the portable fallback of mapFile.
func readAll(path string) ([]byte, func() error, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer fh.Close()
	buf, err := io.ReadAll(fh)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	return buf, func() error { return nil }, nil
}
