package hub

import (
	"errors"
	"fmt"
	"net/http"
)

// Sentinel errors. Errors returned by this package wrap at most a few of
// them, so callers can test with errors.Is; the messages carry the details
// (repository, revision, file, URL) and what to do about them.
var (
	// ErrRepoNotFound: the repository does not exist, or is private and
	// the request had no (valid) token.
	ErrRepoNotFound = errors.New("repository not found")
	// ErrRevisionNotFound: the repository exists but not the revision.
	ErrRevisionNotFound = errors.New("revision not found")
	// ErrEntryNotFound: the repository and revision exist but not the file.
	ErrEntryNotFound = errors.New("file not found")
	// ErrUnauthorized: the Hub refused access (HTTP 401/403, gated repo).
	ErrUnauthorized = errors.New("access refused")
	// ErrNotCached: the file is needed, the network cannot be used (offline
	// mode or unreachable Hub) and the cache does not hold it.
	ErrNotCached = errors.New("not in the local cache")
	// ErrIntegrity: a download did not match the size or SHA-256 it was
	// announced with. The partial file has been deleted.
	ErrIntegrity = errors.New("integrity check failed")
)

// offlineHint ends every message about an unreachable Hub or a cold cache.
const offlineHint = "offline? use HF_HUB_OFFLINE=1 with a warm cache, or a local directory or file instead"

// httpStatusError is a non-success HTTP answer, kept so that messages can
// quote the Hub's own X-Error-Message.
type httpStatusError struct {
	url     string
	status  int
	code    string // X-Error-Code
	message string // X-Error-Message
	commit  string // X-Repo-Commit, sent with EntryNotFound
}

func (e *httpStatusError) Error() string {
	s := fmt.Sprintf("%s: HTTP %d %s", e.url, e.status, http.StatusText(e.status))
	if e.message != "" {
		s += " (" + e.message + ")"
	}
	return s
}

func newStatusError(resp *http.Response) *httpStatusError {
	return &httpStatusError{
		url:     redactURL(resp.Request.URL),
		status:  resp.StatusCode,
		code:    resp.Header.Get("X-Error-Code"),
		message: resp.Header.Get("X-Error-Message"),
		commit:  resp.Header.Get("X-Repo-Commit"),
	}
}

// transient reports whether retrying the same request later may succeed.
func (e *httpStatusError) transient() bool {
	return e.status == http.StatusTooManyRequests || e.status >= 500
}

// fileRef names one file of one repository at one revision.
type fileRef struct {
	endpoint string
	repo     string
	revision string // what the URL asks for: the user's revision, or the commit it was pinned to
	asked    string // the revision the user asked for, for messages
	file     string
	hasToken bool
}

// revisionText is the revision for messages: "main" or "main" (commit abc…).
func (r fileRef) revisionText() string {
	if r.asked == r.revision || r.asked == "" {
		return fmt.Sprintf("%q", r.revision)
	}
	return fmt.Sprintf("%q (commit %s)", r.asked, r.revision)
}

func (r fileRef) String() string {
	return fmt.Sprintf("%s of %s at revision %s", r.file, r.repo, r.revisionText())
}

// classify turns a Hub error answer for r into an error wrapping the right
// sentinel, following huggingface_hub's hf_raise_for_status: the
// X-Error-Code header decides, then the status.
func classify(e *httpStatusError, r fileRef) error {
	tokenHint := "set HF_TOKEN to a token with read access"
	if r.hasToken {
		tokenHint = "the token in HF_TOKEN was refused or cannot read it: check the token and its permissions"
	}
	switch {
	case e.code == "RevisionNotFound":
		return fmt.Errorf("hub: revision %q not found in repository %q at %s: %w (%w)", r.asked, r.repo, RedactURL(r.endpoint), ErrRevisionNotFound, e)
	case e.code == "EntryNotFound":
		return fmt.Errorf("hub: repository %q at revision %s has no file %q: %w (%w)", r.repo, r.revisionText(), r.file, ErrEntryNotFound, e)
	case e.code == "GatedRepo":
		return fmt.Errorf("hub: repository %q is gated: accept its conditions on %s/%s and %s: %w (%w)", r.repo, RedactURL(r.endpoint), r.repo, tokenHint, ErrUnauthorized, e)
	case e.status == http.StatusUnauthorized || e.status == http.StatusForbidden:
		// The Hub answers 401 for a private repository to anonymous
		// requests, so as not to reveal that it exists.
		if e.code == "RepoNotFound" {
			return fmt.Errorf("hub: %s: the repository may not exist, or be private or gated; %s: %w, %w (%w)", r, tokenHint, ErrRepoNotFound, ErrUnauthorized, e)
		}
		return fmt.Errorf("hub: %s: the repository may not exist, or be private or gated; %s: %w (%w)", r, tokenHint, ErrUnauthorized, e)
	case e.code == "RepoNotFound":
		hint := "check the name; if it is private, set HF_TOKEN"
		if r.hasToken {
			hint = "check the name and that the token in HF_TOKEN can read it"
		}
		return fmt.Errorf("hub: repository %q not found at %s (%s): %w (%w)", r.repo, RedactURL(r.endpoint), hint, ErrRepoNotFound, e)
	case e.status == http.StatusNotFound:
		// A 404 without the Hub's error code (a mirror, a proxy): the
		// repository, the revision or the file may be missing.
		return fmt.Errorf("hub: %s not found (repository, revision or file missing): %w (%w)", r, ErrEntryNotFound, e)
	}
	return fmt.Errorf("hub: %s: %w", r, e)
}

// networkError wraps a failure to reach the Hub with the offline hint.
func networkError(r fileRef, err error) error {
	return fmt.Errorf("hub: cannot reach %s for %s: %w; %s", RedactURL(r.endpoint), r, redactErr(err), offlineHint)
}

// fallsBackToCache reports whether an error from the metadata request lets
// ResolveModel use a cached copy, as huggingface_hub does: every failure
// except a missing revision or file, which are definite answers.
func fallsBackToCache(err error) bool {
	return !errors.Is(err, ErrRevisionNotFound) && !errors.Is(err, ErrEntryNotFound) && !errors.Is(err, errBadRequest)
}

// errBadRequest marks errors in the caller's arguments (invalid repository
// id or revision), which no cache can fix.
var errBadRequest = errors.New("invalid argument")

// localError marks a failure of the local disk (as opposed to the network),
// so that fetch does not retry it.
type localError struct{ err error }

func (e *localError) Error() string { return e.err.Error() }
func (e *localError) Unwrap() error { return e.err }
