package main

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse: any body either parses into texts and options within the
// limits or is refused with 400, 413 or 422 and a message; never a panic.
// Seed corpus: testdata/fuzz/FuzzParse (run by go test as regression
// inputs) and the f.Add lines.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"inputs": "a [MASK]"}`,
		`{"inputs": ["a [MASK]", "b [MASK]"], "parameters": {"top_k": 2, "targets": ["a"]}}`,
		`{"inputs": "a [MASK]", "parameters": {"targets": "a", "top_k": null}, "options": {"use_cache": false}}`,
		`{"inputs": 5}`, `{"inputs": [1]}`, `[]`, `null`, ``, `{"inputs": "a"} x`,
		`{"inputs": "a [MASK]", "parameters": {"top_k": 1e400}}`,
		"{\"inputs\": \"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	c, err := parseFlags([]string{"--max-body-bytes", "512", "--max-inputs", "4", "--max-input-bytes", "64", "--max-top-k", "9", "--max-targets", "3"}, io.Discard)
	if err != nil {
		f.Fatal(err)
	}
	s := &server{cfg: c, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/", strings.NewReader(string(body)))
		texts, opts, err := s.parse(httptest.NewRecorder(), r)
		if err != nil {
			var he *httpError
			if !errors.As(err, &he) || he.msg == "" {
				t.Fatalf("error %v is not an httpError with a message", err)
			}
			switch he.code {
			case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
			default:
				t.Fatalf("status %d for %q", he.code, body)
			}
			return
		}
		if len(body) > 512 || !utf8.Valid(body) {
			t.Fatalf("accepted a body over the limit or not UTF-8: %q", body)
		}
		if len(texts) < 1 || len(texts) > 4 || opts.TopK < 0 || opts.TopK > 9 || len(opts.Targets) > 3 {
			t.Fatalf("accepted %d texts, top_k %d, %d targets", len(texts), opts.TopK, len(opts.Targets))
		}
		for _, x := range texts {
			if len(x) > 64 {
				t.Fatalf("accepted a text of %d bytes", len(x))
			}
		}
	})
}
