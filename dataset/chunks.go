package dataset

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// Tokenizer is what the pipeline needs of a tokenizer;
// *tokenizer.Tokenizer satisfies it.
type Tokenizer interface {
	// AppendIDs appends the ids of text, wrapped in [CLS] ... [SEP], to ids,
	// and the index of the word each id comes from to wordIDs (-1 for
	// special tokens). It must be safe for concurrent use.
	AppendIDs(ids, wordIDs []int32, text string) ([]int32, []int32)
	// VocabSize is the number of ids, V.
	VocabSize() int
	// IsSpecial reports whether id is [CLS], [SEP], [PAD], [UNK] or [MASK]:
	// the tokens Hugging Face's special-tokens mask excludes from masking.
	IsSpecial(id int32) bool
	// MaskID is the id of [MASK].
	MaskID() int32
	// PadID is the id of [PAD].
	PadID() int32
	// VocabHash identifies the vocabulary (it keys the cache).
	VocabHash() [32]byte
}

// GroupDocs is the number of consecutive documents concatenated before
// chunking: the batch size of datasets' Dataset.map(batched=True), through
// which the course applies group_texts. Each group's remainder shorter than
// a chunk is dropped.
const GroupDocs = 1000

// DefaultMaxPositions is DistilBERT's max_position_embeddings, the largest
// chunk size a model can take.
const DefaultMaxPositions = 512

// Chunks is a tokenized corpus cut into N chunks of ChunkSize (T) tokens:
// the course's lm_datasets. Labels are a copy of the ids (the collator
// derives them), and the attention mask is all ones, so neither is stored.
type Chunks struct {
	ChunkSize int     // T
	IDs       []int32 // N*T token ids, chunk after chunk
	WordIDs   []int32 // N*T word index of each token within its document; -1 for special tokens
}

// Len returns the number of chunks, N.
func (c *Chunks) Len() int {
	if c.ChunkSize == 0 {
		return 0
	}
	return len(c.IDs) / c.ChunkSize
}

// Chunk returns the ids and word ids of chunk i (views, not copies).
func (c *Chunks) Chunk(i int) (ids, wordIDs []int32) {
	if i < 0 || i >= c.Len() {
		panic(fmt.Sprintf("dataset: Chunks.Chunk: index %d out of range [0, %d)", i, c.Len()))
	}
	lo, hi := i*c.ChunkSize, (i+1)*c.ChunkSize
	return c.IDs[lo:hi:hi], c.WordIDs[lo:hi:hi]
}

// Subset returns a copy of the chunks idx, in that order.
func (c *Chunks) Subset(idx []int) *Chunks {
	T := c.ChunkSize
	s := &Chunks{ChunkSize: T, IDs: make([]int32, len(idx)*T), WordIDs: make([]int32, len(idx)*T)}
	for k, i := range idx {
		ids, wids := c.Chunk(i)
		copy(s.IDs[k*T:], ids)
		copy(s.WordIDs[k*T:], wids)
	}
	return s
}

// SplitTrainTest downsamples c as datasets' train_test_split(train_size,
// test_size, seed) does: a seeded random permutation p of the N chunks
// (Fisher-Yates over the package's PCG stream "split"; numpy's exact
// permutation is not reproduced), test = p[:testSize], train =
// p[testSize:testSize+trainSize], each in permutation order.
func SplitTrainTest(c *Chunks, trainSize, testSize int, seed uint64) (train, test *Chunks, err error) {
	n := c.Len()
	if trainSize < 0 || testSize < 0 {
		return nil, nil, fmt.Errorf("split train/test: negative size (train %d, test %d)", trainSize, testSize)
	}
	if trainSize+testSize > n {
		return nil, nil, fmt.Errorf("split train/test: train size %d + test size %d = %d is more than the %d chunks", trainSize, testSize, trainSize+testSize, n)
	}
	p := newRNG(seed, streamSplit, 0, 0).permutation(n)
	return c.Subset(p[testSize : testSize+trainSize]), c.Subset(p[:testSize]), nil
}

// BuildChunks tokenizes every document with [CLS]/[SEP], keeping word ids
// (the course's tokenize_function), then, for each group of GroupDocs
// consecutive documents, concatenates their tokens and cuts them into chunks
// of chunkSize, dropping the group's remainder (group_texts). It runs on all
// cores; the result does not depend on their number.
func BuildChunks(docs []Document, tok Tokenizer, chunkSize int) (*Chunks, error) {
	return buildChunks(docs, tok, chunkSize, GroupDocs, runtime.GOMAXPROCS(0))
}

// docSpan locates the tokens of one document in a worker's arena.
type docSpan struct {
	worker int32
	lo, hi int
}

func buildChunks(docs []Document, tok Tokenizer, chunkSize, groupSize, workers int) (*Chunks, error) {
	if chunkSize <= 0 {
		return nil, fmt.Errorf("build chunks: chunk size %d must be positive", chunkSize)
	}
	if groupSize <= 0 || workers <= 0 {
		panic(fmt.Sprintf("dataset: buildChunks: group size %d and workers %d must be positive", groupSize, workers))
	}
	for i := range docs {
		if !utf8.ValidString(docs[i].Text) {
			return nil, fmt.Errorf("build chunks: document %d (%s): %w", i, docs[i].Source, errNotUTF8([]byte(docs[i].Text)))
		}
	}

	// Tokenize: workers take blocks of documents and append their tokens to
	// private arenas; spans record where each document went.
	type arena struct{ ids, wids []int32 }
	arenas := make([]arena, workers)
	spans := make([]docSpan, len(docs))
	var next atomic.Int64
	var bad atomic.Int64 // 1 + index of a document whose ids and word ids differ in length
	const block = 16
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			a := &arenas[w]
			for {
				lo := int(next.Add(block)) - block
				if lo >= len(docs) {
					return
				}
				for i := lo; i < min(lo+block, len(docs)); i++ {
					start := len(a.ids)
					a.ids, a.wids = tok.AppendIDs(a.ids, a.wids, docs[i].Text)
					if len(a.ids) != len(a.wids) {
						// Reported after the loop; realign to keep going.
						bad.CompareAndSwap(0, int64(i)+1)
						n := min(len(a.ids), len(a.wids))
						a.ids, a.wids = a.ids[:n], a.wids[:n]
					}
					spans[i] = docSpan{int32(w), start, len(a.ids)}
				}
			}
		})
	}
	wg.Wait()
	if i := bad.Load(); i != 0 {
		return nil, fmt.Errorf("build chunks: document %d (%s): tokenizer returned different numbers of ids and word ids", i-1, docs[i-1].Source)
	}

	// Group: each group of documents yields floor(total/chunkSize) chunks.
	nGroups := (len(docs) + groupSize - 1) / groupSize
	first := make([]int, nGroups+1) // first chunk of each group
	for g := range nGroups {
		total := 0
		for i := g * groupSize; i < min((g+1)*groupSize, len(docs)); i++ {
			total += spans[i].hi - spans[i].lo
		}
		first[g+1] = first[g] + total/chunkSize
	}
	N := first[nGroups]
	c := &Chunks{ChunkSize: chunkSize, IDs: make([]int32, N*chunkSize), WordIDs: make([]int32, N*chunkSize)}

	// Copy each group's kept tokens to its chunks, groups in parallel.
	var nextGroup atomic.Int64
	for range min(workers, max(nGroups, 1)) {
		wg.Go(func() {
			for {
				g := int(nextGroup.Add(1)) - 1
				if g >= nGroups {
					return
				}
				dst := first[g] * chunkSize
				end := first[g+1] * chunkSize
				for i := g * groupSize; i < min((g+1)*groupSize, len(docs)) && dst < end; i++ {
					s := spans[i]
					a := &arenas[s.worker]
					n := min(s.hi-s.lo, end-dst)
					copy(c.IDs[dst:dst+n], a.ids[s.lo:s.lo+n])
					copy(c.WordIDs[dst:dst+n], a.wids[s.lo:s.lo+n])
					dst += n
				}
			}
		})
	}
	wg.Wait()
	return c, nil
}
