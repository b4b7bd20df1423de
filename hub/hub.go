// Package hub downloads models from the Hugging Face Hub into the cache
// layout of the huggingface_hub Python library, so that files already
// fetched by Python tools are reused, and files fetched here are reused by
// them.
//
// ResolveModel turns a repository id such as "distilbert-base-uncased" into
// a local snapshot directory holding config.json, the safetensors weights
// and the tokenizer files. DownloadFile fetches any URL (the IMDB archive)
// into a download folder, with the same resumes and checks.
//
// ResolveModel follows huggingface_hub's protocol (file_download.py):
//
//   - A HEAD request to {endpoint}/{repo}/resolve/{revision}/{file}, with
//     redirects disabled except relative ones (renamed repositories), reads
//     X-Repo-Commit (the commit), X-Linked-Etag or ETag (the blob name:
//     the sha256 of an LFS file, the git blob sha1 of a small one) and
//     X-Linked-Size or Content-Length (the size). An absolute redirect is an
//     LFS file on a CDN: its Location is fetched, without the token when it
//     is on another host.
//   - The content goes to blobs/{etag}.incomplete, resumed with Range
//     requests after a dropped or stalled transfer and across runs, then is
//     checked against the announced size, and against the ETag when it is a
//     SHA-256, before it is renamed to blobs/{etag} and linked from
//     snapshots/{commit}/{file}. refs/{revision} records the commit.
//   - Offline (HF_HUB_OFFLINE=1), or when the Hub cannot be reached,
//     refs/{revision} and the snapshot answer from the cache alone.
//
// Every error names the repository, revision and file (or URL) involved and
// wraps one of the Err* sentinels where one applies.
//
// The upload side (WhoAmI, CreateRepo, UploadFolder, UploadFiles) follows
// huggingface_hub's create_repo / create_commit / upload_folder: see
// upload.go for the protocol. The token is sent to the endpoint's host
// only and never appears in an error or log line.
package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
)

// The files ResolveModel fetches.
const (
	configFile       = "config.json"
	weightsFile      = "model.safetensors"
	weightsIndexFile = "model.safetensors.index.json"
	vocabFile        = "vocab.txt"
)

// optionalFiles are fetched when the repository has them.
var optionalFiles = []string{"tokenizer_config.json", "special_tokens_map.json", "tokenizer.json"}

// maxShards bounds the shard list read from a weights index.
const maxShards = 10000

// ResolveModel returns a local snapshot directory of the model repository
// repoID ("distilbert-base-uncased", "org/name") at opt.Revision, holding
// config.json, model.safetensors (or model.safetensors.index.json and every
// shard it lists) and vocab.txt, plus tokenizer_config.json,
// special_tokens_map.json and tokenizer.json when the repository has them.
// Files missing from the cache are downloaded; all of them come from the
// one commit the revision named when config.json was resolved.
//
// Offline (opt.Offline) only the cache is read; if the Hub cannot be
// reached, or refuses access, a cached snapshot of the revision is used as
// huggingface_hub does. A missing required file is an error naming the
// repository, revision and file.
func ResolveModel(ctx context.Context, repoID string, opt Options) (dir string, err error) {
	opt = opt.withDefaults()
	if err := validateRepoID(repoID); err != nil {
		return "", err
	}
	if err := validateRevision(opt.Revision); err != nil {
		return "", err
	}
	c := newClient(opt)
	rc := newRepoCache(opt.CacheDir, repoID)
	ref := func(file, revision string) fileRef {
		return fileRef{endpoint: opt.Endpoint, repo: repoID, revision: revision, asked: opt.Revision, file: file, hasToken: opt.Token != ""}
	}

	commit, err := c.resolveFile(ctx, rc, ref(configFile, opt.Revision))
	if err != nil {
		return "", err
	}
	// Pin the commit, so that a push to the branch during the download
	// cannot mix files of two commits.
	required := func(file string) error {
		_, err := c.resolveFile(ctx, rc, ref(file, commit))
		return err
	}

	err = required(weightsFile)
	// No single weights file: sharded weights, or (offline, in a cache
	// that does not record the absence) perhaps sharded weights.
	if errors.Is(err, ErrEntryNotFound) || errors.Is(err, ErrNotCached) {
		if ierr := required(weightsIndexFile); ierr != nil {
			switch {
			case errors.Is(err, ErrNotCached):
				return "", err
			case errors.Is(ierr, ErrEntryNotFound):
				return "", fmt.Errorf("hub: repository %q at revision %s has neither %s nor %s (only safetensors weights are read; convert .bin weights first): %w",
					repoID, ref("", commit).revisionText(), weightsFile, weightsIndexFile, ErrEntryNotFound)
			}
			return "", ierr
		}
		index := rc.pointerPath(commit, weightsIndexFile)
		data, err := os.ReadFile(index)
		if err != nil {
			return "", fmt.Errorf("hub: read %s: %w", index, err)
		}
		shards, err := parseShardIndex(data)
		if err != nil {
			return "", fmt.Errorf("hub: %s of %s at revision %s: %w", weightsIndexFile, repoID, ref("", commit).revisionText(), err)
		}
		for _, s := range shards {
			if err := required(s); err != nil {
				return "", err
			}
		}
	} else if err != nil {
		return "", err
	}
	if err := required(vocabFile); err != nil {
		return "", err
	}
	for _, file := range optionalFiles {
		_, err := c.resolveFile(ctx, rc, ref(file, commit))
		if err != nil && !errors.Is(err, ErrEntryNotFound) && !errors.Is(err, ErrNotCached) {
			return "", err
		}
	}
	return rc.snapshotDir(commit), nil
}

// resolveFile makes r.file present in the snapshot of the commit r.revision
// names and returns that commit. A file the repository lacks yields an
// error wrapping ErrEntryNotFound; a file the cache lacks when the network
// cannot be used, one wrapping ErrNotCached.
func (c *client) resolveFile(ctx context.Context, rc repoCache, r fileRef) (string, error) {
	if err := validateFileName(r.file); err != nil {
		return "", err
	}
	// A commit names immutable content: the cache answers if it can.
	if isCommitHash(r.revision) {
		if rc.has(r.revision, r.file) {
			return r.revision, nil
		}
		if rc.knownMissing(r.revision, r.file) {
			return "", fmt.Errorf("hub: repository %q at revision %s has no file %q (recorded in the cache): %w", r.repo, r.revisionText(), r.file, ErrEntryNotFound)
		}
	}
	if c.opt.Offline {
		return c.fromCache(rc, r, nil)
	}

	meta, err := c.metadata(ctx, r)
	if err != nil {
		var se *httpStatusError
		if errors.Is(err, ErrEntryNotFound) && errors.As(err, &se) && safeComponent(se.commit) {
			rc.markMissing(se.commit, r.file)
			if err := rc.writeRef(r.revision, se.commit); err != nil {
				return "", err
			}
		}
		if ctx.Err() == nil && fallsBackToCache(err) {
			return c.fromCache(rc, r, err)
		}
		return "", err
	}
	if err := rc.writeRef(r.revision, meta.commit); err != nil {
		return "", err
	}
	if rc.has(meta.commit, r.file) {
		return meta.commit, nil
	}
	blob := rc.blobPath(meta.etag)
	if err := c.downloadBlob(ctx, rc, r, meta, blob); err != nil {
		return "", err
	}
	if err := link(blob, rc.pointerPath(meta.commit, r.file)); err != nil {
		return "", fmt.Errorf("hub: link %s into snapshot %s: %w", r.file, rc.snapshotDir(meta.commit), err)
	}
	return meta.commit, nil
}

// downloadBlob fetches a file's content into blob, under the blob's lock so
// that concurrent processes (Python ones included) do not download it
// twice.
func (c *client) downloadBlob(ctx context.Context, rc repoCache, r fileRef, meta fileMeta, blob string) error {
	if _, err := os.Stat(blob); err == nil {
		return nil
	}
	lk, err := acquireLock(ctx, rc.lockPath(meta.etag))
	if err != nil {
		return err
	}
	defer lk.release()
	if _, err := os.Stat(blob); err == nil {
		return nil // another process finished it while we waited
	}
	j := &fetchJob{
		url:     meta.location,
		auth:    meta.auth,
		partial: blob + ".incomplete",
		label:   r.file,
		size:    meta.size,
	}
	if sha256RE.MatchString(meta.etag) {
		// An LFS file's ETag is the SHA-256 of its content.
		j.sha256 = meta.etag
	}
	if err := c.fetch(ctx, j); err != nil {
		return fmt.Errorf("%w (%s)", err, r)
	}
	if err := os.Rename(j.partial, blob); err != nil {
		os.Remove(j.partial)
		return fmt.Errorf("hub: store %s: %w", blob, err)
	}
	syncDir(rc.root)
	return nil
}

// fromCache answers for r from the cache alone. cause is the error that
// kept the Hub from answering, nil in offline mode.
func (c *client) fromCache(rc repoCache, r fileRef, cause error) (string, error) {
	commit, err := rc.commitFor(r.revision)
	if err != nil {
		return "", err
	}
	if commit != "" {
		if rc.has(commit, r.file) {
			return commit, nil
		}
		if rc.knownMissing(commit, r.file) {
			return "", fmt.Errorf("hub: repository %q at revision %s has no file %q (recorded in the cache): %w", r.repo, r.revisionText(), r.file, ErrEntryNotFound)
		}
	}
	if cause == nil {
		return "", fmt.Errorf("hub: offline mode (HF_HUB_OFFLINE): %s: %w (cache %s); run once with network access, or pass a local model directory",
			r, ErrNotCached, c.opt.CacheDir)
	}
	if errors.Is(cause, ErrUnauthorized) || errors.Is(cause, ErrRepoNotFound) {
		return "", cause
	}
	return "", fmt.Errorf("%w (and the cache %s does not hold it: %w)", cause, c.opt.CacheDir, ErrNotCached)
}

// parseShardIndex returns the sorted, distinct shard files that a
// model.safetensors.index.json maps tensors to.
func parseShardIndex(data []byte) ([]string, error) {
	// Keys are matched exactly, as huggingface_hub (Python's json) does:
	// encoding/json's struct decoding would read "weight_mAp" as weight_map.
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("invalid weights index: %w", err)
	}
	var idx struct{ WeightMap map[string]string }
	if wm, ok := top["weight_map"]; ok {
		if err := json.Unmarshal(wm, &idx.WeightMap); err != nil {
			return nil, fmt.Errorf("invalid weights index: weight_map: %w", err)
		}
	}
	if len(idx.WeightMap) == 0 {
		return nil, errors.New("invalid weights index: empty or missing weight_map")
	}
	seen := map[string]bool{}
	var shards []string
	for tensor, file := range idx.WeightMap {
		if err := validateRelPath(file); err != nil {
			return nil, fmt.Errorf("invalid weights index: tensor %q: shard %q: %v", tensor, file, err)
		}
		if !seen[file] {
			seen[file] = true
			shards = append(shards, file)
		}
	}
	if len(shards) > maxShards {
		return nil, fmt.Errorf("invalid weights index: %d shards (at most %d)", len(shards), maxShards)
	}
	slices.Sort(shards)
	return shards, nil
}
