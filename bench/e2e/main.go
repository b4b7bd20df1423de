// Command e2e measures distilgo's end-to-end speed on DistilBERT MLM at the
// distilbert-base-uncased size: a training step (forward, backward, gradient
// clipping, AdamW) at a given batch size, an evaluation forward, or fill-mask
// latency. It prints one JSON object; bench/e2e/run.sh runs it next to the
// PyTorch reference (torch_bench.py) and prints the comparison table.
//
//	go run ./bench/e2e --mode train --batch 64 --steps 5
//	go run ./bench/e2e --mode eval --batch 64
//	go run ./bench/e2e --mode fillmask --repeat 50
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/distilgo/distilgo/distilbert"
	"github.com/distilgo/distilgo/kernels"
	"github.com/distilgo/distilgo/tensor"
)

// Result is what one invocation reports.
type Result struct {
	Engine       string  `json:"engine"`
	Mode         string  `json:"mode"`
	Batch        int     `json:"batch"`
	SeqLen       int     `json:"seq_len"`
	Threads      int     `json:"threads"`
	Kernels      string  `json:"kernels"`
	StepMS       float64 `json:"step_ms"`      // median
	TokensPerSec float64 `json:"tokens_per_s"` // at the median
	// TokensPerCPUSec is tokens per second of the process's CPU time (median
	// step): on a machine shared with other processes it discounts the time
	// slices they took (not the caches and memory bandwidth they use).
	TokensPerCPUSec float64 `json:"tokens_per_cpu_s"`
	GFLOPs          float64 `json:"gflop_per_s"` // FLOPs the step needs / median time
	P50MS           float64 `json:"p50_ms,omitempty"`
	P95MS           float64 `json:"p95_ms,omitempty"`
	PeakRSSMiB      float64 `json:"peak_rss_mib"`
	Loss            float64 `json:"loss"`
	Steps           int     `json:"steps"`
	Precision       string  `json:"precision"`
}

func main() {
	mode := flag.String("mode", "train", "train | eval | fillmask")
	batch := flag.Int("batch", 64, "batch size (sequences)")
	seq := flag.Int("seq", 128, "sequence length")
	steps := flag.Int("steps", 3, "timed steps (after one warm-up)")
	repeat := flag.Int("repeat", 50, "fill-mask calls (after 3 warm-ups)")
	threads := flag.Int("threads", runtime.GOMAXPROCS(0), "compute threads")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the timed steps (not the warm-up) to this file")
	precision := flag.String("precision", "fp32", "matmul precision: fp32 | bf16 (distilbert.ForMaskedLM.Precision)")
	flag.Parse()
	prec, err := tensor.ParsePrecision(*precision)
	if err != nil {
		fail(fmt.Errorf("--precision: %w", err))
	}
	kernels.SetThreads(*threads)
	// profile starts the CPU profile at the first timed step: the model's
	// construction and the warm-up (which pays the first touch of every
	// buffer, page faults that a steady step does not) stay out of it.
	profile := func() {}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fail(err)
		}
		profile = func() {
			if err := pprof.StartCPUProfile(f); err != nil {
				fail(err)
			}
			profile = func() {}
		}
		defer pprof.StopCPUProfile()
	}

	cfg := distilbert.DefaultConfig()
	m, err := distilbert.New(cfg, 1)
	if err != nil {
		fail(err)
	}
	m.Precision = prec
	res := Result{Engine: "distilgo", Mode: *mode, Batch: *batch, SeqLen: *seq, Threads: *threads, Kernels: kernels.Level(), Steps: *steps, Precision: prec.String()}
	r := rand.New(rand.NewPCG(7, 7))
	in, labels := randomBatch(r, cfg, *batch, *seq)
	var times, cpuTimes []float64
	switch *mode {
	case "train":
		m.Train(true)
		mom, vel := make([]float32, m.Params.Len()), make([]float32, m.Params.Len())
		tp := tensor.NewTape()
		for s := 0; s <= *steps; s++ {
			if s == 1 {
				profile()
			}
			t0, c0 := time.Now(), cpuSeconds()
			tp.Reset()
			tp.Seed(uint64(s))
			m.Params.ZeroGrad()
			loss, _, err := m.Loss(tp, in, labels)
			if err != nil {
				fail(err)
			}
			tp.Backward(loss)
			clip(m.Params.Grad, 1)
			kernels.AdamW(m.Params.Data, m.Params.Grad, mom, vel, kernels.AdamWParams{LR: 2e-5, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01, Step: s + 1})
			if s > 0 {
				times = append(times, time.Since(t0).Seconds())
				cpuTimes = append(cpuTimes, cpuSeconds()-c0)
			}
			res.Loss = float64(loss.Item())
		}
		res.GFLOPs = trainFLOPs(cfg, *batch, *seq, countLabels(labels)) / 1e9
	case "eval":
		m.Train(false)
		tp := tensor.NewNoGradTape()
		for s := 0; s <= *steps; s++ {
			if s == 1 {
				profile()
			}
			t0, c0 := time.Now(), cpuSeconds()
			tp.Reset()
			loss, _, err := m.Loss(tp, in, labels)
			if err != nil {
				fail(err)
			}
			if s > 0 {
				times = append(times, time.Since(t0).Seconds())
				cpuTimes = append(cpuTimes, cpuSeconds()-c0)
			}
			res.Loss = float64(loss.Item())
		}
		res.GFLOPs = trainFLOPs(cfg, *batch, *seq, countLabels(labels)) / 3 / 1e9
	case "fillmask":
		// "this is a great [MASK] ." with [CLS]/[SEP] in bert-base-uncased ids.
		ids := []int32{101, 2023, 2003, 1037, 2307, 103, 1012, 102}
		fin := distilbert.Input{B: 1, T: len(ids), InputIDs: ids}
		m.Train(false)
		tp := tensor.NewNoGradTape()
		tp.SetWeightsFixed(true) // inference, as pipeline.FillMask runs it
		for s := 0; s < *repeat+3; s++ {
			if s == 3 {
				profile()
			}
			t0, c0 := time.Now(), cpuSeconds()
			tp.Reset()
			if _, err := m.LogitsAt(tp, fin, []int32{5}); err != nil {
				fail(err)
			}
			if s >= 3 {
				times = append(times, time.Since(t0).Seconds())
				cpuTimes = append(cpuTimes, cpuSeconds()-c0)
			}
		}
		res.Batch, res.SeqLen, res.Steps = 1, len(ids), *repeat
		res.P50MS = 1000 * quantile(times, 0.5)
		res.P95MS = 1000 * quantile(times, 0.95)
	default:
		fail(fmt.Errorf("unknown --mode %q", *mode))
	}
	med := quantile(times, 0.5)
	res.StepMS = 1000 * med
	res.TokensPerSec = float64(res.Batch*res.SeqLen) / med
	res.TokensPerCPUSec = float64(res.Batch*res.SeqLen) / quantile(cpuTimes, 0.5)
	res.GFLOPs /= med
	res.PeakRSSMiB = peakRSSMiB()
	json.NewEncoder(os.Stdout).Encode(res)
}

// randomBatch returns B×T random token ids and labels at 15% of positions.
func randomBatch(r *rand.Rand, cfg distilbert.Config, B, T int) (distilbert.Input, []int32) {
	in := distilbert.Input{B: B, T: T, InputIDs: make([]int32, B*T)}
	labels := make([]int32, B*T)
	for i := range in.InputIDs {
		in.InputIDs[i] = int32(1000 + r.IntN(cfg.VocabSize-1000))
		labels[i] = tensor.IgnoreIndex
		if r.Float64() < 0.15 {
			labels[i] = in.InputIDs[i]
			in.InputIDs[i] = 103 // [MASK]
		}
	}
	return in, labels
}

func countLabels(l []int32) int {
	n := 0
	for _, v := range l {
		if v != tensor.IgnoreIndex {
			n++
		}
	}
	return n
}

// trainFLOPs counts the matrix FLOPs a training step needs (forward ×3 for
// forward + backward): per token and layer 8C² (q, k, v, out) + 4CH (FFN) +
// 4TC (scores and context); the MLM head only at the M labelled positions:
// 2C² + 2CV each.
func trainFLOPs(cfg distilbert.Config, B, T, M int) float64 {
	C, H, V, L := float64(cfg.Dim), float64(cfg.HiddenDim), float64(cfg.VocabSize), float64(cfg.NLayers)
	enc := float64(B*T) * L * (8*C*C + 4*C*H + 4*float64(T)*C)
	head := float64(M) * (2*C*C + 2*C*V)
	return 3 * (enc + head)
}

func clip(g []float32, maxNorm float64) {
	n := math.Sqrt(kernels.SumSquares(g))
	if c := maxNorm / (n + 1e-6); c < 1 {
		kernels.Scale(float32(c), g)
	}
}

func quantile(xs []float64, q float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

// cpuSeconds is the user+system CPU time of the process so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// peakRSSMiB reads VmHWM (peak resident set) from /proc/self/status.
func peakRSSMiB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "e2e:", err)
	os.Exit(1)
}
