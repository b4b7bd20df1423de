package kernels

// Relu computes y = max(x, 0) as torch.relu: NaN stays NaN, and -0 and
// every negative value give +0. Every level runs this pure-Go code (the
// loop is memory-bound; the compiler's scalar code keeps up with memory).
func Relu(y, x []float32) {
	checkLen("Relu", "y", len(y), len(x))
	parallel(&ewJobs, len(x), grain, ewArgs{y: y[:len(x)], x: x}, reluRange)
}

// ReluBackward accumulates dx += dy where x > 0 (or x is NaN), as
// PyTorch's threshold_backward: the gradient at 0 is 0.
func ReluBackward(dx, x, dy []float32) {
	checkLen("ReluBackward", "dx", len(dx), len(x))
	checkLen("ReluBackward", "dy", len(dy), len(x))
	parallel(&ewJobs, len(x), grain, ewArgs{y: dx[:len(x)], x: x, z: dy[:len(x)]}, reluBackwardRange)
}

func reluRange(a *ewArgs, lo, hi int) {
	y, x := a.y[lo:hi], a.x[lo:hi]
	for i, v := range x {
		y[i] = reluRef(v)
	}
}

func reluBackwardRange(a *ewArgs, lo, hi int) {
	dx, x, dy := a.y[lo:hi], a.x[lo:hi], a.z[lo:hi]
	for i, v := range x {
		if !(v <= 0) { // v > 0 or NaN
			dx[i] += dy[i]
		}
	}
}

func reluRef(v float32) float32 {
	if v <= 0 {
		return 0
	}
	return v // v > 0 or NaN
}
