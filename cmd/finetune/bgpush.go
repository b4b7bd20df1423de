package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"
)

// pushJob is one staged save.
type pushJob struct {
	step       int
	staging    string // the folder to delete once pushed
	root       string // the files for the repository's root
	checkpoint string // the files for last-checkpoint/, "" for none
	message    string
	commit     string // set once pushed
}

// Background push bounds. Variables so that tests can shorten them.
var (
	// pushAttempts bounds the attempts of one background push (each
	// request is already retried by package hub).
	pushAttempts = 3
	// pushRetryWait is the pause before a failed push is tried again.
	pushRetryWait = 30 * time.Second
)

// bgPusher pushes staged saves one at a time on its own goroutine, so that
// training never waits for the network. Only the latest save is kept
// waiting: a newer one replaces it (the latest push wins). A failed push is
// retried, then reported; it never fails the run.
type bgPusher struct {
	push func(context.Context, *pushJob) error
	logf func(string, ...any)

	ctx    context.Context
	cancel context.CancelFunc
	wake   chan struct{}
	quit   chan struct{}
	done   chan struct{}

	mu         sync.Mutex
	pending    *pushJob
	pushed     int
	failed     int
	superseded int
	lastErr    error
}

func newBGPusher(push func(context.Context, *pushJob) error, logf func(string, ...any)) *bgPusher {
	ctx, cancel := context.WithCancel(context.Background())
	b := &bgPusher{push: push, logf: logf, ctx: ctx, cancel: cancel,
		wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go b.loop()
	return b
}

// submit queues j, replacing a save still waiting.
func (b *bgPusher) submit(j *pushJob) {
	b.mu.Lock()
	if b.pending != nil {
		os.RemoveAll(b.pending.staging)
		b.superseded++
	}
	b.pending = j
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

func (b *bgPusher) take() *pushJob {
	b.mu.Lock()
	defer b.mu.Unlock()
	j := b.pending
	b.pending = nil
	return j
}

// newer reports whether a save newer than the one being pushed waits.
func (b *bgPusher) newer() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.pending != nil
}

func (b *bgPusher) loop() {
	defer close(b.done)
	for {
		select {
		case <-b.wake:
		case <-b.quit:
			return
		}
		for j := b.take(); j != nil; j = b.take() {
			b.run(j)
			select {
			case <-b.quit:
				return
			default:
			}
		}
	}
}

// run pushes j, trying again after a pause unless a newer save arrived or
// the pusher is stopping.
func (b *bgPusher) run(j *pushJob) {
	defer os.RemoveAll(j.staging)
	var err error
	for attempt := 1; attempt <= pushAttempts; attempt++ {
		if err = b.push(b.ctx, j); err == nil {
			b.mu.Lock()
			b.pushed++
			b.mu.Unlock()
			b.logf("Pushed step %d to the Hub (commit %s)", j.step, j.commit)
			return
		}
		if b.ctx.Err() != nil || b.newer() || attempt == pushAttempts {
			break
		}
		b.logf("warning: push of step %d to the Hub failed: %v; trying again in %s", j.step, err, pushRetryWait)
		select {
		case <-time.After(pushRetryWait):
		case <-b.quit:
		case <-b.ctx.Done():
		}
		if b.ctx.Err() != nil || b.stopping() {
			break
		}
	}
	b.mu.Lock()
	b.failed++
	b.lastErr = err
	b.mu.Unlock()
	if b.ctx.Err() == nil {
		b.logf("warning: push of step %d to the Hub failed: %v (training continues; a later save or the final push sends the model again)", j.step, err)
	}
}

func (b *bgPusher) stopping() bool {
	select {
	case <-b.quit:
		return true
	default:
		return false
	}
}

// stop drops the save waiting, lets the push in flight finish (or, with
// abort, cancels it) and returns when the goroutine has ended.
func (b *bgPusher) stop(abort bool) {
	b.mu.Lock()
	if b.pending != nil {
		os.RemoveAll(b.pending.staging)
		b.pending = nil
		b.superseded++
	}
	b.mu.Unlock()
	if abort {
		b.cancel()
	}
	select {
	case <-b.quit:
	default:
		close(b.quit)
	}
	<-b.done
	b.cancel()
}

// summary describes the background pushes, "" when there were none.
func (b *bgPusher) summary() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pushed+b.failed+b.superseded == 0 {
		return ""
	}
	s := fmt.Sprintf("Hub: %d pushes during training (%d superseded by a newer save, %d failed)", b.pushed, b.superseded, b.failed)
	if b.lastErr != nil {
		s += "; last failure: " + b.lastErr.Error()
	}
	return s
}
