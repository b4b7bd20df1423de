package hub

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// FuzzParseMeta feeds arbitrary metadata answers (the headers of the
// Hub's HEAD answer, from which cache paths are made) to parseMeta: never
// a panic; an accepted answer names a commit and a blob that are single
// safe path components, and a non-negative size that is the one announced.
func FuzzParseMeta(f *testing.F) {
	f.Add("a1b2c3d4e5f60718293a4b5c6d7e8f9012345678", `"0123abcd"`, "", "1234", "")
	f.Add("main", `W/"abc"`, `"sha256hex"`, "10", "20")
	f.Add("../x", `"../../etc"`, "", "-1", "")
	f.Add("c", `""`, `W/""`, "", "99999999999999999999")
	f.Add("c", "WW//\"e\"", "", "+5", " 5")
	orig, _ := url.Parse("https://hub.test/r/resolve/main/f")
	loc, _ := url.Parse("https://cdn.test/f?sig=x")
	r := fileRef{endpoint: "https://hub.test", repo: "r", revision: "main", asked: "main", file: "f"}
	f.Fuzz(func(t *testing.T, commit, etag, linkedEtag, size, linkedSize string) {
		resp := &http.Response{Header: http.Header{}, Request: &http.Request{URL: orig}}
		for k, v := range map[string]string{"X-Repo-Commit": commit, "ETag": etag, "X-Linked-Etag": linkedEtag, "Content-Length": size, "X-Linked-Size": linkedSize} {
			if v != "" {
				resp.Header.Set(k, v)
			}
		}
		m, err := parseMeta(resp, orig, loc, r)
		if err != nil {
			return
		}
		for _, s := range []string{m.commit, m.etag} {
			if !safeComponent(s) || strings.ContainsAny(s, `/\`) || s == ".." {
				t.Fatalf("accepted unsafe path component %q", s)
			}
		}
		announced := resp.Header.Get("X-Linked-Size")
		if announced == "" {
			announced = resp.Header.Get("Content-Length")
		}
		if n, err := strconv.ParseInt(announced, 10, 64); err != nil || m.size != n || m.size < 0 {
			t.Fatalf("size %d from %q", m.size, announced)
		}
		if m.auth {
			t.Fatal("the token would go to another host")
		}
	})
}

// FuzzReadResumeInfo feeds arbitrary sidecar contents (what a partial
// download is a part of) to readResumeInfo: never a panic, and a sidecar
// it reads back is what writing its result gives.
func FuzzReadResumeInfo(f *testing.F) {
	f.Add([]byte(`{"url":"https://ai.stanford.edu/a.tar.gz","validator":"\"abc\""}`))
	f.Add([]byte(`{"URL":1}`))
	f.Add([]byte(`null`))
	f.Add([]byte{0xff, '{'})
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "x.incomplete.json")
		os.WriteFile(path, data, 0o644)
		info := readResumeInfo(path)
		out, err := json.Marshal(info)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(path, out, 0o644)
		if again := readResumeInfo(path); again != info && strings.ToValidUTF8(info.URL, "\uFFFD") == info.URL && strings.ToValidUTF8(info.Validator, "\uFFFD") == info.Validator {
			t.Fatalf("%+v reads back as %+v", info, again)
		}
	})
}
