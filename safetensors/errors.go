package safetensors

import (
	"errors"
	"fmt"
)

// Sentinel errors, one per kind of defect, for errors.Is. Every error the
// package returns for a bad file is a *FormatError wrapping one of them.
var (
	// ErrHeaderSize: the file is shorter than 8 bytes, or the header length
	// exceeds MaxHeaderSize or the file.
	ErrHeaderSize = errors.New("bad header length")
	// ErrHeaderJSON: the header is not a UTF-8 JSON object (or has a
	// duplicate tensor name, or a field of the wrong type).
	ErrHeaderJSON = errors.New("bad header JSON")
	// ErrDType: a tensor has a dtype this package does not know.
	ErrDType = errors.New("unknown dtype")
	// ErrShape: a shape is negative, overflows, or does not match the byte
	// length given by data_offsets.
	ErrShape = errors.New("shape does not match data")
	// ErrOffsets: data_offsets are reversed, overlap, leave a gap, or point
	// outside the data area, or the tensors do not cover the data area.
	ErrOffsets = errors.New("bad data_offsets")
	// ErrIndex: a sharded checkpoint's index is malformed or disagrees with
	// its shards.
	ErrIndex = errors.New("bad shard index")
	// ErrNotFound: no tensor of that name.
	ErrNotFound = errors.New("tensor not found")
	// ErrConvert: the tensor's dtype cannot be converted as asked, or the
	// destination has the wrong length.
	ErrConvert = errors.New("cannot convert tensor")
)

// FormatError describes a defect of a safetensors file or of a request for
// one of its tensors.
type FormatError struct {
	Path   string // the file (or index) concerned; "" for in-memory data
	Tensor string // the tensor concerned, "" when the defect is file-wide
	Err    error  // one of the sentinel errors above
	Detail string // what exactly is wrong
}

// Error names the file, the tensor (if any), the kind of defect and the detail.
func (e *FormatError) Error() string {
	p := e.Path
	if p == "" {
		p = "<memory>"
	}
	if e.Tensor != "" {
		return fmt.Sprintf("safetensors %s: tensor %q: %v: %s", p, e.Tensor, e.Err, e.Detail)
	}
	return fmt.Sprintf("safetensors %s: %v: %s", p, e.Err, e.Detail)
}

// Unwrap returns the sentinel error.
func (e *FormatError) Unwrap() error { return e.Err }

func formatErr(path, tensor string, kind error, format string, args ...any) error {
	return &FormatError{Path: path, Tensor: tensor, Err: kind, Detail: fmt.Sprintf(format, args...)}
}
