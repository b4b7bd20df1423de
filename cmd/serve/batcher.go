package main

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/distilgo/distilgo/pipeline"
)

// request is one accepted POST waiting for the model.
type request struct {
	ctx  context.Context // the client's: done when it disconnects or times out
	job  *pipeline.Job
	done chan error // buffered: the batcher never blocks on a gone client
}

// batcher gathers queued requests into forward passes (dynamic batching):
// it takes the first waiting request, then more in arrival order until
// their tokens would pass the budget or wait has elapsed since the first.
// Requests whose client has gone are dropped before the forward pass.
type batcher struct {
	fm      *pipeline.FillMask
	queue   chan *request
	budget  int
	wait    time.Duration
	metrics *metrics
}

// loop runs batches until ctx is done; requests still queued then are
// answered with ctx's error (the server drains before stopping it, so in
// practice none are).
func (b *batcher) loop(ctx context.Context) {
	var next *request // a request that did not fit the previous batch
	batch := make([]*request, 0, 64)
	jobs := make([]*pipeline.Job, 0, 64)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		batch = batch[:0]
		if next == nil {
			select {
			case next = <-b.queue:
			case <-ctx.Done():
				b.fail(ctx.Err())
				return
			}
		}
		batch = append(batch, next)
		tokens := next.job.Tokens()
		next = nil
		timer.Reset(b.wait)
	gather:
		for tokens < b.budget {
			select {
			case r := <-b.queue:
				if tokens+r.job.Tokens() > b.budget {
					next = r
					break gather
				}
				batch = append(batch, r)
				tokens += r.job.Tokens()
			case <-timer.C:
				break gather
			}
		}
		timer.Stop()
		b.run(batch, jobs[:0])
		clear(batch) // drop the requests for the garbage collector
	}
}

// run answers the live requests of batch with one Run.
func (b *batcher) run(batch []*request, jobs []*pipeline.Job) {
	live := batch[:0]
	tokens := 0
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.done <- err // the client is gone or out of time: skip its work
			continue
		}
		live = append(live, r)
		jobs = append(jobs, r.job)
		tokens += r.job.Tokens()
	}
	if len(live) == 0 {
		return
	}
	b.metrics.batchRequests.Observe(float64(len(live)))
	b.metrics.batchTokens.Observe(float64(tokens))
	// The batch's forward passes stop (between passes) once every one of
	// its clients has gone: nobody would read the answers.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var left atomic.Int64
	left.Store(int64(len(live)))
	stops := make([]func() bool, len(live))
	for i, r := range live {
		stops[i] = context.AfterFunc(r.ctx, func() {
			if left.Add(-1) == 0 {
				cancel()
			}
		})
	}
	err := b.fm.Run(ctx, jobs)
	for i, r := range live {
		stops[i]()
		r.done <- err
	}
	clear(jobs)
}

// fail answers every queued request with err.
func (b *batcher) fail(err error) {
	for {
		select {
		case r := <-b.queue:
			r.done <- err
		default:
			return
		}
	}
}
