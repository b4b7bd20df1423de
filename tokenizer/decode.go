package tokenizer

import "strings"

// Tokens returns the token strings of ids ("" for an id out of range).
func (t *Tokenizer) Tokens(ids []int32) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = t.IDToToken(id)
	}
	return out
}

// Decode turns ids back into text as transformers' BertTokenizerFast.decode
// does with clean_up_tokenization_spaces=True: ids out of range are skipped,
// special tokens too when skipSpecial; pieces with the "##" prefix are glued
// to the previous token and other tokens are separated by a space; then the
// WordPiece decoder's cleanup runs on each token and transformers'
// clean_up_tokenization on the whole text (no space before . ? ! , and
// around contractions such as n't 's 've 're 'm).
func (t *Tokenizer) Decode(ids []int32, skipSpecial bool) string {
	return t.decode(ids, skipSpecial, true)
}

// decode is Decode with the cleanups optional.
func (t *Tokenizer) decode(ids []int32, skipSpecial, cleanup bool) string {
	var b strings.Builder
	first := true
	for _, id := range ids {
		tok := t.IDToToken(id)
		if tok == "" || (skipSpecial && t.IsSpecial(id)) {
			continue
		}
		if !first {
			if t.prefix != "" && strings.HasPrefix(tok, t.prefix) {
				tok = tok[len(t.prefix):]
			} else {
				tok = " " + tok
			}
		}
		first = false
		if cleanup {
			tok = cleanupToken(tok)
		}
		b.WriteString(tok)
	}
	if !cleanup {
		return b.String()
	}
	return cleanupText(b.String())
}

// cleanupToken is the WordPiece decoder's cleanup (tokenizers'
// decoders/wordpiece.rs), applied to each token on its own.
func cleanupToken(s string) string { return replaceInTurn(s, tokenCleanups) }

// cleanupText is transformers' clean_up_tokenization, applied to the whole
// decoded text.
func cleanupText(s string) string { return replaceInTurn(s, textCleanups) }

var tokenCleanups = [][2]string{
	{" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"},
	{" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
}

var textCleanups = [][2]string{
	{" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
	{" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
}

// replaceInTurn runs the replacements one after the other over the whole
// string, as chained str.replace calls do (a strings.Replacer would make a
// single pass and could differ).
func replaceInTurn(s string, rs [][2]string) string {
	for _, r := range rs {
		if strings.Contains(s, r[0]) {
			s = strings.ReplaceAll(s, r[0], r[1])
		}
	}
	return s
}
