// Command serve serves a DistilBERT fill-mask model over HTTP with the
// Hugging Face Inference API's payload and answer, batching concurrent
// requests into shared forward passes:
//
//	serve --model distilbert-finetuned-imdb --addr 127.0.0.1:8080
//	curl -s localhost:8080 -d '{"inputs": "This is a great [MASK]."}'
//
// Routes: POST / (fill-mask: {"inputs": "text" | ["text", ...],
// "parameters": {"top_k": 5, "targets": [...]}}), GET /health, GET /metrics
// (Prometheus text format).
//
// Requests wait in a bounded queue; a batcher takes them in arrival order
// into one forward pass until the token budget (--max-batch-tokens) is
// reached or --batch-wait has passed since the first. A full queue answers
// 503 with Retry-After at once. SIGTERM (or SIGINT) stops accepting
// connections, answers every request already accepted, and exits 0.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	runtimemetrics "runtime/metrics"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/distilgo/distilgo/internal/atomicfile"
	"github.com/distilgo/distilgo/kernels"
	"github.com/distilgo/distilgo/pipeline"
	"github.com/distilgo/distilgo/trainer"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
}

// config holds the flags.
type config struct {
	model, vocab, addr, precision, logLevel string
	cpuProfile                              string // --cpuprofile: "" for none
	threads, gcPercent, memHeadroom         int
	limits                                  limits
	batchTokens, queue                      int
	batchWait, timeout, drain               time.Duration
}

// limits bound what one request may ask for.
type limits struct {
	bodyBytes  int64 // --max-body-bytes: 413 beyond
	inputs     int   // --max-inputs: 422 beyond
	inputBytes int   // --max-input-bytes: 422 beyond
	topK       int   // --max-top-k: 422 beyond
	targets    int   // --max-targets: 422 beyond
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.model, "model", "distilbert-finetuned-imdb", "model: a directory in the Hugging Face layout, a training checkpoint folder, or a Hub id")
	fs.StringVar(&c.vocab, "vocab", "", "vocab.txt to use when the model directory has no tokenizer files")
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&c.precision, "precision", "fp32", "arithmetic of the forward pass: fp32 or bf16")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the serving time (after load and warm-up, until shutdown) to this file")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug (one line per request), info, warn, error")
	fs.IntVar(&c.threads, "threads", 0, "compute threads (0: all cores)")
	fs.IntVar(&c.gcPercent, "gc-percent", 10, "Go GC target percentage while serving (GOGC; -1: leave the runtime's setting)")
	fs.IntVar(&c.memHeadroom, "mem-headroom", 64, "MiB above the memory in use after load and warm-up at which the Go memory limit is set (GOMEMLIMIT); 0, or GOMEMLIMIT in the environment: leave the runtime's limit")
	fs.IntVar(&c.batchTokens, "max-batch-tokens", pipeline.DefaultMaxBatchTokens, "token budget of one dynamic batch (padded tokens of a forward pass)")
	fs.DurationVar(&c.batchWait, "batch-wait", 5*time.Millisecond, "how long a batch waits for more requests after its first")
	fs.IntVar(&c.queue, "queue", 256, "requests that may wait for the model; beyond, 503 with Retry-After")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Second, "per-request time limit (504 beyond)")
	fs.DurationVar(&c.drain, "drain-timeout", 60*time.Second, "on SIGTERM, how long to wait for accepted requests to finish")
	fs.Int64Var(&c.limits.bodyBytes, "max-body-bytes", 1<<20, "largest request body (413 beyond)")
	fs.IntVar(&c.limits.inputs, "max-inputs", 64, "most texts in one request (422 beyond)")
	fs.IntVar(&c.limits.inputBytes, "max-input-bytes", 16<<10, "longest text in bytes (422 beyond; texts over the model's maximum tokens are truncated)")
	fs.IntVar(&c.limits.topK, "max-top-k", 1000, "largest top_k (422 beyond)")
	fs.IntVar(&c.limits.targets, "max-targets", 1000, "most targets (422 beyond)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: serve --model DIR|HUB_ID [--addr HOST:PORT] [flags]\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (flags only)", fs.Arg(0))
	}
	for _, p := range []struct {
		name string
		v    int64
	}{
		{"--max-batch-tokens", int64(c.batchTokens)}, {"--queue", int64(c.queue)}, {"--max-body-bytes", c.limits.bodyBytes},
		{"--max-inputs", int64(c.limits.inputs)}, {"--max-input-bytes", int64(c.limits.inputBytes)},
		{"--max-top-k", int64(c.limits.topK)}, {"--max-targets", int64(c.limits.targets)},
	} {
		if p.v < 1 {
			return nil, fmt.Errorf("%s %d: must be at least 1", p.name, p.v)
		}
	}
	if c.memHeadroom < 0 {
		return nil, fmt.Errorf("--mem-headroom %d: must not be negative (0: no memory limit)", c.memHeadroom)
	}
	if c.batchWait < 0 || c.timeout <= 0 || c.drain <= 0 {
		return nil, fmt.Errorf("--batch-wait %v, --timeout %v, --drain-timeout %v: must be positive", c.batchWait, c.timeout, c.drain)
	}
	return c, nil
}

// goMapped returns the memory the Go runtime holds from the OS and has not
// returned to it: what the Go memory limit bounds.
func goMapped() int64 {
	s := []runtimemetrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	runtimemetrics.Read(s)
	return int64(s[0].Value.Uint64() - s[1].Value.Uint64())
}

// run serves until ctx is done (SIGTERM), then drains. ready, when not nil,
// receives the listening address (tests listen on port 0).
func run(ctx context.Context, args []string, stderr io.Writer, ready func(addr string)) error {
	c, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return fmt.Errorf("--log-level %q: want debug, info, warn or error", c.logLevel)
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	prec, err := pipeline.ParsePrecision(c.precision)
	if err != nil {
		return fmt.Errorf("--precision: %w", err)
	}
	if c.threads > 0 {
		kernels.SetThreads(c.threads)
	}
	start := time.Now()
	if err := trainer.CheckFinished("--model", c.model); err != nil {
		return err
	}
	fm, err := pipeline.Load(ctx, c.model, pipeline.Config{Vocab: c.vocab, Precision: prec, MaxBatchTokens: c.batchTokens})
	if err != nil {
		return err
	}
	for _, w := range fm.Tokenizer().Warnings() {
		slog.Warn("tokenizer", "warning", w)
	}
	// The largest passes once now, so that the activation buffers have
	// their final size before the first request: RSS stays flat.
	if err := fm.Warm(ctx); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	// Loading leaves garbage as large as the model (the per-module tensors
	// nn.Pack copies into one buffer): give it back to the OS now rather
	// than when the scavenger gets to it, so RSS reflects the serving state.
	debug.FreeOSMemory()
	// The live heap is nearly all the model and the activation buffers,
	// which hold no pointers, so a collection costs little; GOGC's default
	// 100 would let request garbage grow to their size again before one.
	if c.gcPercent >= 0 {
		defer debug.SetGCPercent(debug.SetGCPercent(c.gcPercent))
	}
	// GOGC alone lets garbage grow by a tenth of a heap that is mostly the
	// model (and its never-touched gradient buffer), ~100 MB, before a
	// collection; the pages it freed then stay resident until the
	// scavenger, which keeps up to a tenth more than the heap goal, gets to
	// them, so RSS rose through the first minutes and crept afterwards
	// (BENCHMARKS.md, serve soak). A memory limit just above the
	// steady-state memory, measured now that warm-up has sized every
	// buffer, collects after --mem-headroom of garbage and makes the
	// scavenger hand freed pages back at once (it keeps the mapped memory
	// under 95% of the limit): RSS is flat from the first request. The
	// limit is soft: a burst of large requests beyond it costs collections
	// (the runtime caps them at half the CPU), never a failure.
	memLimit := debug.SetMemoryLimit(-1)
	if _, env := os.LookupEnv("GOMEMLIMIT"); c.memHeadroom > 0 && !env {
		memLimit = goMapped() + int64(c.memHeadroom)<<20
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(memLimit))
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return fmt.Errorf("--addr: %w", err)
	}
	if c.cpuProfile != "" {
		stop, err := startCPUProfile(c.cpuProfile, log)
		if err != nil {
			ln.Close()
			return err
		}
		defer stop()
	}
	s := newServer(fm, c, log)
	srv := &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       c.timeout, // a client that sends its body slowly
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	batcherDone := make(chan struct{})
	batchCtx, stopBatcher := context.WithCancel(context.Background())
	go func() { s.batcher.loop(batchCtx); close(batcherDone) }()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("serving", "addr", ln.Addr().String(), "model", c.model, "load_s", time.Since(start).Seconds(),
		"threads", kernels.Threads(), "max_batch_tokens", c.batchTokens, "batch_wait", c.batchWait.String(), "queue", c.queue,
		"activation_mib", fm.ActivationBytes()>>20, "memory_limit_mib", memLimit>>20)
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-served:
		stopBatcher()
		<-batcherDone
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// Stop accepting, then wait for the handlers of accepted requests: the
	// batcher keeps running until they have their answers.
	log.Info("shutting down: draining accepted requests", "queued", len(s.batcher.queue))
	dctx, cancel := context.WithTimeout(context.Background(), c.drain)
	defer cancel()
	err = srv.Shutdown(dctx)
	stopBatcher()
	<-batcherDone
	if err != nil {
		return fmt.Errorf("drain: %w (--drain-timeout %v)", err, c.drain)
	}
	log.Info("stopped", "requests", s.served.Load())
	return nil
}

// startCPUProfile profiles the process until the returned function runs,
// which writes the profile to path atomically (a profile cut short by a
// crash leaves no half file).
func startCPUProfile(path string, log *slog.Logger) (stop func(), err error) {
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := atomicfile.WriteBytes(path, 0o644, buf.Bytes()); err != nil {
			log.Error("--cpuprofile", "error", err.Error())
			return
		}
		log.Info("wrote CPU profile", "path", path, "bytes", buf.Len())
	}, nil
}
