// Package synthdata makes small synthetic MLM corpora for tests: chunks a
// tiny DistilBERT can learn something from in a few steps, with no
// tokenizer and no files.
package synthdata

import (
	"math/rand/v2"

	"github.com/distilgo/distilgo/dataset"
)

// LearnableChunks returns n chunks of T ids in [5, V) (ids 0-4 are the
// special tokens), each token its own word, with a low-entropy pattern: an
// id mostly follows from the previous one, so the loss can fall. The same
// seed gives the same chunks.
func LearnableChunks(n, T, V int, seed uint64) *dataset.Chunks {
	r := rand.New(rand.NewPCG(seed, 1))
	c := &dataset.Chunks{ChunkSize: T, IDs: make([]int32, n*T), WordIDs: make([]int32, n*T)}
	for i := range n {
		prev := int32(5 + r.IntN(V-5))
		for j := range T {
			id := prev
			if r.IntN(4) == 0 {
				id = int32(5 + r.IntN(V-5))
			}
			c.IDs[i*T+j], c.WordIDs[i*T+j] = id, int32(j)
			prev = 5 + (id*7+3)%int32(V-5)
		}
	}
	return c
}
