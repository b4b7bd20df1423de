package hub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const archive = "aclImdb_v1.tar.gz"

func archiveFile(seed uint64) *webFile {
	data := randomBytes(2*chunkSize+500, seed)
	return &webFile{data: data, etag: `"` + sha256Hex(data)[:16] + `"`, lastModified: "Mon, 27 Jun 2011 18:20:00 GMT"}
}

// downloadDirEntries lists DownloadDir, without the .locks folder.
func downloadDirEntries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if e.Name() != ".locks" {
			names = append(names, e.Name())
		}
	}
	return names
}

func checkDownloaded(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("%s: content differs (%d bytes, want %d)", path, len(got), len(want))
	}
}

func TestDownloadFile(t *testing.T) {
	h := newFakeHub(t)
	f := archiveFile(1)
	h.setFile(archive, f)
	opt := h.options(t)
	opt.SHA256 = sha256Hex(f.data)
	var lastDone, lastTotal int64
	opt.Progress = func(file string, done, total int64) {
		if file != archive {
			t.Errorf("progress for %q", file)
		}
		lastDone, lastTotal = done, total
	}
	url := h.web.URL + "/files/" + archive

	path, err := DownloadFile(context.Background(), url, "", opt)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(opt.DownloadDir, archive) {
		t.Errorf("path %s", path)
	}
	checkDownloaded(t, path, f.data)
	if diff := cmp.Diff([]string{archive}, downloadDirEntries(t, opt.DownloadDir)); diff != "" {
		t.Errorf("download folder (-want +got):\n%s", diff)
	}
	if n := int64(len(f.data)); lastDone != n || lastTotal != n {
		t.Errorf("last progress %d/%d, want %d/%d", lastDone, lastTotal, n, n)
	}
	h.requests()

	// Cached: no request, offline too.
	for _, offline := range []bool{false, true} {
		opt.Offline = offline
		again, err := DownloadFile(context.Background(), url, archive, opt)
		if err != nil || again != path {
			t.Fatalf("offline=%v: %s, %v", offline, again, err)
		}
	}
	if got := h.requests(); len(got) != 0 {
		t.Errorf("cached download made requests: %+v", got)
	}
}

func TestDownloadFileResume(t *testing.T) {
	tests := []struct {
		name    string
		file    *webFile
		ifRange string
	}{
		{"strong etag", archiveFile(2), ""},
		{"last-modified only", &webFile{data: randomBytes(2*chunkSize+500, 3), lastModified: "Mon, 27 Jun 2011 18:20:00 GMT"}, "Mon, 27 Jun 2011 18:20:00 GMT"},
		{"weak etag falls back to last-modified", &webFile{data: randomBytes(2*chunkSize+500, 4), etag: `W/"x"`, lastModified: "Tue, 28 Jun 2011 18:20:00 GMT"}, "Tue, 28 Jun 2011 18:20:00 GMT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			shortRetries(t)
			h := newFakeHub(t)
			h.setFile(archive, tc.file)
			h.setFault("files/"+archive, &fault{at: chunkSize + 7, times: 1})
			opt := h.options(t)
			opt.SHA256 = sha256Hex(tc.file.data)
			path, err := DownloadFile(context.Background(), h.web.URL+"/files/"+archive, archive, opt)
			if err != nil {
				t.Fatal(err)
			}
			checkDownloaded(t, path, tc.file.data)
			want := tc.ifRange
			if want == "" {
				want = tc.file.etag
			}
			var got [][2]string
			for _, r := range h.requests() {
				got = append(got, [2]string{r.rng, r.ifRange})
			}
			if diff := cmp.Diff([][2]string{{"", ""}, {"bytes=262151-", want}}, got); diff != "" {
				t.Errorf("Range, If-Range of the requests (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{archive}, downloadDirEntries(t, opt.DownloadDir)); diff != "" {
				t.Errorf("download folder (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDownloadFileResumeAfterChange(t *testing.T) {
	shortRetries(t)
	h := newFakeHub(t)
	old := archiveFile(5)
	h.setFile(archive, old)
	h.setFault("files/"+archive, &fault{at: 1000, times: -1})
	opt := h.options(t)
	url := h.web.URL + "/files/" + archive
	if _, err := DownloadFile(context.Background(), url, archive, opt); err == nil {
		t.Fatal("download through a broken network succeeded")
	}
	if st, err := os.Stat(filepath.Join(opt.DownloadDir, archive+".incomplete")); err != nil || st.Size() != 1000 {
		t.Fatalf("partial file: %v", err)
	}

	// The file changed on the server before the retry: If-Range makes
	// the server send the new one whole, which replaces the partial file.
	h.setFault("files/"+archive, nil)
	updated := archiveFile(6)
	h.setFile(archive, updated)
	h.requests()
	path, err := DownloadFile(context.Background(), url, archive, opt)
	if err != nil {
		t.Fatal(err)
	}
	checkDownloaded(t, path, updated.data)
	got := h.requests()
	if len(got) != 1 || got[0].rng != "bytes=1000-" || got[0].ifRange != old.etag {
		t.Errorf("requests %+v, want one resume guarded by the old ETag", got)
	}
}

func TestDownloadFileNoValidatorRestarts(t *testing.T) {
	// A partial file whose server sent no ETag nor Last-Modified cannot be
	// resumed safely: the next run starts over.
	shortRetries(t)
	h := newFakeHub(t)
	f := &webFile{data: randomBytes(5000, 8)}
	h.setFile(archive, f)
	h.setFault("files/"+archive, &fault{at: 1000, times: -1})
	opt := h.options(t)
	url := h.web.URL + "/files/" + archive
	if _, err := DownloadFile(context.Background(), url, archive, opt); err == nil {
		t.Fatal("download through a broken network succeeded")
	}
	h.setFault("files/"+archive, nil)
	h.requests()
	path, err := DownloadFile(context.Background(), url, archive, opt)
	if err != nil {
		t.Fatal(err)
	}
	checkDownloaded(t, path, f.data)
	if got := h.requests(); len(got) != 1 || got[0].rng != "" {
		t.Errorf("requests %+v, want one full download", got)
	}
}

func TestDownloadFileSHA256(t *testing.T) {
	h := newFakeHub(t)
	f := archiveFile(9)
	h.setFile(archive, f)
	opt := h.options(t)
	url := h.web.URL + "/files/" + archive
	opt.SHA256 = strings.Repeat("ab", 32)

	_, err := DownloadFile(context.Background(), url, archive, opt)
	if !errors.Is(err, ErrIntegrity) || !strings.Contains(err.Error(), opt.SHA256) {
		t.Fatalf("err = %v, want ErrIntegrity naming the expected digest", err)
	}
	if got := downloadDirEntries(t, opt.DownloadDir); len(got) != 0 {
		t.Errorf("left behind after a failed check: %v", got)
	}

	// A cached file with the wrong digest is an error offline and is
	// downloaded again online.
	path := filepath.Join(opt.DownloadDir, archive)
	if err := os.WriteFile(path, []byte("corrupt"), 0o644); err != nil {
		t.Fatal(err)
	}
	opt.SHA256 = strings.ToUpper(sha256Hex(f.data)) // case does not matter
	opt.Offline = true
	if _, err := DownloadFile(context.Background(), url, archive, opt); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("offline with a corrupt file: err = %v, want ErrIntegrity", err)
	}
	opt.Offline = false
	if _, err := DownloadFile(context.Background(), url, archive, opt); err != nil {
		t.Fatal(err)
	}
	checkDownloaded(t, path, f.data)
}

func TestDownloadFileErrors(t *testing.T) {
	h := newFakeHub(t)
	h.setFile("gone.tar.gz", &webFile{status: 404})
	h.setFile("secret.tar.gz", &webFile{status: 403})
	tests := []struct {
		name    string
		url     string
		file    string
		offline bool
		sha     string
		wantErr error
		wantMsg string
	}{
		{"404", h.web.URL + "/files/gone.tar.gz", "", false, "", nil, "404"},
		{"403", h.web.URL + "/files/secret.tar.gz", "", false, "", nil, "403"},
		{"offline cold", h.web.URL + "/files/" + archive, "", true, "", ErrNotCached, "HF_HUB_OFFLINE"},
		{"not http", "ftp://example.com/x.tar.gz", "", false, "", errBadRequest, "not an http(s) URL"},
		{"no name", h.web.URL + "/", "", false, "", errBadRequest, "no file name"},
		{"name with separator", h.web.URL + "/files/x", "../x", false, "", errBadRequest, "invalid file name"},
		{"hidden name", h.web.URL + "/files/x", ".locks", false, "", errBadRequest, "invalid file name"},
		{"bad digest", h.web.URL + "/files/x", "", false, "abc", errBadRequest, "64 hex digits"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opt := h.options(t)
			opt.Offline, opt.SHA256 = tc.offline, tc.sha
			_, err := DownloadFile(context.Background(), tc.url, tc.file, opt)
			if err == nil || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("err = %v, want %v mentioning %q", err, tc.wantErr, tc.wantMsg)
			}
		})
	}
}

func TestDownloadFileUnreachable(t *testing.T) {
	h := newFakeHub(t)
	opt := h.options(t)
	url := h.web.URL + "/files/" + archive
	h.web.Close()
	_, err := DownloadFile(context.Background(), url, archive, opt)
	if err == nil || !strings.Contains(err.Error(), "HF_HUB_OFFLINE=1") || !strings.Contains(err.Error(), "cannot reach") {
		t.Fatalf("err = %v, want an unreachable-server error with the offline hint", err)
	}
}

func TestDownloadFileToken(t *testing.T) {
	// The token goes to the Hub's host only, never to another server.
	h := newFakeHub(t)
	h.setFile(archive, archiveFile(10))
	opt := h.options(t)
	opt.Token = h.token
	for _, base := range []string{h.hub.URL, h.web.URL} {
		opt.DownloadDir = t.TempDir()
		if _, err := DownloadFile(context.Background(), base+"/files/"+archive, archive, opt); err != nil {
			t.Fatal(err)
		}
	}
	var got [][2]string
	for _, r := range h.requests() {
		got = append(got, [2]string{r.server, r.auth})
	}
	if diff := cmp.Diff([][2]string{{"hub", "Bearer " + h.token}, {"web", ""}}, got); diff != "" {
		t.Errorf("server, Authorization (-want +got):\n%s", diff)
	}
}

func TestDownloadFileServerIgnoresRange(t *testing.T) {
	shortRetries(t)
	h := newFakeHub(t)
	f := archiveFile(11)
	f.noRanges = true
	h.setFile(archive, f)
	h.setFault("files/"+archive, &fault{at: 3000, times: 1})
	opt := h.options(t)
	opt.SHA256 = sha256Hex(f.data)
	path, err := DownloadFile(context.Background(), h.web.URL+"/files/"+archive, archive, opt)
	if err != nil {
		t.Fatal(err)
	}
	// The resume was answered with the whole file, which replaced the
	// partial one (the digest check proves nothing was appended twice).
	checkDownloaded(t, path, f.data)
	if got := h.requests(); len(got) != 2 || got[1].rng != "bytes=3000-" {
		t.Errorf("requests %+v, want a full GET then a resume attempt", got)
	}
}

func TestDownloadFileCompletePartial(t *testing.T) {
	// Interrupted after the last byte but before the rename: the server
	// answers the resume with 416 and the partial file is finished.
	h := newFakeHub(t)
	f := archiveFile(12)
	h.setFile(archive, f)
	opt := h.options(t)
	opt.SHA256 = sha256Hex(f.data)
	url := h.web.URL + "/files/" + archive
	partial := filepath.Join(opt.DownloadDir, archive+".incomplete")
	if err := os.WriteFile(partial, f.data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(partial+".json", []byte(`{"url":"`+url+`","validator":`+strconv.Quote(f.etag)+`}`), 0o644); err != nil {
		t.Fatal(err)
	}
	path, err := DownloadFile(context.Background(), url, archive, opt)
	if err != nil {
		t.Fatal(err)
	}
	checkDownloaded(t, path, f.data)
	got := h.requests()
	if len(got) != 1 || got[0].rng != fmt.Sprintf("bytes=%d-", len(f.data)) {
		t.Errorf("requests %+v, want one resume at the end", got)
	}
	if diff := cmp.Diff([]string{archive}, downloadDirEntries(t, opt.DownloadDir)); diff != "" {
		t.Errorf("download folder (-want +got):\n%s", diff)
	}
}

func TestDownloadFileUnannouncedSize(t *testing.T) {
	// A body without Content-Length (chunked) is read to its end, within
	// maxUnannouncedSize.
	saved := maxUnannouncedSize
	t.Cleanup(func() { maxUnannouncedSize = saved })
	data := randomBytes(3000, 13)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(data[:1000])
		w.(http.Flusher).Flush() // forces chunked encoding
		w.Write(data[1000:])
	}))
	t.Cleanup(srv.Close)
	for _, limit := range []int64{3000, 2999} {
		maxUnannouncedSize = limit
		opt := Options{DownloadDir: t.TempDir(), CacheDir: t.TempDir(), Endpoint: "http://hub.invalid"}
		path, err := DownloadFile(context.Background(), srv.URL+"/stream", "stream", opt)
		if limit == 3000 {
			if err != nil {
				t.Fatal(err)
			}
			checkDownloaded(t, path, data)
			continue
		}
		if !errors.Is(err, ErrIntegrity) {
			t.Fatalf("limit %d: err = %v, want ErrIntegrity", limit, err)
		}
		if got := downloadDirEntries(t, opt.DownloadDir); len(got) != 0 {
			t.Errorf("left behind: %v", got)
		}
	}
}
