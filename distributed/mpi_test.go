//go:build mpi

package distributed

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/distilgo/distilgo/internal/mpitest"
)

// TestMPICollectives runs collectiveHelper on 3 ranks (more ranks than this
// machine's cores: --oversubscribe). Every rank checks its own results; the
// job fails if any rank does.
func TestMPICollectives(t *testing.T) {
	if arg, ok := mpitest.Helper(); ok {
		collectiveHelper(t, arg)
		return
	}
	r := mpitest.Run(t, 2*time.Minute, []string{"-np", "3", "--oversubscribe"}, "TestMPICollectives", "3")
	if r.Err != nil {
		t.Fatalf("mpirun: %v\n%s", r.Err, r.Output)
	}
	for rank := range 3 {
		if want := fmt.Sprintf("rank %d of 3: collectives ok", rank); !strings.Contains(r.Output, want) {
			t.Errorf("no %q in the output:\n%s", want, r.Output)
		}
	}
}

// collectiveHelper checks the collectives on one rank of a job of arg
// ranks.
func collectiveHelper(t *testing.T, arg string) {
	c, err := InitMPI()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	l, ok := DetectLaunch()
	if want, _ := strconv.Atoi(arg); !ok || l.Size != c.Size() || c.Size() != want {
		t.Fatalf("DetectLaunch = %+v, %v; MPI size %d, want %s", l, ok, c.Size(), arg)
	}
	rank, size := c.Rank(), c.Size()
	// Sums of small integers are exact in float32 in any order, so the
	// results are compared exactly. The length spans several of Open MPI's
	// internal segments.
	const n = 1<<20 + 3
	buf := make([]float32, n)
	for i := range buf {
		buf[i] = float32(rank*1000 + i%1000)
	}
	if err := c.AllReduceSum(buf); err != nil {
		t.Fatal(err)
	}
	for i, v := range buf {
		want := float32(1000*size*(size-1)/2 + size*(i%1000))
		if v != want {
			t.Fatalf("rank %d: AllReduceSum[%d] = %v, want %v", rank, i, v, want)
		}
	}
	f := []float64{float64(rank) + 0.5, math.Ldexp(1, 60) * float64(rank+1)}
	if err := c.AllReduceSumFloat64(f); err != nil {
		t.Fatal(err)
	}
	if want := []float64{float64(size*size) / 2, math.Ldexp(float64(size*(size+1)/2), 60)}; f[0] != want[0] || f[1] != want[1] {
		t.Fatalf("rank %d: AllReduceSumFloat64 = %v, want %v", rank, f, want)
	}
	b := make([]float32, 1000)
	for i := range b {
		b[i] = float32(rank)
	}
	if err := c.Broadcast(b, 1); err != nil {
		t.Fatal(err)
	}
	for i, v := range b {
		if v != 1 {
			t.Fatalf("rank %d: Broadcast from 1: [%d] = %v", rank, i, v)
		}
	}
	if err := c.Barrier(); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("rank %d of %d: collectives ok\n", rank, size)
}

// The same collectives between two hosts that share only a TCP link (two
// network namespaces joined by a veth pair, one rank in each, Open MPI's
// TCP transport): the all-reduce of 4 MiB must cross the link, so host A's
// end receives at least that much.
func TestMPICollectivesOverTCP(t *testing.T) {
	if _, ok := mpitest.Helper(); ok {
		t.Skip("a helper runs TestMPICollectives")
	}
	r := mpitest.RunTwoHosts(t, 2*time.Minute, "TestMPICollectives", "2")
	if r.Err != nil {
		t.Fatalf("mpirun: %v\n%s", r.Err, r.Output)
	}
	for rank := range 2 {
		if want := fmt.Sprintf("rank %d of 2: collectives ok", rank); !strings.Contains(r.Output, want) {
			t.Errorf("no %q in the output:\n%s", want, r.Output)
		}
	}
	if min := int64(4 << 20); r.RxBytes < min {
		t.Errorf("host A received %d bytes over the link, want >= %d (the other rank's share of the all-reduce)", r.RxBytes, min)
	}
	t.Logf("link traffic: host A sent %d, received %d bytes", r.TxBytes, r.RxBytes)
}
