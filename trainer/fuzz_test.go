package trainer

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadLog feeds arbitrary log.jsonl contents to ReadLog: never a
// panic; what it accepts re-encodes to a log that reads back to the same
// records (after one round, which normalizes what JSON cannot keep, such as
// invalid UTF-8 in strings).
func FuzzReadLog(f *testing.F) {
	f.Add([]byte(`{"kind":"eval","step":0,"epoch":0,"eval_loss":9.5,"eval_token_loss":9.4,"perplexity":13359.7,"eval_tokens":120,"elapsed_sec":0.5}` + "\n" +
		`{"kind":"train","step":1,"epoch":0.1,"loss":9.3,"grad_norm":2.5,"learning_rate":2e-05,"tokens":100,"elapsed_sec":1}` + "\n"))
	f.Add([]byte(`{"kind":"train","loss":"NaN","grad_norm":"+Inf"}` + "\n\n" + `{"kind":"epoch","step":10,"loss":"-Inf"}`))
	f.Add([]byte("{\"kind\":\"eval\"}\r\n{\"kind\":\"x\",\"eval_loss\":1e400}\n"))
	f.Add([]byte(`{"kind":"eval","eval_loss":"nan"}`))
	f.Add([]byte("not json\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "log.jsonl")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		recs, err := ReadLog(path)
		if err != nil {
			return
		}
		once, err := encodeRecords(recs)
		if err != nil {
			return // a record JSON cannot encode (e.g. an infinite plain float) is not written
		}
		os.WriteFile(path, once, 0o644)
		again, err := ReadLog(path)
		if err != nil {
			t.Fatalf("re-encoded log does not read back: %v\n%s", err, once)
		}
		twice, err := encodeRecords(again)
		if err != nil || !bytes.Equal(once, twice) {
			t.Fatalf("log does not round-trip: %v\n%s\n%s", err, once, twice)
		}
	})
}

// FuzzCheckpointManifest feeds arbitrary manifest.json contents to the
// checkpoint validation: never a panic; a manifest accepted names every
// file of the checkpoint with the size and SHA-256 it really has, and the
// quick check (sizes only) accepts what the full one accepts.
func FuzzCheckpointManifest(f *testing.F) {
	dir := filepath.Join(f.TempDir(), CheckpointPrefix+"5")
	os.MkdirAll(dir, 0o755)
	sums := map[string]fileSum{}
	for i, name := range checkpointFiles {
		data := []byte(fmt.Sprintf("content of %s %d", name, i))
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			f.Fatal(err)
		}
		h := sha256.Sum256(data)
		sums[name] = fileSum{Size: int64(len(data)), SHA256: hex.EncodeToString(h[:])}
	}
	good, _ := json.Marshal(manifest{Format: manifestFormat, GlobalStep: 5, Files: sums})
	f.Add(good)
	f.Add(bytes.Replace(good, []byte(`"global_step":5`), []byte(`"global_step":6`), 1))
	f.Add(bytes.Replace(good, []byte(manifestFormat), []byte("distilgo-checkpoint/0"), 1))
	f.Add([]byte(`{"format":"distilgo-checkpoint/1","global_step":5,"files":{}}`))
	f.Add([]byte(`{"format":"distilgo-checkpoint/1","global_step":5,"files":null}`))
	f.Add([]byte(`{"FORMAT":"distilgo-checkpoint/1","Global_Step":5.0}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, manifestName), data, 0o644); err != nil {
			t.Fatal(err)
		}
		step, err := validateCheckpoint(dir)
		if err != nil {
			return
		}
		if step != 5 {
			t.Fatalf("step %d, want 5", step)
		}
		var man manifest
		if err := json.Unmarshal(data, &man); err != nil {
			t.Fatalf("accepted a manifest that does not decode: %v", err)
		}
		for name, want := range sums {
			if got := man.Files[name]; got != want {
				t.Fatalf("accepted %s as %+v, it is %+v", name, got, want)
			}
		}
		if err := quickCheck(dir, 5); err != nil {
			t.Fatalf("quickCheck refuses what validateCheckpoint accepts: %v", err)
		}
	})
}
