package hub

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
)

// preuploadBatch is huggingface_hub's chunk size for the preupload call.
const preuploadBatch = 256

// preupload asks the Hub, for each addition, whether it goes to LFS,
// whether the repository's .gitignore ignores it, and the oid the
// repository already has under its path (_fetch_upload_modes). gitIgnore,
// when not nil, is the content of a .gitignore being committed, which the
// Hub then applies instead of the repository's.
func (cl *client) preupload(ctx context.Context, repo, revision string, adds []*addition, gitIgnore *string) error {
	type fileReq struct {
		Path   string `json:"path"`
		Sample string `json:"sample"`
		Size   int64  `json:"size"`
	}
	for start := 0; start < len(adds); start += preuploadBatch {
		chunk := adds[start:min(start+preuploadBatch, len(adds))]
		var req struct {
			Files     []fileReq `json:"files"`
			GitIgnore *string   `json:"gitIgnore,omitempty"`
		}
		req.GitIgnore = gitIgnore
		for _, a := range chunk {
			req.Files = append(req.Files, fileReq{Path: a.PathInRepo, Sample: base64.StdEncoding.EncodeToString(a.sample), Size: a.size})
		}
		body, size := jsonBody(req)
		r, err := cl.do(ctx, apiCall{method: http.MethodPost, url: repoPathURL(cl.opt.Endpoint, repo, "preupload", revision),
			what: "preupload", body: body, size: size, header: jsonHeader(), auth: true, retry: true})
		if err != nil {
			return err
		}
		var ans struct {
			Files []struct {
				Path         string  `json:"path"`
				UploadMode   string  `json:"uploadMode"`
				ShouldIgnore bool    `json:"shouldIgnore"`
				OID          *string `json:"oid"`
			} `json:"files"`
		}
		if err := json.Unmarshal(r.body, &ans); err != nil {
			return fmt.Errorf("hub: preupload to %s: %w: %v", repo, errMalformed, err)
		}
		byPath := map[string]*addition{}
		for _, a := range chunk {
			byPath[a.PathInRepo] = a
		}
		for _, f := range ans.Files {
			a := byPath[f.Path]
			if a == nil || (f.UploadMode != "lfs" && f.UploadMode != "regular") {
				return fmt.Errorf("hub: preupload to %s: %w: file %q, upload mode %q", repo, errMalformed, f.Path, f.UploadMode)
			}
			a.mode, a.ignore = f.UploadMode, f.ShouldIgnore
			if f.OID != nil {
				a.remoteOID = *f.OID
			}
		}
		for _, a := range chunk {
			if a.mode == "" {
				return fmt.Errorf("hub: preupload to %s: %w: no upload mode for %q", repo, errMalformed, a.PathInRepo)
			}
			// S3 refuses empty objects: empty files go regular, as
			// huggingface_hub sends them.
			if a.size == 0 {
				a.mode = "regular"
			}
		}
	}
	return nil
}

// commitRetrying sends the commit of ops and, after a transient failure
// (429, 5xx, a dropped connection), sends it again with http_backoff's
// waits, unless the repository meanwhile holds every file of ops: then
// the first attempt went through and only its answer was lost, and the
// head is reported instead of making a second, empty commit.
// (huggingface_hub does not retry commits by default.)
func (cl *client) commitRetrying(ctx context.Context, repo string, opt UploadOptions, ops []*addition, gitIgnore *string) (url, oid string, err error) {
	wait := retryWait
	for attempt := 0; ; attempt++ {
		url, oid, err = cl.commit(ctx, repo, opt, ops)
		if err == nil || !retriable(err) || attempt >= maxAPIRetries || ctx.Err() != nil {
			return url, oid, err
		}
		if cl.logf != nil {
			cl.logf("hub: commit failed (%v); retrying in %s", err, wait)
		}
		if werr := sleep(ctx, wait); werr != nil {
			return "", "", fmt.Errorf("hub: commit: %w", werr)
		}
		wait = min(2*wait, maxRetryWait)
		for _, a := range ops {
			a.remoteOID = ""
		}
		if err := cl.preupload(ctx, repo, opt.Revision, ops, gitIgnore); err != nil {
			return "", "", err
		}
		done := true
		for _, a := range ops {
			same, err := a.unchanged()
			if err != nil {
				return "", "", err
			}
			done = done && same
		}
		if done {
			sha, err := repoSHA(ctx, cl, repo, opt.Revision)
			if err != nil {
				return "", "", err
			}
			return opt.Endpoint + "/" + repo + "/commit/" + sha, sha, nil
		}
	}
}

// retriable reports whether a failed request may succeed if sent again:
// a transient status or a network error, not a local or protocol error.
func retriable(err error) bool {
	var se *httpStatusError
	if errors.As(err, &se) {
		return transientStatus(se.status)
	}
	var le *localError
	return !errors.As(err, &le) && !errors.Is(err, errMalformed) && !errors.Is(err, errBadRequest)
}

// commitLine is one line of the NDJSON commit body.
type commitLine struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

// commit sends the commit of ops (_send_commit) and returns its URL and
// oid. Regular files are read again here, inline in the body.
func (cl *client) commit(ctx context.Context, repo string, opt UploadOptions, ops []*addition) (url, oid string, err error) {
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	lines := []commitLine{{Key: "header", Value: map[string]string{"summary": opt.CommitMessage, "description": opt.CommitDescription}}}
	for _, a := range ops {
		if a.mode == "lfs" {
			lines = append(lines, commitLine{Key: "lfsFile", Value: map[string]any{"path": a.PathInRepo, "algo": "sha256", "oid": a.sha256, "size": a.size}})
			continue
		}
		data, err := os.ReadFile(a.LocalPath)
		if err != nil {
			return "", "", &localError{fmt.Errorf("hub: commit to %s: %w", repo, err)}
		}
		if int64(len(data)) != a.size {
			return "", "", &localError{fmt.Errorf("hub: commit to %s: %s changed while uploading", repo, a.LocalPath)}
		}
		lines = append(lines, commitLine{Key: "file", Value: map[string]string{"content": base64.StdEncoding.EncodeToString(data), "path": a.PathInRepo, "encoding": "base64"}})
	}
	for _, l := range lines {
		if err := enc.Encode(l); err != nil {
			panic(fmt.Sprintf("hub: encode commit line: %v", err))
		}
	}
	payload := body.Bytes()
	r, err := cl.do(ctx, apiCall{method: http.MethodPost, url: repoPathURL(cl.opt.Endpoint, repo, "commit", opt.Revision), what: "commit",
		body: func() (io.Reader, error) { return bytes.NewReader(payload), nil }, size: int64(len(payload)),
		header: http.Header{"Content-Type": {"application/x-ndjson"}}, auth: true})
	if err != nil {
		return "", "", err
	}
	var ans struct {
		CommitURL string `json:"commitUrl"`
		CommitOID string `json:"commitOid"`
	}
	if err := json.Unmarshal(r.body, &ans); err != nil || ans.CommitOID == "" {
		return "", "", fmt.Errorf("hub: commit to %s: %w (no commitOid)", repo, errMalformed)
	}
	return ans.CommitURL, ans.CommitOID, nil
}

// validateReadme asks the Hub whether the model card's YAML metadata is
// valid before anything is uploaded, as create_commit does
// (HfApi._validate_yaml: POST /api/validate-yaml). Warnings are logged.
func (cl *client) validateReadme(ctx context.Context, repo string, content []byte) error {
	body, size := jsonBody(map[string]string{"content": string(content), "repoType": "model"})
	r, err := cl.do(ctx, apiCall{method: http.MethodPost, url: cl.opt.Endpoint + "/api/validate-yaml", what: "validate README.md",
		body: body, size: size, header: jsonHeader(), auth: true, retry: true})
	var se *httpStatusError
	if errors.As(err, &se) && se.status == http.StatusBadRequest {
		return fmt.Errorf("hub: push to %q: invalid metadata in README.md (%s): fix its YAML front matter", repo, se.message)
	}
	if err != nil {
		return err
	}
	var ans struct {
		Warnings []struct {
			Message string `json:"message"`
		} `json:"warnings"`
	}
	if json.Unmarshal(r.body, &ans) == nil && cl.logf != nil {
		for _, w := range ans.Warnings {
			cl.logf("hub: README.md metadata: warning: %s", w.Message)
		}
	}
	return nil
}
