// Package shareddata locates the read-only data folder that lives beside the
// repository (../shared/data: the IMDB archive and the BERT vocabulary) for
// tests, benchmarks and tools.
//
// The folder is never copied into the repository. Tests that need it call
// Dir or Path: outside CI a missing folder skips the test with a message that
// says where it was looked for; under CI (CI=true) it fails the test, so a
// wrong path can never pass silently.
package shareddata

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// EnvVar overrides the location of the data folder.
const EnvVar = "DISTILGO_DATA"

// Find returns the data folder: $DISTILGO_DATA if set, else the first
// "shared/data" found in the current directory or one of its parents (so
// tests in any package find ../shared/data beside the repository root).
func Find() (string, error) {
	if d := os.Getenv(EnvVar); d != "" {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			return "", fmt.Errorf("shared data: $%s=%q is not a directory", EnvVar, d)
		}
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("shared data: %w", err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		cand := filepath.Join(dir, "shared", "data")
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return cand, nil
		}
		if filepath.Dir(dir) == dir {
			break
		}
	}
	return "", fmt.Errorf("shared data: no shared/data folder in %s or its parents (set $%s)", wd, EnvVar)
}

// Dir returns the data folder, or skips tb (fails it under CI=true) when the
// folder cannot be found.
func Dir(tb testing.TB) string {
	tb.Helper()
	d, err := Find()
	if err != nil {
		missing(tb, err.Error())
	}
	return d
}

// Path returns the file rel (slash-separated, relative to the data folder),
// or skips tb (fails it under CI=true) when it does not exist.
func Path(tb testing.TB, rel string) string {
	tb.Helper()
	p := filepath.Join(Dir(tb), filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		missing(tb, fmt.Sprintf("shared data file %s: %v", p, err))
	}
	return p
}

func missing(tb testing.TB, msg string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s (CI=true: the shared data folder is required)", msg)
	}
	tb.Skipf("skipping: %s", msg)
}
