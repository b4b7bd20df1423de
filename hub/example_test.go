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

// Push a model directory as transformers' push_to_hub does: the
// repository id gets the token's user as namespace, the repository is
// created if missing, and only files that differ from the repository's are
// sent, in one commit.
func ExampleUploadFolder() {
	opt := hub.DefaultOptions() // HF_TOKEN (write access), HF_ENDPOINT
	ctx := context.Background()
	id, err := hub.FullRepoID(ctx, "distilbert-finetuned-imdb", opt)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := hub.CreateRepo(ctx, id, false, opt); err != nil {
		log.Fatal(err)
	}
	info, err := hub.UploadFolder(ctx, id, "distilbert-finetuned-imdb", hub.UploadOptions{
		Options:       opt,
		CommitMessage: "End of training",
		Ignore:        []string{"checkpoint-*", "_*"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(info.URL, info.Committed)
}
