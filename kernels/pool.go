package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// The worker pool: a fixed set of goroutines, started once, that run the
// parallel parts of kernels. No goroutine is spawned per call.

type task struct {
	fn     func(lo, hi int)
	lo, hi int
	wg     *sync.WaitGroup
}

var pool struct {
	mu      sync.Mutex // serializes SetThreads
	threads atomic.Int32
	work    chan task
	started int
}

func init() {
	pool.work = make(chan task, 256)
	SetThreads(runtime.GOMAXPROCS(0))
}

// SetThreads sets the number of threads kernels use (at least 1). Workers are
// started on demand and kept; lowering the count leaves extra workers idle.
func SetThreads(n int) {
	if n < 1 {
		n = 1
	}
	pool.mu.Lock()
	defer pool.mu.Unlock()
	for pool.started < n-1 { // the calling goroutine is the n-th thread
		go worker()
		pool.started++
	}
	pool.threads.Store(int32(n))
}

// Threads reports the number of threads kernels use.
func Threads() int { return int(pool.threads.Load()) }

func worker() {
	for t := range pool.work {
		t.fn(t.lo, t.hi)
		t.wg.Done()
	}
}

// ParallelFor splits [0, n) into at most Threads() contiguous ranges of at
// least grain items and runs fn on each, the last range on the calling
// goroutine. It returns when all ranges are done.
func ParallelFor(n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	parts := Threads()
	if maxParts := (n + grain - 1) / grain; parts > maxParts {
		parts = maxParts
	}
	if parts <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	wg.Add(parts - 1)
	for p := 0; p < parts-1; p++ {
		pool.work <- task{fn: fn, lo: n * p / parts, hi: n * (p + 1) / parts, wg: &wg}
	}
	fn(n*(parts-1)/parts, n)
	wg.Wait()
}
