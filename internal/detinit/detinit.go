// Package detinit is the deterministic, platform-independent weight
// initialisation of the golden tests (test-only; not part of the public
// API): the PyTorch reference (tools/golden/detinit.py) computes
// bit-identical weights, so full-size models can be compared without
// committing 260 MB of weights.
package detinit

import (
	"strings"

	"github.com/distilgo/distilgo/internal/rng"
	"github.com/distilgo/distilgo/nn"
)

// Scheme is a deterministic, platform-independent initialisation used by
// the golden tests: the PyTorch reference (tools/golden/detinit.py) computes
// bit-identical weights, so full-size models can be compared without
// committing 260 MB of weights. It is not a training initialisation (use
// New for that).
//
// Element i (row-major index in the transformers layout, Linear weights
// [out, in]) of the parameter named name is
//
//	seed = FNV-1a-64(name)                      // offset 0xcbf29ce484222325, prime 0x100000001b3
//	z    = rng.SplitMix64(seed + i)             // uint64 arithmetic mod 2^64
//	u    = float64(z >> 40) / 2^24              // in [0, 1), exact
//	s    = 2*u - 1                              // in [-1, 1), exact
//	v    = float32(center + float64(scale * s)) // float64 ops, each rounded, then to float32
//
// with rng.SplitMix64(x): z = x + 0x9e3779b97f4a7c15; z = (z ^ z>>30) *
// 0xbf58476d1ce4e5b9; z = (z ^ z>>27) * 0x94d049bb133111eb; return z ^ z>>31.
// (center, scale) by name: LayerNorm weights (nn.IsLayerNormParam names
// ending in ".weight": "LayerNorm.weight" or "*_layer_norm.weight") (1,
// NormWeight); names ending in ".bias" (0, Bias); everything else (0,
// Weight).
type Scheme struct {
	Weight     float64 // half-width of Linear and Embedding weights
	Bias       float64 // half-width of biases (LayerNorm biases included)
	NormWeight float64 // half-width of LayerNorm weights around 1
}

var (
	// Base is for the full-size goldens: uniform weights of std 0.02
	// (half-width 0.02*sqrt(3)), like transformers' initializer_range.
	Base = Scheme{Weight: 0.034641016151377546, Bias: 0.02, NormWeight: 0.1}
	// Tiny is for the tiny-config goldens: larger weights so that
	// attention scores vary by O(1) and softmax and masking are exercised.
	Tiny = Scheme{Weight: 0.3, Bias: 0.1, NormWeight: 0.2}
)

// Value returns element i of the parameter named name.
func (d Scheme) Value(name string, i int) float32 {
	center, scale := d.params(name)
	return detValue(fnv1a64(name), i, center, scale)
}

// Fill sets dst to elements 0..len(dst)-1 of the parameter named name.
func (d Scheme) Fill(name string, dst []float32) {
	center, scale := d.params(name)
	seed := fnv1a64(name)
	for i := range dst {
		dst[i] = detValue(seed, i, center, scale)
	}
}

func (d Scheme) params(name string) (center, scale float64) {
	switch {
	case nn.IsLayerNormParam(name) && strings.HasSuffix(name, ".weight"):
		return 1, d.NormWeight
	case strings.HasSuffix(name, ".bias"):
		return 0, d.Bias
	default:
		return 0, d.Weight
	}
}

func detValue(seed uint64, i int, center, scale float64) float32 {
	u := float64(rng.SplitMix64(seed+uint64(i))>>40) / (1 << 24)
	s := 2*u - 1
	// The explicit float64 conversion forbids fusing into an FMA, which
	// would round differently from the Python reference.
	return float32(center + float64(scale*s))
}

func fnv1a64(s string) uint64 {
	h := uint64(0xcbf29ce484222325)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 0x100000001b3
	}
	return h
}
