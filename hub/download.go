package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// DownloadFile fetches rawURL into opt.DownloadDir under name (the last
// element of the URL's path when name is empty) and returns the local path.
// A file already there is returned without any request (a URL is taken to
// name immutable content, as the IMDB archive is); with opt.SHA256 set it
// must have that digest, else it is downloaded again (online) or reported
// (offline).
//
// The download goes to {name}.incomplete first; an interrupted one resumes
// with a Range request, guarded by If-Range with the ETag or Last-Modified
// date the server first sent, so a resource that changed meanwhile is
// fetched whole. The finished file is checked against its announced size
// and opt.SHA256, then renamed into place. The Hub token is sent only when
// rawURL is on the Hub's host. Offline, only an existing file is returned.
func DownloadFile(ctx context.Context, rawURL, name string, opt Options) (path string, err error) {
	opt = opt.withDefaults()
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("hub: download %q: not an http(s) URL: %w", RedactURL(rawURL), errBadRequest)
	}
	if name == "" {
		name = pathBase(u.Path)
	}
	if err := validateDownloadName(name); err != nil {
		return "", fmt.Errorf("hub: download %s: %w", redactURL(u), err)
	}
	want := strings.ToLower(opt.SHA256)
	if want != "" && !sha256RE.MatchString(want) {
		return "", fmt.Errorf("hub: download %s: expected SHA-256 %q is not 64 hex digits: %w", name, opt.SHA256, errBadRequest)
	}
	dst := filepath.Join(opt.DownloadDir, name)

	ok, err := cachedDownload(dst, want, opt.Offline)
	if ok || err != nil {
		return dst, err
	}
	if opt.Offline {
		return "", fmt.Errorf("hub: offline mode (HF_HUB_OFFLINE): %s: %w (%s); download %s once with network access, or give a local path",
			name, ErrNotCached, opt.DownloadDir, redactURL(u))
	}

	c := newClient(opt)
	lk, err := acquireLock(ctx, filepath.Join(opt.DownloadDir, ".locks", name+".lock"))
	if err != nil {
		return "", err
	}
	defer lk.release()
	if ok, err := cachedDownload(dst, want, false); ok || err != nil {
		return dst, err // another process finished it while we waited
	}

	partial := dst + ".incomplete"
	sidecar := partial + ".json"
	prev := readResumeInfo(sidecar)
	if prev.URL != rawURL || prev.Validator == "" {
		// A partial file from another URL, or one we cannot validate,
		// cannot be resumed safely.
		os.Remove(partial)
		os.Remove(sidecar)
		prev = resumeInfo{}
	}
	j := &fetchJob{
		url:     rawURL,
		auth:    onHub(u, opt.Endpoint),
		partial: partial,
		label:   name,
		size:    -1,
		sha256:  want,
		ifRange: prev.Validator,
	}
	j.onFresh = func(resp *http.Response) error {
		// Later resumes, in this run or the next, must be of this
		// version of the resource.
		info := resumeInfo{URL: rawURL, Validator: validator(resp)}
		j.ifRange = info.Validator
		data, err := json.Marshal(info)
		if err != nil {
			return err
		}
		return writeFileAtomic(sidecar, data)
	}
	j.onDiscard = func() { os.Remove(sidecar) }
	if err := c.fetch(ctx, j); err != nil {
		return "", fmt.Errorf("%w (from %s)", err, redactURL(u))
	}
	if err := os.Rename(partial, dst); err != nil {
		os.Remove(partial)
		os.Remove(sidecar)
		return "", fmt.Errorf("hub: store %s: %w", dst, err)
	}
	os.Remove(sidecar)
	syncDir(opt.DownloadDir)
	return dst, nil
}

// cachedDownload reports whether dst holds the finished download. A file
// with the wrong digest is an error offline and is deleted online (so that
// it is fetched again).
func cachedDownload(dst, want string, offline bool) (bool, error) {
	st, err := os.Stat(dst)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("hub: %w", err)
	}
	if !st.Mode().IsRegular() {
		return false, fmt.Errorf("hub: %s exists and is not a regular file", dst)
	}
	if want == "" {
		return true, nil
	}
	got, err := fileSHA256(dst)
	if err != nil {
		return false, fmt.Errorf("hub: %w", err)
	}
	if got == want {
		return true, nil
	}
	if offline {
		return false, fmt.Errorf("hub: %s has SHA-256 %s, want %s: %w; delete it and download it again", dst, got, want, ErrIntegrity)
	}
	if err := os.Remove(dst); err != nil {
		return false, fmt.Errorf("hub: remove corrupt %s: %w", dst, err)
	}
	return false, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// resumeInfo, stored beside a partial download, says what it is a part of.
type resumeInfo struct {
	URL       string `json:"url"`
	Validator string `json:"validator"` // strong ETag or Last-Modified, for If-Range
}

func readResumeInfo(path string) resumeInfo {
	var info resumeInfo
	if data, err := os.ReadFile(path); err == nil {
		json.Unmarshal(data, &info) // unreadable: zero info, no resume
	}
	return info
}

// validator returns what If-Range may use to resume resp's resource: its
// ETag when strong (If-Range forbids weak ones), else its Last-Modified
// date, else "" (no safe resume).
func validator(resp *http.Response) string {
	if e := resp.Header.Get("ETag"); e != "" && !strings.HasPrefix(e, "W/") {
		return e
	}
	return resp.Header.Get("Last-Modified")
}

// pathBase is the last element of a URL path, "" for none.
func pathBase(p string) string {
	b := path.Base(p)
	if b == "/" || b == "." {
		return ""
	}
	return b
}

// validateDownloadName accepts a plain file name: no separators, not
// hidden (the .locks folder lives beside the downloads).
func validateDownloadName(name string) error {
	if name == "" {
		return fmt.Errorf("no file name given and none in the URL: %w", errBadRequest)
	}
	if strings.ContainsAny(name, `/\:`) || strings.HasPrefix(name, ".") || strings.Contains(name, ".incomplete") || len(name) > 255 {
		return fmt.Errorf("invalid file name %q: %w", name, errBadRequest)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("invalid file name %q: %w", name, errBadRequest)
		}
	}
	return nil
}
