package kernels

import (
	"sync"
	"time"
)

// PeakGFLOPS measures the fp32 FMA throughput of the current level on
// threads threads (independent FMA chains, no memory traffic), running for
// about d. It returns 0 for the generic level, which has no such loop. The
// benchmarks report every SGEMM figure as a fraction of it.
func PeakGFLOPS(threads int, d time.Duration) float64 {
	wall, _ := measurePeak(threads, d)
	return wall
}

// measurePeak returns the FMA peak per wall-clock second and per CPU second
// of the process (the latter is robust to other processes sharing the cores).
func measurePeak(threads int, d time.Duration) (wall, cpu float64) {
	fn, flopsPerIter := fmaPeakFunc(Level())
	return measureLoop(fn, flopsPerIter, threads, d)
}

// BF16PeakGFLOPS measures the bf16 dot-product throughput (VDPBF16PS, fp32
// accumulation; a product and a sum count two flops) on threads threads for
// about d; 0 without the avx512bf16 instructions. The bf16 GEMM benchmarks
// report against it.
func BF16PeakGFLOPS(threads int, d time.Duration) float64 {
	fn, flopsPerIter := bf16PeakFunc()
	wall, _ := measureLoop(fn, flopsPerIter, threads, d)
	return wall
}

// measureLoop runs fn (a peak loop of flopsPerIter flops per iteration) on
// threads threads for about d.
func measureLoop(fn func(n int), flopsPerIter, threads int, d time.Duration) (wall, cpu float64) {
	if fn == nil || threads < 1 {
		return 0, 0
	}
	// Calibrate one thread's iteration count to about d.
	iters := 1 << 16
	for {
		t0 := time.Now()
		fn(iters)
		if el := time.Since(t0); el > d/4 {
			iters = int(float64(iters) * float64(d) / float64(el))
			break
		}
		iters *= 4
	}
	var wg sync.WaitGroup
	c0 := cpuSeconds()
	t0 := time.Now()
	for t := 0; t < threads; t++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(iters)
		}()
	}
	wg.Wait()
	el := time.Since(t0).Seconds()
	flops := float64(threads) * float64(iters) * float64(flopsPerIter)
	wall = flops / el / 1e9
	if c := cpuSeconds() - c0; c > 0 {
		cpu = flops / c / 1e9
	}
	return wall, cpu
}
