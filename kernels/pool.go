package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The worker pool: a fixed set of goroutines, started once, that run the
// parallel parts of kernels. No goroutine is spawned per call, and a call
// allocates nothing in steady state: call records and kernel argument
// structs are recycled through sync.Pools.
//
// Nesting is safe: a goroutine waiting for its parts to finish runs queued
// parts (of any call) meanwhile, so a ParallelFor body may itself call
// ParallelFor or any kernel without deadlocking the pool.

// rangeBody is the work of one parallel call: runRange(lo, hi) processes the
// items [lo, hi).
type rangeBody interface {
	runRange(lo, hi int)
}

// parallelCall tracks one parallel call's outstanding parts.
type parallelCall struct {
	body    rangeBody
	pending atomic.Int32
	done    chan struct{} // receives one value when pending reaches zero
}

type task struct {
	call   *parallelCall
	lo, hi int
}

var callPool = sync.Pool{New: func() any { return &parallelCall{done: make(chan struct{}, 1)} }}

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
// It is meant for start-up and benchmarks, not to be called while kernels run.
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
	for {
		t, ok := pollTask()
		if !ok {
			t = <-pool.work
		}
		t.call.exec(t.lo, t.hi)
	}
}

// spinWait is how long a worker polls for its next task, and a caller for
// its other parts to finish, before it parks. A parked goroutine takes tens
// of microseconds to wake (the runtime wakes an idle thread through a
// futex), which a forward pass of a few tokens to a few hundred pays in
// hundreds of short parallel calls (layer norms, GELUs, attention of small
// batches): polling made fill-mask of one text 12% faster and of 32 texts
// 3-6% (BENCHMARKS.md, serve). Polling yields the processor
// (runtime.Gosched) between tries, so runnable goroutines are not delayed.
const spinWait = 50 * time.Microsecond

// pollTask polls the work queue for up to spinWait.
func pollTask() (task, bool) {
	var start time.Time
	for i := 0; ; i++ {
		if t, ok := tryTask(); ok {
			return t, true
		}
		if i == 0 {
			start = time.Now()
		} else if time.Since(start) > spinWait {
			return task{}, false
		}
		runtime.Gosched()
	}
}

func (c *parallelCall) exec(lo, hi int) {
	c.body.runRange(lo, hi)
	if c.pending.Add(-1) == 0 {
		c.done <- struct{}{}
	}
}

// funcBody adapts a func to rangeBody without allocating (a func value is
// pointer-shaped).
type funcBody func(lo, hi int)

func (f funcBody) runRange(lo, hi int) { f(lo, hi) }

// ParallelFor splits [0, n) into at most Threads() contiguous ranges of at
// least grain items and runs fn on each, the last range on the calling
// goroutine. It returns when all ranges are done. fn may call ParallelFor
// (or any kernel) itself: waiting goroutines run queued ranges meanwhile.
func ParallelFor(n, grain int, fn func(lo, hi int)) {
	parallelRange(n, grain, funcBody(fn))
}

// parallelParts is the number of ranges ParallelFor uses for n items.
func parallelParts(n, grain int) int {
	if grain < 1 {
		grain = 1
	}
	parts := Threads()
	if maxParts := (n + grain - 1) / grain; parts > maxParts {
		parts = maxParts
	}
	return parts
}

// parallelRange is ParallelFor on a rangeBody; kernels pass pointers to
// pooled argument structs so that no closure is allocated per call.
func parallelRange(n, grain int, body rangeBody) {
	if n <= 0 {
		return
	}
	parts := parallelParts(n, grain)
	if parts <= 1 {
		body.runRange(0, n)
		return
	}
	c := callPool.Get().(*parallelCall)
	c.body = body
	c.pending.Store(int32(parts))
	for p := 0; p < parts-1; p++ {
		t := task{call: c, lo: n * p / parts, hi: n * (p + 1) / parts}
		select {
		case pool.work <- t:
		default: // queue full (deeply nested calls): run it here
			c.exec(t.lo, t.hi)
		}
	}
	c.exec(n*(parts-1)/parts, n)
	// Poll before parking (spinWait): the other parts usually finish
	// within microseconds of this one.
	var start time.Time
	for i := 0; c.pending.Load() != 0; i++ {
		if t, ok := tryTask(); ok {
			t.call.exec(t.lo, t.hi)
			continue
		}
		if i == 0 {
			start = time.Now()
		} else if time.Since(start) > spinWait {
			break
		}
		runtime.Gosched()
	}
	for {
		select {
		case <-c.done:
			c.body = nil
			callPool.Put(c)
			return
		case t := <-pool.work:
			t.call.exec(t.lo, t.hi)
		}
	}
}

// tryTask takes a queued task if there is one.
func tryTask() (task, bool) {
	select {
	case t := <-pool.work:
		return t, true
	default:
		return task{}, false
	}
}

// argPool recycles the argument structs of parallel kernels.
type argPool[T any] struct{ p sync.Pool }

func (p *argPool[T]) get() *T {
	if v := p.p.Get(); v != nil {
		return v.(*T)
	}
	return new(T)
}

// put clears x (dropping its slice references) and recycles it.
func (p *argPool[T]) put(x *T) {
	var zero T
	*x = zero
	p.p.Put(x)
}

// job binds a kernel's arguments to a plain (non-closure) range function,
// so that a parallel kernel call allocates nothing: jobs are pooled.
type job[A any] struct {
	args A
	fn   func(a *A, lo, hi int)
}

func (j *job[A]) runRange(lo, hi int) { j.fn(&j.args, lo, hi) }

// parallel runs fn(&args, lo, hi) over [0, n) split as ParallelFor does.
func parallel[A any](p *argPool[job[A]], n, grain int, args A, fn func(a *A, lo, hi int)) {
	j := p.get()
	j.args, j.fn = args, fn
	parallelRange(n, grain, j)
	p.put(j)
}
