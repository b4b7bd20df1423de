package pipeline

import (
	"context"
	"errors"
	"fmt"
	"github.com/distilgo/distilgo/internal/fakehub"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/distilgo/distilgo/distilbert"
	"github.com/distilgo/distilgo/safetensors"
	"github.com/distilgo/distilgo/tensor"
	"github.com/distilgo/distilgo/tokenizer"
)

// tinyHF is a checkpoint written in transformers' layout by the PyTorch
// reference (tools/golden), with a 100-token vocabulary and
// max_position_embeddings 16; its logits for "the [MASK] was boring ." are
// recorded in tiny_hf_logits.safetensors.
var tinyHF = filepath.Join("..", "distilbert", "testdata", "tiny-hf")

func loadTiny(t testing.TB, cfg Config) *FillMask {
	t.Helper()
	f, err := Load(context.Background(), tinyHF, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// quiet collects warnings instead of logging them.
type quiet struct {
	mu   sync.Mutex
	msgs []string
}

func (q *quiet) warn(msg string) { q.mu.Lock(); q.msgs = append(q.msgs, msg); q.mu.Unlock() }

func softmax64(x []float32) []float64 {
	mx := math.Inf(-1)
	for _, v := range x {
		mx = math.Max(mx, float64(v))
	}
	p := make([]float64, len(x))
	var s float64
	for i, v := range x {
		p[i] = math.Exp(float64(v) - mx)
		s += p[i]
	}
	for i := range p {
		p[i] /= s
	}
	return p
}

// sortedBy returns ids ordered by p descending (stable: lower id first).
func sortedBy(p []float64, ids []int) []int {
	ids = slices.Clone(ids)
	sort.SliceStable(ids, func(a, b int) bool { return p[ids[a]] > p[ids[b]] })
	return ids
}

func goldenRow(t *testing.T) []float32 {
	t.Helper()
	f, err := safetensors.Open(filepath.Join(tinyHF, "..", "tiny_hf_logits.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	logits, shape, err := f.Float32("logits") // [2, 7, 100]: row 1 is "the [MASK] was boring ."
	if err != nil {
		t.Fatal(err)
	}
	V := shape[2]
	return logits[(1*shape[1]+2)*V : (1*shape[1]+3)*V]
}

// scoreTol: the tiny model's logits agree with PyTorch's within 1e-5 of
// their scale (distilbert's TestLoadReferenceCheckpoint); the logits here
// are a few units, so a probability, exp(l - logsumexp), moves by at most
// about 2·3e-5 relative. 1e-4 relative leaves no room for a wrong token or
// a wrong normalisation (those move scores by whole percents).
const scoreTol = 1e-4

// bf16ScoreTol: in bf16, batching changes the float32 summation order of
// the layers below the head, and a change of one float32 ulp in a hidden
// value can flip its rounding to bf16 (a step of 2^-8 relative). If every
// one of a row's D values flipped, a logit would move by at most
// 2^-8·Σ|h_i·w_i| and a probability exp(l - logsumexp) by at most twice
// that relative; 2^-6 allows Σ|h_i·w_i| up to 2 for the tiny model's
// few-unit logits (observed: 3e-4 relative). A wrong token or
// normalisation still moves scores by whole percents.
const bf16ScoreTol = 1.0 / 64

func checkScores(t *testing.T, what string, got []Prediction, wantIDs []int, p []float64) {
	t.Helper()
	if len(got) != len(wantIDs) {
		t.Fatalf("%s: %d predictions, want %d", what, len(got), len(wantIDs))
	}
	for i, g := range got {
		if int(g.Token) != wantIDs[i] {
			t.Fatalf("%s: prediction %d is token %d, reference %d (got %v)", what, i, g.Token, wantIDs[i], got)
		}
		if w := p[wantIDs[i]]; math.Abs(g.Score-w) > scoreTol*w {
			t.Errorf("%s: prediction %d: score %v, reference %v", what, i, g.Score, w)
		}
	}
}

// The predictions for the golden text equal the softmax of PyTorch's
// logits: the top 5 in order, and with targets the targets' probabilities
// (not renormalised, as transformers' probs[..., target_ids]).
func TestPredictMatchesPyTorchLogits(t *testing.T) {
	f := loadTiny(t, Config{})
	p := softmax64(goldenRow(t))
	all := make([]int, len(p))
	for i := range all {
		all[i] = i
	}
	tok := f.Tokenizer()
	id := func(s string) int { i, _ := tok.TokenToID(s); return int(i) }
	targets := []string{"movie", "film", "story", "plot", "acting"}
	tids := []int{id("movie"), id("film"), id("story"), id("plot"), id("acting")}
	cases := []struct {
		name string
		opts Options
		want []int
	}{
		{"top5", Options{}, sortedBy(p, all)[:5]},
		{"top1", Options{TopK: 1}, sortedBy(p, all)[:1]},
		{"top100", Options{TopK: 100}, sortedBy(p, all)},
		{"targets", Options{Targets: targets, TopK: 3}, sortedBy(p, tids)[:3]},
		{"targets cap top_k", Options{Targets: targets, TopK: 50}, sortedBy(p, tids)},
	}
	for _, c := range cases {
		res, err := f.Predict(context.Background(), []string{"the [MASK] was boring ."}, c.opts)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(res) != 1 || len(res[0].Masks) != 1 {
			t.Fatalf("%s: %d results", c.name, len(res))
		}
		checkScores(t, c.name, res[0].Masks[0], c.want, p)
		for _, pr := range res[0].Masks[0] {
			if want := tok.Decode([]int32{pr.Token}, false); pr.TokenStr != want {
				t.Errorf("%s: token_str %q, want %q", c.name, pr.TokenStr, want)
			}
		}
	}
}

// reference computes one text's predictions the plain way: the text alone
// (no padding) through Logits (the full [T, V] head), full-vocabulary
// float64 softmax, a full stable sort, sequences decoded from a copy.
func reference(t *testing.T, f *FillMask, text string, topK int) [][]Prediction {
	t.Helper()
	tok, m := f.Tokenizer(), f.Model()
	ids := tok.Encode(text, tokenizer.EncodeOptions{AddSpecial: true}).IDs
	if n := f.MaxLength(); len(ids) > n {
		ids = append(ids[:n-1:n-1], tok.SEPID())
	}
	logits, err := m.Logits(tensor.NewNoGradTape(), distilbert.Input{B: 1, T: len(ids), InputIDs: ids})
	if err != nil {
		t.Fatal(err)
	}
	V := m.Config.VocabSize
	nMask := 0
	for _, id := range ids {
		if id == tok.MaskID() {
			nMask++
		}
	}
	var out [][]Prediction
	for pos, id := range ids {
		if id != tok.MaskID() {
			continue
		}
		p := softmax64(logits.Host()[pos*V : (pos+1)*V])
		all := make([]int, V)
		for i := range all {
			all[i] = i
		}
		var row []Prediction
		for _, c := range sortedBy(p, all)[:topK] {
			seq := slices.Clone(ids)
			seq[pos] = int32(c)
			seq = slices.DeleteFunc(seq, func(x int32) bool { return x == tok.PadID() })
			row = append(row, Prediction{Score: p[c], Token: int32(c), TokenStr: tok.Decode([]int32{int32(c)}, false), Sequence: tok.Decode(seq, nMask == 1)})
		}
		out = append(out, row)
	}
	return out
}

var mixedTexts = []string{
	"the [MASK] was boring .",
	"[MASK] movie is [MASK] .",
	"this film was really [MASK] and the acting was [MASK] !",
	"[MASK]",
	"a [MASK] [PAD] movie [MASK]", // two masks keep special tokens, but a literal [PAD] is dropped from the sequence, as the pipeline filters padding
	"the [MASK] was boring" + strings.Repeat(" very", 20), // truncated to 16 tokens
	"it was [MASK] .",
}

// Texts of different lengths and mask counts batched together (padding,
// several forward passes, sorting by length) give each text what it gets
// alone, whatever the token budget.
//
// The same holds in bf16: the reference then runs the model's bf16 matmuls
// too, and bf16 products are exact in float32, so only the summation order
// differs, as in float32.
func TestBatchedEqualsAlone(t *testing.T) {
	for _, c := range []struct {
		budget int
		prec   Precision
	}{{1, FP32}, {24, FP32}, {64, FP32}, {4096, FP32}, {1, BF16}, {64, BF16}} {
		budget := c.budget
		t.Run(fmt.Sprint("budget", budget, c.prec), func(t *testing.T) {
			f := loadTiny(t, Config{MaxBatchTokens: budget, Precision: c.prec})
			if want := map[Precision]tensor.Precision{FP32: tensor.FP32, BF16: tensor.BF16}[c.prec]; f.Model().Precision != want {
				t.Fatalf("model precision %v, want %v", f.Model().Precision, want)
			}
			var q quiet
			res, err := f.Predict(context.Background(), mixedTexts, Options{TopK: 4, Warn: q.warn})
			if err != nil {
				t.Fatal(err)
			}
			for i, text := range mixedTexts {
				want := reference(t, f, text, 4)
				tol := scoreTol
				if c.prec == BF16 {
					tol = bf16ScoreTol
				}
				opt := cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) <= tol*math.Max(math.Abs(a), math.Abs(b)) })
				if diff := cmp.Diff(want, res[i].Masks, opt); diff != "" {
					t.Errorf("text %d %q (-alone +batched):\n%s", i, text, diff)
				}
			}
			if !res[5].Truncated || res[5].Tokens != 26 {
				t.Errorf("long text: Truncated %v Tokens %d, want true 26", res[5].Truncated, res[5].Tokens)
			}
			if len(q.msgs) != 1 || !strings.Contains(q.msgs[0], "text 6 has 26 tokens, truncated") {
				t.Errorf("warnings %q, want one about text 6's truncation", q.msgs)
			}
		})
	}
}

// The pipeline's sequences: special tokens dropped with one mask, kept
// (other masks visible) with several; HF's output shapes.
func TestSequencesAndShapes(t *testing.T) {
	f := loadTiny(t, Config{})
	res, err := f.Predict(context.Background(), []string{"the [MASK] was boring .", "[MASK] movie is [MASK] ."}, Options{TopK: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res[0].Masks[0] {
		if want := "the " + p.TokenStr + " was boring."; !strings.HasPrefix(p.TokenStr, "##") && !strings.ContainsAny(p.TokenStr, ".,!?'") && p.Sequence != want {
			t.Errorf("sequence %q, want %q", p.Sequence, want)
		}
	}
	if s := res[1].Masks[0][0].Sequence; !strings.HasPrefix(s, "[CLS] ") || !strings.Contains(s, "[MASK]") {
		t.Errorf("two masks: sequence %q keeps [CLS] and the other [MASK]", s)
	}
	if _, ok := res[0].HF().([]Prediction); !ok {
		t.Errorf("one mask: HF() is %T, want []Prediction", res[0].HF())
	}
	if _, ok := res[1].HF().([][]Prediction); !ok {
		t.Errorf("two masks: HF() is %T, want [][]Prediction", res[1].HF())
	}
	if _, ok := HFOutput(res[:1]).([]Prediction); !ok {
		t.Errorf("one text: HFOutput is %T, want []Prediction", HFOutput(res[:1]))
	}
	if out, ok := HFOutput(res).([]any); !ok || len(out) != 2 {
		t.Errorf("two texts: HFOutput is %T, want a list of 2", HFOutput(res))
	}
}

// transformers' get_target_ids: vocabulary tokens as they are; others
// tokenized and replaced by their first piece with a warning; those giving
// no token ignored with a warning; duplicates merged; none left is an error.
func TestTargets(t *testing.T) {
	f := loadTiny(t, Config{})
	tok := f.Tokenizer()
	id := func(s string) int32 {
		i, ok := tok.TokenToID(s)
		if !ok {
			t.Fatalf("no %q", s)
		}
		return i
	}
	cases := []struct {
		targets []string
		want    []int32 // sorted
		warns   []string
		err     string
	}{
		{[]string{"movie", "film"}, []int32{id("movie"), id("film")}, nil, ""},
		{[]string{"Movie"}, []int32{id("movie")}, []string{`"Movie" does not exist in the model vocabulary; replacing with "movie"`}, ""},
		{[]string{"xfilm"}, []int32{id("x")}, []string{`replacing with "x"`}, ""},
		{[]string{"movie", "movie", "Movie"}, []int32{id("movie")}, []string{`replacing with "movie"`}, ""},
		{[]string{"", "film"}, []int32{id("film")}, []string{`"" does not exist in the model vocabulary; we cannot replace it`}, ""},
		{[]string{"  "}, nil, []string{"ignoring it"}, "at least one target"},
		{[]string{}, nil, nil, "at least one target"},
	}
	for _, c := range cases {
		var q quiet
		j, err := f.Encode([]string{"the [MASK] was boring ."}, Options{Targets: c.targets, Warn: q.warn})
		if c.err != "" {
			var ie *InputError
			if err == nil || !strings.Contains(err.Error(), c.err) || !errors.As(err, &ie) {
				t.Errorf("targets %q: err %v, want an InputError containing %q", c.targets, err, c.err)
			}
		} else if err != nil {
			t.Errorf("targets %q: %v", c.targets, err)
			continue
		} else {
			want := slices.Sorted(slices.Values(c.want))
			if !slices.Equal(j.targets, want) {
				t.Errorf("targets %q: ids %v, want %v", c.targets, j.targets, want)
			}
		}
		if len(q.msgs) != len(c.warns) {
			t.Errorf("targets %q: warnings %q, want %d", c.targets, q.msgs, len(c.warns))
			continue
		}
		for i, w := range c.warns {
			if !strings.Contains(q.msgs[i], w) {
				t.Errorf("targets %q: warning %q, want containing %q", c.targets, q.msgs[i], w)
			}
		}
	}
}

func TestInputErrors(t *testing.T) {
	f := loadTiny(t, Config{})
	cases := []struct {
		texts []string
		opts  Options
		want  string
	}{
		{[]string{"a [MASK]", "no mask here"}, Options{}, "text 2: no [MASK] token in the text"},
		{[]string{strings.Repeat("very ", 20) + "[MASK]"}, Options{Warn: func(string) {}}, "text 1: no [MASK] token in the first 16 tokens"},
		{nil, Options{}, "no text given"},
		{[]string{"a [MASK]"}, Options{TopK: -1}, "top_k -1"},
	}
	for _, c := range cases {
		_, err := f.Predict(context.Background(), c.texts, c.opts)
		var ie *InputError
		if err == nil || err.Error() != c.want && !strings.HasPrefix(err.Error(), c.want) || !errors.As(err, &ie) {
			t.Errorf("%q: err %v, want an InputError %q", c.texts, err, c.want)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	m, err := distilbert.LoadDir(tinyHF)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(tinyHF)
	if err != nil {
		t.Fatal(err)
	}
	big := m.Config
	big.VocabSize = 200
	mBig, err := distilbert.New(big, 1)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		m    *distilbert.ForMaskedLM
		cfg  Config
		want string
	}{
		{m, Config{Precision: "fp8"}, `precision "fp8"`},
		{m, Config{Workers: -1}, "must not be negative"},
		{mBig, Config{}, "tokenizer has 100 tokens, the model's vocab_size is 200"},
	}
	for _, c := range cases {
		if _, err := New(c.m, tok, c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err %v, want containing %q", c.cfg, err, c.want)
		}
	}
	// New switches the model to evaluation mode.
	m.Train(true)
	if _, err := New(m, tok, Config{}); err != nil || m.DistilBert.Embeddings.Dropout.Training {
		t.Errorf("New: err %v, dropout on %v; want the model in evaluation mode", err, m.DistilBert.Embeddings.Dropout.Training)
	}
}

func TestCancelledContext(t *testing.T) {
	f := loadTiny(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.Predict(ctx, []string{"a [MASK]"}, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
}

// Many goroutines share one FillMask (two workers): every answer equals
// the serial one. Run with -race to check the sharing.
func TestConcurrentPredict(t *testing.T) {
	f := loadTiny(t, Config{Workers: 2, MaxBatchTokens: 32})
	want := make([][]Result, len(mixedTexts))
	for i, text := range mixedTexts {
		r, err := f.Predict(context.Background(), []string{text}, Options{TopK: 3, Warn: func(string) {}})
		if err != nil {
			t.Fatal(err)
		}
		want[i] = r
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 10 {
				i := (g + k) % len(mixedTexts)
				got, err := f.Predict(context.Background(), []string{mixedTexts[i]}, Options{TopK: 3, Warn: func(string) {}})
				if err != nil {
					errs <- err
					return
				}
				if !cmp.Equal(got, want[i]) {
					errs <- fmt.Errorf("goroutine %d: text %d differs from the serial answer", g, i)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// In steady state a call allocates only its results: the heap after 500
// more calls is what it was (the tape's buffers are reused).
func TestNoAllocationGrowth(t *testing.T) {
	f := loadTiny(t, Config{})
	texts := mixedTexts[:5]
	call := func(n int) {
		for range n {
			if _, err := f.Predict(context.Background(), texts, Options{Warn: func(string) {}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	heap := func() uint64 {
		runtime.GC() // twice: the first moves sync.Pool contents (kernel
		runtime.GC() // scratch) to the victim cache, the second frees them
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	call(300) // warm-up: the runtime and the kernels' pools settle (a one-time ~2 MB)
	h0 := heap()
	call(500)
	h1 := heap()
	// 64 KiB of slack for the runtime's own bookkeeping; a leak of even one
	// result per call (~2 KB) would add ~1 MB.
	if h1 > h0+64<<10 {
		t.Errorf("heap grew from %d to %d bytes over 500 calls", h0, h1)
	}
	// (Allocations per call are not compared: the kernels' sync.Pools are
	// emptied by each GC and refilled with a few allocations, so the count
	// wanders by a few either way; BenchmarkPredict reports allocs/op.)
}

func TestLoad(t *testing.T) {
	// A checkpoint folder without tokenizer files takes those of the run's
	// output directory above it.
	out := t.TempDir()
	ck := filepath.Join(out, "checkpoint-8")
	m, err := distilbert.LoadDir(tinyHF)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SaveDir(ck); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"vocab.txt", "tokenizer_config.json", "special_tokens_map.json"} {
		data, err := os.ReadFile(filepath.Join(tinyHF, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := Load(context.Background(), ck, Config{})
	if err != nil {
		t.Fatalf("checkpoint folder: %v", err)
	}
	if f.MaxLength() != 16 {
		t.Errorf("MaxLength %d: the run's tokenizer_config.json says 16", f.MaxLength())
	}
	// A model directory without tokenizer files needs Config.Vocab.
	bare := filepath.Join(t.TempDir(), "bare")
	if err := m.SaveDir(bare); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(context.Background(), bare, Config{}); err == nil || !strings.Contains(err.Error(), "no tokenizer files") {
		t.Errorf("bare directory: err %v", err)
	}
	if _, err := Load(context.Background(), bare, Config{Vocab: filepath.Join(tinyHF, "vocab.txt")}); err != nil {
		t.Errorf("bare directory with Vocab: %v", err)
	}
	cases := []struct{ model, want string }{
		{filepath.Join(t.TempDir(), "missing"), "no such directory, and not a Hub id"},
		{filepath.Join(tinyHF, "config.json"), "is a file"},
	}
	for _, c := range cases {
		if _, err := Load(context.Background(), c.model, Config{}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want containing %q", c.model, err, c.want)
		}
	}
}

// A Hub id resolves through the huggingface_hub cache (offline here: a
// snapshot laid out as huggingface_hub writes it).
func TestLoadHubID(t *testing.T) {
	fakehub.OfflineCache(t, "someone/tiny", tinyHF)
	f, err := Load(context.Background(), "someone/tiny", Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Predict(context.Background(), []string{"the [MASK] was boring ."}, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(context.Background(), "someone/absent", Config{}); err == nil || !strings.Contains(err.Error(), "Hub id") {
		t.Errorf("absent Hub id: err %v", err)
	}
}

// splitBatches cuts where the padding saved beats a pass's overhead, and
// never puts more than the budget in a pass of several texts.
func TestSplitBatches(t *testing.T) {
	// seqs makes texts of the given lengths with one [MASK] each, or
	// masks[i] when given.
	seqs := func(lens []int, masks []int) []seqRef {
		j := &Job{}
		var s []seqRef
		for i, n := range lens {
			j.ids = append(j.ids, make([]int32, n))
			m := 1
			if masks != nil {
				m = masks[i]
			}
			j.masks = append(j.masks, m)
			s = append(s, seqRef{j, i})
		}
		return s
	}
	cases := []struct {
		name     string
		lens     []int
		masks    []int // nil: one each
		budget   int
		maxMasks int // 0: 1000
		want     []int
	}{
		{"one", []int{7}, nil, 100, 0, []int{1}},
		{"same lengths: one pass", []int{10, 10, 10, 10}, nil, 100, 0, []int{4}},
		{"budget splits", []int{10, 10, 10, 10}, nil, 25, 0, []int{2, 4}},
		{"longer than the budget runs alone", []int{5, 50}, nil, 20, 0, []int{1, 2}},
		// Padding 3 texts of 8 to 100 wastes 276 tokens > one pass's 32.
		{"short and long apart", []int{8, 8, 8, 100}, nil, 1000, 0, []int{3, 4}},
		// Padding 3 texts from 10 to 12 wastes 6 tokens < 32: together.
		{"close lengths together", []int{10, 10, 10, 12}, nil, 1000, 0, []int{4}},
		// The MLM head's rows are bounded too: 3+2 masks fit 5, a third
		// text does not.
		{"masks split", []int{10, 10, 10}, []int{3, 2, 1}, 1000, 5, []int{2, 3}},
		{"more masks than the bound run alone", []int{10, 10, 10}, []int{1, 9, 1}, 1000, 5, []int{1, 2, 3}},
		{"masks within the bound together", []int{10, 10, 10}, []int{1, 3, 1}, 1000, 5, []int{3}},
	}
	for _, c := range cases {
		var dp []splitCost
		got := splitBatches(seqs(c.lens, c.masks), c.budget, orDefault(c.maxMasks, 1000), nil, &dp)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: lengths %v masks %v budget %d maxMasks %d: cuts %v, want %v", c.name, c.lens, c.masks, c.budget, c.maxMasks, got, c.want)
		}
	}
}

// Warm leaves the answers unchanged, and afterwards a call allocates no
// activation buffers: the heap does not grow (without Warm this first call
// would grow the tape's buffers by ~200 KB on the tiny model).
func TestWarm(t *testing.T) {
	want, err := loadTiny(t, Config{MaxBatchTokens: 64}).Predict(context.Background(), mixedTexts, Options{Warn: func(string) {}})
	if err != nil {
		t.Fatal(err)
	}
	f := loadTiny(t, Config{MaxBatchTokens: 64, Workers: 2})
	if err := f.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	h0 := heap()
	got, err := f.Predict(context.Background(), mixedTexts, Options{Warn: func(string) {}})
	if err != nil {
		t.Fatal(err)
	}
	h1 := heap()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answers changed after Warm (-without +with):\n%s", diff)
	}
	if h1 > h0+64<<10 {
		t.Errorf("heap grew from %d to %d bytes on the first call after Warm", h0, h1)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := f.Warm(ctx); err == nil {
		t.Error("Warm with a cancelled context succeeded")
	}
}

// After Warm, no pass Run can make grows the activation buffers, whatever
// the batch: many texts or one, short or truncated to MaxLength, one
// [MASK] or nothing but masks (more than maxMasks in one text). The
// buffers' size is compared exactly; the whole heap after 2N random
// batches must be what it was after N (a leak of one result per batch
// would add ~2 KB each).
func TestActivationMemoryBounded(t *testing.T) {
	ctx := context.Background()
	words := []string{"the", "movie", "was", "boring", "a", "film", "really", "and", "it", "."}
	rng := rand.New(rand.NewPCG(14, 1))
	text := func() string {
		n := rng.IntN(24) // up to 24 words + specials: some truncated to 16 tokens
		var b strings.Builder
		b.WriteString("[MASK]")
		for range n {
			w := words[rng.IntN(len(words))]
			switch rng.IntN(4) {
			case 0:
				w = "[MASK]"
			case 1:
				if rng.IntN(8) == 0 { // now and then a text of masks only
					w = strings.Repeat(" [MASK]", n)
				}
			}
			b.WriteString(" " + w)
		}
		return b.String()
	}
	heap := func() uint64 {
		runtime.GC() // twice: the kernels' sync.Pools (see TestNoAllocationGrowth)
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	for _, budget := range []int{64, 40} { // 40: not a multiple of the short warm-up length 16
		f := loadTiny(t, Config{MaxBatchTokens: budget, Workers: 2})
		if err := f.Warm(ctx); err != nil {
			t.Fatal(err)
		}
		warm := f.ActivationBytes()
		if warm == 0 {
			t.Fatal("ActivationBytes is 0 after Warm")
		}
		batches := func(n int) {
			for range n {
				texts := make([]string, 1+rng.IntN(12))
				for i := range texts {
					texts[i] = text()
				}
				if _, err := f.Predict(ctx, texts, Options{TopK: 1 + rng.IntN(5), Warn: func(string) {}}); err != nil {
					t.Fatal(err)
				}
				if got := f.ActivationBytes(); got != warm {
					t.Fatalf("budget %d: activation buffers grew from %d bytes after Warm to %d on texts %q", budget, warm, got, texts)
				}
			}
		}
		const n = 150
		batches(n)
		h1 := heap()
		batches(n)
		h2 := heap()
		// 64 KiB of slack for the runtime's own bookkeeping, as in
		// TestNoAllocationGrowth.
		if h2 > h1+64<<10 {
			t.Errorf("budget %d: heap grew from %d to %d bytes between %d and %d random batches", budget, h1, h2, n, 2*n)
		}
	}
}

// A text with more masks than one pass's MLM head takes (maxMasks: 4 at a
// budget of 64 tokens on the tiny model) is run in chunks of masks, the
// encoder once per chunk: the answers are those of one pass.
func TestManyMasksChunked(t *testing.T) {
	ctx := context.Background()
	texts := []string{"[MASK] [MASK] the [MASK] [MASK] was [MASK] [MASK] boring [MASK] [MASK] [MASK] ."}
	chunked := loadTiny(t, Config{MaxBatchTokens: 64})
	if chunked.maxMasks >= 9 {
		t.Fatalf("maxMasks %d: the text's 9 masks would not be chunked", chunked.maxMasks)
	}
	got, err := chunked.Predict(ctx, texts, Options{TopK: 3})
	if err != nil {
		t.Fatal(err)
	}
	want, err := loadTiny(t, Config{MaxBatchTokens: 1024}).Predict(ctx, texts, Options{TopK: 3})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("chunked masks differ from one pass (-one pass +chunked):\n%s", diff)
	}
}
