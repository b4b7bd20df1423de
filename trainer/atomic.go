package trainer

import "github.com/distilgo/distilgo/internal/atomicfile"

// writeFileAtomic writes data to path atomically (package atomicfile), mode
// 0644 so the output can be shared like transformers' own files.
func writeFileAtomic(path string, data []byte) error {
	return atomicfile.WriteBytes(path, 0o644, data)
}

// syncDir makes renames inside dir durable (best effort).
func syncDir(dir string) error {
	atomicfile.SyncDir(dir)
	return nil
}
