package kernels

import "math"

// Gelu computes y = x * Φ(x) = 0.5*x*(1 + erf(x/√2)), the exact form used by
// torch.nn.GELU() and Hugging Face's "gelu" activation.
//
// Every level uses a float32 erf accurate to about 2e-7 (kernels/_asm/vec.go;
// the generic level's scalar form is polyf32.go) that computes 1 + erf(z)
// for negative z as erfc(|z|) directly, avoiding the cancellation of
// 1 + erf. (The vector levels' tails, the last few elements, use the
// float64 form geluRef.)
func Gelu(y, x []float32) {
	checkLen("Gelu", "y", len(y), len(x))
	geluImpl(y[:len(x)], x)
}

// GeluBackward accumulates dx += dy * (Φ(x) + x*φ(x)).
func GeluBackward(dx, x, dy []float32) {
	checkLen("GeluBackward", "dx", len(dx), len(x))
	checkLen("GeluBackward", "dy", len(dy), len(x))
	geluBackwardImpl(dx[:len(x)], x, dy[:len(x)])
}

var (
	geluImpl         = geluGeneric
	geluBackwardImpl = geluBackwardGeneric
)

const grain = 1 << 14 // elements per parallel task for elementwise kernels

// ewArgs are the arguments of an element-wise kernel call.
type ewArgs struct {
	y, x, z []float32
	alpha   float32
}

var ewJobs argPool[job[ewArgs]]

func geluGeneric(y, x []float32) {
	parallel(&ewJobs, len(x), grain, ewArgs{y: y, x: x}, geluRangeGeneric)
}

func geluRangeGeneric(a *ewArgs, lo, hi int) {
	y, x := a.y[lo:hi], a.x[lo:hi]
	for i, v := range x {
		y[i] = geluPoly(v)
	}
}

// geluRef is GELU in float64 (math.Erf), rounded to float32.
func geluRef(x float32) float32 {
	v := float64(x)
	return float32(0.5 * v * (1 + math.Erf(v/math.Sqrt2)))
}

// geluBackwardRef is dy·GELU'(x) in float64, rounded to float32.
func geluBackwardRef(x, dy float32) float32 {
	const invSqrt2Pi = 0.3989422804014327
	v := float64(x)
	cdf := 0.5 * (1 + math.Erf(v/math.Sqrt2))
	pdf := invSqrt2Pi * math.Exp(-0.5*v*v)
	return float32(float64(dy) * (cdf + v*pdf))
}

func geluBackwardGeneric(dx, x, dy []float32) {
	parallel(&ewJobs, len(x), grain, ewArgs{y: dx, x: x, z: dy}, geluBackwardRangeGeneric)
}

func geluBackwardRangeGeneric(a *ewArgs, lo, hi int) {
	dx, x, dy := a.y[lo:hi], a.x[lo:hi], a.z[lo:hi]
	for i, v := range x {
		dx[i] += geluBackwardPoly(v, dy[i])
	}
}

func geluSIMD(y, x []float32) {
	parallel(&ewJobs, len(x), grain, ewArgs{y: y, x: x}, geluRangeSIMD)
}

func geluRangeSIMD(a *ewArgs, lo, hi int) {
	y, x := a.y[lo:hi], a.x[lo:hi]
	if nv := vlen(len(x)); nv > 0 {
		simd.gelu(&y[0], &x[0], nv)
		y, x = y[nv:], x[nv:]
	}
	for i, v := range x {
		y[i] = geluRef(v)
	}
}

func geluBackwardSIMD(dx, x, dy []float32) {
	parallel(&ewJobs, len(x), grain, ewArgs{y: dx, x: x, z: dy}, geluBackwardRangeSIMD)
}

func geluBackwardRangeSIMD(a *ewArgs, lo, hi int) {
	dx, x, dy := a.y[lo:hi], a.x[lo:hi], a.z[lo:hi]
	if nv := vlen(len(x)); nv > 0 {
		simd.geluBackward(&dx[0], &x[0], &dy[0], nv)
		dx, x, dy = dx[nv:], x[nv:], dy[nv:]
	}
	for i, v := range x {
		dx[i] += geluBackwardRef(v, dy[i])
	}
}
