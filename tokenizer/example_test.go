package tokenizer_test

import (
	"fmt"
	"log"

	"github.com/distilgo/distilgo/tokenizer"
)

// Load the tokenizer a model directory names (vocab.txt, and
// tokenizer_config.json / tokenizer.json when present) and encode a text
// as BertTokenizerFast does: ids with [CLS] and [SEP], the tokens, byte
// offsets into the text and word ids; Decode turns ids back into text.
func Example() {
	tok, err := tokenizer.Load("../distilbert/testdata/tiny-hf")
	if err != nil {
		log.Fatal(err)
	}
	text := "This film was boring!"
	enc := tok.Encode(text, tokenizer.EncodeOptions{AddSpecial: true})
	fmt.Println(enc.IDs)
	fmt.Println(tok.Tokens(enc.IDs))
	fmt.Println(enc.Offsets)
	fmt.Println(enc.WordIDs)
	fmt.Println(tok.Decode(enc.IDs, true))

	// Padded to a fixed length, with the attention mask a model takes.
	enc = tok.Encode("a [MASK]", tokenizer.EncodeOptions{AddSpecial: true, PadTo: 6})
	fmt.Println(tok.Tokens(enc.IDs), enc.AttentionMask)
	// Output:
	// [2 67 64 69 96 7 3]
	// [[CLS] this film was boring ! [SEP]]
	// [[0 0] [0 4] [5 9] [10 13] [14 20] [20 21] [0 0]]
	// [-1 0 1 2 3 4 -1]
	// this film was boring!
	// [[CLS] a [MASK] [SEP] [PAD] [PAD]] [1 1 1 1 0 0]
}
