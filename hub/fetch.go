package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Download bounds. Variables so that tests can shorten them.
var (
	// stallTimeout: a transfer that delivers no byte for this long is
	// abandoned and resumed (huggingface_hub uses a 10 s read timeout).
	stallTimeout = 30 * time.Second
	// maxStalledAttempts: consecutive attempts that add no byte before a
	// download gives up (keeping its partial file for the next run).
	maxStalledAttempts = 5
	// maxFetchAttempts bounds the attempts of one download in all.
	maxFetchAttempts = 100
	// maxUnannouncedSize bounds a download whose size the server does not
	// announce, so an endless stream cannot fill the disk.
	maxUnannouncedSize int64 = 64 << 30
	// partialWriter wraps the partial file's writes; tests replace it to
	// simulate a full disk.
	partialWriter = func(f *os.File) io.Writer { return f }
)

// chunkSize is the read buffer of a download.
const chunkSize = 256 << 10

// fetchJob is one resumable download into a partial (.incomplete) file.
type fetchJob struct {
	url     string
	auth    bool   // send the token
	partial string // the .incomplete file; appended to when resuming
	label   string // file name for progress and messages
	size    int64  // expected size, -1 while unknown
	sha256  string // expected lowercase hex SHA-256, "" when unchecked
	// ifRange, when set, is sent with resumed requests (HTTP If-Range), so
	// that a resource that changed since the partial file began is sent
	// whole instead of appended to it.
	ifRange string
	// onFresh, when set, sees the response that starts the file at byte 0.
	onFresh func(*http.Response) error
	// onDiscard, when set, runs after a broken partial file was deleted.
	onDiscard func()
}

// partialFile is the open partial file with its running hash.
type partialFile struct {
	f   *os.File
	w   io.Writer
	off int64
	h   hash.Hash // nil when the job has no expected SHA-256
}

func (p *partialFile) write(b []byte) error {
	if _, err := p.w.Write(b); err != nil {
		return err
	}
	if p.h != nil {
		p.h.Write(b)
	}
	p.off += int64(len(b))
	return nil
}

// restart empties the file, for a server that sends the whole resource.
func (p *partialFile) restart() error {
	if err := p.f.Truncate(0); err != nil {
		return err
	}
	if _, err := p.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	p.off = 0
	if p.h != nil {
		p.h.Reset()
	}
	return nil
}

// outcome of one request of a download.
type outcome int

const (
	complete outcome = iota // the body ended cleanly
	retry                   // transient failure: resume with Range
	fatal                   // give up
)

// fetch downloads j.url into j.partial, resuming from what the file already
// holds, retrying dropped or stalled transfers with Range requests, and
// checking the size and SHA-256 at the end. On success the partial file is
// complete, synced and closed; the caller renames it. A failed integrity
// check or a local write error (full disk) deletes the partial file; a
// network failure keeps it for a later resume.
func (c *client) fetch(ctx context.Context, j *fetchJob) error {
	if err := os.MkdirAll(filepath.Dir(j.partial), 0o755); err != nil {
		return c.localFailure(j, nil, err)
	}
	f, err := os.OpenFile(j.partial, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return c.localFailure(j, nil, err)
	}
	p := &partialFile{f: f, w: partialWriter(f)}
	if j.sha256 != "" {
		p.h = sha256.New()
	}
	if p.off, err = f.Seek(0, io.SeekEnd); err != nil {
		return c.localFailure(j, f, err)
	}
	if j.size >= 0 && p.off > j.size {
		if err := p.restart(); err != nil {
			return c.localFailure(j, f, err)
		}
	}
	if p.off > 0 && p.h != nil {
		// Resuming: the digest covers the bytes already there.
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return c.localFailure(j, f, err)
		}
		if _, err := io.CopyN(p.h, f, p.off); err != nil {
			return c.localFailure(j, f, err)
		}
	}

	stalled := 0
	var lastErr error
	for attempt := 0; ; attempt++ {
		if j.size >= 0 && p.off == j.size {
			break
		}
		if attempt == maxFetchAttempts || stalled == maxStalledAttempts {
			f.Close()
			return fmt.Errorf("hub: download %s: giving up after %d attempts; %d bytes kept in %s to resume from next time: %w; %s",
				j.label, attempt, p.off, j.partial, lastErr, offlineHint)
		}
		if attempt > 0 {
			if err := sleep(ctx, retryWait); err != nil {
				f.Close()
				return fmt.Errorf("hub: download %s: %w", j.label, err)
			}
		}
		before := p.off
		oc, err := c.fetchOnce(ctx, j, p)
		var re *requestError
		if attempt == 0 && oc == retry && ctx.Err() == nil && errors.As(err, &re) {
			// The server cannot be reached at all: say so now rather
			// than after retries (huggingface_hub does not retry either).
			f.Close()
			return fmt.Errorf("hub: download %s: cannot reach %s: %w; %s", j.label, hostOf(j.url), re.err, offlineHint)
		}
		if oc == complete {
			if j.size < 0 || p.off == j.size {
				break
			}
			// A body that ends cleanly but short (no Content-Length):
			// resume it.
			oc, err = retry, fmt.Errorf("transfer ended at byte %d of %d", p.off, j.size)
		}
		if oc == fatal {
			var le *localError
			if errors.As(err, &le) {
				return c.localFailure(j, f, le.err)
			}
			if errors.Is(err, ErrIntegrity) {
				return c.discard(j, f, err)
			}
			f.Close()
			return err
		}
		if ctx.Err() != nil {
			f.Close()
			return fmt.Errorf("hub: download %s: %w", j.label, ctx.Err())
		}
		lastErr = err
		if p.off > before {
			stalled = 0
		} else {
			stalled++
		}
	}

	if j.size >= 0 && p.off != j.size {
		return c.discard(j, f, fmt.Errorf("hub: download %s: %w: got %d bytes, want %d", j.label, ErrIntegrity, p.off, j.size))
	}
	if p.h != nil {
		if got := hex.EncodeToString(p.h.Sum(nil)); got != j.sha256 {
			return c.discard(j, f, fmt.Errorf("hub: download %s: %w: SHA-256 is %s, want %s", j.label, ErrIntegrity, got, j.sha256))
		}
	}
	if err := f.Sync(); err != nil {
		return c.localFailure(j, f, err)
	}
	if err := f.Close(); err != nil {
		return c.localFailure(j, nil, err)
	}
	return nil
}

// fetchOnce makes one GET request, from p.off when resuming, and appends
// the body to p.
func (c *client) fetchOnce(ctx context.Context, j *fetchJob, p *partialFile) (outcome, error) {
	// ctx2 is cancelled by the stall timer when no byte arrives for
	// stallTimeout, which aborts a hung connection.
	ctx2, cancel := context.WithCancel(ctx)
	defer cancel()
	stall := time.AfterFunc(stallTimeout, cancel)
	defer stall.Stop()

	req, err := http.NewRequestWithContext(ctx2, http.MethodGet, j.url, nil)
	if err != nil {
		return fatal, fmt.Errorf("hub: download %s: %w", j.label, redactErr(err))
	}
	c.setHeaders(req, j.auth)
	if p.off > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", p.off))
		if j.ifRange != "" {
			req.Header.Set("If-Range", j.ifRange)
		}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return retry, &requestError{stallError(ctx, ctx2, redactErr(err))}
	}
	defer resp.Body.Close()

	switch resp.StatusCode {
	case http.StatusOK:
		if p.off > 0 {
			// The server ignored the range (or the resource changed):
			// it sends everything, so start over.
			if err := p.restart(); err != nil {
				return fatal, &localError{err}
			}
		}
		if j.onFresh != nil {
			if err := j.onFresh(resp); err != nil {
				return fatal, &localError{err}
			}
		}
		if n := resp.ContentLength; n >= 0 {
			if j.size >= 0 && n != j.size {
				return fatal, fmt.Errorf("hub: download %s: %w: the server sends %d bytes, %d were announced", j.label, ErrIntegrity, n, j.size)
			}
			j.size = n
		}
	case http.StatusPartialContent:
		first, total, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || first != p.off {
			if err := p.restart(); err != nil {
				return fatal, &localError{err}
			}
			return retry, fmt.Errorf("server answered Range bytes=%d- with Content-Range %q", p.off, resp.Header.Get("Content-Range"))
		}
		if total >= 0 {
			if j.size >= 0 && total != j.size {
				return fatal, fmt.Errorf("hub: download %s: %w: the server's file has %d bytes, %d were announced", j.label, ErrIntegrity, total, j.size)
			}
			j.size = total
		}
	case http.StatusRequestedRangeNotSatisfiable:
		if _, total, ok := parseContentRange(resp.Header.Get("Content-Range")); ok && total == p.off && (j.size < 0 || j.size == total) {
			j.size = total // the partial file was already complete
			return complete, nil
		}
		if err := p.restart(); err != nil {
			return fatal, &localError{err}
		}
		return retry, fmt.Errorf("server refused Range bytes=%d-: HTTP 416", p.off)
	default:
		se := newStatusError(resp)
		if se.transient() {
			return retry, se
		}
		return fatal, fmt.Errorf("hub: download %s: %w", j.label, se)
	}

	c.progress(j, p.off)
	buf := make([]byte, chunkSize)
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			stall.Reset(stallTimeout)
			if j.size >= 0 && p.off+int64(n) > j.size {
				return fatal, fmt.Errorf("hub: download %s: %w: the server sends more than the %d bytes announced", j.label, ErrIntegrity, j.size)
			}
			if j.size < 0 && p.off+int64(n) > maxUnannouncedSize {
				return fatal, fmt.Errorf("hub: download %s: %w: more than %d bytes without an announced size", j.label, ErrIntegrity, maxUnannouncedSize)
			}
			if err := p.write(buf[:n]); err != nil {
				return fatal, &localError{err}
			}
			c.progress(j, p.off)
		}
		if rerr == io.EOF {
			return complete, nil
		}
		if rerr != nil {
			return retry, stallError(ctx, ctx2, redactErr(rerr))
		}
	}
}

// requestError is a request that got no response at all.
type requestError struct{ err error }

func (e *requestError) Error() string { return e.err.Error() }
func (e *requestError) Unwrap() error { return e.err }

// hostOf is the host of a URL, for messages.
func hostOf(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		return u.Host
	}
	return rawURL
}

// stallError explains a transfer error caused by the stall timer.
func stallError(ctx, ctx2 context.Context, err error) error {
	if ctx.Err() == nil && ctx2.Err() != nil {
		return fmt.Errorf("no data received for %v: %w", stallTimeout, err)
	}
	return err
}

func (c *client) progress(j *fetchJob, done int64) {
	if c.opt.Progress != nil {
		c.opt.Progress(j.label, done, j.size)
	}
}

// discard deletes a partial file whose content cannot be trusted.
func (c *client) discard(j *fetchJob, f *os.File, err error) error {
	if f != nil {
		f.Close()
	}
	os.Remove(j.partial)
	if j.onDiscard != nil {
		j.onDiscard()
	}
	return fmt.Errorf("%w; the partial file was deleted", err)
}

// localFailure reports a failure of the local disk. The partial file is
// deleted: on a full disk it only holds space the user needs back.
func (c *client) localFailure(j *fetchJob, f *os.File, err error) error {
	hint := ""
	if isDiskFull(err) {
		need := "the file's size"
		if j.size >= 0 {
			need = strconv.FormatInt(j.size, 10) + " bytes"
		}
		hint = fmt.Sprintf(" (disk full: free at least %s under %s and retry)", need, filepath.Dir(j.partial))
	}
	return c.discard(j, f, fmt.Errorf("hub: download %s: %w%s", j.label, err, hint))
}

// parseContentRange parses "bytes first-last/total" or "bytes */total";
// first is -1 in the second form, total -1 when given as "*".
func parseContentRange(h string) (first, total int64, ok bool) {
	rest, found := strings.CutPrefix(h, "bytes ")
	if !found {
		return 0, 0, false
	}
	rng, tot, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, false
	}
	total = -1
	if tot != "*" {
		n, err := strconv.ParseInt(tot, 10, 64)
		if err != nil || n < 0 {
			return 0, 0, false
		}
		total = n
	}
	if rng == "*" {
		return -1, total, total >= 0
	}
	a, b, found := strings.Cut(rng, "-")
	if !found {
		return 0, 0, false
	}
	first, err1 := strconv.ParseInt(a, 10, 64)
	last, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || first < 0 || last < first || (total >= 0 && last >= total) {
		return 0, 0, false
	}
	return first, total, true
}
