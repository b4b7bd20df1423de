package tokenizer

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A token listed twice in vocab.txt keeps Hugging Face's behaviour (the
// later id wins, in lookups and in encoding) and gives one warning naming
// the token and both ids.
func TestDuplicateVocabTokenWarns(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vocab.txt")
	toks := []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "##s", "hello", "world", "hello"}
	os.WriteFile(path, []byte(strings.Join(toks, "\n")+"\n"), 0o644)
	for _, load := range []struct {
		name string
		fn   func() (*Tokenizer, error)
	}{{"LoadVocab", func() (*Tokenizer, error) { return LoadVocab(path) }}, {"Load", func() (*Tokenizer, error) { return Load(dir) }}} {
		tok, err := load.fn()
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			path + `: token "hello" is listed more than once (ids 5 and 10): id 10 is used, the later one, as Hugging Face does`,
			path + `: token "world" is listed more than once (ids 6 and 9): id 9 is used, the later one, as Hugging Face does`,
		}
		if d := cmp.Diff(want, tok.Warnings()); d != "" {
			t.Errorf("%s: warnings (-want +got):\n%s", load.name, d)
		}
		if id, _ := tok.TokenToID("hello"); id != 10 {
			t.Errorf("%s: hello -> %d, want 10", load.name, id)
		}
		if got := tok.Encode("hello worlds", EncodeOptions{}).IDs; !cmp.Equal(got, []int32{10, 9, 7}) {
			t.Errorf("%s: Encode = %v, want [10 9 7]", load.name, got)
		}
	}
	// Many duplicates: ten warnings and a count.
	many := []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}
	for i := range 15 {
		many = append(many, fmt.Sprint("t", i), fmt.Sprint("t", i))
	}
	os.WriteFile(path, []byte(strings.Join(many, "\n")), 0o644)
	tok, err := LoadVocab(path)
	if err != nil {
		t.Fatal(err)
	}
	if ws := tok.Warnings(); len(ws) != 11 || ws[10] != path+": 5 more tokens are listed more than once" {
		t.Errorf("warnings: %q", ws)
	}
	if ws := mustLoad(t).Warnings(); ws != nil {
		t.Errorf("no duplicates: warnings %q", ws)
	}
}

func mustLoad(t *testing.T) *Tokenizer {
	path := filepath.Join(t.TempDir(), "vocab.txt")
	os.WriteFile(path, []byte("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na\n"), 0o644)
	tok, err := LoadVocab(path)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
