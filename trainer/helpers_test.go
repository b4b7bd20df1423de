package trainer

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"testing"

	"github.com/distilgo/distilgo/dataset"
	"github.com/distilgo/distilgo/distilbert"
	"github.com/distilgo/distilgo/internal/synthdata"
)

// tinyTok is the part of a tokenizer the collator needs: a vocabulary of
// tinyV ids of which 0-4 are special ([PAD] [UNK] [CLS] [SEP] [MASK]).
type tinyTok struct{}

const tinyV = 64

func (tinyTok) AppendIDs(ids, wordIDs []int32, text string) ([]int32, []int32) {
	panic("tinyTok.AppendIDs: not used by the trainer")
}
func (tinyTok) VocabSize() int          { return tinyV }
func (tinyTok) IsSpecial(id int32) bool { return id < 5 }
func (tinyTok) MaskID() int32           { return 4 }
func (tinyTok) PadID() int32            { return 0 }
func (tinyTok) VocabHash() [32]byte     { return sha256.Sum256([]byte("tiny")) }

// tinyConfig is a DistilBERT small enough for many steps per second.
func tinyConfig(dropout float64) distilbert.Config {
	cfg := distilbert.DefaultConfig()
	cfg.VocabSize, cfg.Dim, cfg.NLayers, cfg.NHeads, cfg.HiddenDim, cfg.MaxPositionEmbeddings = tinyV, 16, 2, 2, 32, 16
	cfg.Dropout, cfg.AttentionDropout = dropout, dropout
	return cfg
}

func tinyModel(t testing.TB, dropout float64) *distilbert.ForMaskedLM {
	t.Helper()
	m, err := distilbert.New(tinyConfig(dropout), 7)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// tinyChunks returns n chunks of T ids of the tiny vocabulary that a model
// can learn something from (synthdata.LearnableChunks).
func tinyChunks(n, T int, seed uint64) *dataset.Chunks {
	return synthdata.LearnableChunks(n, T, tinyV, seed)
}

func tinyCollator() *dataset.Collator {
	return &dataset.Collator{MLMProbability: 0.15, Tok: tinyTok{}}
}

// tinyArgs are arguments for a run of a few steps on tiny data.
func tinyArgs(dir string) Args {
	a := DefaultArgs()
	a.OutputDir = dir
	a.Epochs, a.LR, a.BatchSize, a.GradAccum = 2, 1e-3, 4, 1
	a.SaveEvery, a.KeepCheckpoints, a.LogEvery = 0, 0, 2
	return a
}

func newTinyTrainer(t testing.TB, dir string, dropout float64) *Trainer {
	t.Helper()
	train := tinyChunks(40, 8, 1)
	test := tinyChunks(12, 8, 2)
	col := tinyCollator()
	return &Trainer{
		Model:       tinyModel(t, dropout),
		Train:       train,
		Collator:    col,
		EvalBatches: dataset.FixedMasked(test, col, 4, 42),
		Args:        tinyArgs(dir),
	}
}

// recorder is an Observer that keeps what it is shown.
type recorder struct {
	lines []string // messages and evaluation progress
	steps []Status
	saved []savedCall
}

type savedCall struct {
	dir     string
	history []Record
}

func (r *recorder) Printf(format string, args ...any) {
	r.lines = append(r.lines, fmt.Sprintf(format, args...))
}
func (r *recorder) Stepped(s Status) { r.steps = append(r.steps, s) }
func (r *recorder) Evaluating(n int) func(done, tokens int) {
	return func(done, _ int) { r.lines = append(r.lines, fmt.Sprintf("eval batch %d/%d", done, n)) }
}
func (r *recorder) Saved(dir string, h []Record) {
	r.saved = append(r.saved, savedCall{dir, slices.Clone(h)})
}
func (r *recorder) Done() {}
