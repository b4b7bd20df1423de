// Package optest is the one table of op tests: every recorded op of package
// tensor, forward and backward, run on a device and checked against a
// float64 reference and central finite differences of it, and against the
// CPU device's results within a per-case tolerance. Package tensor runs the
// table on its CPU devices (fp32 and bf16), package cuda on the CUDA device
// (a GPU or its CPU emulator); a new op adds its cases to Cases (cases.go)
// and is then tested on every device.
package optest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/distilgo/distilgo/tensor"
	"github.com/google/go-cmp/cmp"
)

// A Case is one op (or a small graph) under test.
type Case struct {
	Name   string
	Shapes [][]int // the inputs; each gets uniform values in [-1, 1)
	NoGrad []int   // indices of inputs that are data (no gradient)
	// Init optionally overrides input values (host slices, before upload).
	Init func(in [][]float32)
	// Run applies the op under test on the tape.
	Run func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor
	// Ref is the same function in float64.
	Ref func(in [][]float64) []float64
	// Frozen reports input elements whose gradient must stay exactly zero
	// although Ref depends on them (an embedding's padding row); nil: none.
	Frozen func(input, i int) bool
	// DevTol is the normwise relative error max|dev-cpu| / max|cpu| allowed
	// between a float32 device and the CPU, for the output and every
	// gradient; 0 means bit-identical (see the tolerances in cases.go).
	DevTol float64
	// Products marks cases that run matrix products, which the bf16
	// devices round to bfloat16.
	Products bool
}

// A Device is a backend the table runs on.
type Device struct {
	// Dev runs the ops; the inputs, their gradients and the loss weights
	// are made in its memory (tensor.NewOn) and read back with CopyTo.
	Dev tensor.Device
	// Tol returns the normwise relative error allowed against the CPU for
	// case c; nil means c.DevTol.
	Tol func(c Case) float64
}

// Seed is the tape seed of every run (the dropout stream).
const Seed = 7

// fdTol bounds |got - want| / (1 + |want|) against the float64 reference
// and its finite differences. The ops run in float32 (unit roundoff 6e-8);
// with O(1) inputs and at most ~3000 terms per reduction the float32
// results carry errors of order 1e-6. The finite differences are taken in
// float64 with h = 1e-6 on smooth functions, so their error (h² terms and
// roundoff, ~1e-9) is negligible. 1e-4 is two orders of magnitude above the
// expected error and far below any wrong formula (a missing term is O(0.1)).
const fdTol = 1e-4

// fdPoints is the most elements per input whose gradient is checked by
// finite differences (evenly spaced, the last one included), which keeps
// the large cases fast.
const fdPoints = 48

// Run runs every case of Cases on d as a subtest.
func Run(t *testing.T, d Device) {
	for _, c := range Cases() {
		t.Run(c.Name, func(t *testing.T) { Check(t, c, d) })
	}
}

// result is what a case produced on a device, on the host.
type result struct {
	out   []float32
	grads [][]float32 // of the inputs that require gradients, in order
	loss  float64
}

// inputs returns the case's host input values.
func inputs(c Case) [][]float32 {
	r := rand.New(rand.NewPCG(1, uint64(len(c.Name))))
	vals := make([][]float32, len(c.Shapes))
	for i, s := range c.Shapes {
		vals[i] = make([]float32, size(s))
		for j := range vals[i] {
			vals[i][j] = 2*r.Float32() - 1
		}
	}
	if c.Init != nil {
		c.Init(vals)
	}
	return vals
}

// lossWeights are the weights w of the loss sum(out * w) that is
// backpropagated.
func lossWeights(c Case, n int) []float32 {
	r := rand.New(rand.NewPCG(2, uint64(len(c.Name))))
	w := make([]float32, n)
	for i := range w {
		w[i] = 2*r.Float32() - 1
	}
	return w
}

func noGrad(c Case, i int) bool {
	for _, j := range c.NoGrad {
		if i == j {
			return true
		}
	}
	return false
}

// exec runs c on d from the host values vals and backpropagates
// sum(out * w).
func exec(c Case, d Device, vals [][]float32) result {
	onDev := func(vals []float32, shape ...int) *tensor.Tensor {
		x := tensor.NewOn(d.Dev, shape...)
		x.CopyFrom(vals)
		return x
	}
	read := func(x *tensor.Tensor) []float32 {
		v := make([]float32, x.Size())
		x.CopyTo(v)
		return v
	}
	in := make([]*tensor.Tensor, len(c.Shapes))
	for i, s := range c.Shapes {
		in[i] = onDev(vals[i], s...)
		if !noGrad(c, i) {
			in[i].Grad = tensor.NewOn(d.Dev, s...)
			in[i].SetRequiresGrad(true)
		}
	}
	tp := tensor.NewTape()
	tp.SetDevice(d.Dev)
	tp.Seed(Seed)
	out := c.Run(tp, in)
	w := onDev(lossWeights(c, out.Size()), out.Shape()...)
	loss := tp.Sum(tp.Mul(out, w))
	tp.Backward(loss)
	res := result{out: read(out), loss: float64(loss.Item())}
	for i, x := range in {
		if !noGrad(c, i) {
			res.grads = append(res.grads, read(x.Grad))
		}
	}
	return res
}

// Check runs c on d: against the CPU within d's tolerance (on a device
// other than the CPU), and against the float64 reference and its finite
// differences (unless d's tolerance for c is above fdTol, as for bf16
// products, whose check is the comparison with the CPU).
func Check(t *testing.T, c Case, d Device) {
	vals := inputs(c)
	got := exec(c, d, vals)
	tol := c.DevTol
	if d.Tol != nil {
		tol = d.Tol(c)
	}
	if d.Dev != tensor.CPU {
		want := exec(c, Device{Dev: tensor.CPU}, vals)
		Compare(t, "output", got.out, want.out, tol)
		if len(got.grads) != len(want.grads) {
			t.Fatalf("%d gradients, CPU %d", len(got.grads), len(want.grads))
		}
		for i := range want.grads {
			Compare(t, fmt.Sprintf("grad[%d]", i), got.grads[i], want.grads[i], tol)
		}
		// The loss is a float64 sum on every device, rounded to float32.
		if e := math.Abs(got.loss - want.loss); e > math.Max(tol, 1e-5)*math.Max(1, math.Abs(want.loss)) {
			t.Errorf("loss %v, CPU %v", got.loss, want.loss)
		}
	}
	if tol > fdTol {
		return
	}
	checkRef(t, c, vals, got)
}

// checkRef compares a result with the float64 reference and the central
// finite differences of sum(ref(in) * w).
func checkRef(t *testing.T, c Case, vals [][]float32, got result) {
	ref64 := make([][]float64, len(vals))
	for i, v := range vals {
		ref64[i] = make([]float64, len(v))
		for j, x := range v {
			ref64[i][j] = float64(x)
		}
	}
	want := c.Ref(ref64)
	if len(want) != len(got.out) {
		t.Fatalf("reference has %d outputs, op %d", len(want), len(got.out))
	}
	for i, w := range want {
		if g := float64(got.out[i]); !(math.Abs(g-w) <= fdTol*(1+math.Abs(w))) {
			t.Fatalf("forward[%d] = %v, want %v", i, g, w)
		}
	}
	wts := lossWeights(c, len(want))
	lossRef := func() float64 {
		var s float64
		for i, v := range c.Ref(ref64) {
			s += v * float64(wts[i])
		}
		return s
	}
	const h = 1e-6
	g := 0
	for i := range ref64 {
		if noGrad(c, i) {
			continue
		}
		grad := got.grads[g]
		g++
		n := len(ref64[i])
		step := max(1, (n+fdPoints-1)/fdPoints)
		for j := 0; j < n; j += step {
			if j+step >= n {
				j = n - 1 // the last element, then stop
			}
			if c.Frozen != nil && c.Frozen(i, j) {
				if grad[j] != 0 {
					t.Fatalf("d/d input%d[%d] = %v, want exactly 0 (frozen)", i, j, grad[j])
				}
				continue
			}
			x := ref64[i][j]
			ref64[i][j] = x + h
			lp := lossRef()
			ref64[i][j] = x - h
			lm := lossRef()
			ref64[i][j] = x
			num := (lp - lm) / (2 * h)
			if gj := float64(grad[j]); !(math.Abs(gj-num) <= fdTol*(1+math.Abs(num))) {
				t.Fatalf("d/d input%d[%d] = %v, finite difference %v", i, j, gj, num)
			}
		}
	}
}

// Compare checks got against the CPU's want: bit for bit when tol is 0,
// else by normwise relative error.
func Compare(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i, v := range got {
		if math.IsNaN(float64(v)) != math.IsNaN(float64(want[i])) {
			t.Fatalf("%s[%d] = %v, CPU %v", what, i, v, want[i])
		}
	}
	if tol == 0 {
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s differs from the CPU bit for bit (-cpu +device):\n%s", what, diff)
		}
		return
	}
	if e := RelErr(got, want); e > tol {
		t.Errorf("%s: normwise relative error %.3g against the CPU > %.3g", what, e, tol)
	}
}

// RelErr is max|a-b| / max|b| (0 when both are zero).
func RelErr(a, b []float32) float64 {
	var d, m float64
	for i := range b {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
		m = math.Max(m, math.Abs(float64(b[i])))
	}
	if d == 0 {
		return 0
	}
	if m == 0 {
		return math.Inf(1)
	}
	return d / m
}

func size(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
