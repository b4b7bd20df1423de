package hub

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// hfEnv lists every variable DefaultOptions reads.
var hfEnv = []string{"HF_ENDPOINT", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_HUB_CACHE",
	"HUGGINGFACE_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HOME"}

func TestDefaultOptions(t *testing.T) {
	home := t.TempDir()
	tokenFile := filepath.Join(home, "tok")
	if err := os.WriteFile(tokenFile, []byte("hf_fromfile\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(home, "hfhome"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "hfhome", "token"), []byte("hf_login"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		want Options
	}{
		{"nothing set", map[string]string{},
			Options{Endpoint: DefaultEndpoint, CacheDir: filepath.Join(home, ".cache/huggingface/hub"),
				DownloadDir: filepath.Join(home, ".cache/huggingface/distilgo/downloads"), Revision: "main"}},
		{"XDG_CACHE_HOME", map[string]string{"XDG_CACHE_HOME": "/x"},
			Options{Endpoint: DefaultEndpoint, CacheDir: "/x/huggingface/hub", DownloadDir: "/x/huggingface/distilgo/downloads", Revision: "main"}},
		{"HF_HOME with ~, token file from login", map[string]string{"HF_HOME": "~/hfhome", "XDG_CACHE_HOME": "/ignored"},
			Options{Endpoint: DefaultEndpoint, Token: "hf_login", CacheDir: filepath.Join(home, "hfhome/hub"),
				DownloadDir: filepath.Join(home, "hfhome/distilgo/downloads"), Revision: "main"}},
		{"everything", map[string]string{"HF_ENDPOINT": "https://hf-mirror.example/", "HF_TOKEN": " hf_env ", "HF_TOKEN_PATH": tokenFile,
			"HF_HUB_CACHE": "/c", "HUGGINGFACE_HUB_CACHE": "/legacy", "HF_HOME": "/h", "HF_HUB_OFFLINE": "1"},
			Options{Endpoint: "https://hf-mirror.example", Token: "hf_env", CacheDir: "/c", DownloadDir: "/h/distilgo/downloads", Offline: true, Revision: "main"}},
		{"legacy names, token path", map[string]string{"HUGGINGFACE_HUB_CACHE": "/legacy", "HF_TOKEN_PATH": tokenFile, "TRANSFORMERS_OFFLINE": "yes", "HF_HOME": "/h"},
			Options{Endpoint: DefaultEndpoint, Token: "hf_fromfile", CacheDir: "/legacy", DownloadDir: "/h/distilgo/downloads", Offline: true, Revision: "main"}},
		{"legacy token variable", map[string]string{"HUGGING_FACE_HUB_TOKEN": "hf_old", "HF_HOME": "/h", "HF_HUB_OFFLINE": "0"},
			Options{Endpoint: DefaultEndpoint, Token: "hf_old", CacheDir: "/h/hub", DownloadDir: "/h/distilgo/downloads", Revision: "main"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, v := range hfEnv {
				t.Setenv(v, "")
			}
			t.Setenv("HOME", home)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			got := DefaultOptions()
			if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreFields(Options{}, "HTTPClient", "Progress")); diff != "" {
				t.Errorf("DefaultOptions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWithDefaults(t *testing.T) {
	for _, v := range hfEnv {
		t.Setenv(v, "")
	}
	t.Setenv("HF_HOME", "/h")
	t.Setenv("HF_TOKEN", "hf_env")
	t.Setenv("HF_HUB_OFFLINE", "1")
	got := Options{Endpoint: "http://x/"}.withDefaults()
	// Empty fields get the defaults, but Token and Offline stay as given.
	want := Options{Endpoint: "http://x", CacheDir: "/h/hub", DownloadDir: "/h/distilgo/downloads", Revision: "main"}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Options{}, "HTTPClient", "Progress")); diff != "" {
		t.Errorf("withDefaults (-want +got):\n%s", diff)
	}
	if got.HTTPClient == nil {
		t.Error("no default HTTP client")
	}
}

func TestIsTrue(t *testing.T) {
	for v, want := range map[string]bool{"1": true, "on": true, "YES": true, "True": true, " true ": true,
		"": false, "0": false, "false": false, "no": false, "2": false} {
		if got := isTrue(v); got != want {
			t.Errorf("isTrue(%q) = %v, want %v", v, got, want)
		}
	}
}
