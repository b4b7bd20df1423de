package dataset

import (
	"fmt"

	"github.com/distilgo/distilgo/internal/rng"
	"github.com/distilgo/distilgo/tensor"
)

// Of the tokens selected for prediction, the fractions replaced by [MASK]
// and by a random token; the rest are left unchanged (BERT's 80/10/10).
const (
	maskReplaceProb   = 0.8
	randomReplaceProb = 0.1
)

// Batch is a masked batch of B examples of T tokens, ready for the model.
type Batch struct {
	B, T          int
	InputIDs      []int32 // B*T, masked
	AttentionMask []int32 // B*T, 1 for real tokens, 0 for padding
	Labels        []int32 // B*T, the original id where predicted, tensor.IgnoreIndex elsewhere
}

// resize sets the shape of b, reusing its buffers when large enough.
func (b *Batch) resize(B, T int) {
	b.B, b.T = B, T
	b.InputIDs = grow(b.InputIDs, B*T)
	b.AttentionMask = grow(b.AttentionMask, B*T)
	b.Labels = grow(b.Labels, B*T)
}

func grow(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}

// Collator masks chunks into batches for masked language modelling.
//
// With WholeWord false it has the semantics of transformers'
// DataCollatorForLanguageModeling(mlm_probability=MLMProbability): every
// token that is not special (Tok.IsSpecial: [CLS], [SEP], [PAD], [UNK],
// [MASK], as get_special_tokens_mask(already_has_special_tokens=True) has
// it) is selected with probability MLMProbability; a selected token becomes
// [MASK] with probability 0.8, a token drawn uniformly from [0, V) with
// probability 0.1, and stays with probability 0.1; labels are the original
// ids of the selected tokens and tensor.IgnoreIndex elsewhere.
//
// With WholeWord true it has the semantics of the course's
// whole_word_masking_data_collator (with wwm_probability =
// MLMProbability): the tokens of a chunk are grouped into words by their
// word ids exactly as the course's mapping does (consecutive tokens with the
// same word id, skipping tokens with word id -1), each word is selected with
// probability MLMProbability, and all tokens of a selected word become
// [MASK] with their original ids as labels. (The course's listing forgets
// to store new_labels; this implements what its text describes: labels are
// tensor.IgnoreIndex except at the masked words.)
type Collator struct {
	MLMProbability float64   // 0.15 in the course; 0.2 for its whole-word collator
	WholeWord      bool      // mask whole words (needs the chunks' word ids)
	Tok            Tokenizer // special tokens, [MASK], V
}

// Collate masks the chunks idx into dst (B = len(idx), T = ChunkSize),
// reusing dst's buffers. The masks depend only on (seed, epoch, step) and
// the chunks: rows are masked in order from one generator seeded by
// rng.Keyed(seed, rng.PurposeCollate, epoch, step), so a run can be resumed at any step.
// Collate keeps no state: it is safe to call concurrently with distinct
// dst (e.g. to prepare the next batch while the model runs).
func (c *Collator) Collate(dst *Batch, chunks *Chunks, idx []int, seed uint64, epoch, step int) {
	var r rng.PCG
	r.Seed(rng.Keys(seed, rng.PurposeCollate, uint64(epoch), uint64(step)))
	c.collate(dst, chunks, idx, &r)
}

func (c *Collator) collate(dst *Batch, chunks *Chunks, idx []int, r *rng.PCG) {
	if c.MLMProbability < 0 || c.MLMProbability > 1 {
		panic(fmt.Sprintf("dataset: Collator: MLMProbability %v outside [0, 1]", c.MLMProbability))
	}
	T := chunks.ChunkSize
	dst.resize(len(idx), T)
	for b, i := range idx {
		ids, wids := chunks.Chunk(i)
		in := dst.InputIDs[b*T : (b+1)*T]
		lab := dst.Labels[b*T : (b+1)*T]
		copy(in, ids)
		for t := range dst.AttentionMask[b*T : (b+1)*T] {
			dst.AttentionMask[b*T+t] = 1
		}
		if c.WholeWord {
			c.maskWords(in, lab, ids, wids, r)
		} else {
			c.maskTokens(in, lab, ids, r)
		}
	}
}

// maskTokens applies DataCollatorForLanguageModeling's masking to one row.
func (c *Collator) maskTokens(in, lab, ids []int32, r *rng.PCG) {
	p := c.MLMProbability
	mask := c.Tok.MaskID()
	V := uint64(c.Tok.VocabSize())
	for t, id := range ids {
		lab[t] = tensor.IgnoreIndex
		if c.Tok.IsSpecial(id) || r.Float64() >= p {
			continue
		}
		lab[t] = id
		switch u := r.Float64(); {
		case u < maskReplaceProb:
			in[t] = mask
		case u < maskReplaceProb+randomReplaceProb:
			in[t] = int32(r.IntN(V))
		}
	}
}

// maskWords applies the course's whole-word masking to one row.
func (c *Collator) maskWords(in, lab, ids, wids []int32, r *rng.PCG) {
	p := c.MLMProbability
	mask := c.Tok.MaskID()
	for t := range lab {
		lab[t] = tensor.IgnoreIndex
	}
	// Walk the words as the course's mapping builds them: a new word starts
	// at each token whose word id differs from the last non-special one.
	cur, started := int32(0), false
	selected := false
	for t, w := range wids {
		if w < 0 {
			continue
		}
		if !started || w != cur {
			cur, started = w, true
			selected = r.Float64() < p
		}
		if selected {
			lab[t] = ids[t]
			in[t] = mask
		}
	}
}

// mapBatch is the number of examples the course's insert_random_mask masks
// per call (datasets' Dataset.map batch size).
const mapBatch = 1000

// FixedMasked masks the evaluation chunks once, as the course's
// insert_random_mask does, so that every evaluation sees the same masks
// and the perplexity of a model is one number. Examples are masked in order,
// in groups of 1,000 (the batch size of datasets' Dataset.map), group g
// from rng.Keyed(seed, rng.PurposeEval, 0, g), so an example's mask does
// not depend on batchSize; they are returned in batches
// of batchSize (the last may be smaller).
func FixedMasked(test *Chunks, c *Collator, batchSize int, seed uint64) []Batch {
	if batchSize <= 0 {
		panic(fmt.Sprintf("dataset: FixedMasked: batch size %d must be positive", batchSize))
	}
	n := test.Len()
	var all Batch
	all.resize(n, test.ChunkSize)
	var part Batch
	var r rng.PCG
	for g := 0; g*mapBatch < n; g++ {
		lo, hi := g*mapBatch, min((g+1)*mapBatch, n)
		idx := make([]int, hi-lo)
		for k := range idx {
			idx[k] = lo + k
		}
		r.Seed(rng.Keys(seed, rng.PurposeEval, 0, uint64(g)))
		c.collate(&part, test, idx, &r)
		T := test.ChunkSize
		copy(all.InputIDs[lo*T:], part.InputIDs)
		copy(all.AttentionMask[lo*T:], part.AttentionMask)
		copy(all.Labels[lo*T:], part.Labels)
	}
	return all.split(batchSize)
}

// split cuts b into batches of at most size rows, sharing b's memory.
func (b *Batch) split(size int) []Batch {
	var out []Batch
	for lo := 0; lo < b.B; lo += size {
		hi := min(lo+size, b.B)
		s, e := lo*b.T, hi*b.T
		out = append(out, Batch{
			B: hi - lo, T: b.T,
			InputIDs:      b.InputIDs[s:e:e],
			AttentionMask: b.AttentionMask[s:e:e],
			Labels:        b.Labels[s:e:e],
		})
	}
	return out
}
