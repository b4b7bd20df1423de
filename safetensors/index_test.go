package safetensors

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// shardedDir writes two shards and an index the way transformers does
// (model-0000k-of-00002.safetensors) and returns the directory.
func shardedDir(t *testing.T, index string) string {
	t.Helper()
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(Write(filepath.Join(dir, "model-00001-of-00002.safetensors"), []Tensor{
		{Name: "a.weight", Shape: []int{2, 2}, Data: []float32{1, 2, 3, 4}},
		{Name: "a.bias", Shape: []int{2}, Data: []float32{5, 6}},
	}, nil))
	must(Write(filepath.Join(dir, "model-00002-of-00002.safetensors"), []Tensor{
		{Name: "b.weight", Shape: []int{3}, Data: []float32{7, 8, 9}},
	}, map[string]string{"format": "pt", "shard": "2"}))
	must(os.WriteFile(filepath.Join(dir, IndexFileName), []byte(index), 0o644))
	return dir
}

const goodIndex = `{"metadata": {"total_size": 36}, "weight_map": {
  "a.bias": "model-00001-of-00002.safetensors",
  "a.weight": "model-00001-of-00002.safetensors",
  "b.weight": "model-00002-of-00002.safetensors"}}`

func TestOpenIndex(t *testing.T) {
	dir := shardedDir(t, goodIndex)
	for _, open := range []struct {
		name string
		fn   func() (*File, error)
	}{
		{"OpenIndex(dir)", func() (*File, error) { return OpenIndex(dir) }},
		{"OpenIndex(file)", func() (*File, error) { return OpenIndex(filepath.Join(dir, IndexFileName)) }},
		{"OpenDir", func() (*File, error) { return OpenDir(dir) }},
	} {
		f, err := open.fn()
		if err != nil {
			t.Fatalf("%s: %v", open.name, err)
		}
		if diff := cmp.Diff([]string{"a.bias", "a.weight", "b.weight"}, f.Names()); diff != "" {
			t.Errorf("%s names (-want +got):\n%s", open.name, diff)
		}
		want := map[string][]float32{"a.bias": {5, 6}, "a.weight": {1, 2, 3, 4}, "b.weight": {7, 8, 9}}
		for name, w := range want {
			got, _, err := f.Float32(name)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(w, got); diff != "" {
				t.Errorf("%s %s (-want +got):\n%s", open.name, name, diff)
			}
		}
		if info, _ := f.Info("b.weight"); filepath.Base(info.Path) != "model-00002-of-00002.safetensors" {
			t.Errorf("%s: b.weight in %s", open.name, info.Path)
		}
		if diff := cmp.Diff(map[string]string{"format": "pt", "shard": "2"}, f.Metadata()); diff != "" {
			t.Errorf("%s metadata (-want +got):\n%s", open.name, diff)
		}
		if err := f.Close(); err != nil {
			t.Error(err)
		}
	}
}

func TestOpenIndexErrors(t *testing.T) {
	tests := []struct {
		name  string
		index string
		kind  error // nil: only check the message
		want  string
	}{
		{"not JSON", `{"weight_map": `, ErrIndex, "weight_map"},
		{"non-string shard", `{"weight_map": {"a.bias": 1}}`, ErrIndex, "weight_map"},
		{"empty map", `{"metadata": {}}`, ErrIndex, "empty or missing weight_map"},
		{"path traversal", `{"weight_map": {"a.bias": "../model-00001-of-00002.safetensors"}}`, ErrIndex, `"a.bias": bad shard index: shard "../model`},
		{"absolute path", `{"weight_map": {"a.bias": "/etc/passwd"}}`, ErrIndex, "not a plain file name"},
		{"missing shard file", `{"weight_map": {"x": "model-00003-of-00003.safetensors"}}`, nil, "model-00003-of-00003.safetensors"},
		{"tensor missing from shard", strings.Replace(goodIndex, `"b.weight"`, `"c.weight": "model-00002-of-00002.safetensors", "b.weight"`, 1), ErrIndex, `"c.weight"`},
		{"tensor not in map", `{"weight_map": {"a.bias": "model-00001-of-00002.safetensors"}}`, ErrIndex, `"a.weight": bad shard index: found in shard`},
		{"tensor in the wrong shard", strings.Replace(goodIndex, `"b.weight": "model-00002`, `"b.weight": "model-00001`, 1), ErrIndex, `"b.weight"`},
	}
	for _, tc := range tests {
		dir := shardedDir(t, tc.index)
		f, err := OpenIndex(dir)
		if err == nil {
			f.Close()
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if (tc.kind != nil && !errors.Is(err, tc.kind)) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %v containing %q", tc.name, err, tc.kind, tc.want)
		}
	}
}

func TestOpenDir(t *testing.T) {
	dir := shardedDir(t, goodIndex)
	// A single model.safetensors takes precedence over the index.
	if err := Write(filepath.Join(dir, SingleFileName), []Tensor{{Name: "only", Shape: []int{1}, Data: []float32{1}}}, nil); err != nil {
		t.Fatal(err)
	}
	f, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"only"}, f.Names()); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	f.Close()

	empty := t.TempDir()
	if _, err := OpenDir(empty); err == nil || !strings.Contains(err.Error(), "holds neither") {
		t.Errorf("OpenDir(empty) = %v", err)
	}
}
