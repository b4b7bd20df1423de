//go:build !purego

package kernels

// fmaPeakFunc returns the level's FMA-peak loop and the flops of one
// iteration, or nil for levels without one.
func fmaPeakFunc(level string) (func(n int), int) {
	if level == LevelNEON {
		return fmaPeakNEON, 24 * 4 * 2
	}
	return nil, 0
}
