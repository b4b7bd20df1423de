package trainer

import "github.com/distilgo/distilgo/internal/rng"

// DropoutSeed is the seed of the dropout stream of micro-batch micro of
// optimizer step step (both 0-based): rng.Derive(seed, rng.PurposeDropout,
// step, micro).
func DropoutSeed(seed uint64, step, micro int) uint64 {
	return rng.Derive(seed, rng.PurposeDropout, uint64(step), uint64(micro))
}

// EpochOrder returns the order in which epoch e (0-based) visits n training
// chunks: rng.TrainingOrder, a Fisher-Yates permutation from a PCG-DXSM
// generator seeded by (seed, e), with bounded draws by Lemire's method, so
// the order depends on this module alone, not on the Go release.
func EpochOrder(seed uint64, epoch, n int) []int { return rng.TrainingOrder(seed, epoch, n) }
