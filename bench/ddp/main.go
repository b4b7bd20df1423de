// Command ddp measures data-parallel training over MPI: the time of a
// training step of DistilBERT (random weights, random masked batches) on
// each rank, the part of it spent in the gradient all-reduce, and the
// all-reduce bandwidth alone. Build it with -tags mpi and start it with
// mpirun; rank 0 prints one JSON object.
//
//	go build -tags mpi -o /tmp/ddpbench ./bench/ddp
//	mpirun -np 1 /tmp/ddpbench --threads 2 --batch 8 --accum 2
//	mpirun -np 2 /tmp/ddpbench --threads 1 --batch 8 --accum 1
//
// Both lines train the same global batch (16 sequences of 128 tokens) per
// step. Without mpirun it runs as one process.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"time"

	"github.com/distilgo/distilgo/dataset"
	"github.com/distilgo/distilgo/distilbert"
	"github.com/distilgo/distilgo/distributed"
	"github.com/distilgo/distilgo/kernels"
	"github.com/distilgo/distilgo/tensor"
	"github.com/distilgo/distilgo/trainer"
)

// Result is rank 0's report.
type Result struct {
	Size         string  `json:"size"`
	Params       int     `json:"params"`
	Ranks        int     `json:"ranks"`
	Threads      int     `json:"threads_per_rank"`
	Kernels      string  `json:"kernels"`
	Batch        int     `json:"batch_per_rank"`
	Accum        int     `json:"accum_per_rank"`
	GlobalBatch  int     `json:"global_batch"`
	StepMS       float64 `json:"step_ms"`           // median over the timed steps
	AllReduceMS  float64 `json:"grad_allreduce_ms"` // of that step: time in the gradient all-reduce calls (incl. waiting for the slower rank; overlapped with the backward pass when bucketed)
	CommShare    float64 `json:"comm_share"`
	TokensPerSec float64 `json:"tokens_per_s"`
	PureMS       float64 `json:"pure_allreduce_ms"` // all-reduce of the gradient buffer alone, after a barrier (median)
	AlgBWGBs     float64 `json:"alg_bw_GB_per_s"`   // gradient bytes / pure time
	BusBWGBs     float64 `json:"bus_bw_GB_per_s"`   // alg bw x 2(N-1)/N: what each rank's link carries
	Steps        int     `json:"steps"`
	BucketMB     float64 `json:"bucket_mb"`
}

// timedComm measures the time spent in AllReduceSum on large buffers.
type timedComm struct {
	distributed.Comm
	spent time.Duration
}

func (c *timedComm) AllReduceSum(buf []float32) error {
	t0 := time.Now()
	err := c.Comm.AllReduceSum(buf)
	if len(buf) > 1<<16 {
		c.spent += time.Since(t0)
	}
	return err
}

func main() {
	size := flag.String("size", "base", "base (distilbert-base-uncased, 67M parameters) or small (dim 256, 4 layers, 11M)")
	batch := flag.Int("batch", 8, "sequences per micro-batch on each rank")
	accum := flag.Int("accum", 1, "micro-batches per step on each rank")
	seq := flag.Int("seq", 128, "sequence length")
	steps := flag.Int("steps", 3, "timed steps (after one warm-up)")
	reps := flag.Int("reps", 5, "repetitions of the pure all-reduce")
	threads := flag.Int("threads", 1, "compute threads per rank")
	bucketMB := flag.Float64("bucket-mb", 25, "gradient bucket size in MB (0: one all-reduce after the backward pass)")
	flag.Parse()

	var comm distributed.Comm = distributed.Single{}
	if _, ok := distributed.DetectLaunch(); ok {
		c, err := distributed.InitMPI()
		if err != nil {
			fail(err)
		}
		comm = c
	}
	defer comm.Close()
	kernels.SetThreads(*threads)
	trainer.BucketBytes = int(*bucketMB * 1e6)

	cfg := distilbert.DefaultConfig()
	if *size == "small" {
		cfg.Dim, cfg.NLayers, cfg.NHeads, cfg.HiddenDim = 256, 4, 4, 1024
	} else if *size != "base" {
		fail(fmt.Errorf("--size %q: want base or small", *size))
	}
	m, err := distilbert.New(cfg, 1)
	if err != nil {
		fail(err)
	}
	m.Train(true)
	opt := trainer.NewAdamW(m.Params, trainer.DefaultAdamWConfig(0.01))
	tp := tensor.NewTape()
	tc := &timedComm{Comm: comm}

	// Each rank its own random batches (the data do not change the speed).
	r := rand.New(rand.NewPCG(uint64(comm.Rank()), 7))
	batches := make([]dataset.Batch, *accum)
	for i := range batches {
		batches[i] = randomBatch(r, cfg.VocabSize, *batch, *seq)
	}
	var stepMS, commMS []float64
	for s := range *steps + min(*steps, 1) { // one warm-up step
		comm.Barrier()
		tc.spent = 0
		t0 := time.Now()
		if _, err := trainer.DataParallelStep(tc, m, tp, opt, 2e-5, 1, batches, func(j int) uint64 { return uint64(s*100 + j) }); err != nil {
			fail(err)
		}
		if s > 0 {
			stepMS = append(stepMS, ms(time.Since(t0)))
			commMS = append(commMS, ms(tc.spent))
		}
	}
	var pure []float64
	for range *reps {
		comm.Barrier()
		t0 := time.Now()
		if err := comm.AllReduceSum(m.Params.Grad); err != nil {
			fail(err)
		}
		pure = append(pure, ms(time.Since(t0)))
	}
	if comm.Rank() != 0 {
		return
	}
	n := comm.Size()
	res := Result{Size: *size, Params: m.Params.Len(), Ranks: n, Threads: *threads, Kernels: kernels.Level(),
		Batch: *batch, Accum: *accum, GlobalBatch: n * *batch * *accum, Steps: *steps, BucketMB: *bucketMB,
		StepMS: median(stepMS), AllReduceMS: median(commMS), PureMS: median(pure)}
	if res.StepMS > 0 {
		res.CommShare = res.AllReduceMS / res.StepMS
		res.TokensPerSec = float64(res.GlobalBatch**seq) / (res.StepMS / 1000)
	}
	if n > 1 && res.PureMS > 0 {
		bytes := 4 * float64(m.Params.Len())
		res.AlgBWGBs = bytes / (res.PureMS / 1000) / 1e9
		res.BusBWGBs = res.AlgBWGBs * 2 * float64(n-1) / float64(n)
	}
	out, err := json.Marshal(res)
	if err != nil {
		fail(err)
	}
	fmt.Println(string(out))
}

// randomBatch returns B sequences of T random non-special ids with 15% of
// the positions labelled.
func randomBatch(r *rand.Rand, V, B, T int) dataset.Batch {
	b := dataset.Batch{B: B, T: T, InputIDs: make([]int32, B*T), AttentionMask: make([]int32, B*T), Labels: make([]int32, B*T)}
	for i := range b.InputIDs {
		b.InputIDs[i] = int32(1000 + r.IntN(V-1000))
		b.AttentionMask[i] = 1
		b.Labels[i] = tensor.IgnoreIndex
		if r.Float64() < 0.15 {
			b.Labels[i] = b.InputIDs[i]
		}
	}
	return b
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "ddp:", err)
	os.Exit(1)
}
