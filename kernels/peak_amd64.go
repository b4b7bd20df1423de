//go:build !purego

package kernels

// fmaPeakFunc returns the level's FMA-peak loop and the flops of one
// iteration, or nil for levels without one.
func fmaPeakFunc(level string) (func(n int), int) {
	switch level {
	case LevelAVX2:
		return fmaPeakAVX2, 12 * 8 * 2
	case LevelAVX512, LevelAVX512BF16:
		return fmaPeakAVX512, 24 * 16 * 2
	}
	return nil, 0
}
