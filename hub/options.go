package hub

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// DefaultEndpoint is the Hugging Face Hub used when neither Options.Endpoint
// nor $HF_ENDPOINT is set.
const DefaultEndpoint = "https://huggingface.co"

// DefaultRevision is the branch resolved when Options.Revision is empty.
const DefaultRevision = "main"

// Options configures ResolveModel and DownloadFile, and through
// UploadOptions the upload side (Endpoint, Token, HTTPClient and Revision,
// the branch committed to). DefaultOptions fills it
// from the environment variables huggingface_hub reads. In a hand-built
// Options, an empty Endpoint, CacheDir, DownloadDir or Revision and a nil
// HTTPClient take the values DefaultOptions would give; Token and Offline are
// used as they are.
type Options struct {
	// Endpoint is the Hub's base URL. Default: $HF_ENDPOINT, else
	// https://huggingface.co.
	Endpoint string
	// Token is sent as "Authorization: Bearer <Token>" to the Hub (never to
	// a CDN on another host the Hub redirects to). Default: $HF_TOKEN, else
	// the token file `huggingface-cli login` writes ($HF_TOKEN_PATH, else
	// $HF_HOME/token).
	Token string
	// CacheDir is the huggingface_hub cache, shared with Python tools.
	// Default: $HF_HUB_CACHE, else $HF_HOME/hub, else
	// $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub.
	CacheDir string
	// DownloadDir holds the plain URL downloads of DownloadFile (the IMDB
	// archive). It is kept out of CacheDir, where huggingface_hub's
	// scan-cache would report unknown folders as corrupted repositories.
	// Default: $HF_HOME/distilgo/downloads.
	DownloadDir string
	// Offline forbids all network access: only the cache is used. Default:
	// $HF_HUB_OFFLINE (or $TRANSFORMERS_OFFLINE) set to 1, true, yes or on.
	Offline bool
	// Revision is the branch, tag or commit hash to resolve. Default "main".
	Revision string
	// HTTPClient makes the requests. Default: a client with the standard
	// transport (proxies from the environment) and no overall timeout, since
	// model files are large; stalled transfers are detected separately.
	HTTPClient *http.Client
	// Progress, when set, is called as a file downloads: file is the
	// repository file name (or DownloadFile's name), done the bytes on disk
	// so far, total the expected size or -1 when unknown. It is called from
	// the downloading goroutine and must return quickly.
	Progress func(file string, done, total int64)
	// SHA256 is used by DownloadFile only: when set, the lowercase hex
	// SHA-256 the downloaded (or already cached) file must have.
	SHA256 string
}

// DefaultOptions returns Options filled from the environment, as
// huggingface_hub reads it: HF_ENDPOINT, HF_TOKEN (HUGGING_FACE_HUB_TOKEN,
// HF_TOKEN_PATH), HF_HUB_CACHE (HUGGINGFACE_HUB_CACHE), HF_HOME,
// XDG_CACHE_HOME and HF_HUB_OFFLINE (TRANSFORMERS_OFFLINE).
func DefaultOptions() Options {
	home := hfHome()
	opt := Options{
		Endpoint:    defaultEndpoint(),
		Token:       defaultToken(home),
		CacheDir:    defaultCacheDir(home),
		DownloadDir: filepath.Join(home, "distilgo", "downloads"),
		Offline:     isTrue(os.Getenv("HF_HUB_OFFLINE")) || isTrue(os.Getenv("TRANSFORMERS_OFFLINE")),
		Revision:    DefaultRevision,
	}
	return opt
}

// withDefaults returns opt with its empty fields filled as documented on
// Options.
func (opt Options) withDefaults() Options {
	if opt.Endpoint == "" {
		opt.Endpoint = defaultEndpoint()
	}
	opt.Endpoint = strings.TrimRight(opt.Endpoint, "/")
	if opt.CacheDir == "" || opt.DownloadDir == "" {
		home := hfHome()
		if opt.CacheDir == "" {
			opt.CacheDir = defaultCacheDir(home)
		}
		if opt.DownloadDir == "" {
			opt.DownloadDir = filepath.Join(home, "distilgo", "downloads")
		}
	}
	if opt.Revision == "" {
		opt.Revision = DefaultRevision
	}
	if opt.HTTPClient == nil {
		opt.HTTPClient = defaultHTTPClient
	}
	return opt
}

// defaultHTTPClient has no Timeout: a 250 MB model file may take minutes.
// Requests are bounded by contexts instead (metadata) and by the stall
// detector in fetch (bodies).
var defaultHTTPClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}

func defaultEndpoint() string {
	if e := os.Getenv("HF_ENDPOINT"); e != "" {
		return strings.TrimRight(e, "/")
	}
	return DefaultEndpoint
}

// hfHome is $HF_HOME, else $XDG_CACHE_HOME/huggingface, else
// ~/.cache/huggingface, with a leading ~ expanded as Python's
// os.path.expanduser does.
func hfHome() string {
	if h := os.Getenv("HF_HOME"); h != "" {
		return expandUser(h)
	}
	xdg := os.Getenv("XDG_CACHE_HOME")
	if xdg == "" {
		xdg = "~/.cache"
	}
	return filepath.Join(expandUser(xdg), "huggingface")
}

func defaultCacheDir(home string) string {
	if c := os.Getenv("HF_HUB_CACHE"); c != "" {
		return expandUser(c)
	}
	if c := os.Getenv("HUGGINGFACE_HUB_CACHE"); c != "" {
		return expandUser(c)
	}
	return filepath.Join(home, "hub")
}

func defaultToken(home string) string {
	for _, v := range []string{"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"} {
		if t := strings.TrimSpace(os.Getenv(v)); t != "" {
			return t
		}
	}
	path := os.Getenv("HF_TOKEN_PATH")
	if path == "" {
		path = filepath.Join(home, "token")
	}
	b, err := os.ReadFile(expandUser(path))
	if err != nil {
		return "" // no stored token: anonymous access
	}
	return strings.TrimSpace(string(b))
}

// expandUser replaces a leading "~" or "~/" with the home directory.
func expandUser(p string) string {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return p
	}
	return filepath.Join(home, p[1:])
}

// isTrue matches huggingface_hub's _is_true: 1, ON, YES, TRUE in any case.
func isTrue(v string) bool {
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "1", "ON", "YES", "TRUE":
		return true
	}
	return false
}
