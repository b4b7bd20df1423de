// Package fakehub plays the Hugging Face Hub on loopback for tests: the
// download side (HEAD/GET /{repo}/resolve/{revision}/{file} with the Hub's
// headers, LFS files redirected to a storage server) and the upload side
// with the routes, headers and JSON shapes huggingface_hub uses
// (whoami-v2, repos/create, model info, preupload, the Git LFS batch API
// with basic and multipart transfers and verify, and the NDJSON commit).
// Commits are stored, so that what a push sends is what a later download
// gets.
//
// It can refuse tokens (401), give a read-only token (403), fail chosen
// requests with a status or drop their connection mid-body (Fault), and
// records every request so tests can check what was sent where, and that
// the token never went to the storage server.
package fakehub

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Hub is a fake Hugging Face Hub. Its fields other than the servers may be
// changed before the first request.
type Hub struct {
	// URL is the Hub's endpoint; StorageURL the server playing S3 and the
	// CDN (uploads of LFS content, downloads of LFS files).
	URL, StorageURL string
	// User owns Token (write access) and ReadToken (read only).
	User, Token, ReadToken string
	// LFSThreshold: files this large or larger go to LFS, as do
	// *.safetensors, *.bin, *.pt and *.pth (the Hub's .gitattributes).
	LFSThreshold int64
	// MultipartThreshold: LFS objects larger than this are uploaded in
	// parts of ChunkSize bytes (the Hub uses 5 GB parts of 5 GB+ objects).
	MultipartThreshold, ChunkSize int64
	// EchoAuth makes 401 answers quote the Authorization header, as a
	// careless proxy might, to test that clients never show the token.
	EchoAuth bool

	hub, storage *httptest.Server

	mu     sync.Mutex
	repos  map[string]*Repo
	lfs    map[string][]byte         // oid (sha256 hex) -> content
	parts  map[string]map[int][]byte // oid -> part number -> bytes
	faults []*Fault
	reqs   []Request
}

// Repo is a stored repository.
type Repo struct {
	Private bool
	// Commits lists the commit ids, oldest first; Head is the last.
	Commits []string
	// Snapshots maps each commit to its files.
	Snapshots map[string]map[string]*File
	// Messages maps each commit to its summary.
	Messages map[string]string
}

// Head returns the newest commit id ("" for an empty repository).
func (r *Repo) Head() string {
	if len(r.Commits) == 0 {
		return ""
	}
	return r.Commits[len(r.Commits)-1]
}

// File is a file of a commit.
type File struct {
	Data []byte
	LFS  bool
}

// Fault breaks the next Times requests whose method is Method (any when
// empty) and whose path on Server ("hub" or "storage") starts with
// PathPrefix: with Status the request is answered with that status; with
// Drop the connection is dropped after reading DropAfter bytes of the
// request body. Delay is waited first, or, with Until, the request waits
// until Until returns true (polled, for at most Delay); a fault with only
// a wait holds the request back and then serves it normally.
type Fault struct {
	Server, Method, PathPrefix string
	Status                     int
	Drop                       bool
	DropAfter                  int64
	Delay                      time.Duration
	Until                      func() bool
	// DropResponse serves the request (a commit is applied), then drops
	// the connection instead of answering: the client cannot know it
	// succeeded.
	DropResponse bool
	// BodyContains, when set, limits the fault to requests whose body
	// contains it (a commit with a given message).
	BodyContains string
	Times        int
}

// Request is a request the fake received.
type Request struct {
	Server, Method, Path, Auth string
	Status                     int
}

// New starts a fake Hub on loopback, closed when the test ends.
func New(t testing.TB) *Hub {
	t.Helper()
	h := &Hub{User: "alice", Token: "hf_fakeWriteToken0123456789", ReadToken: "hf_fakeReadToken0123456789",
		LFSThreshold: 10 << 20, MultipartThreshold: 5 << 30, ChunkSize: 5 << 30,
		repos: map[string]*Repo{}, lfs: map[string][]byte{}, parts: map[string]map[int][]byte{}}
	h.hub = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.serve("hub", w, r) }))
	h.storage = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.serve("storage", w, r) }))
	h.URL, h.StorageURL = h.hub.URL, h.storage.URL
	t.Cleanup(func() {
		for _, s := range []*httptest.Server{h.hub, h.storage} {
			s.CloseClientConnections()
			s.Close()
		}
	})
	return h
}

// AddFault registers f.
func (h *Hub) AddFault(f Fault) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.faults = append(h.faults, &f)
}

// Requests returns the requests received so far and forgets them.
func (h *Hub) Requests() []Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.reqs
	h.reqs = nil
	return r
}

// Repo returns a copy of the repository's record, nil if it does not exist.
func (h *Hub) Repo(id string) *Repo {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.repos[id]
	if r == nil {
		return nil
	}
	c := *r
	c.Commits = slices.Clone(r.Commits)
	return &c
}

// Files returns the files at the head of the repository, nil if it does
// not exist.
func (h *Hub) Files(id string) map[string]*File {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.repos[id]
	if r == nil {
		return nil
	}
	return r.Snapshots[r.Head()]
}

// CreateRepo makes a repository holding files in one commit, as if pushed
// earlier.
func (h *Hub) CreateRepo(id string, private bool, files map[string][]byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := &Repo{Private: private, Snapshots: map[string]map[string]*File{}, Messages: map[string]string{}}
	h.repos[id] = r
	snap := map[string]*File{}
	for name, data := range files {
		f := &File{Data: data, LFS: h.isLFS(name, int64(len(data)))}
		if f.LFS {
			h.lfs[sha256Hex(data)] = data
		}
		snap[name] = f
	}
	h.addCommit(r, snap, "initial commit")
}

func (h *Hub) isLFS(name string, size int64) bool {
	for _, ext := range []string{".safetensors", ".bin", ".pt", ".pth"} {
		if strings.HasSuffix(name, ext) {
			return size > 0
		}
	}
	return size >= h.LFSThreshold
}

// addCommit records snap as a new commit of r. Caller holds h.mu.
func (h *Hub) addCommit(r *Repo, snap map[string]*File, msg string) string {
	s := sha1.New()
	fmt.Fprintf(s, "parent %s\n", r.Head())
	names := make([]string, 0, len(snap))
	for n := range snap {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(s, "%s %s\n", n, sha256Hex(snap[n].Data))
	}
	fmt.Fprintf(s, "%s %d\n", msg, len(r.Commits))
	id := hex.EncodeToString(s.Sum(nil))
	r.Commits = append(r.Commits, id)
	r.Snapshots[id] = snap
	r.Messages[id] = msg
	return id
}

func (h *Hub) serve(server string, w http.ResponseWriter, r *http.Request) {
	status := h.apply(server, w, r)
	if status == 0 {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		if server == "hub" {
			h.serveHub(rec, r)
		} else {
			h.serveStorage(rec, r)
		}
		status = rec.status
	}
	h.mu.Lock()
	h.reqs = append(h.reqs, Request{Server: server, Method: r.Method, Path: r.URL.EscapedPath(), Auth: r.Header.Get("Authorization"), Status: status})
	h.mu.Unlock()
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// apply runs the first matching fault; it returns the status answered, 0
// when no fault matched.
func (h *Hub) apply(server string, w http.ResponseWriter, r *http.Request) int {
	h.mu.Lock()
	byBody := slices.ContainsFunc(h.faults, func(f *Fault) bool { return f.BodyContains != "" })
	h.mu.Unlock()
	var body []byte
	if byBody && r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	h.mu.Lock()
	var f *Fault
	for _, x := range h.faults {
		if x.Times > 0 && x.Server == server && (x.Method == "" || x.Method == r.Method) && strings.HasPrefix(r.URL.Path, x.PathPrefix) &&
			(x.BodyContains == "" || bytes.Contains(body, []byte(x.BodyContains))) {
			x.Times--
			f = x
			break
		}
	}
	h.mu.Unlock()
	if f != nil && f.Delay > 0 {
		deadline := time.After(f.Delay)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
	wait:
		for f.Until == nil || !f.Until() {
			select {
			case <-deadline:
				break wait
			case <-r.Context().Done():
				break wait
			case <-tick.C:
			}
		}
	}
	switch {
	case f != nil && f.DropResponse:
		rec := httptest.NewRecorder()
		if server == "hub" {
			h.serveHub(rec, r)
		} else {
			h.serveStorage(rec, r)
		}
		h.mu.Lock()
		h.reqs = append(h.reqs, Request{Server: server, Method: r.Method, Path: r.URL.EscapedPath(), Auth: r.Header.Get("Authorization"), Status: -1})
		h.mu.Unlock()
		panic(http.ErrAbortHandler)
	case f == nil, f.Status == 0 && !f.Drop:
		return 0
	case f.Drop:
		io.CopyN(io.Discard, r.Body, f.DropAfter)
		h.mu.Lock()
		h.reqs = append(h.reqs, Request{Server: server, Method: r.Method, Path: r.URL.EscapedPath(), Auth: r.Header.Get("Authorization"), Status: -1})
		h.mu.Unlock()
		panic(http.ErrAbortHandler) // drop the connection mid-body
	}
	writeJSON(w, f.Status, map[string]string{"error": "injected fault"})
	return f.Status
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// hubError answers like the Hub: X-Error-Code / X-Error-Message headers
// and a JSON {"error": ...} body.
func hubError(w http.ResponseWriter, status int, code, msg string) {
	if code != "" {
		w.Header().Set("X-Error-Code", code)
	}
	w.Header().Set("X-Error-Message", msg)
	writeJSON(w, status, map[string]string{"error": msg})
}

// access is what a request's token may do.
type access int

const (
	anonymous access = iota
	badToken
	readOnly
	write
)

func (h *Hub) access(r *http.Request) access {
	switch r.Header.Get("Authorization") {
	case "":
		return anonymous
	case "Bearer " + h.Token:
		return write
	case "Bearer " + h.ReadToken:
		return readOnly
	}
	return badToken
}

// unauthorized answers 401 for a missing or bad token.
func (h *Hub) unauthorized(w http.ResponseWriter, r *http.Request) {
	msg := "Invalid credentials in Authorization header"
	if h.EchoAuth {
		msg += ": " + r.Header.Get("Authorization")
	}
	hubError(w, http.StatusUnauthorized, "", msg)
}

func (h *Hub) serveHub(w http.ResponseWriter, r *http.Request) {
	p := r.URL.EscapedPath()
	switch {
	case p == "/api/whoami-v2" && r.Method == http.MethodGet:
		if a := h.access(r); a < readOnly {
			h.unauthorized(w, r)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"type": "user", "name": h.User})
	case p == "/api/repos/create" && r.Method == http.MethodPost:
		h.createRepo(w, r)
	case p == "/api/validate-yaml" && r.Method == http.MethodPost:
		h.validateYAML(w, r)
	case strings.HasPrefix(p, "/api/models/"):
		h.modelAPI(w, r, strings.TrimPrefix(p, "/api/models/"))
	case strings.HasPrefix(p, "/lfs-complete/") && r.Method == http.MethodPost:
		h.completeMultipart(w, r, strings.TrimPrefix(p, "/lfs-complete/"))
	case strings.Contains(p, ".git/info/lfs/objects/"):
		repo, op, _ := strings.Cut(strings.TrimPrefix(p, "/"), ".git/info/lfs/objects/")
		h.lfsAPI(w, r, repo, op)
	case strings.Contains(p, "/resolve/"):
		h.resolve(w, r)
	default:
		hubError(w, http.StatusNotFound, "", "no such route: "+r.Method+" "+p)
	}
}

// validateYAML checks a model card's front matter as far as a fake can:
// it must be closed, and hold no tab (YAML forbids tabs in indentation).
func (h *Hub) validateYAML(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Content  string `json:"content"`
		RepoType string `json:"repoType"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.RepoType != "model" {
		hubError(w, http.StatusBadRequest, "", "bad validate-yaml request")
		return
	}
	type msg struct {
		Message string `json:"message"`
	}
	ans := map[string][]msg{"errors": {}, "warnings": {}}
	if rest, ok := strings.CutPrefix(req.Content, "---\n"); ok {
		front, _, closed := strings.Cut(rest, "\n---\n")
		switch {
		case !closed:
			ans["errors"] = append(ans["errors"], msg{"YAML front matter is not closed by ---"})
		case strings.Contains(front, "\t"):
			ans["errors"] = append(ans["errors"], msg{"YAML front matter contains a tab"})
		}
	} else {
		ans["warnings"] = append(ans["warnings"], msg{"empty or missing yaml metadata in repo card"})
	}
	status := http.StatusOK
	if len(ans["errors"]) > 0 {
		status = http.StatusBadRequest
	}
	writeJSON(w, status, ans)
}

func (h *Hub) createRepo(w http.ResponseWriter, r *http.Request) {
	switch h.access(r) {
	case anonymous, badToken:
		h.unauthorized(w, r)
		return
	case readOnly:
		hubError(w, http.StatusForbidden, "", "You don't have the rights to create a model under this namespace")
		return
	}
	var req struct {
		Name         string  `json:"name"`
		Organization *string `json:"organization"`
		Visibility   string  `json:"visibility"`
		Type         string  `json:"type"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Name == "" || (req.Type != "" && req.Type != "model") {
		hubError(w, http.StatusBadRequest, "", "bad create request")
		return
	}
	ns := h.User
	if req.Organization != nil {
		ns = *req.Organization
	}
	if ns != h.User {
		hubError(w, http.StatusForbidden, "", "You don't have the rights to create a model under the namespace \""+ns+"\"")
		return
	}
	id := ns + "/" + req.Name
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.repos[id]; ok {
		writeJSON(w, http.StatusConflict, map[string]string{"error": "You already created this model repo", "url": h.URL + "/" + id})
		return
	}
	rp := &Repo{Private: req.Visibility == "private", Snapshots: map[string]map[string]*File{}, Messages: map[string]string{}}
	h.repos[id] = rp
	// The Hub makes an initial commit with .gitattributes.
	h.addCommit(rp, map[string]*File{".gitattributes": {Data: []byte("*.safetensors filter=lfs diff=lfs merge=lfs -text\n")}}, "initial commit")
	writeJSON(w, http.StatusOK, map[string]string{"url": h.URL + "/" + id, "name": id})
}

// repoFor finds the repository id at the start of rest ("ns/name/...")
// and checks access; it answers the error itself and returns nil then.
func (h *Hub) repoFor(w http.ResponseWriter, r *http.Request, id string, needWrite bool) *Repo {
	a := h.access(r)
	if a == badToken {
		h.unauthorized(w, r)
		return nil
	}
	h.mu.Lock()
	rp := h.repos[id]
	h.mu.Unlock()
	if rp == nil || (rp.Private && a < readOnly) {
		if a == anonymous {
			hubError(w, http.StatusUnauthorized, "RepoNotFound", "Invalid username or password.")
		} else {
			hubError(w, http.StatusNotFound, "RepoNotFound", "Repository not found")
		}
		return nil
	}
	if needWrite && a != write {
		if a == anonymous {
			h.unauthorized(w, r)
		} else {
			hubError(w, http.StatusForbidden, "", "You don't have write access to "+id)
		}
		return nil
	}
	return rp
}

// modelAPI serves /api/models/{ns}/{name}[/revision/{rev}],
// .../preupload/{rev} and .../commit/{rev}.
func (h *Hub) modelAPI(w http.ResponseWriter, r *http.Request, rest string) {
	segs := strings.Split(rest, "/")
	if len(segs) < 2 {
		hubError(w, http.StatusNotFound, "RepoNotFound", "Repository not found")
		return
	}
	id := segs[0] + "/" + segs[1]
	op, rev := "", "main"
	if len(segs) >= 4 {
		op = segs[2]
		var err error
		if rev, err = url.PathUnescape(strings.Join(segs[3:], "/")); err != nil {
			hubError(w, http.StatusBadRequest, "", "bad revision")
			return
		}
	} else if len(segs) != 2 {
		hubError(w, http.StatusNotFound, "", "no such route")
		return
	}
	switch {
	case (op == "" || op == "revision") && r.Method == http.MethodGet:
		rp := h.repoFor(w, r, id, false)
		if rp == nil {
			return
		}
		if rev != "main" {
			hubError(w, http.StatusNotFound, "RevisionNotFound", "Invalid rev id: "+rev)
			return
		}
		h.mu.Lock()
		head := rp.Head()
		h.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"id": id, "sha": head, "private": rp.Private})
	case op == "preupload" && r.Method == http.MethodPost:
		h.preupload(w, r, id, rev)
	case op == "commit" && r.Method == http.MethodPost:
		h.commit(w, r, id, rev)
	default:
		hubError(w, http.StatusNotFound, "", "no such route")
	}
}

func (h *Hub) preupload(w http.ResponseWriter, r *http.Request, id, rev string) {
	rp := h.repoFor(w, r, id, true)
	if rp == nil {
		return
	}
	if rev != "main" {
		hubError(w, http.StatusNotFound, "RevisionNotFound", "Invalid rev id: "+rev)
		return
	}
	var req struct {
		Files []struct {
			Path   string `json:"path"`
			Sample string `json:"sample"`
			Size   int64  `json:"size"`
		} `json:"files"`
		GitIgnore string `json:"gitIgnore"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		hubError(w, http.StatusBadRequest, "", "bad preupload request")
		return
	}
	type fileAns struct {
		Path         string  `json:"path"`
		UploadMode   string  `json:"uploadMode"`
		ShouldIgnore bool    `json:"shouldIgnore"`
		OID          *string `json:"oid"`
	}
	// Shaped as the Hub's recorded answers (huggingface_hub's
	// tests/cassettes): files, and the head commit.
	ans := struct {
		Files     []fileAns `json:"files"`
		CommitOID string    `json:"commitOid"`
	}{Files: []fileAns{}}
	h.mu.Lock()
	ans.CommitOID = rp.Head()
	head := rp.Snapshots[rp.Head()]
	for _, f := range req.Files {
		if _, err := base64.StdEncoding.DecodeString(f.Sample); err != nil {
			h.mu.Unlock()
			hubError(w, http.StatusBadRequest, "", "sample of "+f.Path+" is not base64")
			return
		}
		a := fileAns{Path: f.Path, UploadMode: "regular", ShouldIgnore: ignored(req.GitIgnore, f.Path)}
		if h.isLFS(f.Path, f.Size) {
			a.UploadMode = "lfs"
		}
		if old, ok := head[f.Path]; ok {
			oid := GitBlobSHA1(old.Data)
			if old.LFS {
				oid = sha256Hex(old.Data)
			}
			a.OID = &oid
		}
		ans.Files = append(ans.Files, a)
	}
	h.mu.Unlock()
	writeJSON(w, http.StatusOK, ans)
}

func (h *Hub) lfsAPI(w http.ResponseWriter, r *http.Request, id, op string) {
	if op != "batch" && op != "verify" {
		hubError(w, http.StatusNotFound, "", "no such route")
		return
	}
	if rp := h.repoFor(w, r, id, true); rp == nil {
		return
	}
	if op == "verify" {
		var req struct {
			OID  string `json:"oid"`
			Size int64  `json:"size"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		h.mu.Lock()
		data, ok := h.lfs[req.OID]
		h.mu.Unlock()
		if !ok || int64(len(data)) != req.Size {
			hubError(w, http.StatusNotFound, "", "object "+req.OID+" not stored")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{})
		return
	}
	if r.Header.Get("Accept") != "application/vnd.git-lfs+json" || r.Header.Get("Content-Type") != "application/vnd.git-lfs+json" {
		hubError(w, http.StatusNotAcceptable, "", "LFS batch needs application/vnd.git-lfs+json")
		return
	}
	var req struct {
		Operation string   `json:"operation"`
		Transfers []string `json:"transfers"`
		HashAlgo  string   `json:"hash_algo"`
		Objects   []struct {
			OID  string `json:"oid"`
			Size int64  `json:"size"`
		} `json:"objects"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Operation != "upload" || req.HashAlgo != "sha256" ||
		!slices.Contains(req.Transfers, "basic") || !slices.Contains(req.Transfers, "multipart") {
		hubError(w, http.StatusBadRequest, "", "bad LFS batch request")
		return
	}
	var objs []map[string]any
	h.mu.Lock()
	for _, o := range req.Objects {
		obj := map[string]any{"oid": o.OID, "size": o.Size}
		if _, ok := h.lfs[o.OID]; !ok {
			verify := map[string]any{"href": h.URL + "/" + id + ".git/info/lfs/objects/verify"}
			if o.Size > h.MultipartThreshold {
				hdr := map[string]any{"chunk_size": strconv.FormatInt(h.ChunkSize, 10)}
				n := (o.Size + h.ChunkSize - 1) / h.ChunkSize
				for i := int64(1); i <= n; i++ {
					hdr[strconv.FormatInt(i, 10)] = fmt.Sprintf("%s/parts/%s/%d?X-Amz-Signature=secret", h.StorageURL, o.OID, i)
				}
				obj["actions"] = map[string]any{"upload": map[string]any{"href": h.URL + "/lfs-complete/" + o.OID, "header": hdr}, "verify": verify}
			} else {
				obj["actions"] = map[string]any{"upload": map[string]any{"href": h.StorageURL + "/put/" + o.OID + "?X-Amz-Signature=secret"}, "verify": verify}
			}
		}
		objs = append(objs, obj)
	}
	h.mu.Unlock()
	w.Header().Set("Content-Type", "application/vnd.git-lfs+json")
	w.WriteHeader(http.StatusOK)
	json.NewEncoder(w).Encode(map[string]any{"transfer": "basic", "objects": objs})
}

// serveStorage plays S3 (PUT /put/{oid}, PUT /parts/{oid}/{n}) and the CDN
// (GET /blobs/{sha256}).
func (h *Hub) serveStorage(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/put/") && r.Method == http.MethodPut:
		oid := strings.TrimPrefix(p, "/put/")
		data, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		if sha256Hex(data) != oid {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.lfs[oid] = data
		h.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	case strings.HasPrefix(p, "/parts/") && r.Method == http.MethodPut:
		oid, num, _ := strings.Cut(strings.TrimPrefix(p, "/parts/"), "/")
		n, err := strconv.Atoi(num)
		data, rerr := io.ReadAll(r.Body)
		if err != nil || rerr != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		if h.parts[oid] == nil {
			h.parts[oid] = map[int][]byte{}
		}
		h.parts[oid][n] = data
		h.mu.Unlock()
		w.Header().Set("ETag", partETag(data))
		w.WriteHeader(http.StatusOK)
	case strings.HasPrefix(p, "/blobs/") && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		sum := strings.TrimPrefix(p, "/blobs/")
		h.mu.Lock()
		data, ok := h.lfs[sum]
		h.mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Header().Set("ETag", `"`+sum+`"`)
		http.ServeContent(w, r, "", zeroTime, bytes.NewReader(data))
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func partETag(b []byte) string {
	s := md5.Sum(b)
	return `"` + hex.EncodeToString(s[:]) + `"`
}

// completeMultipart assembles the parts listed in the completion request.
func (h *Hub) completeMultipart(w http.ResponseWriter, r *http.Request, oid string) {
	if r.Header.Get("Content-Type") != "application/vnd.git-lfs+json" {
		hubError(w, http.StatusBadRequest, "", "completion needs application/vnd.git-lfs+json")
		return
	}
	var req struct {
		OID   string `json:"oid"`
		Parts []struct {
			PartNumber int    `json:"partNumber"`
			ETag       string `json:"etag"`
		} `json:"parts"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.OID != oid {
		hubError(w, http.StatusBadRequest, "", "bad completion request")
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var all []byte
	for i, p := range req.Parts {
		data, ok := h.parts[oid][p.PartNumber]
		if !ok || p.PartNumber != i+1 || partETag(data) != p.ETag {
			hubError(w, http.StatusBadRequest, "", fmt.Sprintf("part %d missing or its etag differs", p.PartNumber))
			return
		}
		all = append(all, data...)
	}
	if sha256Hex(all) != oid {
		hubError(w, http.StatusBadRequest, "", "assembled parts do not match the oid")
		return
	}
	h.lfs[oid] = all
	delete(h.parts, oid)
	writeJSON(w, http.StatusOK, map[string]any{})
}

// commit applies an NDJSON commit.
func (h *Hub) commit(w http.ResponseWriter, r *http.Request, id, rev string) {
	rp := h.repoFor(w, r, id, true)
	if rp == nil {
		return
	}
	if rev != "main" {
		hubError(w, http.StatusNotFound, "RevisionNotFound", "Invalid rev id: "+rev)
		return
	}
	if r.Header.Get("Content-Type") != "application/x-ndjson" {
		hubError(w, http.StatusBadRequest, "", "commit needs application/x-ndjson")
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	type line struct {
		Key   string          `json:"key"`
		Value json.RawMessage `json:"value"`
	}
	var msg string
	changes := map[string]*File{}
	for i, raw := range bytes.Split(bytes.TrimSpace(body), []byte("\n")) {
		var l line
		if err := json.Unmarshal(raw, &l); err != nil {
			hubError(w, http.StatusBadRequest, "", fmt.Sprintf("line %d: %v", i+1, err))
			return
		}
		switch {
		case i == 0 && l.Key == "header":
			var hd struct {
				Summary     string `json:"summary"`
				Description string `json:"description"`
			}
			json.Unmarshal(l.Value, &hd)
			msg = hd.Summary
		case i == 0:
			hubError(w, http.StatusBadRequest, "", "first line must be the header")
			return
		case l.Key == "file":
			var f struct{ Content, Path, Encoding string }
			json.Unmarshal(l.Value, &f)
			data, err := base64.StdEncoding.DecodeString(f.Content)
			if err != nil || f.Encoding != "base64" || f.Path == "" {
				hubError(w, http.StatusBadRequest, "", "bad file line for "+f.Path)
				return
			}
			changes[f.Path] = &File{Data: data}
		case l.Key == "lfsFile":
			var f struct {
				Path, Algo, OID string
				Size            int64
			}
			json.Unmarshal(l.Value, &f)
			h.mu.Lock()
			data, ok := h.lfs[f.OID]
			h.mu.Unlock()
			if !ok || f.Algo != "sha256" || int64(len(data)) != f.Size {
				hubError(w, http.StatusUnprocessableEntity, "", "LFS object "+f.OID+" of "+f.Path+" was not uploaded")
				return
			}
			changes[f.Path] = &File{Data: data, LFS: true}
		default:
			hubError(w, http.StatusBadRequest, "", "unknown key "+l.Key)
			return
		}
	}
	h.mu.Lock()
	snap := map[string]*File{}
	for k, v := range rp.Snapshots[rp.Head()] {
		snap[k] = v
	}
	for k, v := range changes {
		snap[k] = v
	}
	oid := h.addCommit(rp, snap, msg)
	h.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "commitOid": oid, "commitUrl": h.URL + "/" + id + "/commit/" + oid, "hookOutput": ""})
}

// resolve serves HEAD and GET /{repo}/resolve/{revision}/{file} as the Hub
// does for huggingface_hub's downloads.
func (h *Hub) resolve(w http.ResponseWriter, r *http.Request) {
	repo, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/resolve/")
	revEsc, fileEsc, _ := strings.Cut(rest, "/")
	rev, err1 := url.PathUnescape(revEsc)
	file, err2 := url.PathUnescape(fileEsc)
	if err1 != nil || err2 != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	rp := h.repoFor(w, r, repo, false)
	if rp == nil {
		return
	}
	h.mu.Lock()
	commit := rev
	if rev == "main" {
		commit = rp.Head()
	}
	snap, ok := rp.Snapshots[commit]
	h.mu.Unlock()
	if !ok {
		hubError(w, http.StatusNotFound, "RevisionNotFound", "Invalid rev id: "+rev)
		return
	}
	w.Header().Set("X-Repo-Commit", commit)
	f, ok := snap[file]
	if !ok {
		hubError(w, http.StatusNotFound, "EntryNotFound", "Entry not found")
		return
	}
	if f.LFS {
		sum := sha256Hex(f.Data)
		w.Header().Set("X-Linked-Etag", `"`+sum+`"`)
		w.Header().Set("X-Linked-Size", strconv.Itoa(len(f.Data)))
		w.Header().Set("ETag", `"`+GitBlobSHA1([]byte("version https://git-lfs.github.com/spec/v1\n"))+`"`)
		w.Header().Set("Location", h.StorageURL+"/blobs/"+sum)
		w.WriteHeader(http.StatusFound)
		return
	}
	w.Header().Set("ETag", `"`+GitBlobSHA1(f.Data)+`"`)
	http.ServeContent(w, r, "", zeroTime, bytes.NewReader(f.Data))
}

// ignored applies the simple .gitignore lines (glob patterns matched
// against the path or its last element) to path.
func ignored(gitignore, p string) bool {
	for _, line := range strings.Split(gitignore, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if ok, _ := path.Match(line, p); ok {
			return true
		}
		if ok, _ := path.Match(line, path.Base(p)); ok {
			return true
		}
	}
	return false
}

// zeroTime: no Last-Modified header.
var zeroTime time.Time

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// GitBlobSHA1 is git's object id of a blob: the Hub's oid and ETag of a
// file not stored in LFS.
func GitBlobSHA1(b []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(b))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}
