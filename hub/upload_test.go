package hub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distilgo/distilgo/internal/fakehub"
	"github.com/google/go-cmp/cmp"
)

// pushOptions returns UploadOptions for the fake with its write token, a
// fresh cache, and a log collected for the token check.
func pushOptions(t *testing.T, h *fakehub.Hub) (UploadOptions, *logSink) {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	sink := &logSink{}
	return UploadOptions{
		Options: Options{Endpoint: h.URL, Token: h.Token, CacheDir: t.TempDir(), DownloadDir: t.TempDir(),
			Revision: "main", HTTPClient: &http.Client{Transport: tr}},
		Logf: sink.logf,
	}, sink
}

type logSink struct {
	mu    sync.Mutex
	lines []string
}

func (s *logSink) logf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines = append(s.lines, strings.TrimSpace(fmt.Sprintf(format, args...)))
}

// writeTree writes files (slash paths) under a new temporary directory.
func writeTree(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// modelTree is an output directory: a model, a checkpoint and a .git
// folder that must not be pushed.
func modelTree() map[string][]byte {
	return map[string][]byte{
		"config.json":                         []byte(`{"model_type": "distilbert", "dim": 8}`),
		"model.safetensors":                   randomBytes(5000, 11),
		"vocab.txt":                           []byte("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\n"),
		"tokenizer_config.json":               []byte(`{"do_lower_case": true}`),
		"README.md":                           []byte("---\nlicense: apache-2.0\n---\n# tiny\n"),
		"empty.txt":                           {},
		"checkpoint-5/model.safetensors":      randomBytes(100, 12),
		".git/config":                         []byte("[core]\n"),
		"sub/.cache/huggingface/upload/x.txt": []byte("x"),
	}
}

// pushed lists the repository paths that modelTree pushes with
// Ignore: checkpoint-*.
var pushed = []string{"README.md", "config.json", "empty.txt", "model.safetensors", "tokenizer_config.json", "vocab.txt"}

// checkRequests fails on a token sent to the storage server or a Hub
// request without it.
func checkRequests(t *testing.T, h *fakehub.Hub, reqs []fakehub.Request) {
	t.Helper()
	for _, r := range reqs {
		switch {
		case r.Server == "storage" && r.Auth != "":
			t.Errorf("token sent to the storage server: %+v", r)
		case r.Server == "hub" && !strings.Contains(r.Path, "/lfs-complete/") && r.Auth != "Bearer "+h.Token:
			t.Errorf("Hub request without the token: %+v", r)
		}
	}
}

func count(reqs []fakehub.Request, server, method, prefix string) int {
	n := 0
	for _, r := range reqs {
		if r.Server == server && r.Method == method && strings.HasPrefix(r.Path, prefix) && r.Status < 400 && r.Status >= 0 {
			n++
		}
	}
	return n
}

func TestUploadFolderNewRepoRoundTrip(t *testing.T) {
	shortRetries(t)
	h := fakehub.New(t)
	opt, _ := pushOptions(t, h)
	ctx := context.Background()
	id, err := FullRepoID(ctx, "tiny-finetuned", opt.Options)
	if err != nil {
		t.Fatal(err)
	}
	if id != "alice/tiny-finetuned" {
		t.Fatalf("FullRepoID = %q, want alice/tiny-finetuned (the token's user)", id)
	}
	url, err := CreateRepo(ctx, id, false, opt.Options)
	if err != nil {
		t.Fatal(err)
	}
	if url != h.URL+"/"+id {
		t.Errorf("CreateRepo URL %q", url)
	}
	tree := modelTree()
	dir := writeTree(t, tree)
	opt.CommitMessage = "End of training"
	opt.Ignore = []string{"checkpoint-*"}
	info, err := UploadFolder(ctx, id, dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	repo := h.Repo(id)
	if info.OID != repo.Head() || info.URL != h.URL+"/"+id+"/commit/"+repo.Head() {
		t.Errorf("CommitInfo %q %q, head %q", info.URL, info.OID, repo.Head())
	}
	if got := repo.Messages[repo.Head()]; got != "End of training" {
		t.Errorf("commit message %q", got)
	}
	if diff := cmp.Diff(pushed, info.Committed); diff != "" {
		t.Errorf("committed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"model.safetensors"}, info.Uploaded); diff != "" {
		t.Errorf("LFS uploads (-want +got):\n%s", diff)
	}
	files := h.Files(id)
	var names []string
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	if diff := cmp.Diff(append([]string{".gitattributes"}, pushed...), names); diff != "" {
		t.Errorf("repository files (-want +got):\n%s", diff)
	}
	for _, n := range pushed {
		if string(files[n].Data) != string(tree[n]) {
			t.Errorf("%s: content differs on the Hub", n)
		}
	}
	if !files["model.safetensors"].LFS || files["config.json"].LFS || files["empty.txt"].LFS {
		t.Error("weights must be in LFS, small files and the empty one regular")
	}
	checkRequests(t, h, h.Requests())

	// The round trip: the download side gets byte-identical files.
	snap, err := ResolveModel(ctx, id, opt.Options)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json"} {
		got, err := os.ReadFile(filepath.Join(snap, n))
		if err != nil || string(got) != string(tree[n]) {
			t.Errorf("downloaded %s differs from the pushed file (err %v)", n, err)
		}
	}
}

func TestCreateRepoExistingAndPrivate(t *testing.T) {
	shortRetries(t)
	h := fakehub.New(t)
	opt, _ := pushOptions(t, h)
	ctx := context.Background()
	h.CreateRepo("alice/old", false, map[string][]byte{"README.md": []byte("# old\n")})
	before := len(h.Repo("alice/old").Commits)
	if _, err := CreateRepo(ctx, "alice/old", true, opt.Options); err != nil {
		t.Fatalf("existing repository (409): %v", err)
	}
	if r := h.Repo("alice/old"); r.Private || len(r.Commits) != before {
		t.Error("CreateRepo changed an existing repository")
	}
	// A read-only token cannot create (403) but the repository exists.
	ro := opt.Options
	ro.Token = h.ReadToken
	if _, err := CreateRepo(ctx, "alice/old", false, ro); err != nil {
		t.Errorf("existing repository, read-only token: %v", err)
	}
	if _, err := CreateRepo(ctx, "alice/new", false, ro); !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "write access") {
		t.Errorf("read-only token creating a repository: %v, want ErrUnauthorized saying write access", err)
	}

	if _, err := CreateRepo(ctx, "alice/secret", true, opt.Options); err != nil {
		t.Fatal(err)
	}
	if !h.Repo("alice/secret").Private {
		t.Fatal("repository not private")
	}
	dir := writeTree(t, modelTree())
	if _, err := UploadFolder(ctx, "alice/secret", dir, opt); err != nil {
		t.Fatal(err)
	}
	anon := opt.Options
	anon.Token = ""
	if _, err := ResolveModel(ctx, "alice/secret", anon); !errors.Is(err, ErrRepoNotFound) && !errors.Is(err, ErrUnauthorized) {
		t.Errorf("anonymous download of a private repository: %v", err)
	}
	if _, err := ResolveModel(ctx, "alice/secret", opt.Options); err != nil {
		t.Errorf("download of the private repository with the token: %v", err)
	}
}

func TestUploadSecondPushSendsOnlyChanges(t *testing.T) {
	shortRetries(t)
	h := fakehub.New(t)
	opt, _ := pushOptions(t, h)
	ctx := context.Background()
	if _, err := CreateRepo(ctx, "alice/m", false, opt.Options); err != nil {
		t.Fatal(err)
	}
	tree := modelTree()
	dir := writeTree(t, tree)
	opt.Ignore = []string{"checkpoint-*"}
	if _, err := UploadFolder(ctx, "alice/m", dir, opt); err != nil {
		t.Fatal(err)
	}
	h.Requests()

	// Only vocab.txt changes: one regular file in the commit, no LFS.
	if err := os.WriteFile(filepath.Join(dir, "vocab.txt"), []byte("[PAD]\nnew\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	info, err := UploadFolder(ctx, "alice/m", dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"vocab.txt"}, info.Committed); diff != "" {
		t.Errorf("committed (-want +got):\n%s", diff)
	}
	if len(info.Uploaded) != 0 || len(info.Unchanged) != len(pushed)-1 {
		t.Errorf("uploaded %v, unchanged %v", info.Uploaded, info.Unchanged)
	}
	reqs := h.Requests()
	if n := count(reqs, "storage", "PUT", "/"); n != 0 {
		t.Errorf("%d uploads to storage for an unchanged LFS file", n)
	}
	if n := count(reqs, "hub", "POST", "/alice/m.git/info/lfs/objects/batch"); n != 0 {
		t.Errorf("%d LFS batch calls with no LFS file to send", n)
	}
	if got := string(h.Files("alice/m")["vocab.txt"].Data); got != "[PAD]\nnew\n" {
		t.Errorf("vocab.txt on the Hub %q", got)
	}

	// Nothing changed: no commit, the head is reported.
	commits := len(h.Repo("alice/m").Commits)
	info, err = UploadFolder(ctx, "alice/m", dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	if r := h.Repo("alice/m"); len(r.Commits) != commits || info.OID != r.Head() || len(info.Committed) != 0 {
		t.Errorf("unchanged push: %d commits (was %d), info %+v", len(r.Commits), commits, info)
	}

	// New path, content the Hub already stores: committed, not sent.
	if err := os.WriteFile(filepath.Join(dir, "copy.safetensors"), tree["model.safetensors"], 0o644); err != nil {
		t.Fatal(err)
	}
	h.Requests()
	info, err = UploadFolder(ctx, "alice/m", dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(info.Committed, []string{"copy.safetensors"}) || len(info.Uploaded) != 0 {
		t.Errorf("known LFS content: committed %v, uploaded %v", info.Committed, info.Uploaded)
	}
	if n := count(h.Requests(), "storage", "PUT", "/"); n != 0 {
		t.Errorf("%d uploads of content the Hub already had", n)
	}
}

func TestUploadMultipart(t *testing.T) {
	shortRetries(t)
	h := fakehub.New(t)
	h.MultipartThreshold, h.ChunkSize = 1000, 1024
	opt, _ := pushOptions(t, h)
	ctx := context.Background()
	if _, err := CreateRepo(ctx, "alice/big", false, opt.Options); err != nil {
		t.Fatal(err)
	}
	data := randomBytes(5*1024-7, 3) // 5 parts, the last short
	dir := writeTree(t, map[string][]byte{"model.safetensors": data})
	// One part's connection drops mid-body, another gets a 500: both are
	// resent.
	h.AddFault(fakehub.Fault{Server: "storage", Method: "PUT", PathPrefix: "/parts/", Drop: true, DropAfter: 300, Times: 1})
	h.AddFault(fakehub.Fault{Server: "storage", Method: "PUT", PathPrefix: "/parts/", Status: 500, Times: 1})
	info, err := UploadFolder(ctx, "alice/big", dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(info.Uploaded, []string{"model.safetensors"}) {
		t.Errorf("uploaded %v", info.Uploaded)
	}
	reqs := h.Requests()
	if n := count(reqs, "storage", "PUT", "/parts/"); n != 5 {
		t.Errorf("%d parts stored, want 5", n)
	}
	if n := count(reqs, "hub", "POST", "/lfs-complete/"); n != 1 {
		t.Errorf("%d completion requests, want 1", n)
	}
	if n := count(reqs, "hub", "POST", "/alice/big.git/info/lfs/objects/verify"); n != 1 {
		t.Errorf("%d verify requests, want 1", n)
	}
	checkRequests(t, h, reqs)
	if got := h.Files("alice/big")["model.safetensors"]; got == nil || string(got.Data) != string(data) {
		t.Error("assembled file differs")
	}
}

func TestUploadRetriesTransientFailures(t *testing.T) {
	shortRetries(t)
	tests := []struct {
		name  string
		fault fakehub.Fault
	}{
		{"503 on the LFS PUT", fakehub.Fault{Server: "storage", Method: "PUT", PathPrefix: "/put/", Status: 503, Times: 2}},
		{"dropped connection during the LFS PUT", fakehub.Fault{Server: "storage", Method: "PUT", PathPrefix: "/put/", Drop: true, DropAfter: 1000, Times: 2}},
		{"429 on preupload", fakehub.Fault{Server: "hub", Method: "POST", PathPrefix: "/api/models/alice/m/preupload/", Status: 429, Times: 1}},
		{"502 on the LFS batch", fakehub.Fault{Server: "hub", Method: "POST", PathPrefix: "/alice/m.git/info/lfs/objects/batch", Status: 502, Times: 1}},
		{"504 on verify", fakehub.Fault{Server: "hub", Method: "POST", PathPrefix: "/alice/m.git/info/lfs/objects/verify", Status: 504, Times: 1}},
		{"500 on the commit", fakehub.Fault{Server: "hub", Method: "POST", PathPrefix: "/api/models/alice/m/commit/", Status: 500, Times: 1}},
		{"dropped commit", fakehub.Fault{Server: "hub", Method: "POST", PathPrefix: "/api/models/alice/m/commit/", Drop: true, DropAfter: 10, Times: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := fakehub.New(t)
			opt, sink := pushOptions(t, h)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if _, err := CreateRepo(ctx, "alice/m", false, opt.Options); err != nil {
				t.Fatal(err)
			}
			tree := modelTree()
			dir := writeTree(t, tree)
			h.AddFault(tc.fault)
			if _, err := UploadFolder(ctx, "alice/m", dir, opt); err != nil {
				t.Fatal(err)
			}
			if got := h.Files("alice/m")["model.safetensors"]; got == nil || string(got.Data) != string(tree["model.safetensors"]) {
				t.Error("model.safetensors not on the Hub after the retries")
			}
			want := tc.fault.Status
			if tc.fault.Drop {
				want = -1 // the fake's mark of a dropped connection
			}
			fired := 0
			for _, r := range h.Requests() {
				if r.Server == tc.fault.Server && strings.HasPrefix(r.Path, tc.fault.PathPrefix) && r.Status == want {
					fired++
				}
			}
			if fired != tc.fault.Times {
				t.Errorf("fault fired %d times, want %d", fired, tc.fault.Times)
			}
			if len(sink.lines) == 0 || !strings.Contains(strings.Join(sink.lines, "\n"), "retrying") {
				t.Errorf("no retry reported; log:\n%s", strings.Join(sink.lines, "\n"))
			}
		})
	}
}

// A commit applied by the Hub whose answer is lost is not made twice: the
// retry finds the files already there.
func TestUploadCommitAnswerLost(t *testing.T) {
	shortRetries(t)
	h := fakehub.New(t)
	opt, _ := pushOptions(t, h)
	ctx := context.Background()
	if _, err := CreateRepo(ctx, "alice/m", false, opt.Options); err != nil {
		t.Fatal(err)
	}
	h.AddFault(fakehub.Fault{Server: "hub", Method: "POST", PathPrefix: "/api/models/alice/m/commit/", DropResponse: true, Times: 1})
	info, err := UploadFolder(ctx, "alice/m", writeTree(t, modelTree()), opt)
	if err != nil {
		t.Fatal(err)
	}
	r := h.Repo("alice/m")
	if len(r.Commits) != 2 || info.OID != r.Head() {
		t.Errorf("%d commits (want the initial one and one push), info.OID %s, head %s", len(r.Commits), info.OID, r.Head())
	}
	if n := count(h.Requests(), "hub", "POST", "/api/models/alice/m/commit/"); n != 0 {
		t.Errorf("%d commits answered after the lost one, want 0", n)
	}
}

func TestUploadGivesUpOnPersistentFailure(t *testing.T) {
	shortRetries(t)
	h := fakehub.New(t)
	opt, _ := pushOptions(t, h)
	ctx := context.Background()
	if _, err := CreateRepo(ctx, "alice/m", false, opt.Options); err != nil {
		t.Fatal(err)
	}
	h.AddFault(fakehub.Fault{Server: "storage", Method: "PUT", PathPrefix: "/put/", Status: 503, Times: 100})
	_, err := UploadFolder(ctx, "alice/m", writeTree(t, modelTree()), opt)
	if err == nil || !strings.Contains(err.Error(), "model.safetensors") || !strings.Contains(err.Error(), "503") {
		t.Fatalf("err = %v, want the 503 naming model.safetensors", err)
	}
	if n := len(h.Repo("alice/m").Commits); n != 1 {
		t.Errorf("%d commits: a failed upload must not commit", n)
	}
}

func TestUploadAuthErrors(t *testing.T) {
	shortRetries(t)
	tests := []struct {
		name  string
		token func(h *fakehub.Hub) string
		repo  string
		is    error
		says  string
	}{
		{"no token", func(*fakehub.Hub) string { return "" }, "alice/m", ErrUnauthorized, "HF_TOKEN"},
		{"bad token (401)", func(*fakehub.Hub) string { return "hf_wrongTokenABCDEFGHIJ" }, "alice/m", ErrUnauthorized, "refused the token"},
		{"read-only token (403)", func(h *fakehub.Hub) string { return h.ReadToken }, "alice/m", ErrUnauthorized, "no write access"},
		{"missing repository (404)", func(h *fakehub.Hub) string { return h.Token }, "alice/nope", ErrRepoNotFound, "repository not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := fakehub.New(t)
			h.EchoAuth = true // the fake quotes the token back: it must not show
			h.CreateRepo("alice/m", false, map[string][]byte{"README.md": []byte("# m\n")})
			opt, sink := pushOptions(t, h)
			opt.Token = tc.token(h)
			_, err := UploadFolder(context.Background(), tc.repo, writeTree(t, modelTree()), opt)
			if !errors.Is(err, tc.is) {
				t.Fatalf("err = %v, want %v", err, tc.is)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.says) || !strings.Contains(msg, tc.repo) {
				t.Errorf("error %q should name %s and say %q", msg, tc.repo, tc.says)
			}
			for _, s := range append([]string{msg}, sink.lines...) {
				if opt.Token != "" && strings.Contains(s, opt.Token) {
					t.Errorf("token in %q", s)
				}
			}
			if n := len(h.Repo("alice/m").Commits); n != 1 {
				t.Errorf("%d commits after a refused push", n)
			}
		})
	}
}

func TestWhoAmIBadToken(t *testing.T) {
	h := fakehub.New(t)
	h.EchoAuth = true
	opt, _ := pushOptions(t, h)
	opt.Token = "hf_wrongTokenABCDEFGHIJ"
	_, err := FullRepoID(context.Background(), "name", opt.Options)
	if !errors.Is(err, ErrUnauthorized) || strings.Contains(err.Error(), opt.Token) || !strings.Contains(err.Error(), "invalid user token") {
		t.Errorf("err = %v", err)
	}
	if _, err := FullRepoID(context.Background(), "bob/name", opt.Options); err != nil {
		t.Errorf("an id with a namespace needs no whoami: %v", err)
	}
}

func TestListFolderIgnores(t *testing.T) {
	dir := writeTree(t, modelTree())
	files, err := listFolder(dir, "last-checkpoint", []string{"checkpoint-*", "_*", "README.md"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, f.PathInRepo)
	}
	want := []string{"last-checkpoint/config.json", "last-checkpoint/empty.txt", "last-checkpoint/model.safetensors", "last-checkpoint/tokenizer_config.json", "last-checkpoint/vocab.txt"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

// A file that cannot be read is a local error: reported at once, naming
// the file, not retried as a network failure would be.
func TestUploadLocalErrorNotRetried(t *testing.T) {
	shortRetries(t)
	h := fakehub.New(t)
	opt, sink := pushOptions(t, h)
	cl := newClient(opt.Options.withDefaults())
	cl.logf = sink.logf
	a := &addition{File: File{PathInRepo: "model.safetensors", LocalPath: filepath.Join(t.TempDir(), "gone.safetensors")}, size: 10}
	_, err := cl.do(context.Background(), apiCall{method: http.MethodPut, url: h.StorageURL + "/put/x", what: "LFS upload of model.safetensors",
		body: a.section(0, 10), size: 10, retry: true})
	if err == nil || !strings.Contains(err.Error(), "gone.safetensors") {
		t.Errorf("err = %v, want the missing file named", err)
	}
	if len(sink.lines) != 0 || len(h.Requests()) != 0 {
		t.Errorf("retried a local error: log %q", sink.lines)
	}
}

// A model card with broken YAML metadata fails before anything is sent
// (create_commit's validate-yaml call); files the .gitignore being
// committed ignores are left out.
func TestUploadValidatesCardAndHonoursGitignore(t *testing.T) {
	shortRetries(t)
	h := fakehub.New(t)
	opt, sink := pushOptions(t, h)
	ctx := context.Background()
	if _, err := CreateRepo(ctx, "alice/m", false, opt.Options); err != nil {
		t.Fatal(err)
	}
	tree := modelTree()
	tree["README.md"] = []byte("---\nlicense: apache-2.0\n# no closing line\n")
	dir := writeTree(t, tree)
	opt.Ignore = []string{"checkpoint-*"}
	h.Requests()
	_, err := UploadFolder(ctx, "alice/m", dir, opt)
	if err == nil || !strings.Contains(err.Error(), "invalid metadata in README.md") || !strings.Contains(err.Error(), "not closed") {
		t.Fatalf("err = %v, want the invalid metadata named", err)
	}
	for _, r := range h.Requests() {
		if r.Path != "/api/validate-yaml" {
			t.Errorf("request after an invalid card: %+v", r)
		}
	}

	tree["README.md"] = []byte("# no metadata\n")
	tree[".gitignore"] = []byte("*.tmp\n")
	tree["scratch.tmp"] = []byte("x")
	dir = writeTree(t, tree)
	info, err := UploadFolder(ctx, "alice/m", dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(info.Committed, "scratch.tmp") || !slices.Contains(info.Committed, ".gitignore") {
		t.Errorf("committed %v: want .gitignore, not scratch.tmp", info.Committed)
	}
	if _, ok := h.Files("alice/m")["scratch.tmp"]; ok {
		t.Error("ignored file on the Hub")
	}
	if log := strings.Join(sink.lines, "\n"); !strings.Contains(log, "scratch.tmp is ignored") || !strings.Contains(log, "warning: empty or missing yaml metadata") {
		t.Errorf("log:\n%s", log)
	}
}
