package distributed

import (
	"fmt"
	"os"
	"sync"
)

// NewLocal returns the communicators of a job of n goroutines of this
// process, one per rank: the collectives of data-parallel training without
// an MPI library, for tests and for checking a multi-rank run on one
// machine. Sums add the ranks' values in rank order. Each communicator must
// be used by one goroutine; Abort exits the process.
func NewLocal(n int) []Comm {
	if n < 1 {
		panic(fmt.Sprintf("distributed: NewLocal(%d)", n))
	}
	g := &localGroup{n: n, f32: make([][]float32, n), f64: make([][]float64, n)}
	g.cond = sync.NewCond(&g.mu)
	cs := make([]Comm, n)
	for r := range cs {
		cs[r] = &localComm{g: g, rank: r}
	}
	return cs
}

type localGroup struct {
	n       int
	mu      sync.Mutex
	cond    *sync.Cond
	arrived int
	gen     uint64
	f32     [][]float32 // each rank's buffer of the current collective
	f64     [][]float64
}

// barrier returns once all n ranks have called it (a cyclic barrier).
func (g *localGroup) barrier() {
	g.mu.Lock()
	defer g.mu.Unlock()
	gen := g.gen
	g.arrived++
	if g.arrived == g.n {
		g.arrived = 0
		g.gen++
		g.cond.Broadcast()
		return
	}
	for gen == g.gen {
		g.cond.Wait()
	}
}

type localComm struct {
	g    *localGroup
	rank int
}

func (c *localComm) Rank() int { return c.rank }
func (c *localComm) Size() int { return c.g.n }

func (c *localComm) AllReduceSum(buf []float32) error {
	g := c.g
	g.f32[c.rank] = buf
	g.barrier() // every buffer is published
	for _, b := range g.f32 {
		if len(b) != len(buf) {
			panic(fmt.Sprintf("distributed: AllReduceSum: rank %d has %d elements, another %d", c.rank, len(buf), len(b)))
		}
	}
	sum := make([]float32, len(buf))
	for _, b := range g.f32 {
		for i, v := range b {
			sum[i] += v
		}
	}
	g.barrier() // every rank has read every buffer
	copy(buf, sum)
	return nil
}

func (c *localComm) AllReduceSumFloat64(buf []float64) error {
	g := c.g
	g.f64[c.rank] = buf
	g.barrier()
	sum := make([]float64, len(buf))
	for _, b := range g.f64 {
		if len(b) != len(buf) {
			panic(fmt.Sprintf("distributed: AllReduceSumFloat64: rank %d has %d elements, another %d", c.rank, len(buf), len(b)))
		}
		for i, v := range b {
			sum[i] += v
		}
	}
	g.barrier()
	copy(buf, sum)
	return nil
}

func (c *localComm) Broadcast(buf []float32, root int) error {
	g := c.g
	if root < 0 || root >= g.n {
		panic(fmt.Sprintf("distributed: Broadcast: root %d of %d ranks", root, g.n))
	}
	g.f32[c.rank] = buf
	g.barrier()
	if c.rank != root {
		if len(g.f32[root]) != len(buf) {
			panic(fmt.Sprintf("distributed: Broadcast: rank %d has %d elements, root %d", c.rank, len(buf), len(g.f32[root])))
		}
		copy(buf, g.f32[root])
	}
	g.barrier()
	return nil
}

func (c *localComm) Barrier() error { c.g.barrier(); return nil }
func (c *localComm) Abort(code int) { os.Exit(code) }
func (c *localComm) Close() error   { return nil }
