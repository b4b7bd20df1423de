package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// WhoAmI returns the name of the user opt.Token belongs to, from the Hub's
// /api/whoami-v2 (huggingface_hub's HfApi.whoami). It is how a repository
// id without a namespace gets the token's user as its namespace.
func WhoAmI(ctx context.Context, opt Options) (string, error) {
	opt = opt.withDefaults()
	if opt.Token == "" {
		return "", fmt.Errorf("hub: whoami: no token: set HF_TOKEN, pass --hub-token or run `huggingface-cli login`: %w", ErrUnauthorized)
	}
	cl := newClient(opt)
	r, err := cl.do(ctx, apiCall{method: http.MethodGet, url: opt.Endpoint + "/api/whoami-v2", what: "whoami", auth: true, retry: true})
	if statusOf(err) == http.StatusUnauthorized {
		err = fmt.Errorf("hub: whoami at %s: invalid user token: set HF_TOKEN or --hub-token to a valid token, or run `huggingface-cli login` again: %w (%w)", opt.Endpoint, ErrUnauthorized, err)
	}
	if err != nil {
		return "", redact(err, opt.Token)
	}
	var who struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(r.body, &who); err != nil || who.Name == "" {
		return "", fmt.Errorf("hub: whoami at %s: malformed answer (no \"name\")", opt.Endpoint)
	}
	return who.Name, nil
}

// FullRepoID returns repoID with the token's user as namespace when it has
// none, as transformers' get_full_repo_name does.
func FullRepoID(ctx context.Context, repoID string, opt Options) (string, error) {
	if strings.Contains(repoID, "/") {
		return repoID, validateRepoID(repoID)
	}
	if err := validateRepoID(repoID); err != nil {
		return "", err
	}
	user, err := WhoAmI(ctx, opt)
	if err != nil {
		return "", err
	}
	full := user + "/" + repoID
	return full, validateRepoID(full)
}

// CreateRepo creates the model repository repoID ("namespace/name") on the
// Hub, private when asked, and returns its URL. A repository that already
// exists is fine (huggingface_hub's create_repo with exist_ok=True: the
// Hub answers 409, or 401/403 for a token that may not create repositories
// but may write to this one); its visibility is left as it is.
func CreateRepo(ctx context.Context, repoID string, private bool, opt Options) (string, error) {
	opt = opt.withDefaults()
	url, err := createRepo(ctx, newClient(opt), repoID, private)
	return url, redact(err, opt.Token)
}

func createRepo(ctx context.Context, cl *client, repoID string, private bool) (string, error) {
	if err := validateFullRepoID(repoID); err != nil {
		return "", err
	}
	org, name, _ := strings.Cut(repoID, "/")
	payload := map[string]any{"name": name, "organization": org}
	if private {
		payload["visibility"] = "private"
	}
	body, size := jsonBody(payload)
	call := apiCall{method: http.MethodPost, url: cl.opt.Endpoint + "/api/repos/create", what: "create repository " + repoID,
		body: body, size: size, header: jsonHeader(), auth: true}
	var (
		r   *apiResp
		err error
	)
	// The Hub refuses concurrent creations by one user with this 409;
	// huggingface_hub retries it (bounded here).
	for range maxAPIRetries + 1 {
		r, err = cl.do(ctx, call)
		var se *httpStatusError
		if !errors.As(err, &se) || se.status != http.StatusConflict || !strings.Contains(se.message, "conflicting operation in progress") {
			break
		}
		if werr := sleep(ctx, retryWait); werr != nil {
			return "", werr
		}
	}
	repoURL := cl.opt.Endpoint + "/" + repoID
	switch st := statusOf(err); {
	case err == nil:
		var d struct {
			URL string `json:"url"`
		}
		if json.Unmarshal(r.body, &d) == nil && d.URL != "" {
			repoURL = d.URL
		}
		return repoURL, nil
	case st == http.StatusConflict:
		return repoURL, nil // exists
	case st == 401 || st == 402 || st == 403:
		// The token may lack the right to create repositories while the
		// repository exists: ask for it before failing.
		if _, ierr := repoSHA(ctx, cl, repoID, ""); ierr == nil {
			return repoURL, nil
		}
	}
	return "", writeError(err, repoID, cl.opt.Token != "")
}

// repoSHA returns the commit a revision of repoID points to (model_info:
// GET /api/models/{repo}[/revision/{rev}], field "sha").
func repoSHA(ctx context.Context, cl *client, repoID, revision string) (string, error) {
	u := cl.opt.Endpoint + "/api/models/" + repoID
	if revision != "" {
		u += "/revision/" + url.PathEscape(revision)
	}
	r, err := cl.do(ctx, apiCall{method: http.MethodGet, url: u, what: "repository info of " + repoID, auth: true, retry: true})
	if err != nil {
		return "", err
	}
	var info struct {
		SHA string `json:"sha"`
	}
	if err := json.Unmarshal(r.body, &info); err != nil {
		return "", fmt.Errorf("hub: repository info of %s: malformed answer: %w", repoID, err)
	}
	return info.SHA, nil
}

// validateFullRepoID accepts "namespace/name" ids only: a push needs to
// know the namespace (see FullRepoID).
func validateFullRepoID(id string) error {
	if err := validateRepoID(id); err != nil {
		return err
	}
	if !strings.Contains(id, "/") {
		return fmt.Errorf("hub: repository id %q has no namespace: want \"user/name\" or \"org/name\": %w", id, errBadRequest)
	}
	return nil
}
