package dataset

import (
	"bufio"
	"io"

	"github.com/distilgo/distilgo/internal/atomicfile"
)

// writeFileAtomic writes path through fill atomically (package atomicfile):
// a reader sees either the old file or the complete new one.
func writeFileAtomic(path string, fill func(w *bufio.Writer) error) error {
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 64<<10)
		if err := fill(bw); err != nil {
			return err
		}
		return bw.Flush()
	})
}
