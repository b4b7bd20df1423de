//go:build !unix

package safetensors

// mapFile reads the whole file once (no mmap on this platform).
func mapFile(path string) ([]byte, func() error, error) { return readAll(path) }
