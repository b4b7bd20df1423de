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
// # Storage
//
// The device owns the memory of its tensors: Alloc returns device memory
// as a tensor.Storage, which tensors hold with an offset (views of one
// buffer, such as the parameters inside one flat tensor, stay views). A
// tape on the device allocates its arena and gradients with Alloc and
// reuses them step after step (no device allocation after the first step)
// and zeroes them with Fill; tensor.NewOn makes a tensor on the device, and
// CopyFrom, CopyTo and Item copy values in and out (Item waits for the
// device; losses and sums stay on the device until read). The memory is
// freed after no tensor holds its Storage any more (runtime.AddCleanup),
// by the next device method, once queued work is done. A host tensor
// passed to a device method is an error (a panic naming its shape):
// copy it to the device first (trainer.AdamW.ToDevice and nn.ParamSet.Bind
// put a model's parameters there). Index and label slices ([]int32) and
// attention masks passed to ops are host data, copied to the device per
// call unless unchanged.
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
