package cuda

import "errors"

// ErrNotBuilt is returned by Open in a binary built without -tags cuda (or
// without cgo).
var ErrNotBuilt = errors.New("cuda: built without -tags cuda or without cgo (rebuild with CGO_ENABLED=1 go build -tags cuda)")

// Options configure Open.
type Options struct {
	// Ordinal selects the GPU (0 for the first).
	Ordinal int
	// TF32 lets cuBLAS use TF32 tensor cores for float32 matrix products
	// (10-bit mantissa inputs, float32 accumulation): several times faster,
	// about 1e-3 relative error instead of 1e-6. Off by default.
	TF32 bool
	// LibCUDA, LibCUBLAS and LibNVRTC, when set, are the paths of the
	// libraries to load instead of searching for them.
	LibCUDA, LibCUBLAS, LibNVRTC string
}

// Info describes an open device.
type Info struct {
	Name                   string // as the driver reports it
	Major, Minor           int    // compute capability
	Multiprocessors        int
	TotalMemory            int64 // bytes
	DriverVersion          int   // e.g. 13000 for CUDA 13.0
	CUBLASVersion          int
	NVRTCMajor, NVRTCMinor int
	LibCUDA, LibCUBLAS     string // the files loaded
	LibNVRTC               string
	Image                  string // "cubin" or "ptx": what the kernels were loaded as
}

// Stats counts the device's work since Open.
type Stats struct {
	Launches      int64 // kernel launches and cuBLAS calls
	Allocs, Frees int64 // device memory of tensors allocated (Alloc) and freed
	DeviceBytes   int64 // bytes of tensor memory held now
	Zeroed        int64 // bytes zeroed by Zero and Fill(x, 0) (gradients, tapes' zeroed buffers)
	StagedBytes   int64 // index, label and mask bytes copied to the device
	Syncs         int64 // host waits for the device (downloads, reductions)
}
