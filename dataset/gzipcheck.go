package dataset

import (
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
)

// archiveError explains an error met at where in the archive p. Damage to
// the deflate data in the middle of the archive often shows first as a bad
// tar header or an odd member (the damaged bytes decompress to garbage,
// and gzip's CRC, at the end, tells only when the stream is read to its
// end), so the rest of the gzip stream zr is read to find out whether the
// compression is what is broken: then the error says so.
func archiveError(p, where string, zr io.Reader, err error) error {
	if !gzipCorrupt(err) {
		if _, derr := io.Copy(io.Discard, zr); gzipCorrupt(derr) {
			err = derr
		}
	}
	if gzipCorrupt(err) {
		return fmt.Errorf("read IMDB %s: %s: the gzip stream is corrupt (%v): the archive is damaged, download it again", p, where, err)
	}
	return fmt.Errorf("read IMDB %s: %s: %w", p, where, err)
}

// gzipCorrupt reports whether err is gzip's or deflate's verdict on
// corrupt data (not a truncation, which is io.ErrUnexpectedEOF).
func gzipCorrupt(err error) bool {
	var ce flate.CorruptInputError
	return errors.As(err, &ce) || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader)
}
