package dataset

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/distilgo/distilgo/internal/rng"
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

// groupDocs is the number of consecutive documents concatenated before
// chunking: the batch size of datasets' Dataset.map(batched=True), through
// which the course applies group_texts. Each group's remainder shorter than
// a chunk is dropped.
const groupDocs = 1000

// defaultMaxPositions is DistilBERT's max_position_embeddings, the largest
// chunk size a model can take.
const defaultMaxPositions = 512

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

// subset returns a copy of the chunks idx, in that order.
func (c *Chunks) subset(idx []int) *Chunks {
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
	p := rng.Keyed(seed, rng.PurposeSplit, 0, 0).Perm(n)
	return c.subset(p[testSize : testSize+trainSize]), c.subset(p[:testSize]), nil
}

// BuildChunks tokenizes every document with [CLS]/[SEP], keeping word ids
// (the course's tokenize_function), then, for each group of 1,000 consecutive
// documents (the batch size of datasets' Dataset.map), concatenates their tokens and cuts them into chunks
// of chunkSize, dropping the group's remainder (group_texts). It runs on all
// cores; the result does not depend on their number.
func BuildChunks(docs []Document, tok Tokenizer, chunkSize int) (*Chunks, error) {
	return buildChunks(docs, tok, chunkSize, groupDocs, runtime.GOMAXPROCS(0))
}

// docSpan locates the tokens of one document in a worker's arena.
type docSpan struct {
	worker int32
	lo, hi int
}

// arena holds the tokens of the documents one worker tokenized.
type arena struct{ ids, wids []int32 }

// tokenPool tokenizes documents on several workers as they are added, in
// any order: each document has a slot number, and finish returns where the
// tokens of each slot went. Documents can thus be tokenized while a reader
// still decompresses the rest of an archive, before their order is known.
type tokenPool struct {
	tok    Tokenizer
	jobs   chan tokJob
	arenas []arena
	done   [][]slotSpan // per worker: the slots it tokenized
	bad    atomic.Int64 // 1 + a slot whose ids and word ids differ in length
	wg     sync.WaitGroup
}

type tokJob struct {
	slot int
	text string
}

type slotSpan struct {
	slot int
	span docSpan
}

func newTokenPool(tok Tokenizer, workers int) *tokenPool {
	p := &tokenPool{tok: tok, jobs: make(chan tokJob, 4*workers), arenas: make([]arena, workers), done: make([][]slotSpan, workers)}
	for w := range workers {
		p.wg.Go(func() {
			a := &p.arenas[w]
			for j := range p.jobs {
				start := len(a.ids)
				a.ids, a.wids = tok.AppendIDs(a.ids, a.wids, j.text)
				if len(a.ids) != len(a.wids) {
					// Reported by finish; realign to keep going.
					p.bad.CompareAndSwap(0, int64(j.slot)+1)
					n := min(len(a.ids), len(a.wids))
					a.ids, a.wids = a.ids[:n], a.wids[:n]
				}
				p.done[w] = append(p.done[w], slotSpan{j.slot, docSpan{int32(w), start, len(a.ids)}})
			}
		})
	}
	return p
}

// add queues the document of slot for tokenization.
func (p *tokenPool) add(slot int, text string) { p.jobs <- tokJob{slot, text} }

// finish waits for the workers and returns the spans of slots 0..n-1. On
// error, it returns the slot of the failing document.
func (p *tokenPool) finish(n int) ([]docSpan, int, error) {
	close(p.jobs)
	p.wg.Wait()
	if s := p.bad.Load(); s != 0 {
		return nil, int(s - 1), errors.New("tokenizer returned different numbers of ids and word ids")
	}
	spans := make([]docSpan, n)
	for _, d := range p.done {
		for _, ss := range d {
			spans[ss.slot] = ss.span
		}
	}
	return spans, 0, nil
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
	pool := newTokenPool(tok, workers)
	for i := range docs {
		pool.add(i, docs[i].Text)
	}
	spans, bad, err := pool.finish(len(docs))
	if err != nil {
		return nil, fmt.Errorf("build chunks: document %d (%s): %w", bad, docs[bad].Source, err)
	}
	return groupSpans(spans, pool.arenas, chunkSize, groupSize, workers), nil
}

// groupSpans concatenates the tokens of each group of groupSize documents
// (spans, in document order) and cuts them into chunks, dropping each
// group's remainder; groups are copied in parallel.
func groupSpans(spans []docSpan, arenas []arena, chunkSize, groupSize, workers int) *Chunks {
	if chunkSize <= 0 || groupSize <= 0 || workers <= 0 {
		panic(fmt.Sprintf("dataset: groupSpans: chunk size %d, group size %d, workers %d must be positive", chunkSize, groupSize, workers))
	}
	nGroups := (len(spans) + groupSize - 1) / groupSize
	first := make([]int, nGroups+1) // first chunk of each group
	for g := range nGroups {
		total := 0
		for _, s := range spans[g*groupSize : min((g+1)*groupSize, len(spans))] {
			total += s.hi - s.lo
		}
		first[g+1] = first[g] + total/chunkSize
	}
	N := first[nGroups]
	c := &Chunks{ChunkSize: chunkSize, IDs: make([]int32, N*chunkSize), WordIDs: make([]int32, N*chunkSize)}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, max(nGroups, 1)) {
		wg.Go(func() {
			for {
				g := int(next.Add(1)) - 1
				if g >= nGroups {
					return
				}
				dst, end := first[g]*chunkSize, first[g+1]*chunkSize
				for _, s := range spans[g*groupSize : min((g+1)*groupSize, len(spans))] {
					if dst == end {
						break
					}
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
	return c
}
