//go:build !unix

package kernels

// cpuSeconds is not measured on this system: CPU-time figures read as zero.
func cpuSeconds() float64 { return 0 }
