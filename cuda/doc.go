// Package cuda is an optional NVIDIA GPU backend: a tensor.Device that runs
// the ops of a tensor.Tape with cuBLAS and a few CUDA kernels.
//
// It is compiled only with the build tag cuda and cgo; otherwise
// Open returns ErrNotBuilt and the rest of the engine stays pure Go. With
// the tag, building needs only a C compiler: the package declares the few
// C prototypes it uses and opens libcuda.so.1 (from the NVIDIA driver),
// libcublas and libnvrtc with dlopen at run time, looking in the loader's
// path, $CUDA_HOME, /usr/local/cuda*, and the lib directories of NVIDIA's
// Python wheels. Its kernels (kernels.cu, embedded) are compiled by NVRTC
// for the GPU's architecture when the device opens.
//
// # Host-shadow storage
//
// tensor.Device passes tensors whose storage is a host slice (Tensor.Host),
// so the device maps host memory to device memory: a slice's address names
// a device buffer (see the registry in
// registry_cuda.go). The rules a caller needs:
//
//   - Upload(x) copies host data to the device and makes x's range
//     mirrored: parameters, gradients you manage yourself, optimizer
//     moments, inputs. After writing x on the host again, Upload it again.
//     Download(x) copies a mirrored range back to the host.
//   - Everything else a device method meets (the tape's activations and
//     gradients) is device-owned: allocated on the device the first time
//     it is seen and reused from then on, since the tape's arena hands out
//     the same host buffers every step (no device allocation after the
//     first step). The device takes the first element of such host memory
//     as a marker, which is how it sees the arena's zeroing. Read results
//     with Read, never from the host slice. One-element tensors at the
//     start of such memory (losses, sums) are kept equal on host and
//     device, so loss.Item() works.
//   - Index and label slices ([]int32) and attention masks passed to ops
//     are host data, copied to the device per call unless unchanged.
//
// The arena still allocates (and, for zero-filled tensors, clears) host
// memory for every tensor: that host work is the cost of keeping package
// tensor unchanged.
//
// # Numerics
//
// Kernels are compiled with --fmad=false. The plain element-wise ops (Add,
// Mul, MulAcc, Axpy, Scale, Fill, Copy), AdamW, the dropout mask and the
// embedding scatter-add follow the operation order of package kernels and
// give the same bits as the CPU at every kernel level. The other ops do
// not, and package kernels' own levels differ among themselves for them
// (kernels/doc.go states the agreement kernel by kernel):
//
//   - GELU and its backward: the CUDA kernels evaluate erf and exp in
//     float64 (kernels' float64 reference formula), the CPU a float32
//     polynomial (with FMA at AVX2, AVX-512 and NEON); they agree to about
//     1e-6 relative.
//   - Softmax and cross-entropy: CUDA uses expf (softmax) or float64 exp
//     (cross-entropy), the CPU a float32 exp polynomial, and the sums run
//     in another order.
//   - Layer norm and bias gradients: reductions in another order.
//   - Matrix products: cuBLAS SGEMM in full float32 (another blocking and
//     order), unless Options.TF32 (or SetTF32) allows TF32 tensor cores.
//
// internal/optest's table checks every op against the CPU with the
// tolerance each of these allows (Case.DevTol).
package cuda

// The kernel lists (kernels_gen.go, testdata/emu/kernels_gen.h) come from
// the declarations in kernels.cu.
//go:generate go run ./internal/genkernels
