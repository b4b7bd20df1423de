package hub

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkDownloadLFS measures a cold-cache ResolveModel whose weights are a
// 64 MiB LFS file served on loopback: HEAD requests, the transfer, the
// SHA-256 check, the write, rename and link. Bytes/s is the weights file's.
func BenchmarkDownloadLFS(b *testing.B) {
	h := newFakeHub(b)
	repo := tinyModel(commitA)
	repo.files["model.safetensors"] = &fakeFile{data: randomBytes(64<<20, 1), lfs: true}
	h.addRepo("org/big", repo)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	b.SetBytes(64 << 20)
	for b.Loop() {
		cache, err := os.MkdirTemp("", "hubbench")
		if err != nil {
			b.Fatal(err)
		}
		opt := Options{Endpoint: h.hub.URL, CacheDir: cache, DownloadDir: cache, HTTPClient: &http.Client{Transport: tr}}
		if _, err := ResolveModel(context.Background(), "org/big", opt); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		os.RemoveAll(cache)
		h.requests()
		b.StartTimer()
	}
}

// BenchmarkUploadHash measures the client's own per-byte cost of an
// upload: the one read of a 64 MiB file that computes its SHA-256 (the LFS
// oid) and 512-byte sample. (An end-to-end upload to the
// fake Hub on loopback is dominated by the fake's own storage, so it would
// not measure the client.)
func BenchmarkUploadHash(b *testing.B) {
	path := filepath.Join(b.TempDir(), "model.safetensors")
	if err := os.WriteFile(path, randomBytes(64<<20, 1), 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(64 << 20)
	for b.Loop() {
		if _, err := hashFile(File{PathInRepo: "model.safetensors", LocalPath: path}); err != nil {
			b.Fatal(err)
		}
	}
}
