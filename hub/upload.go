package hub

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Upload side. UploadFolder and UploadFiles follow huggingface_hub's
// upload_folder / create_commit (hf_api.py, _commit_api.py, lfs.py) without
// the Xet protocol:
//
//  0. A README.md among the files is checked first with POST
//     {endpoint}/api/validate-yaml, so a bad model card fails before any
//     upload.
//  1. POST {endpoint}/api/models/{repo}/preupload/{revision} with each
//     file's path, size and first 512 bytes (base64): the Hub answers, per
//     file, uploadMode "regular" or "lfs", shouldIgnore, and the oid of the
//     file already in the repository (sha256 for LFS, git blob sha1 else).
//     Files whose oid equals the local one are left out of the commit.
//  2. LFS files: POST {endpoint}/{repo}.git/info/lfs/objects/batch (the Git
//     LFS batch API, transfers basic and multipart); an object without
//     actions is already stored and is not sent again. Otherwise a single
//     PUT of the content (basic), or, when the upload action's header
//     carries chunk_size, a PUT of each part to the URL under its number
//     and a completion POST with the parts' ETags (multipart); then the
//     verify POST when the server asks for one.
//  3. POST {endpoint}/api/models/{repo}/commit/{revision}, an NDJSON body:
//     a header line (summary, description), a "file" line per regular file
//     (content inline, base64), an "lfsFile" line per LFS file (its sha256
//     and size). The answer gives the commit's URL and oid.
//
// Every request is retried on 408, 429, 5xx and network errors as
// http_backoff does. The commit is retried too (huggingface_hub leaves that
// to the caller), after asking the preupload call whether the repository
// already holds the files: a commit whose answer was lost is not made
// twice. The token goes to the endpoint's
// host only (never to the storage URLs the Hub hands out) and never appears
// in an error.

// File is one file to upload: the content of LocalPath becomes PathInRepo
// ("model.safetensors", "last-checkpoint/state.json").
type File struct {
	PathInRepo string
	LocalPath  string
}

// UploadOptions configures UploadFolder and UploadFiles.
type UploadOptions struct {
	// Options gives the endpoint, token, HTTP client and revision (the
	// branch committed to, default "main"); the cache fields are unused.
	Options
	// CommitMessage is the commit's summary (default "Upload folder using
	// distilgo"); CommitDescription its description.
	CommitMessage, CommitDescription string
	// PathInRepo is the folder of the repository UploadFolder uploads into
	// ("" for the root).
	PathInRepo string
	// Ignore lists patterns of files UploadFolder leaves out, matched
	// against the path relative to the folder as Python's fnmatch does
	// ('*' matches any run of characters, '/' included; '?' one
	// character): "checkpoint-*" leaves out every checkpoint folder.
	// huggingface_hub's defaults (.git and .cache/huggingface) always
	// apply.
	Ignore []string
	// Logf, when set, receives progress and retry messages.
	Logf func(format string, args ...any)
}

// CommitInfo describes the outcome of an upload.
type CommitInfo struct {
	// URL and OID are the commit's (the existing head's when nothing
	// changed).
	URL, OID string
	// Committed are the repository paths the commit added or changed;
	// Unchanged those left out because the repository already had them.
	Committed, Unchanged []string
	// Uploaded are the LFS files whose content was sent; files whose
	// content the Hub already stored are not.
	Uploaded []string
}

// defaultIgnore is huggingface_hub's DEFAULT_IGNORE_PATTERNS.
var defaultIgnore = []string{".git", ".git/*", "*/.git", "**/.git/**", ".cache/huggingface", ".cache/huggingface/*", "*/.cache/huggingface", "**/.cache/huggingface/**"}

// UploadFolder uploads every regular file under dir (symbolic links
// followed, opt.Ignore applied) into opt.PathInRepo of the model repository
// repoID ("namespace/name"), in one commit. The repository must exist
// (CreateRepo). Files identical to the repository's are not sent again.
func UploadFolder(ctx context.Context, repoID, dir string, opt UploadOptions) (*CommitInfo, error) {
	files, err := listFolder(dir, opt.PathInRepo, opt.Ignore)
	if err != nil {
		return nil, err
	}
	return UploadFiles(ctx, repoID, files, opt)
}

// listFolder returns the files of dir not matched by ignore, with their
// repository paths under prefix, sorted.
func listFolder(dir, prefix string, ignore []string) ([]File, error) {
	pats := make([]*regexp.Regexp, 0, len(ignore)+len(defaultIgnore))
	for _, p := range append(slices.Clone(ignore), defaultIgnore...) {
		pats = append(pats, fnmatch(p))
	}
	prefix = strings.Trim(prefix, "/")
	var files []File
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		info, err := os.Stat(p) // follows links, as Path.is_file does
		if err != nil || !info.Mode().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		for _, re := range pats {
			if re.MatchString(rel) {
				return nil
			}
		}
		if prefix != "" {
			rel = prefix + "/" + rel
		}
		files = append(files, File{PathInRepo: rel, LocalPath: p})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("hub: upload folder %s: %w", dir, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("hub: upload folder %s: no files to upload", dir)
	}
	return files, nil
}

// fnmatch compiles a Python fnmatch pattern ('*', '?', and a trailing '/'
// standing for the folder's content as filter_repo_objects reads it).
func fnmatch(pat string) *regexp.Regexp {
	if strings.HasSuffix(pat, "/") {
		pat += "*"
	}
	var b strings.Builder
	b.WriteString("^")
	for _, r := range pat {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// addition is one file to commit, with what the Hub needs to know of it.
type addition struct {
	File
	size   int64
	sample []byte // the first 512 bytes
	sha256 string // hex
	gitOID string // git blob sha1, hex: a regular file's oid on the Hub (see localOID)
	// From the preupload answer.
	mode      string // "regular" or "lfs"
	ignore    bool
	remoteOID string
}

// localOID is the oid the Hub reports for this content once committed:
// the SHA-256 of an LFS file, the git blob SHA-1 of a regular one. The
// latter is computed here, on first use, as huggingface_hub does (regular
// files are small; hashing every file twice would double the cost of the
// weights).
func (a *addition) localOID() (string, error) {
	if a.mode == "lfs" {
		return a.sha256, nil
	}
	if a.gitOID == "" {
		data, err := os.ReadFile(a.LocalPath)
		if err != nil {
			return "", &localError{fmt.Errorf("hub: upload %s: %w", a.PathInRepo, err)}
		}
		s1 := sha1.New()
		fmt.Fprintf(s1, "blob %d\x00", len(data))
		s1.Write(data)
		a.gitOID = hex.EncodeToString(s1.Sum(nil))
	}
	return a.gitOID, nil
}

// unchanged reports whether the repository already holds a's content
// under its path.
func (a *addition) unchanged() (bool, error) {
	if a.remoteOID == "" {
		return false, nil
	}
	oid, err := a.localOID()
	return oid == a.remoteOID, err
}

// UploadFiles uploads files into the model repository repoID
// ("namespace/name") in one commit; see UploadFolder.
func UploadFiles(ctx context.Context, repoID string, files []File, opt UploadOptions) (*CommitInfo, error) {
	opt.Options = opt.Options.withDefaults()
	info, err := uploadFiles(ctx, repoID, files, opt)
	return info, redact(err, opt.Token)
}

func uploadFiles(ctx context.Context, repoID string, files []File, opt UploadOptions) (*CommitInfo, error) {
	if err := validateFullRepoID(repoID); err != nil {
		return nil, err
	}
	if err := validateRevision(opt.Revision); err != nil {
		return nil, err
	}
	if opt.CommitMessage == "" {
		opt.CommitMessage = "Upload folder using distilgo"
	}
	cl := newClient(opt.Options)
	if opt.Logf != nil {
		logf, token := opt.Logf, opt.Token
		opt.Logf = func(format string, args ...any) {
			msg := fmt.Sprintf(format, args...)
			if token != "" {
				msg = strings.ReplaceAll(msg, token, "hf_***")
			}
			logf("%s", msg)
		}
		cl.logf = opt.Logf
	}
	adds := make([]*addition, 0, len(files))
	seen := map[string]bool{}
	for _, f := range files {
		if err := validateFileName(f.PathInRepo); err != nil {
			return nil, err
		}
		if seen[f.PathInRepo] {
			return nil, fmt.Errorf("hub: upload to %s: %q listed twice", repoID, f.PathInRepo)
		}
		seen[f.PathInRepo] = true
		a, err := hashFile(f)
		if err != nil {
			return nil, err
		}
		adds = append(adds, a)
	}
	hasToken := opt.Token != ""
	var gitIgnore *string
	for _, a := range adds {
		switch a.PathInRepo {
		case ".gitignore":
			data, err := os.ReadFile(a.LocalPath)
			if err != nil {
				return nil, fmt.Errorf("hub: upload .gitignore: %w", err)
			}
			s := string(data)
			gitIgnore = &s
		case "README.md":
			// Fail early on a bad model card, before any upload.
			data, err := os.ReadFile(a.LocalPath)
			if err != nil {
				return nil, fmt.Errorf("hub: upload README.md: %w", err)
			}
			if err := cl.validateReadme(ctx, repoID, data); err != nil {
				return nil, writeError(err, repoID, hasToken)
			}
		}
	}
	if err := cl.preupload(ctx, repoID, opt.Revision, adds, gitIgnore); err != nil {
		return nil, writeError(err, repoID, hasToken)
	}
	info := &CommitInfo{}
	var ops []*addition
	for _, a := range adds {
		same, err := a.unchanged()
		switch {
		case err != nil:
			return nil, err
		case a.ignore:
			if opt.Logf != nil {
				opt.Logf("hub: %s is ignored by the repository's .gitignore", a.PathInRepo)
			}
		case same:
			info.Unchanged = append(info.Unchanged, a.PathInRepo)
		default:
			ops = append(ops, a)
		}
	}
	var lfs []*addition
	for _, a := range ops {
		if a.mode == "lfs" {
			lfs = append(lfs, a)
		}
	}
	uploaded, err := cl.uploadLFS(ctx, repoID, opt.Revision, lfs, opt.Logf)
	if err != nil {
		return nil, writeError(err, repoID, hasToken)
	}
	info.Uploaded = uploaded
	if len(ops) == 0 {
		// Nothing changed: no empty commit; report the head.
		sha, err := repoSHA(ctx, cl, repoID, opt.Revision)
		if err != nil {
			return nil, writeError(err, repoID, hasToken)
		}
		info.OID, info.URL = sha, opt.Endpoint+"/"+repoID+"/commit/"+sha
		return info, nil
	}
	url, oid, err := cl.commitRetrying(ctx, repoID, opt, ops, gitIgnore)
	if err != nil {
		return nil, writeError(err, repoID, hasToken)
	}
	info.URL, info.OID = url, oid
	for _, a := range ops {
		info.Committed = append(info.Committed, a.PathInRepo)
	}
	return info, nil
}

// hashFile reads f once for its size, first 512 bytes and SHA-256.
func hashFile(f File) (*addition, error) {
	fh, err := os.Open(f.LocalPath)
	if err != nil {
		return nil, fmt.Errorf("hub: upload %s: %w", f.PathInRepo, err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("hub: upload %s: %w", f.PathInRepo, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("hub: upload %s: %s is not a regular file", f.PathInRepo, f.LocalPath)
	}
	a := &addition{File: f, size: st.Size()}
	s256 := sha256.New()
	var head sampleWriter
	n, err := io.Copy(io.MultiWriter(s256, &head), fh)
	if err != nil {
		return nil, fmt.Errorf("hub: upload %s: read %s: %w", f.PathInRepo, f.LocalPath, err)
	}
	if n != a.size {
		return nil, fmt.Errorf("hub: upload %s: %s changed size while read (%d bytes, then %d)", f.PathInRepo, f.LocalPath, a.size, n)
	}
	a.sample = head.b
	a.sha256 = hex.EncodeToString(s256.Sum(nil))
	return a, nil
}

// sampleWriter keeps the first 512 bytes written to it.
type sampleWriter struct{ b []byte }

func (w *sampleWriter) Write(p []byte) (int, error) {
	if n := 512 - len(w.b); n > 0 {
		w.b = append(w.b, p[:min(n, len(p))]...)
	}
	return len(p), nil
}

// section returns a reader of n bytes of a's file from off, opened anew
// for each attempt so that retries resend the same bytes.
func (a *addition) section(off, n int64) func() (io.Reader, error) {
	return func() (io.Reader, error) {
		f, err := os.Open(a.LocalPath)
		if err != nil {
			return nil, err
		}
		return &closingReader{r: io.NewSectionReader(f, off, n), c: f}, nil
	}
}

// closingReader closes the file when the transport closes the body.
type closingReader struct {
	r io.Reader
	c io.Closer
}

func (r *closingReader) Read(p []byte) (int, error) { return r.r.Read(p) }
func (r *closingReader) Close() error               { return r.c.Close() }

// errMalformed marks answers that do not follow the Hub's protocol.
var errMalformed = errors.New("malformed answer from the Hub")

// repoPathURL is {endpoint}/api/models/{repo}/{op}/{revision}, the
// revision escaped whole as huggingface_hub quotes it.
func repoPathURL(endpoint, repo, op, revision string) string {
	return endpoint + "/api/models/" + repo + "/" + op + "/" + url.PathEscape(revision)
}
