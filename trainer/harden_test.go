package trainer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A run killed before its first checkpoint leaves log.jsonl (the first
// evaluation) and no checkpoint: a rerun and a --resume give the same
// advice, that there is nothing to resume and --overwrite starts again.
func TestNothingToResumeAdvice(t *testing.T) {
	tests := []struct {
		name   string
		files  []string
		resume bool
		want   string
	}{
		{"rerun", []string{"log.jsonl", "loss.png"}, false,
			"output directory OUT holds a run that saved no checkpoint (log.jsonl, loss.png): nothing to resume; pass --overwrite to replace it"},
		{"resume", []string{"log.jsonl", "loss.png"}, true,
			"output directory OUT holds a run that saved no checkpoint (log.jsonl, loss.png): nothing to resume; pass --overwrite instead of --resume to start it again"},
		{"resume empty", []string{}, true,
			"output directory OUT holds no run: nothing to resume; run without --resume to start one"},
		{"resume unrelated files", []string{"notes.txt"}, true,
			"output directory OUT holds no run: nothing to resume; run without --resume to start one"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			os.MkdirAll(dir, 0o755)
			for _, f := range tc.files {
				os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644)
			}
			for _, lock := range []bool{false, true} {
				var err error
				if lock {
					l, lerr := LockOutputDir(dir, false, tc.resume)
					l.Release()
					err = lerr
				} else {
					err = prepareOutputDir(dir, false, tc.resume)
				}
				want := strings.ReplaceAll(tc.want, "OUT", dir)
				if err == nil || err.Error() != want {
					t.Errorf("lock %v: err = %v\nwant %s", lock, err, want)
				}
			}
		})
	}
}
