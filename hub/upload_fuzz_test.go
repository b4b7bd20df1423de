package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzUploadAnswers feeds arbitrary preupload and LFS batch answers to the
// upload client: it must return (an error or a commit) without panicking,
// and never send more part uploads than the file has bytes. Seeds: the
// answers of a real push (regular, basic LFS, multipart, already stored,
// an error object) here and in testdata/fuzz/FuzzUploadAnswers.
func FuzzUploadAnswers(f *testing.F) {
	pre := `{"files":[{"path":"model.safetensors","uploadMode":"lfs","shouldIgnore":false},{"path":"config.json","uploadMode":"regular","shouldIgnore":false,"oid":"x"}]}`
	f.Add([]byte(pre), []byte(`{"transfer":"basic","objects":[{"oid":"OID","size":300,"actions":{"upload":{"href":"URL/put"},"verify":{"href":"URL/verify"}}}]}`))
	f.Add([]byte(pre), []byte(`{"transfer":"basic","objects":[{"oid":"OID","size":300,"actions":{"upload":{"href":"URL/done","header":{"chunk_size":"100","1":"URL/part","2":"URL/part","3":"URL/part"}}}}]}`))
	f.Add([]byte(pre), []byte(`{"objects":[{"oid":"OID","size":300}]}`))
	f.Add([]byte(pre), []byte(`{"objects":[{"oid":"OID","size":300,"error":{"code":422,"message":"no"}}]}`))
	f.Add([]byte(`{"files":[{"path":"model.safetensors","uploadMode":"xet"}]}`), []byte(`{}`))
	f.Add([]byte(`{"files":null}`), []byte(`null`))

	dir := f.TempDir()
	weights := make([]byte, 300)
	for i := range weights {
		weights[i] = byte(i)
	}
	os.WriteFile(filepath.Join(dir, "model.safetensors"), weights, 0o644)
	os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{}`), 0o644)
	oid := sha256Hex(weights)
	w, mw := retryWait, maxRetryWait
	retryWait, maxRetryWait = time.Microsecond, time.Millisecond
	defer func() { retryWait, maxRetryWait = w, mw }()

	f.Fuzz(func(t *testing.T, preAns, batchAns []byte) {
		var parts int
		var srv *httptest.Server
		srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch p := r.URL.Path; {
			case strings.Contains(p, "/preupload/"):
				w.Write(preAns)
			case strings.HasSuffix(p, "/objects/batch"):
				b := strings.ReplaceAll(string(batchAns), "OID", oid)
				w.Write([]byte(strings.ReplaceAll(b, "URL", srv.URL)))
			case p == "/part":
				parts++
				w.Header().Set("ETag", `"e"`)
			case strings.Contains(p, "/commit/"):
				json.NewEncoder(w).Encode(map[string]string{"commitOid": "c", "commitUrl": "u"})
			case strings.HasPrefix(p, "/api/models/"):
				w.Write([]byte(`{"sha":"c"}`))
			}
		}))
		defer srv.Close()
		// Only the test server can be reached: a fuzzed URL elsewhere
		// fails at once instead of waiting for the network.
		addr := srv.Listener.Addr().String()
		tr := &http.Transport{DialContext: func(ctx context.Context, network, a string) (net.Conn, error) {
			if a != addr {
				return nil, fmt.Errorf("fuzz: no network to %s", a)
			}
			return (&net.Dialer{}).DialContext(ctx, network, a)
		}}
		defer tr.CloseIdleConnections()
		opt := UploadOptions{Options: Options{Endpoint: srv.URL, Token: "hf_x", CacheDir: dir, DownloadDir: dir, HTTPClient: &http.Client{Transport: tr}}}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		UploadFolder(ctx, "alice/m", dir, opt)
		if parts > len(weights) {
			t.Errorf("%d part uploads for %d bytes", parts, len(weights))
		}
	})
}
