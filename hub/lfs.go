package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// lfsBatchSize is huggingface_hub's UPLOAD_BATCH_MAX_NUM_FILES.
const lfsBatchSize = 256

// lfsHeader is the Git LFS media type (lfs.py's LFS_HEADERS).
func lfsHeader() http.Header {
	return http.Header{"Accept": {"application/vnd.git-lfs+json"}, "Content-Type": {"application/vnd.git-lfs+json"}}
}

type lfsAction struct {
	Href   string         `json:"href"`
	Header map[string]any `json:"header"`
}

type lfsObject struct {
	OID     string `json:"oid"`
	Size    *int64 `json:"size"`
	Actions *struct {
		Upload *lfsAction `json:"upload"`
		Verify *lfsAction `json:"verify"`
	} `json:"actions"`
	Error *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// uploadLFS sends the content of the LFS additions the Hub does not store
// yet (post_lfs_batch_info, then lfs_upload for each) and returns their
// repository paths.
func (cl *client) uploadLFS(ctx context.Context, repo, revision string, adds []*addition, logf func(string, ...any)) ([]string, error) {
	var uploaded []string
	for start := 0; start < len(adds); start += lfsBatchSize {
		chunk := adds[start:min(start+lfsBatchSize, len(adds))]
		byOID := map[string]*addition{}
		type obj struct {
			OID  string `json:"oid"`
			Size int64  `json:"size"`
		}
		var objs []obj
		for _, a := range chunk {
			if _, dup := byOID[a.sha256]; !dup {
				objs = append(objs, obj{a.sha256, a.size})
			}
			byOID[a.sha256] = a
		}
		body, size := jsonBody(map[string]any{
			"operation": "upload",
			"transfers": []string{"basic", "multipart"},
			"objects":   objs,
			"hash_algo": "sha256",
			"ref":       map[string]string{"name": revision},
		})
		hdr := lfsHeader()
		r, err := cl.do(ctx, apiCall{method: http.MethodPost, url: cl.opt.Endpoint + "/" + repo + ".git/info/lfs/objects/batch",
			what: "LFS batch", body: body, size: size, header: hdr, auth: true, retry: true})
		if err != nil {
			return nil, err
		}
		var ans struct {
			Objects []lfsObject `json:"objects"`
		}
		if err := json.Unmarshal(r.body, &ans); err != nil || ans.Objects == nil {
			return nil, fmt.Errorf("hub: LFS batch for %s: %w", repo, errMalformed)
		}
		var errs []string
		for _, o := range ans.Objects {
			a := byOID[o.OID]
			if a == nil || o.Size == nil {
				return nil, fmt.Errorf("hub: LFS batch for %s: %w: object %q", repo, errMalformed, o.OID)
			}
			if o.Error != nil {
				errs = append(errs, fmt.Sprintf("%s (oid %s): %s (code %d)", a.PathInRepo, o.OID, o.Error.Message, o.Error.Code))
			}
		}
		if len(errs) > 0 {
			return nil, fmt.Errorf("hub: LFS batch for %s refused: %s", repo, strings.Join(errs, "; "))
		}
		for _, o := range ans.Objects {
			a := byOID[o.OID]
			if o.Actions == nil || o.Actions.Upload == nil {
				if logf != nil {
					logf("hub: %s: content already on the Hub, not sent again", a.PathInRepo)
				}
				continue
			}
			if logf != nil {
				logf("hub: uploading %s (%d bytes)", a.PathInRepo, a.size)
			}
			if err := cl.lfsUpload(ctx, a, o); err != nil {
				return nil, fmt.Errorf("%w (while uploading %q to %s)", err, a.PathInRepo, repo)
			}
			uploaded = append(uploaded, a.PathInRepo)
		}
	}
	sort.Strings(uploaded)
	return uploaded, nil
}

// lfsUpload sends one object as the batch answer says (lfs.py's
// lfs_upload): one PUT, or multipart when the upload header has chunk_size;
// then verify if asked.
func (cl *client) lfsUpload(ctx context.Context, a *addition, o lfsObject) error {
	up := o.Actions.Upload
	if up.Href == "" {
		return fmt.Errorf("hub: LFS batch: %w: upload action without href", errMalformed)
	}
	href := cl.fixEndpoint(up.Href)
	if cs, ok := up.Header["chunk_size"]; ok {
		chunk, err := toInt(cs)
		if err != nil || chunk <= 0 {
			return fmt.Errorf("hub: LFS batch: %w: chunk_size should be a positive integer, got %v", errMalformed, cs)
		}
		if err := cl.multipart(ctx, a, up.Header, chunk, href); err != nil {
			return err
		}
	} else {
		// The presigned storage URL authenticates itself: no token.
		_, err := cl.do(ctx, apiCall{method: http.MethodPut, url: href, what: "LFS upload of " + a.PathInRepo,
			body: a.section(0, a.size), size: a.size, retry: true})
		if err != nil {
			return err
		}
	}
	if v := o.Actions.Verify; v != nil {
		body, size := jsonBody(map[string]any{"oid": a.sha256, "size": a.size})
		_, err := cl.do(ctx, apiCall{method: http.MethodPost, url: cl.fixEndpoint(v.Href), what: "LFS verify of " + a.PathInRepo,
			body: body, size: size, header: jsonHeader(), auth: true, retry: true})
		if err != nil {
			return err
		}
	}
	return nil
}

// multipart uploads a in parts of chunk bytes to the URLs the header lists
// under "1", "2", ..., then posts the parts' ETags to completeURL
// (_upload_multi_part).
func (cl *client) multipart(ctx context.Context, a *addition, header map[string]any, chunk int64, completeURL string) error {
	type part struct {
		n   int
		url string
	}
	var parts []part
	for k, v := range header {
		n, err := strconv.Atoi(k)
		if err != nil || k == "" || strings.Trim(k, "0123456789") != "" {
			continue
		}
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("hub: LFS batch: %w: part %s URL is not a string", errMalformed, k)
		}
		parts = append(parts, part{n, s})
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].n < parts[j].n })
	if want := (a.size + chunk - 1) / chunk; int64(len(parts)) != want {
		return fmt.Errorf("hub: LFS batch: %w: %d part URLs for %d bytes in parts of %d (want %d)", errMalformed, len(parts), a.size, chunk, want)
	}
	type done struct {
		PartNumber int    `json:"partNumber"`
		ETag       string `json:"etag"`
	}
	var dones []done
	for i, p := range parts {
		off := int64(i) * chunk
		n := min(chunk, a.size-off)
		r, err := cl.do(ctx, apiCall{method: http.MethodPut, url: p.url, what: fmt.Sprintf("LFS upload of %s part %d/%d", a.PathInRepo, i+1, len(parts)),
			body: a.section(off, n), size: n, retry: true})
		if err != nil {
			return err
		}
		etag := r.header.Get("ETag")
		if etag == "" {
			return fmt.Errorf("hub: LFS upload of %s part %d: %w: no ETag", a.PathInRepo, i+1, errMalformed)
		}
		dones = append(dones, done{PartNumber: i + 1, ETag: etag})
	}
	body, size := jsonBody(map[string]any{"oid": a.sha256, "parts": dones})
	_, err := cl.do(ctx, apiCall{method: http.MethodPost, url: completeURL, what: "LFS multipart completion of " + a.PathInRepo,
		body: body, size: size, header: lfsHeader(), retry: true})
	return err
}

// fixEndpoint points URLs of the default Hub at the configured endpoint
// (fix_hf_endpoint_in_url), for proxies and mirrors.
func (cl *client) fixEndpoint(u string) string {
	if cl.opt.Endpoint != DefaultEndpoint {
		return strings.ReplaceAll(u, DefaultEndpoint, cl.opt.Endpoint)
	}
	return u
}

// toInt reads a JSON number or numeric string.
func toInt(v any) (int64, error) {
	switch x := v.(type) {
	case float64:
		if x != float64(int64(x)) {
			return 0, fmt.Errorf("not an integer: %v", x)
		}
		return int64(x), nil
	case string:
		return strconv.ParseInt(x, 10, 64)
	}
	return 0, fmt.Errorf("not a number: %v", v)
}
