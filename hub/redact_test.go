package hub

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz", "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"},
		{"http://user:pw@host/a.tar.gz?sig=SECRET", "http://user:xxxxx@host/a.tar.gz?xxxxx"},
		{"https://host/a?X-Amz-Signature=SECRET&X-Amz-Credential=SECRET#frag", "https://host/a?xxxxx#xxxxx"},
		{"https://host/a#SECRET", "https://host/a#xxxxx"},
		{"https://user@host/a", "https://user@host/a"},
		{"https://host/a?", "https://host/a?xxxxx"},
		// Unparseable: the query and any userinfo are still hidden.
		{"http://u:pw@ho st/a?sig=SECRET", "http://xxxxx@ho st/a?xxxxx"},
		{"ht tp://h/%zz?sig=SECRET", "ht tp://h/%zz?xxxxx"},
		{"http://u:pw@host:bad/a", "http://xxxxx@host:bad/a"},
	}
	for _, tc := range tests {
		if got := RedactURL(tc.in); got != tc.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// secrets are the parts of a URL no message may show.
var secrets = []string{"SECRET", "pw@", ":pw", "frag"}

func checkNoSecret(t *testing.T, what, msg string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(msg, s) {
			t.Errorf("%s shows %q: %s", what, s, msg)
		}
	}
}

// Every DownloadFile error that shows the URL hides its password, query
// string and fragment: an HTTP error status, a redirect to a signed URL
// that fails, an unreachable server, an invalid URL.
func TestDownloadErrorsHideURLSecrets(t *testing.T) {
	old := retryWait
	retryWait = 0
	defer func() { retryWait = old }()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect.tar.gz":
			http.Redirect(w, r, "/signed.tar.gz?X-Amz-Signature=SECRET2#frag", http.StatusFound)
		case "/signed.tar.gz":
			http.Error(w, "expired", http.StatusForbidden)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	tests := []struct {
		name, url, want string
	}{
		{"404", "http://user:pw@" + host + "/a.tar.gz?sig=SECRET#frag", "(from http://user:xxxxx@" + host + "/a.tar.gz?xxxxx#xxxxx)"},
		{"redirect to a signed URL", "http://" + host + "/redirect.tar.gz?sig=SECRET", "http://" + host + "/signed.tar.gz?xxxxx#xxxxx: HTTP 403 Forbidden"},
		{"unreachable", "http://user:pw@" + closed + "/a.tar.gz?sig=SECRET", "cannot reach " + closed},
		{"invalid", "http://user:pw@" + host + ":port/a.tar.gz?sig=SECRET", "not an http(s) URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opt := Options{Endpoint: "https://huggingface.co", CacheDir: t.TempDir(), DownloadDir: t.TempDir(), HTTPClient: &http.Client{}}
			_, err := DownloadFile(context.Background(), tc.url, "a.tar.gz", opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			checkNoSecret(t, "error", err.Error())
		})
	}
}

// fakeTransport answers for any host without a network: https://hub.test/
// redirects to http://hub.test/ (a downgrade on the Hub's own host), which
// serves the file; it records the Authorization header of each request.
type fakeTransport struct {
	mu   sync.Mutex
	auth map[string]string // URL -> Authorization header
}

func (f *fakeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	f.auth[req.URL.Scheme+"://"+req.URL.Host+req.URL.Path] = req.Header.Get("Authorization")
	f.mu.Unlock()
	resp := &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Request: req, Body: io.NopCloser(strings.NewReader("data")), ContentLength: 4}
	if req.URL.Scheme == "https" {
		resp.StatusCode, resp.ContentLength, resp.Body = http.StatusFound, 0, http.NoBody
		resp.Header.Set("Location", "http://"+req.URL.Host+"/plain"+req.URL.Path)
	}
	return resp, nil
}

// The token goes only to the Hub's scheme and host: an https->http
// redirect on the Hub's host does not carry it (net/http alone would send
// it), nor does a request to another scheme.
func TestTokenNotSentAfterSchemeDowngrade(t *testing.T) {
	ft := &fakeTransport{auth: map[string]string{}}
	opt := Options{Endpoint: "https://hub.test", Token: "hf_SECRETTOKEN", CacheDir: t.TempDir(), DownloadDir: t.TempDir(), HTTPClient: &http.Client{Transport: ft}}
	if _, err := DownloadFile(context.Background(), "https://hub.test/f.bin", "f.bin", opt); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"https://hub.test/f.bin": "Bearer hf_SECRETTOKEN", "http://hub.test/plain/f.bin": ""}
	for u, w := range want {
		if got, ok := ft.auth[u]; !ok || got != w {
			t.Errorf("%s: Authorization %q (requested: %v), want %q", u, got, ok, w)
		}
	}

	for _, tc := range []struct {
		u    string
		want bool
	}{
		{"https://hub.test/x", true},
		{"HTTPS://HUB.test/x", true},
		{"http://hub.test/x", false},
		{"https://hub.test:8443/x", false},
		{"https://cdn.hub.test/x", false},
	} {
		u, _ := url.Parse(tc.u)
		if got := onHub(u, "https://hub.test"); got != tc.want {
			t.Errorf("onHub(%s) = %v, want %v", tc.u, got, tc.want)
		}
	}
	// The metadata request's redirect: a CDN location on the Hub's host
	// but over http gets no token either.
	orig, _ := url.Parse("https://hub.test/r/resolve/main/f")
	for loc, want := range map[string]bool{"https://hub.test/cdn/f": true, "http://hub.test/cdn/f": false, "https://cdn.test/f": false} {
		l, _ := url.Parse(loc)
		if got := sameOrigin(orig, l); got != want {
			t.Errorf("sameOrigin(%s, %s) = %v, want %v", orig, loc, got, want)
		}
	}
}
