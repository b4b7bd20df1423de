package hub

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNormalizeETag(t *testing.T) {
	// Expected values are what Python's etag.lstrip("W/").strip('"') gives.
	tests := map[string]string{
		`"abc123"`:   "abc123",
		`W/"abc123"`: "abc123",
		`abc123`:     "abc123",
		`""`:         "",
		``:           "",
		`W/""`:       "",
		`"W/x"`:      "W/x",
		`WW//"x"`:    "x",
	}
	for in, want := range tests {
		if got := normalizeETag(in); got != want {
			t.Errorf("normalizeETag(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseContentRange(t *testing.T) {
	type res struct {
		First, Total int64
		OK           bool
	}
	tests := map[string]res{
		"bytes 0-9/10":     {0, 10, true},
		"bytes 5-9/10":     {5, 10, true},
		"bytes 5-9/*":      {5, -1, true},
		"bytes */10":       {-1, 10, true},
		"bytes */*":        {-1, -1, false},
		"bytes 5-10/10":    {0, 0, false}, // last beyond total
		"bytes 9-5/10":     {0, 0, false},
		"bytes -1-5/10":    {0, 0, false},
		"items 0-9/10":     {0, 0, false},
		"bytes 0-9":        {0, 0, false},
		"":                 {0, 0, false},
		"bytes 0-9/-1":     {0, 0, false},
		"bytes 00-09/0010": {0, 10, true},
	}
	for in, want := range tests {
		f, tot, ok := parseContentRange(in)
		if diff := cmp.Diff(want, res{f, tot, ok}); diff != "" {
			t.Errorf("parseContentRange(%q) (-want +got):\n%s", in, diff)
		}
	}
}

func TestValidateRepoID(t *testing.T) {
	valid := []string{"distilbert-base-uncased", "distilbert/distilbert-base-uncased", "a", "A_b.c/d-e", strings.Repeat("a", 96)}
	invalid := []string{"", "/", "a/", "/a", "a/b/c", "a--b", "a..b", "-a", "a.", "a/.b", "a b", "a\\b", "é", strings.Repeat("a", 97), "../a"}
	for _, id := range valid {
		if err := validateRepoID(id); err != nil {
			t.Errorf("validateRepoID(%q) = %v, want nil", id, err)
		}
	}
	for _, id := range invalid {
		if err := validateRepoID(id); err == nil {
			t.Errorf("validateRepoID(%q) = nil, want an error", id)
		}
	}
}

func TestFileURL(t *testing.T) {
	tests := []struct{ repo, rev, file, want string }{
		{"org/m", "main", "config.json", "https://hf.co/org/m/resolve/main/config.json"},
		{"m", "refs/pr/1", "config.json", "https://hf.co/m/resolve/refs%2Fpr%2F1/config.json"},
		{"org/m", "v1.0", "sub dir/a+b.json", "https://hf.co/org/m/resolve/v1.0/sub%20dir/a+b.json"},
	}
	for _, tc := range tests {
		if got := fileURL("https://hf.co", tc.repo, tc.rev, tc.file); got != tc.want {
			t.Errorf("fileURL(%q, %q, %q) = %q, want %q", tc.repo, tc.rev, tc.file, got, tc.want)
		}
	}
}

func TestParseShardIndex(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		wantErr  string
	}{
		{"two shards", `{"metadata":{},"weight_map":{"a":"m-2.safetensors","b":"m-1.safetensors","c":"m-2.safetensors"}}`,
			[]string{"m-1.safetensors", "m-2.safetensors"}, ""},
		{"nested shard", `{"weight_map":{"a":"d/m.safetensors"}}`, []string{"d/m.safetensors"}, ""},
		{"not json", `{`, nil, "invalid weights index"},
		{"no weight_map", `{"metadata":{}}`, nil, "empty or missing weight_map"},
		{"escaping shard", `{"weight_map":{"a":"../../../etc/passwd"}}`, nil, `segment ".." not allowed`},
		{"absolute shard", `{"weight_map":{"a":"/etc/passwd"}}`, nil, "not allowed"},
		{"wrong type", `{"weight_map":{"a":1}}`, nil, "invalid weights index"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseShardIndex([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("shards (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzParseShardIndex checks that any index either fails or yields sorted,
// distinct shard names that stay inside the snapshot directory.
func FuzzParseShardIndex(f *testing.F) {
	f.Add([]byte(`{"weight_map":{"a":"m-1.safetensors","b":"d/m-2.safetensors"}}`))
	f.Add([]byte(`{"weight_map":{"a":"../x"}}`))
	f.Add([]byte(`{"weight_map":{"a":"a//b","b":"C:x"}}`))
	f.Add([]byte(`{"weight_map":{}}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"weight_map":{"0":"..0"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		shards, err := parseShardIndex(data)
		if err != nil {
			return
		}
		if len(shards) == 0 || !slices.IsSorted(shards) || len(slices.Compact(slices.Clone(shards))) != len(shards) {
			t.Fatalf("shards %q not sorted, distinct and non-empty", shards)
		}
		snap := filepath.Join("cache", "snapshots", commitA)
		for _, s := range shards {
			p := filepath.Join(snap, filepath.FromSlash(s))
			// Compare path segments: "..0" is a legal file name.
			rel, err := filepath.Rel(snap, p)
			if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(s) {
				t.Fatalf("shard %q escapes the snapshot: %s", s, p)
			}
		}
	})
}

// FuzzParseContentRange checks the parser never panics and that what it
// accepts is consistent.
func FuzzParseContentRange(f *testing.F) {
	for _, s := range []string{"bytes 0-9/10", "bytes */10", "bytes 5-9/*", "bytes 9-5/10", "bytes 1-2/3/4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		first, total, ok := parseContentRange(h)
		if !ok {
			return
		}
		if first < -1 || total < -1 || (first == -1 && total < 0) || (total >= 0 && first >= total) {
			t.Fatalf("parseContentRange(%q) = %d, %d, true: inconsistent", h, first, total)
		}
	})
}

// FuzzValidateRepoID checks that an accepted id always names a single
// folder directly under the cache.
func FuzzValidateRepoID(f *testing.F) {
	for _, s := range []string{"distilbert-base-uncased", "org/name", "../x", "a/../b", "a--b", "."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if validateRepoID(id) != nil {
			return
		}
		rc := newRepoCache("cache", id)
		if filepath.Dir(rc.root) != "cache" || strings.ContainsAny(filepath.Base(rc.root), `/\`) {
			t.Fatalf("id %q maps to %s, outside the cache", id, rc.root)
		}
		if validateRevision("main") != nil {
			t.Fatal("main rejected")
		}
	})
}

func TestClassify(t *testing.T) {
	ref := fileRef{endpoint: "https://hf.co", repo: "org/m", revision: commitA, asked: "main", file: "vocab.txt"}
	withToken := ref
	withToken.hasToken = true
	tests := []struct {
		name    string
		err     httpStatusError
		ref     fileRef
		want    []error
		wantNot []error
		msg     []string
	}{
		{"entry", httpStatusError{status: 404, code: "EntryNotFound"}, ref, []error{ErrEntryNotFound}, []error{ErrRepoNotFound},
			[]string{`"org/m"`, `"main" (commit ` + commitA + ")", `"vocab.txt"`}},
		{"revision", httpStatusError{status: 404, code: "RevisionNotFound"}, ref, []error{ErrRevisionNotFound}, []error{ErrEntryNotFound}, []string{`"main"`}},
		{"repo 404", httpStatusError{status: 404, code: "RepoNotFound"}, ref, []error{ErrRepoNotFound}, []error{ErrUnauthorized}, []string{"set HF_TOKEN"}},
		{"repo 401", httpStatusError{status: 401, code: "RepoNotFound"}, ref, []error{ErrRepoNotFound, ErrUnauthorized}, nil, []string{"set HF_TOKEN"}},
		{"gated, no token", httpStatusError{status: 401, code: "GatedRepo"}, ref, []error{ErrUnauthorized}, []error{ErrRepoNotFound},
			[]string{"gated", "https://hf.co/org/m", "set HF_TOKEN"}},
		{"gated, token", httpStatusError{status: 403, code: "GatedRepo"}, withToken, []error{ErrUnauthorized}, nil, []string{"gated", "token in HF_TOKEN"}},
		{"403 with token", httpStatusError{status: 403}, withToken, []error{ErrUnauthorized}, nil, []string{"token in HF_TOKEN was refused"}},
		{"plain 404", httpStatusError{status: 404}, ref, []error{ErrEntryNotFound}, nil, []string{"vocab.txt", "missing"}},
		{"server error", httpStatusError{status: 502}, ref, nil, []error{ErrEntryNotFound, ErrUnauthorized, ErrRepoNotFound}, []string{"502"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.err.url = "https://hf.co/x"
			err := classify(&tc.err, tc.ref)
			for _, w := range tc.want {
				if !errors.Is(err, w) {
					t.Errorf("%v does not wrap %v", err, w)
				}
			}
			for _, w := range tc.wantNot {
				if errors.Is(err, w) {
					t.Errorf("%v wraps %v", err, w)
				}
			}
			var se *httpStatusError
			if !errors.As(err, &se) || se.status != tc.err.status {
				t.Errorf("%v does not carry the HTTP status", err)
			}
			for _, m := range tc.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("%q does not mention %s", err, m)
				}
			}
		})
	}
}
