package fakehub

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// OfflineCache lays out the files of the folder src as repo's main revision
// in a fresh huggingface_hub cache (models--OWNER--NAME/{refs/main,
// snapshots/COMMIT}), points HF_HUB_CACHE at it and sets HF_HUB_OFFLINE, so
// that loading the Hub id repo reads those files without a server. It
// returns the cache folder.
func OfflineCache(t testing.TB, repo, src string) string {
	t.Helper()
	cache := t.TempDir()
	const commit = "0123456789abcdef0123456789abcdef01234567"
	dir := filepath.Join(cache, "models--"+strings.ReplaceAll(repo, "/", "--"))
	snap := filepath.Join(dir, "snapshots", commit)
	for _, d := range []string{snap, filepath.Join(dir, "refs")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "refs", "main"), []byte(commit), 0o644); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(snap, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("HF_HUB_CACHE", cache)
	t.Setenv("HF_HUB_OFFLINE", "1")
	return cache
}
