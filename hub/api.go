package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Retry bounds of the upload side, huggingface_hub's http_backoff defaults
// (utils/_http.py): 5 retries, waits of 1, 2, 4, 8, 8 s. Variables so that
// tests can shorten them (the first wait is retryWait).
var (
	maxAPIRetries = 5
	maxRetryWait  = 8 * time.Second
	// maxRetryAfter bounds a server's Retry-After, so that a confused
	// server cannot park a push for hours.
	maxRetryAfter = 60 * time.Second
)

// maxAPIBody bounds the JSON answers read from the Hub.
const maxAPIBody = 16 << 20

// apiResp is a Hub answer read whole (the API's bodies are small JSON).
type apiResp struct {
	status int
	header http.Header
	body   []byte
}

// apiCall is one HTTP request of the upload side.
type apiCall struct {
	method string
	url    string
	// what names the request in errors ("preupload", "LFS upload of
	// model.safetensors part 3").
	what string
	// body returns a fresh body for each attempt (nil: none); size is its
	// length.
	body func() (io.Reader, error)
	size int64
	// header is set on the request; auth adds the token (only ever to the
	// endpoint's host).
	header http.Header
	auth   bool
	// retry enables http_backoff's retries on 408, 429, 5xx and network
	// errors.
	retry bool
}

// transientStatus is huggingface_hub's _DEFAULT_RETRY_ON_STATUS_CODES.
func transientStatus(code int) bool {
	switch code {
	case 408, 429, 500, 502, 503, 504:
		return true
	}
	return false
}

// do sends c, retrying as huggingface_hub's http_backoff does: on the
// transient statuses and on network errors (a dropped connection), with
// exponential waits from retryWait up to maxRetryWait, or the server's
// Retry-After. A final answer of 400 or more is returned as an
// *httpStatusError.
func (cl *client) do(ctx context.Context, c apiCall) (*apiResp, error) {
	wait := retryWait
	for attempt := 0; ; attempt++ {
		r, err := cl.once(ctx, c)
		var after time.Duration
		switch {
		case err == nil && r.status < 400:
			return r, nil
		case err == nil && (!c.retry || !transientStatus(r.status)):
			return nil, apiStatusError(c, r)
		case err == nil:
			after = retryAfter(r.header)
			err = apiStatusError(c, r)
		case ctx.Err() != nil:
			return nil, fmt.Errorf("hub: %s: %w", c.what, ctx.Err())
		case !c.retry || errors.As(err, new(*localError)) || errors.Is(err, errBadRequest):
			return nil, err
		}
		if attempt >= maxAPIRetries {
			return nil, fmt.Errorf("%w (gave up after %d attempts)", err, attempt+1)
		}
		d := wait
		if after > 0 {
			d = min(after, maxRetryAfter)
		}
		if cl.logf != nil {
			cl.logf("hub: %s failed (%v); retrying in %s", c.what, err, d)
		}
		if werr := sleep(ctx, d); werr != nil {
			return nil, fmt.Errorf("hub: %s: %w", c.what, werr)
		}
		wait = min(2*wait, maxRetryWait)
	}
}

// once makes one attempt of c and reads the whole answer; a failure to send
// or to read it is a network error.
func (cl *client) once(ctx context.Context, c apiCall) (*apiResp, error) {
	var body io.Reader
	if c.body != nil {
		b, err := c.body()
		if err != nil {
			return nil, &localError{fmt.Errorf("hub: %s: %w", c.what, err)}
		}
		body = b
	}
	req, err := http.NewRequestWithContext(ctx, c.method, c.url, body)
	if err != nil {
		if cl, ok := body.(io.Closer); ok {
			cl.Close()
		}
		return nil, fmt.Errorf("hub: %s: %w: %w", c.what, err, errBadRequest)
	}
	if body != nil {
		req.ContentLength = c.size
		if c.size == 0 {
			if cl, ok := body.(io.Closer); ok {
				cl.Close()
			}
			req.Body = http.NoBody
		}
	}
	for k, vs := range c.header {
		req.Header[k] = vs
	}
	req.Header.Set("User-Agent", userAgent)
	if c.auth && cl.opt.Token != "" && sameEndpoint(req.URL, cl.opt.Endpoint) {
		req.Header.Set("Authorization", "Bearer "+cl.opt.Token)
	}
	resp, err := cl.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("hub: %s: %s %s: %w", c.what, c.method, redactURL(req.URL), redactErr(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAPIBody))
	if err != nil {
		return nil, fmt.Errorf("hub: %s: read the answer of %s %s: %w", c.what, c.method, redactURL(req.URL), redactErr(err))
	}
	return &apiResp{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// apiStatusError turns an error answer into an *httpStatusError carrying
// the Hub's message: X-Error-Message, else the "error" field of a JSON
// body, as hf_raise_for_status reads it.
func apiStatusError(c apiCall, r *apiResp) error {
	e := &httpStatusError{
		url:     c.method + " " + RedactURL(c.url),
		status:  r.status,
		code:    r.header.Get("X-Error-Code"),
		message: r.header.Get("X-Error-Message"),
	}
	if e.message == "" {
		var j struct {
			Error  any `json:"error"`
			Errors []struct {
				Message string `json:"message"`
			} `json:"errors"`
		}
		if json.Unmarshal(r.body, &j) == nil {
			if j.Error != nil {
				e.message = fmt.Sprint(j.Error)
			}
			for _, m := range j.Errors { // validate-yaml's list
				if e.message != "" {
					e.message += "; "
				}
				e.message += m.Message
			}
		}
	}
	if len(e.message) > 500 {
		e.message = e.message[:500] + "…"
	}
	return fmt.Errorf("hub: %s: %w", c.what, e)
}

// retryAfter reads a Retry-After header in seconds (0 when absent).
func retryAfter(h http.Header) time.Duration {
	s, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After")))
	if err != nil || s < 0 {
		return 0
	}
	return time.Duration(s)*time.Second + time.Second // +1 s as huggingface_hub does
}

// jsonBody returns an apiCall body for v.
func jsonBody(v any) (func() (io.Reader, error), int64) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("hub: marshal request: %v", err)) // our own types always marshal
	}
	return func() (io.Reader, error) { return bytes.NewReader(b), nil }, int64(len(b))
}

func jsonHeader() http.Header {
	return http.Header{"Content-Type": {"application/json"}}
}

// statusOf returns the HTTP status of an error answer, 0 for other errors.
func statusOf(err error) int {
	var se *httpStatusError
	if errors.As(err, &se) {
		return se.status
	}
	return 0
}

// writeError explains an error answer to a write request on repo: what
// was refused and what to do. Other errors are returned unchanged.
func writeError(err error, repo string, hasToken bool) error {
	var se *httpStatusError
	if !errors.As(err, &se) {
		return err
	}
	switch {
	case se.status == http.StatusUnauthorized && !hasToken:
		return fmt.Errorf("hub: push to %q needs a token with write access: set HF_TOKEN, pass --hub-token or run `huggingface-cli login` (tokens: https://huggingface.co/settings/tokens): %w (%w)", repo, ErrUnauthorized, err)
	case se.status == http.StatusUnauthorized:
		return fmt.Errorf("hub: push to %q: the Hub refused the token (invalid or expired): set HF_TOKEN or --hub-token to a valid token with write access, or run `huggingface-cli login` again: %w (%w)", repo, ErrUnauthorized, err)
	case se.status == http.StatusForbidden:
		return fmt.Errorf("hub: push to %q: the token has no write access to this repository: use a token with the write role (or a fine-grained token allowed to write to %q's namespace): %w (%w)", repo, repo, ErrUnauthorized, err)
	case se.status == http.StatusNotFound && (se.code == "RepoNotFound" || se.code == ""):
		return fmt.Errorf("hub: push to %q: repository not found: check the id (namespace/name), and that the token's user owns it or belongs to its organization: %w (%w)", repo, ErrRepoNotFound, err)
	case se.code == "RevisionNotFound":
		return fmt.Errorf("hub: push to %q: branch not found: %w (%w)", repo, ErrRevisionNotFound, err)
	}
	return err
}

// redactedError hides the token in an error's text while keeping the
// error chain for errors.Is and errors.As.
type redactedError struct {
	err   error
	token string
}

func (e *redactedError) Error() string {
	return strings.ReplaceAll(e.err.Error(), e.token, "hf_***")
}
func (e *redactedError) Unwrap() error { return e.err }

// redact makes sure the token never appears in err's text (a server or a
// proxy may echo a header back).
func redact(err error, token string) error {
	if err == nil || token == "" {
		return err
	}
	return &redactedError{err: err, token: token}
}
