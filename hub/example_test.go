package hub_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/distilgo/distilgo/hub"
)

// ResolveModel with the environment's settings (HF_ENDPOINT, HF_TOKEN,
// HF_HOME, HF_HUB_OFFLINE, ...), printing download progress.
func ExampleResolveModel() {
	opt := hub.DefaultOptions()
	opt.Progress = func(file string, done, total int64) {
		fmt.Fprintf(os.Stderr, "\r%s %d/%d bytes", file, done, total)
	}
	dir, err := hub.ResolveModel(context.Background(), "distilbert-base-uncased", opt)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(filepath.Join(dir, "model.safetensors"))
}

// DownloadFile fetches the IMDB archive once; later calls return the
// cached file without a request. Set opt.SHA256 to have it checked.
func ExampleDownloadFile() {
	opt := hub.DefaultOptions()
	path, err := hub.DownloadFile(context.Background(),
		"http://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz", "", opt)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(path)
}
