// Command kernels measures SGEMM throughput of distilgo's kernels (every
// implementation level) and of gonum's pure-Go Sgemm at DistilBERT's
// training shapes, printing one tab-separated line per measurement:
//
//	impl  level  case  M  N  K  batch  threads  GFLOP/s  peak-GFLOP/s  %peak  GFLOP/cpu-s
//
// GFLOP/cpu-s divides by the CPU time of the process instead of the wall
// time: on a machine shared with other jobs it stays close to what the
// code does on the cores it gets (per thread, it is GFLOP/s divided by the
// threads that ran).
// where peak is the FMA peak that kernels.PeakGFLOPS measures for the level
// on the same number of threads (for gonum, the best level's peak). The
// OpenBLAS figures come from numpy_gemm.py in the same format; compare.sh
// runs everything and builds the table.
//
//	go run ./bench/kernels -threads 1,2 -impl distilgo,gonum
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/distilgo/distilgo/kernels"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// A gemmCase is one product, or a batch of them (the attention heads).
type gemmCase struct {
	name           string
	transA, transB bool
	m, n, k, batch int
}

var cases = []gemmCase{
	{"NN", false, false, 8192, 768, 768, 1}, {"NN", false, false, 8192, 3072, 768, 1}, {"NN", false, false, 8192, 768, 3072, 1},
	{"NT", false, true, 8192, 768, 768, 1}, {"NT", false, true, 8192, 3072, 768, 1}, {"NT", false, true, 8192, 768, 3072, 1},
	{"TN", true, false, 8192, 768, 768, 1}, {"TN", true, false, 8192, 3072, 768, 1}, {"TN", true, false, 8192, 768, 3072, 1},
	{"TN-dW", true, false, 768, 768, 8192, 1}, {"TN-dW", true, false, 3072, 768, 8192, 1}, {"TN-dW", true, false, 768, 3072, 8192, 1},
	{"QKt-NT", false, true, 128, 128, 64, 768}, {"PV-NN", false, false, 128, 64, 128, 768}, {"PtdO-TN", true, false, 128, 64, 128, 768},
	// The MLM vocabulary projection over 160 masked tokens (a batch of 8
	// sequences): logits x·Wᵀ, dx = dlogits·W, dW = dlogitsᵀ·x.
	{"vocab-NT", false, true, 160, 30522, 768, 1}, {"vocab-NN", false, false, 160, 768, 30522, 1}, {"vocab-TN", true, false, 30522, 768, 160, 1},
}

func main() {
	threadsFlag := flag.String("threads", "1,2", "comma-separated thread counts")
	implFlag := flag.String("impl", "distilgo,gonum", "comma-separated implementations: distilgo, gonum")
	levelsFlag := flag.String("levels", "", "distilgo levels (default: all supported but generic)")
	reps := flag.Int("reps", 5, "timed repetitions per case (the median is reported)")
	minTime := flag.Duration("mintime", 300*time.Millisecond, "minimum time per case")
	only := flag.String("cases", "", "comma-separated case names to run (default all)")
	warmup := flag.Bool("warmup", true, "run each implementation once before timing")
	flag.Parse()

	levels := kernels.Levels()
	if len(levels) > 1 {
		levels = levels[:len(levels)-1] // the assembly levels; -levels generic adds the pure-Go one
	}
	if *levelsFlag != "" {
		levels = strings.Split(*levelsFlag, ",")
	}
	var threads []int
	for _, s := range strings.Split(*threadsFlag, ",") {
		t, err := strconv.Atoi(s)
		if err != nil || t < 1 {
			fmt.Fprintf(os.Stderr, "bad -threads %q\n", *threadsFlag)
			os.Exit(2)
		}
		threads = append(threads, t)
	}
	impls := strings.Split(*implFlag, ",")
	best := kernels.Level()
	fmt.Println("# impl\tlevel\tcase\tM\tN\tK\tbatch\tthreads\tGFLOP/s\tpeak\tpct-of-peak\tGFLOP/cpu-s")
	for _, th := range threads {
		runtime.GOMAXPROCS(max(th, 1)) // gonum's Sgemm uses GOMAXPROCS goroutines
		kernels.SetThreads(th)
		peaks := map[string]float64{}
		for _, l := range levels {
			if err := kernels.Use(l); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			peaks[l] = kernels.PeakGFLOPS(th, 500*time.Millisecond)
		}
		for _, c := range cases {
			if *only != "" && !slices.Contains(strings.Split(*only, ","), c.name) {
				continue
			}
			a, b, cc, lda, ldb := operands(c)
			flops := 2 * float64(c.m) * float64(c.n) * float64(c.k) * float64(c.batch)
			// Every implementation of the case runs interleaved, rep by
			// rep, so that load from other processes hits all alike.
			var runs []run
			for _, impl := range impls {
				switch impl {
				case "distilgo":
					for _, l := range levels {
						runs = append(runs, run{impl: "distilgo", level: l, peak: peaks[l], f: func() {
							kernels.Use(l)
							kernels.SgemmBatched(c.transA, c.transB, c.m, c.n, c.k, 1, a, lda, c.m*c.k, b, ldb, c.k*c.n, 0, cc, c.n, c.m*c.n, c.batch)
						}})
					}
				case "gonum":
					impl := gonum.Implementation{}
					ta, tb := blas.NoTrans, blas.NoTrans
					if c.transA {
						ta = blas.Trans
					}
					if c.transB {
						tb = blas.Trans
					}
					runs = append(runs, run{impl: "gonum", level: gonumLevel, peak: peaks[best], f: func() {
						kernels.Use(best)
						for i := 0; i < c.batch; i++ {
							impl.Sgemm(ta, tb, c.m, c.n, c.k, 1, a[i*c.m*c.k:], lda, b[i*c.k*c.n:], ldb, 0, cc[i*c.m*c.n:], c.n)
						}
					}})
				default:
					fmt.Fprintf(os.Stderr, "unknown impl %q\n", impl)
					os.Exit(2)
				}
			}
			wall, cpu := measure(*reps, *minTime, *warmup, flops, runs)
			for i := range runs {
				report(runs[i].impl, runs[i].level, c, th, wall[i], runs[i].peak, cpu[i])
			}
		}
	}
}

// gonumLevel names gonum's build: "go" (on amd64 its float32 kernels are
// SSE assembly) or "go-noasm" (-tags noasm: pure Go, as on arm64).
var gonumLevel = "go"

// run is one implementation of a case.
type run struct {
	impl, level string
	peak        float64
	f           func()
}

func operands(c gemmCase) (a, b, cc []float32, lda, ldb int) {
	r := rand.New(rand.NewPCG(1, 2))
	a = make([]float32, c.batch*c.m*c.k)
	b = make([]float32, c.batch*c.k*c.n)
	cc = make([]float32, c.batch*c.m*c.n)
	for i := range a {
		a[i] = 2*r.Float32() - 1
	}
	for i := range b {
		b[i] = 2*r.Float32() - 1
	}
	lda, ldb = c.k, c.n
	if c.transA {
		lda = c.m
	}
	if c.transB {
		ldb = c.k
	}
	return a, b, cc, lda, ldb
}

// measure returns each run's median GFLOP/s and GFLOP per CPU-second over
// reps timed repetitions (each repeating f until minTime/reps has passed),
// after one warm-up call each; the runs alternate within every repetition.
func measure(reps int, minTime time.Duration, warmup bool, flops float64, runs []run) (wall, cpu []float64) {
	rates := make([][]float64, len(runs))
	cpuRates := make([][]float64, len(runs))
	if warmup {
		for _, r := range runs {
			r.f()
		}
	}
	for range reps {
		for i, r := range runs {
			n := 0
			c0 := cpuSeconds()
			t0 := time.Now()
			for n == 0 || time.Since(t0) < minTime/time.Duration(reps) {
				r.f()
				n++
			}
			rates[i] = append(rates[i], flops*float64(n)/time.Since(t0).Seconds()/1e9)
			if c := cpuSeconds() - c0; c > 0 {
				cpuRates[i] = append(cpuRates[i], flops*float64(n)/c/1e9)
			}
		}
	}
	median := func(rs []float64) float64 {
		if len(rs) == 0 {
			return 0
		}
		slices.Sort(rs)
		return rs[len(rs)/2]
	}
	wall, cpu = make([]float64, len(runs)), make([]float64, len(runs))
	for i := range runs {
		wall[i], cpu[i] = median(rates[i]), median(cpuRates[i])
	}
	return wall, cpu
}

// cpuSeconds is the user+system CPU time of the process so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func report(impl, level string, c gemmCase, threads int, g, peak, cpu float64) {
	pct := 0.0
	if peak > 0 {
		pct = 100 * g / peak
	}
	fmt.Printf("%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.1f\n", impl, level, c.name, c.m, c.n, c.k, c.batch, threads, g, peak, pct, cpu)
}
