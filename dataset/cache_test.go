package dataset

import (
	"bytes"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCacheRoundTrip(t *testing.T) {
	dir := t.TempDir()
	small := testChunks(t, 300, 16)
	wide := &Chunks{ChunkSize: 3, IDs: []int32{0, 70000, math.MaxInt32, 1, 2, 3}, WordIDs: []int32{-1, 0, 70000, math.MaxInt32 - 1, -1, 5}}
	empty := &Chunks{ChunkSize: 128, IDs: []int32{}, WordIDs: []int32{}}
	for _, tc := range []struct {
		name      string
		c         *Chunks
		idW, widW uint8
	}{
		{"compact", small, 2, 2},
		{"wide", wide, 4, 4},
		{"empty", empty, 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idW, widW, err := widths(tc.c)
			if err != nil || idW != tc.idW || widW != tc.widW {
				t.Fatalf("widths %d, %d, %v; want %d, %d", idW, widW, err, tc.idW, tc.widW)
			}
			p := filepath.Join(dir, tc.name+".chunks")
			if err := writeCache(p, "key\n"+tc.name, tc.c); err != nil {
				t.Fatal(err)
			}
			st, _ := os.Stat(p)
			if want := int64(len("key\n"+tc.name)) + cacheFixed + 4 + int64(len(tc.c.IDs))*int64(idW+widW); st.Size() != want {
				t.Errorf("file size %d, want %d", st.Size(), want)
			}
			got, err := readCache(p, "key\n"+tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.c, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
	if _, _, err := widths(&Chunks{ChunkSize: 1, IDs: []int32{-5}, WordIDs: []int32{0}}); err == nil {
		t.Error("negative id: no error")
	}
	if _, _, err := widths(&Chunks{ChunkSize: 1, IDs: []int32{5}, WordIDs: []int32{-2}}); err == nil {
		t.Error("word id -2: no error")
	}
}

// TestCacheDetectsDamage flips every byte of a cache file in turn, and cuts
// it at every length: each damaged file must be refused.
func TestCacheDetectsDamage(t *testing.T) {
	c := &Chunks{ChunkSize: 4, IDs: []int32{101, 7, 8, 102, 101, 9, 9, 102}, WordIDs: []int32{-1, 0, 1, -1, -1, 0, 0, -1}}
	dir := t.TempDir()
	p := filepath.Join(dir, "c.chunks")
	const key = "the key"
	if err := writeCache(p, key, c); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(p)
	for i := range good {
		for _, flip := range []byte{0x01, 0x80} {
			bad := bytes.Clone(good)
			bad[i] ^= flip
			if got, err := decodeCache(bytes.NewReader(bad), int64(len(bad)), key); err == nil {
				t.Fatalf("byte %d ^ %#x: accepted: %v", i, flip, got)
			}
		}
	}
	for n := range len(good) {
		if _, err := decodeCache(bytes.NewReader(good[:n]), int64(n), key); err == nil {
			t.Fatalf("cut at %d of %d: accepted", n, len(good))
		}
	}
	if _, err := decodeCache(bytes.NewReader(append(bytes.Clone(good), 0)), int64(len(good)+1), key); err == nil {
		t.Fatal("extra byte: accepted")
	}
	_, err := readCache(p, "another key")
	if !errors.Is(err, errStaleCache) || !strings.Contains(err.Error(), `cached "the key", now "another key"`) {
		t.Errorf("other key: error %v, want a stale-cache error naming the difference", err)
	}
	// Another format version is stale, whatever follows.
	old := bytes.Clone(good)
	old[8] = cacheFormat + 1
	if _, err := decodeCache(bytes.NewReader(old), int64(len(old)), key); !errors.Is(err, errStaleCache) {
		t.Errorf("other format: error %v, want stale", err)
	}
	if _, err := readCache(filepath.Join(dir, "none"), key); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: error %v, want fs.ErrNotExist", err)
	}
}

func FuzzDecodeCache(f *testing.F) {
	const key = "k"
	dir := f.TempDir()
	for i, c := range []*Chunks{
		{ChunkSize: 2, IDs: []int32{1, 2, 3, 4}, WordIDs: []int32{-1, 0, 0, -1}},
		{ChunkSize: 1, IDs: []int32{70000}, WordIDs: []int32{70000}},
	} {
		p := filepath.Join(dir, "seed"+string(rune('0'+i)))
		if err := writeCache(p, key, c); err != nil {
			f.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Add([]byte(cacheMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := decodeCache(bytes.NewReader(data), int64(len(data)), key)
		if err != nil {
			return
		}
		if c.ChunkSize <= 0 || len(c.IDs) != len(c.WordIDs) || len(c.IDs)%c.ChunkSize != 0 {
			t.Fatalf("inconsistent chunks: T %d, %d ids, %d word ids", c.ChunkSize, len(c.IDs), len(c.WordIDs))
		}
		for i := range c.IDs {
			if c.IDs[i] < 0 || c.WordIDs[i] < -1 {
				t.Fatalf("out-of-range values %d, %d", c.IDs[i], c.WordIDs[i])
			}
		}
		// Whatever decodes must re-encode to the same bytes.
		p := filepath.Join(t.TempDir(), "re")
		if err := writeCache(p, key, c); err != nil {
			t.Fatal(err)
		}
		again, _ := os.ReadFile(p)
		if !bytes.Equal(again, data) {
			idW, widW, _ := widths(c)
			if data[len(cacheMagic)+8+len(key)+12] == idW && data[len(cacheMagic)+8+len(key)+13] == widW {
				t.Fatalf("decoded file does not re-encode to itself")
			}
			// A file may use wider widths than needed: valid, not canonical.
		}
	})
}
