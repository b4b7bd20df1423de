package hub

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// shortRetries makes retries immediate and bounds them tightly, for the
// duration of a test.
func shortRetries(t *testing.T) {
	t.Helper()
	w, s, st := retryWait, maxStalledAttempts, stallTimeout
	retryWait, maxStalledAttempts, stallTimeout = time.Millisecond, 3, 2*time.Second
	t.Cleanup(func() { retryWait, maxStalledAttempts, stallTimeout = w, s, st })
}

func etagOf(f *fakeFile) string {
	if f.lfs {
		return sha256Hex(f.data)
	}
	return gitBlobSHA1(f.data)
}

// checkSnapshot checks the huggingface_hub layout for files of repo in the
// cache folder root: snapshots/{commit}/{file} is a relative symlink to
// blobs/{etag} holding the file, and no partial download is left.
func checkSnapshot(t *testing.T, root string, repo *fakeRepo, files ...string) {
	t.Helper()
	for _, file := range files {
		f := repo.files[file]
		pointer := filepath.Join(root, "snapshots", repo.commit, filepath.FromSlash(file))
		target, err := os.Readlink(pointer)
		if err != nil {
			t.Errorf("%s: not a symlink: %v", file, err)
			continue
		}
		want, _ := filepath.Rel(filepath.Dir(pointer), filepath.Join(root, "blobs", etagOf(f)))
		if target != want {
			t.Errorf("%s links to %q, want %q", file, target, want)
		}
		got, err := os.ReadFile(pointer)
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		if string(got) != string(f.data) {
			t.Errorf("%s: content differs (%d bytes, want %d)", file, len(got), len(f.data))
		}
	}
	partials, _ := filepath.Glob(filepath.Join(root, "blobs", "*.incomplete"))
	if len(partials) > 0 {
		t.Errorf("partial downloads left: %v", partials)
	}
}

func readRef(t *testing.T, root, rev string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "refs", rev))
	if err != nil {
		t.Fatalf("ref %s: %v", rev, err)
	}
	return string(b)
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

func TestResolveModelDownloadsIntoHubLayout(t *testing.T) {
	h := newFakeHub(t)
	repo := tinyModel(commitA)
	h.addRepo("org/tiny", repo)
	opt := h.options(t)
	opt.Token = h.token
	var last = map[string][2]int64{}
	opt.Progress = func(file string, done, total int64) { last[file] = [2]int64{done, total} }

	dir, err := ResolveModel(context.Background(), "org/tiny", opt)
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(opt.CacheDir, "models--org--tiny")
	if want := filepath.Join(root, "snapshots", commitA); dir != want {
		t.Fatalf("dir = %s, want %s", dir, want)
	}
	checkSnapshot(t, root, repo, "config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json", "tokenizer.json")
	if exists(filepath.Join(dir, "README.md")) {
		t.Error("README.md fetched; only model files should be")
	}
	// huggingface_hub writes the ref without a newline and records absent
	// files under .no_exist.
	if got := readRef(t, root, "main"); got != commitA {
		t.Errorf("refs/main = %q, want %q", got, commitA)
	}
	if !exists(filepath.Join(root, ".no_exist", commitA, "special_tokens_map.json")) {
		t.Error("special_tokens_map.json not recorded under .no_exist")
	}
	if !exists(filepath.Join(opt.CacheDir, ".locks", "models--org--tiny", sha256Hex(repo.files["model.safetensors"].data)+".lock")) {
		t.Error("no lock file under .locks, where huggingface_hub puts it")
	}
	size := int64(len(repo.files["model.safetensors"].data))
	if diff := cmp.Diff([2]int64{size, size}, last["model.safetensors"]); diff != "" {
		t.Errorf("last progress of model.safetensors (-want +got):\n%s", diff)
	}

	for _, r := range h.requests() {
		switch {
		case r.server == "cdn" && r.auth != "":
			t.Errorf("token sent to the CDN: %+v", r)
		case r.server == "hub" && r.auth != "Bearer "+h.token:
			t.Errorf("hub request without the token: %+v", r)
		case r.server == "hub" && !strings.Contains(r.path, "/config.json") && !strings.Contains(r.path, "/resolve/"+commitA+"/"):
			// After config.json every file is asked for at the commit,
			// so a push meanwhile cannot mix two commits.
			t.Errorf("request not pinned to the commit: %+v", r)
		case r.server == "hub" && r.method == "GET" && strings.HasSuffix(r.path, "/model.safetensors"):
			t.Errorf("LFS file fetched from the hub instead of the CDN: %+v", r)
		}
	}
}

func TestResolveModelReusesItsCache(t *testing.T) {
	h := newFakeHub(t)
	h.addRepo("org/tiny", tinyModel(commitA))
	opt := h.options(t)
	first, err := ResolveModel(context.Background(), "org/tiny", opt)
	if err != nil {
		t.Fatal(err)
	}
	h.requests()
	second, err := ResolveModel(context.Background(), "org/tiny", opt)
	if err != nil {
		t.Fatal(err)
	}
	if second != first {
		t.Errorf("second dir %s, first %s", second, first)
	}
	// One HEAD for config.json finds the commit; every other file, even the
	// absent special_tokens_map.json, is then answered by the cache.
	got := h.requests()
	if len(got) != 1 || got[0].method != "HEAD" {
		t.Errorf("warm cache made requests %+v, want one HEAD", got)
	}
	// Asked for by commit, the cache answers alone: a commit's files never
	// change.
	opt.Revision = commitA
	if dir, err := ResolveModel(context.Background(), "org/tiny", opt); err != nil || dir != first {
		t.Fatalf("by commit: %s, %v", dir, err)
	}
	if got := h.requests(); len(got) != 0 {
		t.Errorf("warm cache asked by commit made requests %+v", got)
	}
}

func TestResolveModelNewCommit(t *testing.T) {
	h := newFakeHub(t)
	h.addRepo("org/tiny", tinyModel(commitA))
	opt := h.options(t)
	if _, err := ResolveModel(context.Background(), "org/tiny", opt); err != nil {
		t.Fatal(err)
	}
	// A push changes config.json only: the new snapshot reuses the other
	// blobs without downloading them again.
	next := tinyModel(commitB)
	next.files["config.json"] = &fakeFile{data: []byte(`{"model_type": "distilbert", "dim": 16}`)}
	h.addRepo("org/tiny", next)
	h.requests()
	dir, err := ResolveModel(context.Background(), "org/tiny", opt)
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(opt.CacheDir, "models--org--tiny")
	if dir != filepath.Join(root, "snapshots", commitB) {
		t.Errorf("dir = %s, want the snapshot of %s", dir, commitB)
	}
	checkSnapshot(t, root, next, "config.json", "model.safetensors", "vocab.txt")
	if got := readRef(t, root, "main"); got != commitB {
		t.Errorf("refs/main = %q, want %q", got, commitB)
	}
	for _, r := range h.requests() {
		if r.method == "GET" && !strings.HasSuffix(r.path, "/config.json") {
			t.Errorf("unchanged file downloaded again: %+v", r)
		}
	}
}

func TestResolveModelRenamedRepository(t *testing.T) {
	h := newFakeHub(t)
	repo := tinyModel(commitA)
	h.addRepo("distilbert/distilbert-base-uncased", repo)
	h.renamed["distilbert-base-uncased"] = "distilbert/distilbert-base-uncased"
	opt := h.options(t)
	opt.Token = h.token
	dir, err := ResolveModel(context.Background(), "distilbert-base-uncased", opt)
	if err != nil {
		t.Fatal(err)
	}
	// The cache folder is named after the id asked for, as in Python.
	root := filepath.Join(opt.CacheDir, "models--distilbert-base-uncased")
	if dir != filepath.Join(root, "snapshots", commitA) {
		t.Fatalf("dir = %s", dir)
	}
	checkSnapshot(t, root, repo, "config.json", "model.safetensors", "vocab.txt")
	var redirects, followed int
	for _, r := range h.requests() {
		if r.status == 307 {
			redirects++
		}
		if r.server == "hub" && strings.HasPrefix(r.path, "/distilbert/distilbert-base-uncased/") {
			followed++
			if r.auth == "" {
				t.Errorf("token dropped on a relative (same host) redirect: %+v", r)
			}
		}
	}
	if redirects == 0 || followed == 0 {
		t.Errorf("relative redirect not exercised: %d redirects, %d followed", redirects, followed)
	}
}

func TestResolveModelResumesDroppedConnection(t *testing.T) {
	shortRetries(t)
	h := newFakeHub(t)
	repo := tinyModel(commitA)
	h.addRepo("org/tiny", repo)
	blob := repo.files["model.safetensors"]
	const cut = chunkSize + 1000
	h.setFault(sha256Hex(blob.data), &fault{at: cut, times: 1})
	opt := h.options(t)
	if _, err := ResolveModel(context.Background(), "org/tiny", opt); err != nil {
		t.Fatal(err)
	}
	checkSnapshot(t, filepath.Join(opt.CacheDir, "models--org--tiny"), repo, "model.safetensors")
	var ranges []string
	for _, r := range h.requests() {
		if r.server == "cdn" {
			ranges = append(ranges, r.rng)
		}
	}
	if diff := cmp.Diff([]string{"", "bytes=263144-"}, ranges); diff != "" || cut != 263144 {
		t.Errorf("CDN Range headers (-want +got):\n%s", diff)
	}
}

func TestResolveModelResumesStalledTransfer(t *testing.T) {
	shortRetries(t)
	stallTimeout = 300 * time.Millisecond
	h := newFakeHub(t)
	repo := tinyModel(commitA)
	h.addRepo("org/tiny", repo)
	blob := repo.files["model.safetensors"]
	h.setFault(sha256Hex(blob.data), &fault{at: 5000, times: 1, stall: true})
	opt := h.options(t)
	if _, err := ResolveModel(context.Background(), "org/tiny", opt); err != nil {
		t.Fatal(err)
	}
	checkSnapshot(t, filepath.Join(opt.CacheDir, "models--org--tiny"), repo, "model.safetensors")
	var ranges []string
	for _, r := range h.requests() {
		if r.server == "cdn" {
			ranges = append(ranges, r.rng)
		}
	}
	if diff := cmp.Diff([]string{"", "bytes=5000-"}, ranges); diff != "" {
		t.Errorf("CDN Range headers (-want +got):\n%s", diff)
	}
}

func TestResolveModelResumesAcrossRuns(t *testing.T) {
	shortRetries(t)
	h := newFakeHub(t)
	repo := tinyModel(commitA)
	h.addRepo("org/tiny", repo)
	blob := repo.files["model.safetensors"]
	sum := sha256Hex(blob.data)
	const cut = 2*chunkSize + 17
	h.setFault(sum, &fault{at: cut, times: -1}) // the network never gets past cut
	opt := h.options(t)

	_, err := ResolveModel(context.Background(), "org/tiny", opt)
	if err == nil || !strings.Contains(err.Error(), "resume") {
		t.Fatalf("err = %v, want a failed download kept for resuming", err)
	}
	partial := filepath.Join(opt.CacheDir, "models--org--tiny", "blobs", sum+".incomplete")
	st, err := os.Stat(partial)
	if err != nil || st.Size() != cut {
		t.Fatalf("partial file: %v, size %d, want %d bytes", err, st.Size(), cut)
	}
	if exists(filepath.Join(opt.CacheDir, "models--org--tiny", "snapshots", commitA, "model.safetensors")) {
		t.Fatal("snapshot links an unfinished download")
	}

	h.setFault(sum, nil)
	h.requests()
	if _, err := ResolveModel(context.Background(), "org/tiny", opt); err != nil {
		t.Fatal(err)
	}
	checkSnapshot(t, filepath.Join(opt.CacheDir, "models--org--tiny"), repo, "model.safetensors")
	var ranges []string
	for _, r := range h.requests() {
		if r.server == "cdn" {
			ranges = append(ranges, r.rng)
		}
	}
	if diff := cmp.Diff([]string{"bytes=524305-"}, ranges); diff != "" || cut != 524305 {
		t.Errorf("CDN Range headers of the second run (-want +got):\n%s", diff)
	}
}

func TestResolveModelResumesPythonPartial(t *testing.T) {
	// huggingface_hub leaves blobs/{etag}.incomplete when interrupted; it
	// is resumed, not restarted.
	h := newFakeHub(t)
	repo := tinyModel(commitA)
	h.addRepo("org/tiny", repo)
	blob := repo.files["model.safetensors"]
	opt := h.options(t)
	partial := filepath.Join(opt.CacheDir, "models--org--tiny", "blobs", sha256Hex(blob.data)+".incomplete")
	os.MkdirAll(filepath.Dir(partial), 0o755)
	if err := os.WriteFile(partial, blob.data[:1000], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ResolveModel(context.Background(), "org/tiny", opt); err != nil {
		t.Fatal(err)
	}
	checkSnapshot(t, filepath.Join(opt.CacheDir, "models--org--tiny"), repo, "model.safetensors")
	for _, r := range h.requests() {
		if r.server == "cdn" && r.rng != "bytes=1000-" {
			t.Errorf("CDN request %+v, want Range bytes=1000-", r)
		}
	}
}

func TestResolveModelIntegrity(t *testing.T) {
	big := randomBytes(chunkSize+100, 3)
	flipped := append([]byte(nil), big...)
	flipped[len(flipped)/2] ^= 1
	tests := []struct {
		name string
		file *fakeFile
		want string
	}{
		{"sha256 mismatch", &fakeFile{data: big, lfs: true, serve: flipped}, "SHA-256"},
		{"shorter than announced", &fakeFile{data: big, lfs: true, serve: big[:len(big)-10]}, "announced"},
		{"longer than announced", &fakeFile{data: big, lfs: true, serve: append(append([]byte(nil), big...), 1, 2)}, "announced"},
		{"git file shorter than announced", &fakeFile{data: []byte("0123456789"), serve: []byte("01234"), etag: `"` + gitBlobSHA1([]byte("0123456789")) + `"`}, "announced"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newFakeHub(t)
			repo := tinyModel(commitA)
			repo.files["model.safetensors"] = tc.file
			h.addRepo("org/tiny", repo)
			opt := h.options(t)
			_, err := ResolveModel(context.Background(), "org/tiny", opt)
			if !errors.Is(err, ErrIntegrity) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "model.safetensors") {
				t.Fatalf("err = %v, want ErrIntegrity mentioning %q and the file", err, tc.want)
			}
			root := filepath.Join(opt.CacheDir, "models--org--tiny")
			blobs, _ := os.ReadDir(filepath.Join(root, "blobs"))
			for _, b := range blobs {
				if b.Name() == etagOf(tc.file) || strings.HasSuffix(b.Name(), ".incomplete") {
					t.Errorf("bad download left in the cache: %s", b.Name())
				}
			}
			if exists(filepath.Join(root, "snapshots", commitA, "model.safetensors")) {
				t.Error("snapshot links a bad download")
			}
		})
	}
}

func TestResolveModelAuth(t *testing.T) {
	tests := []struct {
		name    string
		token   string
		wantErr error
		wantMsg string
	}{
		{"no token", "", ErrUnauthorized, "set HF_TOKEN"},
		{"bad token", "hf_bad", ErrUnauthorized, "token in HF_TOKEN was refused"},
		{"good token", "hf_good", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newFakeHub(t)
			repo := tinyModel(commitA)
			repo.private = true
			h.addRepo("org/private", repo)
			opt := h.options(t)
			opt.Token = tc.token
			_, err := ResolveModel(context.Background(), "org/private", opt)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.wantMsg) || !strings.Contains(err.Error(), "org/private") {
				t.Fatalf("err = %v, want %v mentioning %q", err, tc.wantErr, tc.wantMsg)
			}
			if strings.Contains(err.Error(), "hf_bad") {
				t.Error("the token leaks into the error message")
			}
		})
	}
}

func TestResolveModelNotFound(t *testing.T) {
	noVocab := tinyModel(commitA)
	delete(noVocab.files, "vocab.txt")
	binOnly := tinyModel(commitA)
	delete(binOnly.files, "model.safetensors")
	binOnly.files["pytorch_model.bin"] = &fakeFile{data: []byte("pickle")}
	tests := []struct {
		name     string
		repo     *fakeRepo
		id       string
		revision string
		token    string
		wantErr  error
		wantMsg  []string
	}{
		{"unknown repo, anonymous", nil, "org/nope", "main", "", ErrUnauthorized, []string{"org/nope", "HF_TOKEN"}},
		{"unknown repo, with token", nil, "org/nope", "main", "hf_good", ErrRepoNotFound, []string{`"org/nope"`, "not found"}},
		{"unknown revision", tinyModel(commitA), "org/tiny", "v9", "", ErrRevisionNotFound, []string{`"v9"`, `"org/tiny"`}},
		{"missing vocab.txt", noVocab, "org/tiny", "main", "", ErrEntryNotFound, []string{`"org/tiny"`, `"main"`, commitA, `"vocab.txt"`}},
		{"no safetensors weights", binOnly, "org/tiny", "main", "", ErrEntryNotFound, []string{`"org/tiny"`, "model.safetensors", "model.safetensors.index.json"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newFakeHub(t)
			if tc.repo != nil {
				h.addRepo("org/tiny", tc.repo)
			}
			opt := h.options(t)
			opt.Revision, opt.Token = tc.revision, tc.token
			_, err := ResolveModel(context.Background(), tc.id, opt)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			for _, m := range tc.wantMsg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %s", err, m)
				}
			}
		})
	}
}

func TestResolveModelSharded(t *testing.T) {
	h := newFakeHub(t)
	repo := tinyModel(commitA)
	delete(repo.files, "model.safetensors")
	repo.files["model.safetensors.index.json"] = &fakeFile{data: []byte(`{
		"metadata": {"total_size": 300},
		"weight_map": {
			"a.weight": "model-00001-of-00002.safetensors",
			"b.weight": "shards/model-00002-of-00002.safetensors",
			"c.weight": "model-00001-of-00002.safetensors"
		}}`)}
	repo.files["model-00001-of-00002.safetensors"] = &fakeFile{data: randomBytes(1000, 1), lfs: true}
	repo.files["shards/model-00002-of-00002.safetensors"] = &fakeFile{data: randomBytes(2000, 2), lfs: true}
	h.addRepo("org/sharded", repo)
	opt := h.options(t)
	if _, err := ResolveModel(context.Background(), "org/sharded", opt); err != nil {
		t.Fatal(err)
	}
	checkSnapshot(t, filepath.Join(opt.CacheDir, "models--org--sharded"), repo,
		"config.json", "model.safetensors.index.json", "model-00001-of-00002.safetensors", "shards/model-00002-of-00002.safetensors", "vocab.txt")
	// A nested file links three levels up, as huggingface_hub makes it.
	target, _ := os.Readlink(filepath.Join(opt.CacheDir, "models--org--sharded", "snapshots", commitA, "shards", "model-00002-of-00002.safetensors"))
	if want := filepath.Join("..", "..", "..", "blobs", sha256Hex(randomBytes(2000, 2))); target != want {
		t.Errorf("nested link %q, want %q", target, want)
	}
}

func TestResolveModelOfflineShardedPythonCache(t *testing.T) {
	// snapshot_download records no .no_exist for model.safetensors: offline,
	// the index is looked for all the same.
	h := newFakeHub(t)
	repo := tinyModel(commitA)
	delete(repo.files, "model.safetensors")
	repo.files["model.safetensors.index.json"] = &fakeFile{data: []byte(`{"weight_map":{"a":"model-00001-of-00001.safetensors"}}`)}
	repo.files["model-00001-of-00001.safetensors"] = &fakeFile{data: randomBytes(100, 1), lfs: true}
	opt := h.options(t)
	opt.Offline = true
	root := pythonCache(t, opt.CacheDir, "org/sharded", repo)
	dir, err := ResolveModel(context.Background(), "org/sharded", opt)
	if err != nil {
		t.Fatal(err)
	}
	if dir != filepath.Join(root, "snapshots", commitA) {
		t.Errorf("dir %s", dir)
	}
	// Without the index either, the error is about the missing weights.
	os.Remove(filepath.Join(dir, "model.safetensors.index.json"))
	_, err = ResolveModel(context.Background(), "org/sharded", opt)
	if !errors.Is(err, ErrNotCached) || !strings.Contains(err.Error(), "model.safetensors of org/sharded") {
		t.Fatalf("err = %v, want model.safetensors not cached", err)
	}
}

func TestResolveModelOffline(t *testing.T) {
	h := newFakeHub(t)
	h.addRepo("org/tiny", tinyModel(commitA))
	opt := h.options(t)
	opt.Offline = true

	_, err := ResolveModel(context.Background(), "org/tiny", opt)
	if !errors.Is(err, ErrNotCached) || !strings.Contains(err.Error(), "HF_HUB_OFFLINE") || !strings.Contains(err.Error(), "config.json") {
		t.Fatalf("cold cache offline: err = %v, want ErrNotCached naming HF_HUB_OFFLINE and the file", err)
	}

	opt.Offline = false
	online, err := ResolveModel(context.Background(), "org/tiny", opt)
	if err != nil {
		t.Fatal(err)
	}
	h.requests()
	opt.Offline = true
	for _, rev := range []string{"main", commitA} {
		opt.Revision = rev
		offline, err := ResolveModel(context.Background(), "org/tiny", opt)
		if err != nil {
			t.Fatalf("warm cache offline, revision %s: %v", rev, err)
		}
		if offline != online {
			t.Errorf("offline dir %s, online %s", offline, online)
		}
	}
	if got := h.requests(); len(got) != 0 {
		t.Errorf("offline mode made requests: %+v", got)
	}
}

// pythonCache lays out by hand what huggingface_hub leaves after
// snapshot_download of repo as id: blobs, relative symlinks, refs/main
// without newline, and .no_exist for the optional files the repo lacks.
func pythonCache(t *testing.T, cacheDir, id string, repo *fakeRepo) string {
	t.Helper()
	root := filepath.Join(cacheDir, "models--"+strings.ReplaceAll(id, "/", "--"))
	for name, f := range repo.files {
		blob := filepath.Join(root, "blobs", etagOf(f))
		pointer := filepath.Join(root, "snapshots", repo.commit, filepath.FromSlash(name))
		for _, d := range []string{filepath.Dir(blob), filepath.Dir(pointer)} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(blob, f.data, 0o644); err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(filepath.Dir(pointer), blob)
		if err := os.Symlink(rel, pointer); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"special_tokens_map.json"} {
		p := filepath.Join(root, ".no_exist", repo.commit, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(root, "refs"), 0o755)
	if err := os.WriteFile(filepath.Join(root, "refs", "main"), []byte(repo.commit), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestResolveModelReusesPythonCache(t *testing.T) {
	h := newFakeHub(t)
	repo := tinyModel(commitA)
	h.addRepo("distilbert-base-uncased", repo)
	opt := h.options(t)
	root := pythonCache(t, opt.CacheDir, "distilbert-base-uncased", repo)
	want := filepath.Join(root, "snapshots", commitA)

	for _, offline := range []bool{true, false} {
		opt.Offline = offline
		dir, err := ResolveModel(context.Background(), "distilbert-base-uncased", opt)
		if err != nil {
			t.Fatalf("offline=%v: %v", offline, err)
		}
		if dir != want {
			t.Errorf("offline=%v: dir %s, want %s", offline, dir, want)
		}
		got := h.requests()
		for _, r := range got {
			if r.method != "HEAD" {
				t.Errorf("offline=%v: Python's cache not reused: %+v", offline, r)
			}
		}
		if offline && len(got) != 0 {
			t.Errorf("offline requests: %+v", got)
		}
	}
}

func TestResolveModelUnreachableHub(t *testing.T) {
	h := newFakeHub(t)
	repo := tinyModel(commitA)
	opt := h.options(t)
	h.hub.Close() // nothing listens at the endpoint any more

	_, err := ResolveModel(context.Background(), "org/tiny", opt)
	if !errors.Is(err, ErrNotCached) || !strings.Contains(err.Error(), "HF_HUB_OFFLINE=1") || !strings.Contains(err.Error(), "cannot reach") {
		t.Fatalf("cold cache: err = %v, want an unreachable-Hub error with the offline hint", err)
	}
	// With a warm cache, huggingface_hub falls back to it.
	root := pythonCache(t, opt.CacheDir, "org/tiny", repo)
	dir, err := ResolveModel(context.Background(), "org/tiny", opt)
	if err != nil {
		t.Fatalf("warm cache: %v", err)
	}
	if dir != filepath.Join(root, "snapshots", commitA) {
		t.Errorf("dir %s", dir)
	}
}

func TestResolveModelRetriesServerErrors(t *testing.T) {
	shortRetries(t)
	h := newFakeHub(t)
	h.addRepo("org/tiny", tinyModel(commitA))
	h.failHeads = maxMetadataAttempts - 1
	opt := h.options(t)
	if _, err := ResolveModel(context.Background(), "org/tiny", opt); err != nil {
		t.Fatal(err)
	}
	h.failHeads = maxMetadataAttempts
	opt.CacheDir = t.TempDir()
	_, err := ResolveModel(context.Background(), "org/tiny", opt)
	if !errors.Is(err, ErrNotCached) || !strings.Contains(err.Error(), "503") {
		t.Fatalf("err = %v, want the 503 and ErrNotCached", err)
	}
}

// failingWriter fails with ENOSPC once limit bytes were written.
type failingWriter struct {
	w     io.Writer
	limit int
}

func (f *failingWriter) Write(b []byte) (int, error) {
	if len(b) > f.limit {
		n, _ := f.w.Write(b[:f.limit])
		f.limit = 0
		return n, &fs.PathError{Op: "write", Path: "partial", Err: syscall.ENOSPC}
	}
	f.limit -= len(b)
	return f.w.Write(b)
}

func TestResolveModelFullDisk(t *testing.T) {
	h := newFakeHub(t)
	repo := tinyModel(commitA)
	h.addRepo("org/tiny", repo)
	opt := h.options(t)
	saved := partialWriter
	t.Cleanup(func() { partialWriter = saved })
	partialWriter = func(f *os.File) io.Writer { return &failingWriter{w: f, limit: chunkSize + 10} }

	_, err := ResolveModel(context.Background(), "org/tiny", opt)
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "disk full") || !strings.Contains(err.Error(), "model.safetensors") {
		t.Fatalf("err = %v, want a disk-full error naming the file", err)
	}
	root := filepath.Join(opt.CacheDir, "models--org--tiny")
	sum := sha256Hex(repo.files["model.safetensors"].data)
	for _, p := range []string{
		filepath.Join(root, "blobs", sum),
		filepath.Join(root, "blobs", sum+".incomplete"),
		filepath.Join(root, "snapshots", commitA, "model.safetensors"),
	} {
		if exists(p) {
			t.Errorf("left behind after a full disk: %s", p)
		}
	}
	// Space freed: the next run completes the cache.
	partialWriter = saved
	if _, err := ResolveModel(context.Background(), "org/tiny", opt); err != nil {
		t.Fatal(err)
	}
	checkSnapshot(t, root, repo, "config.json", "model.safetensors", "vocab.txt")
}

func TestResolveModelCancelled(t *testing.T) {
	h := newFakeHub(t)
	h.addRepo("org/tiny", tinyModel(commitA))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := ResolveModel(ctx, "org/tiny", h.options(t))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestResolveModelRejectsBadInput(t *testing.T) {
	h := newFakeHub(t)
	tests := []struct{ id, revision string }{
		{"", "main"},
		{"../etc", "main"},
		{"a/b/c", "main"},
		{"org--x", "main"},
		{"-org/x", "main"},
		{"org/x", "../../x"},
		{"org/x", "a//b"},
		{"org/x", `a\b`},
	}
	for _, tc := range tests {
		opt := h.options(t)
		opt.Revision = tc.revision
		if _, err := ResolveModel(context.Background(), tc.id, opt); !errors.Is(err, errBadRequest) {
			t.Errorf("ResolveModel(%q, revision %q) err = %v, want an invalid-argument error", tc.id, tc.revision, err)
		}
	}
	if got := h.requests(); len(got) != 0 {
		t.Errorf("invalid input reached the network: %+v", got)
	}
}

func TestResolveModelRejectsHostileServer(t *testing.T) {
	tests := []struct {
		name string
		file *fakeFile
		want string
	}{
		{"etag escaping the cache", &fakeFile{data: []byte("{}"), etag: `"../../../evil"`}, "invalid ETag"},
		{"no etag", &fakeFile{data: []byte("{}"), etag: `""`}, "no ETag"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newFakeHub(t)
			repo := tinyModel(commitA)
			repo.files["config.json"] = tc.file
			h.addRepo("org/tiny", repo)
			opt := h.options(t)
			_, err := ResolveModel(context.Background(), "org/tiny", opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestResolveModelWaitsForConcurrentDownload(t *testing.T) {
	// Another process (Python's filelock takes the same flock) holds the
	// blob's lock and finishes the blob meanwhile: no second download.
	h := newFakeHub(t)
	repo := tinyModel(commitA)
	h.addRepo("org/tiny", repo)
	opt := h.options(t)
	data := repo.files["model.safetensors"].data
	rc := newRepoCache(opt.CacheDir, "org/tiny")
	lk, err := acquireLock(context.Background(), rc.lockPath(sha256Hex(data)))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := ResolveModel(context.Background(), "org/tiny", opt)
		done <- err
	}()
	time.Sleep(300 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("ResolveModel did not wait for the lock: %v", err)
	default:
	}
	blob := rc.blobPath(sha256Hex(data))
	if err := os.MkdirAll(filepath.Dir(blob), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blob, data, 0o644); err != nil {
		t.Fatal(err)
	}
	lk.release()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ResolveModel still waiting after the lock was released")
	}
	checkSnapshot(t, rc.root, repo, "model.safetensors")
	for _, r := range h.requests() {
		if r.server == "cdn" {
			t.Errorf("blob downloaded although another process made it: %+v", r)
		}
	}

	// A caller that gives up waiting gets its context's error.
	lk, err = acquireLock(context.Background(), rc.lockPath("other"))
	if err != nil {
		t.Fatal(err)
	}
	defer lk.release()
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	if _, err := acquireLock(ctx, rc.lockPath("other")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the context deadline", err)
	}
}
