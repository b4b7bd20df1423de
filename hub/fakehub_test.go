package hub

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeHub plays the Hugging Face Hub on loopback: /{repo}/resolve/{rev}/{file}
// answers HEAD and GET with the Hub's headers (X-Repo-Commit, ETag,
// X-Linked-Etag, X-Linked-Size, X-Error-Code), redirects LFS files to a
// second server playing the CDN, redirects renamed repositories with a
// relative Location, hides private repositories behind 401, and can drop or
// stall a transfer at a chosen byte.
//
// It is the download side's transport-fault fake (byte-level drops and
// stalls, Range and If-Range, corrupt servers, renamed repositories, plain
// web files). The upload side and the round trips use internal/fakehub,
// which stores commits and is importable by other packages' tests.
type fakeHub struct {
	t     testing.TB
	hub   *httptest.Server
	cdn   *httptest.Server
	web   *httptest.Server // plain web files, for DownloadFile
	token string           // the token private repositories accept

	mu      sync.Mutex
	repos   map[string]*fakeRepo
	renamed map[string]string // old id -> new id
	reqs    []reqRecord
	faults  map[string]*fault   // by content key, see contentKey
	files   map[string]*webFile // plain files under /files/, on web and hub
	// failHeads answers this many HEAD requests with 503 first.
	failHeads int
}

// webFile is a plain file on a web server (no Hub headers).
type webFile struct {
	data         []byte
	etag         string // ETag header, "" for none
	lastModified string // Last-Modified header, "" for none
	status       int    // when non-zero, the answer instead of the file
	noRanges     bool   // ignore Range headers, as some servers do
}

type fakeRepo struct {
	commit  string
	files   map[string]*fakeFile
	private bool
}

type fakeFile struct {
	data []byte // the content the metadata announces
	lfs  bool   // stored in LFS: served by the CDN, ETag = sha256
	// serve, when set, is what is actually sent (a corrupt server).
	serve []byte
	// etag, when set, replaces the computed ETag header value.
	etag string
}

func (f *fakeFile) served() []byte {
	if f.serve != nil {
		return f.serve
	}
	return f.data
}

// fault breaks the transfers of one content: the body stops at byte at
// (an absolute offset), the connection dropped or, with stall, held open
// without data. times counts the transfers to break, -1 for all.
type fault struct {
	at    int
	times int
	stall bool
}

type reqRecord struct {
	server  string // "hub" or "cdn"
	method  string
	path    string // escaped
	auth    string
	rng     string
	ifRange string
	status  int
}

func newFakeHub(t testing.TB) *fakeHub {
	t.Helper()
	h := &fakeHub{t: t, token: "hf_good", repos: map[string]*fakeRepo{}, renamed: map[string]string{},
		faults: map[string]*fault{}, files: map[string]*webFile{}}
	h.hub = httptest.NewServer(http.HandlerFunc(h.serveHub))
	h.cdn = httptest.NewServer(http.HandlerFunc(h.serveCDN))
	h.web = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.serveWeb("web", w, r) }))
	t.Cleanup(func() {
		for _, s := range []*httptest.Server{h.hub, h.cdn, h.web} {
			s.CloseClientConnections()
			s.Close()
		}
	})
	return h
}

// options returns Options for this hub with a fresh cache and no token.
func (h *fakeHub) options(t *testing.T) Options {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return Options{
		Endpoint:    h.hub.URL,
		CacheDir:    t.TempDir(),
		DownloadDir: t.TempDir(),
		Revision:    "main",
		HTTPClient:  &http.Client{Transport: tr},
	}
}

func (h *fakeHub) addRepo(id string, r *fakeRepo) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.repos[id] = r
}

func (h *fakeHub) setFault(key string, f *fault) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if f == nil {
		delete(h.faults, key)
		return
	}
	h.faults[key] = f
}

// requests returns the requests seen so far and forgets them.
func (h *fakeHub) requests() []reqRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.reqs
	h.reqs = nil
	return r
}

func (h *fakeHub) record(server string, r *http.Request, status int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reqs = append(h.reqs, reqRecord{
		server: server, method: r.Method, path: r.URL.EscapedPath(),
		auth: r.Header.Get("Authorization"), rng: r.Header.Get("Range"), ifRange: r.Header.Get("If-Range"),
		status: status,
	})
}

// contentKey names a file's content for faults: the blob digest for LFS
// files (served by the CDN), "repo/file" for the others.
func contentKey(repo, file string, f *fakeFile) string {
	if f.lfs {
		return sha256Hex(f.data)
	}
	return repo + "/" + file
}

func (h *fakeHub) setFile(name string, f *webFile) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.files[name] = f
}

// serveWeb serves /files/{name} like a plain web server (Apache serving
// the IMDB archive): ETag, Last-Modified, Range and If-Range.
func (h *fakeHub) serveWeb(server string, w http.ResponseWriter, r *http.Request) {
	name, _ := strings.CutPrefix(r.URL.Path, "/files/")
	h.mu.Lock()
	f := h.files[name]
	h.mu.Unlock()
	switch {
	case f == nil:
		h.record(server, r, http.StatusNotFound)
		w.WriteHeader(http.StatusNotFound)
		return
	case f.status != 0:
		h.record(server, r, f.status)
		w.WriteHeader(f.status)
		return
	}
	h.record(server, r, http.StatusOK)
	if f.etag != "" {
		w.Header().Set("ETag", f.etag)
	}
	if f.lastModified != "" {
		w.Header().Set("Last-Modified", f.lastModified)
	}
	if ir := r.Header.Get("If-Range"); f.noRanges || (ir != "" && ir != f.etag && ir != f.lastModified) {
		r.Header.Del("Range") // changed since: send it whole
	}
	h.serveContent(w, r, "files/"+name, f.data, len(f.data))
}

func (h *fakeHub) serveHub(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/files/") {
		h.serveWeb("hub", w, r)
		return
	}
	status, f, key := h.hubAnswer(w, r)
	h.record("hub", r, status)
	if f == nil {
		w.WriteHeader(status)
		return
	}
	// HEAD announces the real size, GET sends what the (possibly corrupt)
	// server serves.
	h.serveContent(w, r, key, f.served(), len(f.data))
}

// hubAnswer sets the Hub's headers and returns the status, and for a 200
// the file to serve with its fault key.
func (h *fakeHub) hubAnswer(w http.ResponseWriter, r *http.Request) (int, *fakeFile, string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r.Method == http.MethodHead && h.failHeads > 0 {
		h.failHeads--
		return http.StatusServiceUnavailable, nil, ""
	}
	p := r.URL.EscapedPath()
	repo, rest, ok := strings.Cut(strings.TrimPrefix(p, "/"), "/resolve/")
	if !ok {
		return http.StatusNotFound, nil, ""
	}
	revEsc, fileEsc, _ := strings.Cut(rest, "/")
	rev, err1 := url.PathUnescape(revEsc)
	file, err2 := url.PathUnescape(fileEsc)
	if err1 != nil || err2 != nil {
		return http.StatusBadRequest, nil, ""
	}
	if newID, ok := h.renamed[repo]; ok {
		w.Header().Set("Location", "/"+newID+"/resolve/"+revEsc+"/"+fileEsc)
		return http.StatusTemporaryRedirect, nil, ""
	}
	auth := r.Header.Get("Authorization")
	rp, ok := h.repos[repo]
	if !ok || (rp.private && auth != "Bearer "+h.token) {
		// Like the Hub: a private repository looks missing, and anonymous
		// requests for missing repositories get 401.
		w.Header().Set("X-Error-Code", "RepoNotFound")
		switch {
		case auth == "":
			w.Header().Set("X-Error-Message", "Invalid username or password.")
			return http.StatusUnauthorized, nil, ""
		case ok:
			w.Header().Set("X-Error-Message", "Invalid credentials in Authorization header")
			return http.StatusUnauthorized, nil, ""
		}
		w.Header().Set("X-Error-Message", "Repository not found")
		return http.StatusNotFound, nil, ""
	}
	if rev != "main" && rev != rp.commit {
		w.Header().Set("X-Error-Code", "RevisionNotFound")
		w.Header().Set("X-Error-Message", "Invalid rev id: "+rev)
		return http.StatusNotFound, nil, ""
	}
	w.Header().Set("X-Repo-Commit", rp.commit)
	f, ok := rp.files[file]
	if !ok {
		w.Header().Set("X-Error-Code", "EntryNotFound")
		w.Header().Set("X-Error-Message", "Entry not found")
		return http.StatusNotFound, nil, ""
	}
	if f.lfs {
		sum := sha256Hex(f.data)
		etag := `"` + sum + `"`
		if f.etag != "" {
			etag = f.etag
		}
		w.Header().Set("X-Linked-Etag", etag)
		w.Header().Set("X-Linked-Size", strconv.Itoa(len(f.data)))
		w.Header().Set("ETag", `"`+gitBlobSHA1([]byte("version https://git-lfs.github.com/spec/v1\n"))+`"`)
		w.Header().Set("Location", h.cdn.URL+"/blobs/"+sum)
		return http.StatusFound, nil, ""
	}
	etag := `"` + gitBlobSHA1(f.data) + `"`
	if f.etag != "" {
		etag = f.etag
	}
	w.Header().Set("ETag", etag)
	return http.StatusOK, f, repo + "/" + file
}

func (h *fakeHub) serveCDN(w http.ResponseWriter, r *http.Request) {
	sum, ok := strings.CutPrefix(r.URL.Path, "/blobs/")
	var body []byte
	h.mu.Lock()
	for _, rp := range h.repos {
		for _, f := range rp.files {
			if ok && f.lfs && sha256Hex(f.data) == sum {
				body = f.served()
			}
		}
	}
	h.mu.Unlock()
	if body == nil {
		h.record("cdn", r, http.StatusNotFound)
		w.WriteHeader(http.StatusNotFound)
		return
	}
	w.Header().Set("ETag", `"`+sum+`"`)
	h.record("cdn", r, http.StatusOK)
	h.serveContent(w, r, sum, body, len(body))
}

// serveContent answers GET and HEAD for data with Range support, and
// applies the fault registered for key.
func (h *fakeHub) serveContent(w http.ResponseWriter, r *http.Request, key string, data []byte, headLen int) {
	if r.Method == http.MethodHead {
		w.Header().Set("Content-Length", strconv.Itoa(headLen))
		w.WriteHeader(http.StatusOK)
		return
	}
	off, status := 0, http.StatusOK
	if rg := r.Header.Get("Range"); rg != "" {
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(rg, "bytes="), "-"))
		if err != nil || n < 0 {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if n >= len(data) {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", len(data)))
			w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
			return
		}
		off, status = n, http.StatusPartialContent
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", off, len(data)-1, len(data)))
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(data)-off))
	w.WriteHeader(status)
	body := data[off:]
	h.mu.Lock()
	ft := h.faults[key]
	var cut = -1
	var stall bool
	if ft != nil && ft.times != 0 && ft.at < len(data) {
		if ft.times > 0 {
			ft.times--
		}
		cut, stall = max(0, ft.at-off), ft.stall
	}
	h.mu.Unlock()
	if cut < 0 {
		w.Write(body)
		return
	}
	w.Write(body[:cut])
	w.(http.Flusher).Flush()
	if stall {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second): // bound: tests never wait this long
		}
	}
	panic(http.ErrAbortHandler) // drop the connection mid-body
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// gitBlobSHA1 is git's object id of a blob, the Hub's ETag for a file not
// stored in LFS.
func gitBlobSHA1(b []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(b))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// randomBytes returns n deterministic pseudo-random bytes.
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// tinyModel is a repository shaped like distilbert-base-uncased: small
// JSON and text files in git, the weights in LFS (larger than one read
// chunk, so transfers take several reads), no special_tokens_map.json.
func tinyModel(commit string) *fakeRepo {
	return &fakeRepo{
		commit: commit,
		files: map[string]*fakeFile{
			"config.json":           {data: []byte(`{"model_type": "distilbert", "dim": 8}`)},
			"model.safetensors":     {data: randomBytes(3*chunkSize+1234, 7), lfs: true},
			"vocab.txt":             {data: []byte("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\n")},
			"tokenizer_config.json": {data: []byte(`{"do_lower_case": true}`)},
			"tokenizer.json":        {data: []byte(`{"version": "1.0"}`)},
			"README.md":             {data: []byte("# tiny\n")},
		},
	}
}

const (
	commitA = "0123456789abcdef0123456789abcdef01234567"
	commitB = "89abcdef0123456789abcdef0123456789abcdef"
)
