package hub

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/distilgo/distilgo/internal/atomicfile"
)

// The cache layout of huggingface_hub (file_download.py), which this package
// reads and writes so that Python tools and distilgo share downloads:
//
//	{cache}/models--{org}--{name}/
//	    blobs/{etag}                      file contents, named by ETag: the
//	                                      sha256 of an LFS file, the git
//	                                      blob sha1 of a small file
//	    blobs/{etag}.incomplete           a download in progress (resumable)
//	    snapshots/{commit}/{file}         relative symlink ../../blobs/{etag}
//	    refs/{revision}                   the commit a branch or tag pointed
//	                                      to, 40 hex digits, no newline
//	    .no_exist/{commit}/{file}         empty: the file is known to be
//	                                      absent at that commit
//	{cache}/.locks/models--{org}--{name}/{etag}.lock   flock'd while a blob
//	                                                   downloads

// repoCache is one model repository's folder in the cache.
type repoCache struct {
	root  string // {cache}/models--{org}--{name}
	locks string // {cache}/.locks/models--{org}--{name}
}

func newRepoCache(cacheDir, repoID string) repoCache {
	folder := "models--" + strings.ReplaceAll(repoID, "/", "--")
	return repoCache{
		root:  filepath.Join(cacheDir, folder),
		locks: filepath.Join(cacheDir, ".locks", folder),
	}
}

func (c repoCache) blobPath(etag string) string { return filepath.Join(c.root, "blobs", etag) }

func (c repoCache) lockPath(etag string) string { return filepath.Join(c.locks, etag+".lock") }

func (c repoCache) snapshotDir(commit string) string {
	return filepath.Join(c.root, "snapshots", commit)
}

func (c repoCache) pointerPath(commit, file string) string {
	return filepath.Join(c.snapshotDir(commit), filepath.FromSlash(file))
}

func (c repoCache) noExistPath(commit, file string) string {
	return filepath.Join(c.root, ".no_exist", commit, filepath.FromSlash(file))
}

// has reports whether the snapshot of commit holds file, following the
// symlink (a link to a missing blob does not count).
func (c repoCache) has(commit, file string) bool {
	st, err := os.Stat(c.pointerPath(commit, file))
	return err == nil && st.Mode().IsRegular()
}

// knownMissing reports whether file is recorded as absent at commit.
func (c repoCache) knownMissing(commit, file string) bool {
	_, err := os.Stat(c.noExistPath(commit, file))
	return err == nil
}

// commitFor returns the commit that revision names in the cache: the
// revision itself when it is a full commit hash, else the content of
// refs/{revision}; "" when the cache does not know the revision.
func (c repoCache) commitFor(revision string) (string, error) {
	if isCommitHash(revision) {
		return revision, nil
	}
	b, err := os.ReadFile(filepath.Join(c.root, "refs", filepath.FromSlash(revision)))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("hub: read cached ref %q: %w", revision, err)
	}
	commit := strings.TrimSpace(string(b))
	if !safeComponent(commit) {
		return "", fmt.Errorf("hub: cached ref %s holds %q, not a commit hash", filepath.Join(c.root, "refs", revision), commit)
	}
	return commit, nil
}

// writeRef records that revision points to commit, as huggingface_hub does:
// only for branch or tag names, and only when the ref changed (so a
// read-only cache that is up to date still works).
func (c repoCache) writeRef(revision, commit string) error {
	if revision == commit {
		return nil
	}
	path := filepath.Join(c.root, "refs", filepath.FromSlash(revision))
	if b, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(b)) == commit {
		return nil
	}
	if err := writeFileAtomic(path, []byte(commit)); err != nil {
		return fmt.Errorf("hub: record ref %q: %w", revision, err)
	}
	return nil
}

// markMissing records that file is absent at commit. Failing to record it
// only costs a request next time, so errors are ignored, as in
// huggingface_hub.
func (c repoCache) markMissing(commit, file string) {
	path := c.noExistPath(commit, file)
	if os.MkdirAll(filepath.Dir(path), 0o755) != nil {
		return
	}
	if f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
		f.Close()
	}
}

// link makes pointer a relative symlink to blob, replacing whatever was
// there atomically. Where symlinks are not supported it copies the blob, as
// huggingface_hub does.
func link(blob, pointer string) error {
	dir := filepath.Dir(pointer)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	rel, err := filepath.Rel(dir, blob)
	if err != nil {
		rel = blob
	}
	tmp := pointer + ".tmp-" + randomSuffix()
	if err := os.Symlink(rel, tmp); err != nil {
		if err := copyFile(blob, tmp); err != nil {
			os.Remove(tmp)
			return err
		}
	}
	if err := os.Rename(tmp, pointer); err != nil {
		os.Remove(tmp)
		return err
	}
	syncDir(dir)
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// writeFileAtomic writes data to path atomically (package atomicfile),
// creating its directory first.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, 0o644, data)
}

// syncDir makes a rename in dir durable (best effort).
func syncDir(dir string) { atomicfile.SyncDir(dir) }

func randomSuffix() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

var (
	commitHashRE = regexp.MustCompile(`^[0-9a-f]{40}$`)
	sha256RE     = regexp.MustCompile(`^[0-9a-f]{64}$`)
	componentRE  = regexp.MustCompile(`^[0-9A-Za-z._-]+$`)
	repoPartRE   = regexp.MustCompile(`^[0-9A-Za-z_.-]+$`)
)

// isCommitHash reports whether revision is a full commit hash, which
// huggingface_hub uses as a snapshot name directly.
func isCommitHash(revision string) bool { return commitHashRE.MatchString(revision) }

// safeComponent reports whether s can name a file in the cache: the commit
// hashes and ETags the server sends are checked with it before they become
// paths, so a hostile server cannot write outside the cache.
func safeComponent(s string) bool {
	return componentRE.MatchString(s) && s != "." && s != ".."
}

// validateRepoID applies huggingface_hub's validate_repo_id rules: "name"
// or "namespace/name", letters, digits, '-', '_', '.', no "--" or "..", not
// starting or ending with '-' or '.', at most 96 characters.
func validateRepoID(id string) error {
	bad := func(why string) error {
		return fmt.Errorf("hub: invalid repository id %q: %s: %w", id, why, errBadRequest)
	}
	if id == "" {
		return bad("empty")
	}
	if len(id) > 96 {
		return bad("longer than 96 characters")
	}
	if strings.Contains(id, "--") || strings.Contains(id, "..") {
		return bad(`"--" and ".." are not allowed`)
	}
	parts := strings.Split(id, "/")
	if len(parts) > 2 {
		return bad(`want "name" or "namespace/name"`)
	}
	for _, p := range parts {
		if !repoPartRE.MatchString(p) {
			return bad("only letters, digits, '-', '_' and '.' are allowed")
		}
		if strings.ContainsAny(p[:1], "-.") || strings.ContainsAny(p[len(p)-1:], "-.") {
			return bad("a part cannot start or end with '-' or '.'")
		}
	}
	return nil
}

// validateRevision rejects revisions that could not be a git ref and would
// escape refs/ when used as a path.
func validateRevision(rev string) error {
	if err := validateRelPath(rev); err != nil {
		return fmt.Errorf("hub: invalid revision %q: %v: %w", rev, err, errBadRequest)
	}
	return nil
}

// validateFileName checks a repository file name ("a/b.safetensors") before
// it becomes a path under snapshots/.
func validateFileName(name string) error {
	if err := validateRelPath(name); err != nil {
		return fmt.Errorf("hub: invalid file name %q: %v", name, err)
	}
	return nil
}

// validateRelPath accepts slash-separated relative paths whose segments are
// not empty, "." or "..", without backslashes or control characters.
func validateRelPath(p string) error {
	if p == "" {
		return errors.New("empty")
	}
	if len(p) > 1024 {
		return errors.New("too long")
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f || r == '\\' || r == ':' {
			return fmt.Errorf("character %q not allowed", r)
		}
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("segment %q not allowed", seg)
		}
	}
	return nil
}
