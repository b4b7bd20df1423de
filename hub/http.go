package hub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// userAgent identifies distilgo to the Hub.
const userAgent = "distilgo-hub/1 (Go)"

// Timing and retry bounds. Variables so that tests can shorten them.
var (
	// metadataTimeout bounds one HEAD request (huggingface_hub's
	// HF_HUB_ETAG_TIMEOUT default).
	metadataTimeout = 10 * time.Second
	// maxRelativeRedirects bounds the renamed-repository redirects followed.
	maxRelativeRedirects = 10
	// maxMetadataAttempts bounds HEAD attempts on 429 and 5xx answers.
	maxMetadataAttempts = 3
	// retryWait is the pause before a retried request.
	retryWait = time.Second
)

// client makes the Hub requests for one ResolveModel or DownloadFile call.
type client struct {
	opt Options
	// hc follows redirects (downloads may be redirected to a CDN, then to
	// signed storage URLs).
	hc *http.Client
	// noRedirect returns 3xx answers to the caller: the metadata request
	// must see the Hub's own headers, not the CDN's.
	noRedirect *http.Client
	// logf, when set, reports retries of the upload side.
	logf func(format string, args ...any)
}

func newClient(opt Options) *client {
	nr := *opt.HTTPClient
	nr.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	hc := *opt.HTTPClient
	hc.CheckRedirect = tokenOnHubOnly(opt.Endpoint, opt.HTTPClient.CheckRedirect)
	return &client{opt: opt, hc: &hc, noRedirect: &nr}
}

// tokenOnHubOnly is a redirect policy that drops the Authorization header
// from a redirected request that leaves the Hub's scheme and host. net/http
// keeps it on the same host whatever the scheme, so an https->http
// redirect would send the token in clear text. next is the client's own
// policy (nil: net/http's default of at most 10 redirects).
func tokenOnHubOnly(endpoint string, next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if !onHub(req.URL, endpoint) {
			req.Header.Del("Authorization")
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
}

// setHeaders sets the headers of every request. Accept-Encoding: identity
// keeps sizes and byte ranges those of the file itself (Go would otherwise
// ask for gzip and decompress transparently, which breaks Range resumes).
func (c *client) setHeaders(req *http.Request, auth bool) {
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept-Encoding", "identity")
	if auth && c.opt.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.opt.Token)
	}
}

// fileURL is {endpoint}/{repo}/resolve/{revision}/{file}, the revision
// escaped whole (refs/pr/1 becomes refs%2Fpr%2F1) as huggingface_hub's
// hf_hub_url does.
func fileURL(endpoint, repo, revision, file string) string {
	segs := strings.Split(file, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return endpoint + "/" + repo + "/resolve/" + url.PathEscape(revision) + "/" + strings.Join(segs, "/")
}

// fileMeta is what the metadata request tells about one file.
type fileMeta struct {
	commit   string // X-Repo-Commit
	etag     string // normalized X-Linked-Etag or ETag: the blob's name
	size     int64  // X-Linked-Size or Content-Length
	location string // where to GET the content: the Hub or a CDN
	auth     bool   // whether location is on the Hub's host (send the token)
}

// metadata makes huggingface_hub's HEAD request for r: redirects are not
// followed, except relative ones (a renamed repository); an absolute
// redirect (an LFS file on a CDN) carries the metadata in its X-Linked-*
// headers and its Location is where the content is fetched. 429 and 5xx
// answers are retried a bounded number of times.
func (c *client) metadata(ctx context.Context, r fileRef) (fileMeta, error) {
	u := fileURL(r.endpoint, r.repo, r.revision, r.file)
	var err error
	for attempt := range maxMetadataAttempts {
		if attempt > 0 {
			if werr := sleep(ctx, retryWait<<(attempt-1)); werr != nil {
				return fileMeta{}, werr
			}
		}
		var m fileMeta
		m, err = c.headOnce(ctx, u, r)
		var se *httpStatusError
		if err == nil || !errors.As(err, &se) || !se.transient() {
			return m, err
		}
	}
	return fileMeta{}, err
}

func (c *client) headOnce(ctx context.Context, rawURL string, r fileRef) (fileMeta, error) {
	orig, err := url.Parse(rawURL)
	if err != nil {
		return fileMeta{}, fmt.Errorf("hub: endpoint %q: %w: %w", RedactURL(r.endpoint), redactErr(err), errBadRequest)
	}
	cur := orig
	for range maxRelativeRedirects + 1 {
		resp, err := c.head(ctx, cur)
		if err != nil {
			if ctx.Err() != nil {
				return fileMeta{}, fmt.Errorf("hub: %s: %w", r, ctx.Err())
			}
			return fileMeta{}, networkError(r, redactErr(err))
		}
		if resp.StatusCode >= 400 {
			return fileMeta{}, classify(newStatusError(resp), r)
		}
		if resp.StatusCode < 300 {
			return parseMeta(resp, orig, cur, r)
		}
		loc := resp.Header.Get("Location")
		if loc == "" {
			return fileMeta{}, fmt.Errorf("hub: %s: HTTP %d redirect without Location from %s", r, resp.StatusCode, redactURL(cur))
		}
		next, err := cur.Parse(loc)
		if err != nil {
			return fileMeta{}, fmt.Errorf("hub: %s: bad redirect Location %q: %w", r, RedactURL(loc), redactErr(err))
		}
		lu, _ := url.Parse(loc)
		if lu.Host == "" {
			// Relative: the repository was renamed; ask again there.
			cur = next
			continue
		}
		return parseMeta(resp, orig, next, r)
	}
	return fileMeta{}, fmt.Errorf("hub: %s: more than %d redirects from %s", r, maxRelativeRedirects, redactURL(orig))
}

// head sends one HEAD request with redirects disabled. The response body is
// empty and already closed.
func (c *client) head(ctx context.Context, u *url.URL) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, metadataTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, u.String(), nil)
	if err != nil {
		return nil, err
	}
	// The token goes to the Hub's host only.
	c.setHeaders(req, onHub(u, c.opt.Endpoint))
	resp, err := c.noRedirect.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	return resp, nil
}

// parseMeta reads the metadata headers. orig is the URL first asked, loc
// where the content is to be fetched from.
func parseMeta(resp *http.Response, orig, loc *url.URL, r fileRef) (fileMeta, error) {
	notHub := fmt.Sprintf("is %s a Hugging Face Hub (HF_ENDPOINT), and no proxy strips its headers?", RedactURL(r.endpoint))
	m := fileMeta{
		commit:   resp.Header.Get("X-Repo-Commit"),
		location: loc.String(),
		auth:     sameOrigin(orig, loc),
	}
	if m.commit == "" {
		return m, fmt.Errorf("hub: %s: the answer from %s has no X-Repo-Commit header: %s", r, redactURL(resp.Request.URL), notHub)
	}
	if !safeComponent(m.commit) {
		return m, fmt.Errorf("hub: %s: invalid X-Repo-Commit %q from %s", r, m.commit, redactURL(resp.Request.URL))
	}
	raw := resp.Header.Get("X-Linked-Etag")
	if raw == "" {
		raw = resp.Header.Get("ETag")
	}
	m.etag = normalizeETag(raw)
	if m.etag == "" {
		return m, fmt.Errorf("hub: %s: the answer from %s has no ETag: %s", r, redactURL(resp.Request.URL), notHub)
	}
	if !safeComponent(m.etag) {
		return m, fmt.Errorf("hub: %s: invalid ETag %q from %s", r, raw, redactURL(resp.Request.URL))
	}
	sz := resp.Header.Get("X-Linked-Size")
	if sz == "" {
		sz = resp.Header.Get("Content-Length")
	}
	n, err := strconv.ParseInt(sz, 10, 64)
	if err != nil || n < 0 {
		return m, fmt.Errorf("hub: %s: the answer from %s has no valid size (X-Linked-Size or Content-Length %q)", r, redactURL(resp.Request.URL), sz)
	}
	m.size = n
	return m, nil
}

// normalizeETag turns an ETag header into a file name as huggingface_hub's
// _normalize_etag does: etag.lstrip("W/").strip('"'). Note that lstrip
// removes any leading run of 'W' and '/' characters; the Hub only sends
// quoted hex digests, for which this is the same as dropping the weak
// marker and the quotes.
func normalizeETag(etag string) string {
	return strings.Trim(strings.TrimLeft(etag, "W/"), `"`)
}

// onHub reports whether a request to u may carry the token: u has the
// endpoint's scheme and host, so that neither another host nor an
// https->http downgrade on the Hub's own host sees the token.
func onHub(u *url.URL, endpoint string) bool {
	e, err := url.Parse(endpoint)
	return err == nil && sameOrigin(u, e)
}

// sameOrigin reports whether a and b have the same scheme and host (port
// included).
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Host, b.Host)
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// sameEndpoint reports whether u is on the Hub endpoint's own scheme and
// host, the only place the token is sent (an https->http downgrade on the
// same host must not carry it).
func sameEndpoint(u *url.URL, endpoint string) bool {
	e, err := url.Parse(endpoint)
	return err == nil && sameOrigin(u, e)
}
