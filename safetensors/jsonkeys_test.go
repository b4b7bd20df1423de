package safetensors

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// OpenIndex matches "weight_map" exactly, as the reference implementation
// (Python's json) does; see decodeIndex.
func TestIndexKeyIsCaseSensitive(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, IndexFileName)
	os.WriteFile(path, []byte(`{"weight_mAp": {"a": "model.safetensors"}}`), 0o644)
	_, err := OpenIndex(path)
	if !errors.Is(err, ErrIndex) || !strings.Contains(err.Error(), "empty or missing weight_map") {
		t.Errorf("err = %v, want the missing weight_map", err)
	}
}
