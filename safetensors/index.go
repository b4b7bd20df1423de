package safetensors

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// File names of a Hugging Face checkpoint directory.
const (
	// SingleFileName is the file of an unsharded checkpoint.
	SingleFileName = "model.safetensors"
	// IndexFileName is the index of a sharded checkpoint.
	IndexFileName = "model.safetensors.index.json"
)

// MaxIndexSize bounds the index JSON read by OpenIndex.
const MaxIndexSize = 64 << 20

// OpenIndex opens a sharded checkpoint: path is a
// model.safetensors.index.json ({"metadata": {...}, "weight_map": {tensor:
// shard file}}) or a directory holding one. Every shard named in weight_map
// is opened and validated; the result behaves as one File. It is an error if
// a shard lacks a tensor the map assigns to it, holds a tensor the map does
// not assign to it, or if a shard name leaves the index's directory.
func OpenIndex(path string) (*File, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, IndexFileName)
	}
	raw, err := readIndex(path)
	if err != nil {
		return nil, err
	}
	var idx struct{ WeightMap map[string]string }
	if err := decodeIndex(raw, &idx.WeightMap); err != nil {
		return nil, formatErr(path, "", ErrIndex, "not a JSON object with a weight_map of strings: %v", err)
	}
	if len(idx.WeightMap) == 0 {
		return nil, formatErr(path, "", ErrIndex, "empty or missing weight_map")
	}
	byShard := map[string][]string{}
	for name, file := range idx.WeightMap {
		if file == "" || filepath.IsAbs(file) || strings.ContainsAny(file, `/\`) || file == "." || file == ".." {
			return nil, formatErr(path, name, ErrIndex, "shard %q is not a plain file name in the index's directory", file)
		}
		byShard[file] = append(byShard[file], name)
	}
	files := make([]string, 0, len(byShard))
	for file := range byShard {
		files = append(files, file)
	}
	sort.Strings(files)

	f := newFile(path, nil)
	ok := false
	defer func() {
		if !ok {
			f.Close()
		}
	}()
	dir := filepath.Dir(path)
	for _, file := range files {
		sp := filepath.Join(dir, file)
		sh, infos, meta, err := openShard(sp)
		if err != nil {
			return nil, fmt.Errorf("open index %s: %w", path, err)
		}
		f.shards = append(f.shards, sh)
		for k, v := range meta {
			if _, dup := f.meta[k]; !dup {
				f.meta[k] = v
			}
		}
		for _, ti := range infos {
			if idx.WeightMap[ti.Name] != file {
				return nil, formatErr(path, ti.Name, ErrIndex, "found in shard %s but the weight_map assigns it to %q", file, idx.WeightMap[ti.Name])
			}
			f.tensors[ti.Name] = entry{info: ti, shard: sh}
		}
		for _, name := range byShard[file] {
			if _, found := f.tensors[name]; !found {
				return nil, formatErr(path, name, ErrIndex, "the weight_map assigns it to shard %s, which lacks it", file)
			}
		}
	}
	f.finish()
	ok = true
	return f, nil
}

func readIndex(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	if st.Size() > MaxIndexSize {
		return nil, formatErr(path, "", ErrIndex, "index of %d bytes exceeds the limit of %d", st.Size(), MaxIndexSize)
	}
	raw := make([]byte, st.Size())
	if _, err := fh.ReadAt(raw, 0); err != nil && st.Size() > 0 {
		return nil, fmt.Errorf("safetensors: read %s: %w", path, err)
	}
	return raw, nil
}

// OpenDir opens the checkpoint in a Hugging Face model directory:
// dir/model.safetensors if it exists, else the sharded
// dir/model.safetensors.index.json.
func OpenDir(dir string) (*File, error) {
	single := filepath.Join(dir, SingleFileName)
	if _, err := os.Stat(single); err == nil {
		return Open(single)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	index := filepath.Join(dir, IndexFileName)
	if _, err := os.Stat(index); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("safetensors: %s holds neither %s nor %s", dir, SingleFileName, IndexFileName)
	}
	return OpenIndex(index)
}

// decodeIndex reads the "weight_map" of an index. The key is matched
// exactly, as Python's json (transformers, safetensors) does: Go's
// encoding/json would match struct fields case-insensitively and read
// "weight_mAp" or "WEIGHT_MAP" as the map, accepting an index that the
// reference implementation rejects.
func decodeIndex(raw []byte, weightMap *map[string]string) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return err
	}
	wm, ok := top["weight_map"]
	if !ok {
		return nil // reported as a missing weight_map
	}
	return json.Unmarshal(wm, weightMap)
}
