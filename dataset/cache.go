package dataset

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
	"os"
	"strings"
)

// The chunk cache is one little-endian binary file:
//
//	magic     8 bytes  "DGCHUNKS"
//	format    uint32   cacheFormat
//	keyLen    uint32   length of key, at most maxCacheKey
//	key       keyLen bytes: the text that identifies what was cached (see cacheKey)
//	n         uint64   number of chunks N
//	t         uint32   chunk size T, 1..maxCacheT
//	idWidth   uint8    2 or 4: bytes per token id (2 when all ids < 65536)
//	widWidth  uint8    2 or 4: bytes per word id + 1 (so -1 is stored as 0)
//	reserved  uint16   0
//	ids       N*T*idWidth bytes
//	wordIDs   N*T*widWidth bytes
//	crc       uint32   CRC-32C (Castagnoli) of every byte before it
//
// The file size must be exactly what the header implies. A file with
// another magic, a wrong size, out-of-range fields or a bad checksum is
// corrupt; one with another format or key is stale. Either way Prepare
// rebuilds it. The file is read once, streaming, checksummed as it is
// decoded.
const (
	cacheMagic  = "DGCHUNKS"
	cacheFormat = 1
	maxCacheKey = 1 << 16
	maxCacheT   = 1 << 20
	cacheFixed  = 8 + 4 + 4 + 8 + 4 + 1 + 1 + 2 // header bytes besides the key
)

// errStaleCache marks a well-formed cache made for other inputs.
var errStaleCache = errors.New("stale cache")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// widths chooses the compact widths for c, or an error for values that no
// width can store.
func widths(c *Chunks) (idW, widW uint8, err error) {
	idW, widW = 2, 2
	for _, id := range c.IDs {
		if id < 0 {
			return 0, 0, fmt.Errorf("negative token id %d", id)
		}
		if id > math.MaxUint16 {
			idW = 4
		}
	}
	for _, w := range c.WordIDs {
		if w < -1 || w == math.MaxInt32 {
			return 0, 0, fmt.Errorf("word id %d out of range [-1, %d)", w, math.MaxInt32)
		}
		if w+1 > math.MaxUint16 {
			widW = 4
		}
	}
	return idW, widW, nil
}

// writeCache writes c under key to path, atomically.
func writeCache(path, key string, c *Chunks) error {
	if len(key) > maxCacheKey || c.ChunkSize <= 0 || c.ChunkSize > maxCacheT || len(c.IDs) != len(c.WordIDs) || len(c.IDs)%c.ChunkSize != 0 {
		panic(fmt.Sprintf("dataset: writeCache: key length %d, chunk size %d, %d ids, %d word ids", len(key), c.ChunkSize, len(c.IDs), len(c.WordIDs)))
	}
	idW, widW, err := widths(c)
	if err != nil {
		return fmt.Errorf("write cache %s: %w", path, err)
	}
	err = writeFileAtomic(path, func(bw *bufio.Writer) error {
		crc := crc32.New(castagnoli)
		w := io.MultiWriter(bw, crc)
		var h []byte
		h = append(h, cacheMagic...)
		h = binary.LittleEndian.AppendUint32(h, cacheFormat)
		h = binary.LittleEndian.AppendUint32(h, uint32(len(key)))
		h = append(h, key...)
		h = binary.LittleEndian.AppendUint64(h, uint64(c.Len()))
		h = binary.LittleEndian.AppendUint32(h, uint32(c.ChunkSize))
		h = append(h, idW, widW, 0, 0)
		if _, err := w.Write(h); err != nil {
			return err
		}
		if err := writeInts(w, c.IDs, idW, 0); err != nil {
			return err
		}
		if err := writeInts(w, c.WordIDs, widW, 1); err != nil {
			return err
		}
		_, err := bw.Write(binary.LittleEndian.AppendUint32(nil, crc.Sum32()))
		return err
	})
	if err != nil {
		return fmt.Errorf("write cache %s: %w", path, err)
	}
	return nil
}

// writeInts writes v[i]+bias in width bytes each.
func writeInts(w io.Writer, v []int32, width uint8, bias int32) error {
	buf := make([]byte, 0, 1<<16)
	for i, x := range v {
		if width == 2 {
			buf = binary.LittleEndian.AppendUint16(buf, uint16(x+bias))
		} else {
			buf = binary.LittleEndian.AppendUint32(buf, uint32(x+bias))
		}
		if len(buf) >= cap(buf)-4 || i == len(v)-1 {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	return nil
}

// readCache loads the chunks cached in path under key. A missing file is an
// fs.ErrNotExist error; a stale one wraps errStaleCache.
func readCache(path, key string) (*Chunks, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	c, err := decodeCache(bufio.NewReaderSize(f, 1<<20), st.Size(), key)
	if err != nil {
		return nil, fmt.Errorf("cache %s: %w", path, err)
	}
	return c, nil
}

// crcReader checksums what is read through it.
type crcReader struct {
	r   io.Reader
	crc hash.Hash32
}

func (c *crcReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.crc.Write(p[:n])
	return n, err
}

// decodeCache decodes a cache file of size bytes from r, checking it
// against key. It allocates only after checking that size matches the
// header, so a corrupt header cannot cause a huge allocation.
func decodeCache(r io.Reader, size int64, key string) (*Chunks, error) {
	cr := &crcReader{r: r, crc: crc32.New(castagnoli)}
	head := make([]byte, 16)
	if _, err := io.ReadFull(cr, head); err != nil {
		return nil, fmt.Errorf("corrupt: header: %w", err)
	}
	if string(head[:8]) != cacheMagic {
		return nil, fmt.Errorf("corrupt: not a distilgo chunk cache (magic %q)", head[:8])
	}
	if v := binary.LittleEndian.Uint32(head[8:]); v != cacheFormat {
		return nil, fmt.Errorf("format %d, want %d: %w", v, cacheFormat, errStaleCache)
	}
	keyLen := binary.LittleEndian.Uint32(head[12:])
	if keyLen > maxCacheKey || int64(keyLen)+cacheFixed+4 > size {
		return nil, fmt.Errorf("corrupt: key length %d in a file of %d bytes", keyLen, size)
	}
	rest := make([]byte, int(keyLen)+cacheFixed-16)
	if _, err := io.ReadFull(cr, rest); err != nil {
		return nil, fmt.Errorf("corrupt: header: %w", err)
	}
	gotKey, rest := string(rest[:keyLen]), rest[keyLen:]
	n := binary.LittleEndian.Uint64(rest)
	T := binary.LittleEndian.Uint32(rest[8:])
	idW, widW := rest[12], rest[13]
	if T == 0 || T > maxCacheT || (idW != 2 && idW != 4) || (widW != 2 && widW != 4) || rest[14] != 0 || rest[15] != 0 {
		return nil, fmt.Errorf("corrupt: chunk size %d, widths %d and %d, reserved %d %d", T, idW, widW, rest[14], rest[15])
	}
	payload := size - int64(keyLen) - cacheFixed - 4
	per := uint64(T) * uint64(idW+widW) // bytes per chunk, at most 2^23
	if n > uint64(payload)/per || n*per != uint64(payload) {
		return nil, fmt.Errorf("corrupt: %d chunks of %d tokens need %d payload bytes, the file has %d (truncated?)", n, T, n*per, payload)
	}
	// The checksum covers the key, so a valid file with another key is
	// stale, not corrupt; but checking the key first spares reading it.
	if gotKey != key {
		return nil, fmt.Errorf("made for other inputs (%s): %w", keyDiff(gotKey, key), errStaleCache)
	}
	count := int(n) * int(T)
	c := &Chunks{ChunkSize: int(T), IDs: make([]int32, count), WordIDs: make([]int32, count)}
	if err := readInts(cr, c.IDs, idW, 0); err != nil {
		return nil, fmt.Errorf("corrupt: token ids: %w", err)
	}
	if err := readInts(cr, c.WordIDs, widW, -1); err != nil {
		return nil, fmt.Errorf("corrupt: word ids: %w", err)
	}
	want := cr.crc.Sum32()
	var tail [4]byte
	if _, err := io.ReadFull(r, tail[:]); err != nil {
		return nil, fmt.Errorf("corrupt: checksum: %w", err)
	}
	if got := binary.LittleEndian.Uint32(tail[:]); got != want {
		return nil, fmt.Errorf("corrupt: checksum %08x, content has %08x", got, want)
	}
	for _, id := range c.IDs {
		if id < 0 {
			return nil, fmt.Errorf("corrupt: negative token id %d", id)
		}
	}
	for _, w := range c.WordIDs {
		if w < -1 {
			return nil, fmt.Errorf("corrupt: word id %d", w)
		}
	}
	return c, nil
}

// keyDiff describes the first line where two cache keys differ.
func keyDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("cached %q, now %q", gl, wl)
		}
	}
	return "same lines"
}

// readInts fills v from width-byte little-endian values, adding bias.
func readInts(r io.Reader, v []int32, width uint8, bias int32) error {
	buf := make([]byte, 1<<16)
	w := int(width)
	for len(v) > 0 {
		k := min(len(v), len(buf)/w)
		b := buf[:k*w]
		if _, err := io.ReadFull(r, b); err != nil {
			return err
		}
		if w == 2 {
			for i := range k {
				v[i] = int32(binary.LittleEndian.Uint16(b[2*i:])) + bias
			}
		} else {
			for i := range k {
				v[i] = int32(binary.LittleEndian.Uint32(b[4*i:])) + bias
			}
		}
		v = v[k:]
	}
	return nil
}
