package tokenizer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tinyVocab holds BERT's special tokens, two alternatives and a few words.
var tinyVocab = []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "<mask>", "<pad>", "the", "film", "##s"}

// FuzzTokenizerConfig feeds arbitrary tokenizer_config.json and
// special_tokens_map.json contents to their parsers: never a panic; what
// they accept names non-blank special tokens and a positive model length,
// and a tokenizer built from it either uses exactly those tokens or
// reports the one missing from the vocabulary.
func FuzzTokenizerConfig(f *testing.F) {
	f.Add([]byte(`{"do_lower_case": true, "model_max_length": 512, "mask_token": "[MASK]"}`), []byte(`{"mask_token": "[MASK]", "pad_token": "[PAD]"}`))
	f.Add([]byte(`{"model_max_length": 1e30, "strip_accents": null}`), []byte(`{"mask_token": {"content": "<mask>", "lstrip": true}}`))
	f.Add([]byte(`{"mask_token": "<mask>"}`), []byte(`{"mask_token": "[MASK]"}`))
	f.Add([]byte(`{"model_max_length": -1}`), []byte(`null`))
	f.Add([]byte(`{"pad_token": " "}`), []byte(`{"unk_token": {"content": ""}}`))
	f.Add([]byte(`{"Mask_Token": "<mask>", "do_lower_case": "yes"}`), []byte(`[]`))
	f.Fuzz(func(t *testing.T, config, specialMap []byte) {
		opt := defaultOptions()
		if err := applyTokenizerConfig(&opt, config); err != nil {
			return
		}
		if err := applySpecialTokensMap(&opt, specialMap); err != nil {
			return
		}
		if opt.modelMaxLength < 1 {
			t.Fatalf("model_max_length %d accepted", opt.modelMaxLength)
		}
		for _, s := range []string{opt.unk, opt.cls, opt.sep, opt.pad, opt.mask} {
			if strings.TrimSpace(s) == "" {
				t.Fatalf("blank special token %q accepted", s)
			}
		}
		tk, err := newTokenizer(tinyVocab, opt)
		if err != nil {
			if !strings.Contains(err.Error(), "is not in the vocabulary") {
				t.Fatalf("newTokenizer: %v", err)
			}
			return
		}
		for _, c := range []struct {
			id  int32
			tok string
		}{{tk.UnkID(), opt.unk}, {tk.CLSID(), opt.cls}, {tk.SEPID(), opt.sep}, {tk.PadID(), opt.pad}, {tk.MaskID(), opt.mask}} {
			if tk.IDToToken(c.id) != c.tok || !tk.IsSpecial(c.id) {
				t.Fatalf("special token %q has id %d (%q, special %v)", c.tok, c.id, tk.IDToToken(c.id), tk.IsSpecial(c.id))
			}
		}
	})
}

// special_tokens_map.json takes precedence over tokenizer_config.json, as
// in transformers; bad content is an error naming the file and the key.
func TestSpecialTokensMap(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "vocab.txt"), []byte(strings.Join(tinyVocab, "\n")), 0o644)
	write := func(name, s string) { os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644) }
	write("tokenizer_config.json", `{"mask_token": "[MASK]", "pad_token": "<pad>"}`)
	write("special_tokens_map.json", `{"mask_token": {"content": "<mask>", "single_word": false}}`)
	tk, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tk.IDToToken(tk.MaskID()), "<mask>"; got != want {
		t.Errorf("mask token %q, want %q (special_tokens_map.json wins)", got, want)
	}
	if got, want := tk.IDToToken(tk.PadID()), "<pad>"; got != want {
		t.Errorf("pad token %q, want %q (from tokenizer_config.json)", got, want)
	}
	write("special_tokens_map.json", `{"mask_token": 7}`)
	want := "load " + filepath.Join(dir, "special_tokens_map.json") + ": mask_token: want a string or an object with content"
	if _, err := Load(dir); err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
	write("special_tokens_map.json", `{"mask_token": "<nope>"}`)
	want = "load tokenizer " + dir + `: mask token "<nope>" is not in the vocabulary`
	if _, err := Load(dir); err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}
