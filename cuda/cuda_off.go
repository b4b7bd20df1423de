//go:build !cuda || !cgo

package cuda

import (
	"github.com/distilgo/distilgo/kernels"
	"github.com/distilgo/distilgo/tensor"
)

// Device is the CUDA device. In this build (without -tags cuda, or without
// cgo) Open always fails and no Device exists; the methods are here so that
// callers compile either way.
type Device struct{}

var _ tensor.Device = (*Device)(nil)

// Open returns ErrNotBuilt.
func Open(Options) (*Device, error) { return nil, ErrNotBuilt }

func off() { panic(ErrNotBuilt.Error()) }

// Info, Stats, Close and the rest panic: no Device exists in this build.
func (*Device) Info() Info               { off(); return Info{} }
func (*Device) Stats() Stats             { off(); return Stats{} }
func (*Device) Close() error             { return ErrNotBuilt }
func (*Device) SetTF32(bool)             { off() }
func (*Device) Synchronize()             { off() }
func (*Device) Alloc(int) tensor.Storage { off(); return nil }
func (*Device) Zero(*tensor.Tensor)      { off() }
func (*Device) AdamW(p, g, m, v *tensor.Tensor, hp kernels.AdamWParams) {
	off()
}
func (*Device) SumSquares(*tensor.Tensor) float64   { off(); return 0 }
func (*Device) ScaleBuffer(float32, *tensor.Tensor) { off() }
func (*Device) Name() string                        { return "cuda" }
func (*Device) Gemm(bool, bool, int, int, int, int, float32, *tensor.Tensor, *tensor.Tensor, float32, *tensor.Tensor) {
	off()
}
func (*Device) GemmStrided(bool, bool, int, int, int, int, float32, *tensor.Tensor, int, int, int, *tensor.Tensor, int, int, int, float32, *tensor.Tensor, int, int, int) {
	off()
}
func (*Device) AddRowVector(x, v *tensor.Tensor, rows, cols int) { off() }
func (*Device) SumRows(dv, x *tensor.Tensor, rows, cols int)     { off() }
func (*Device) Softmax(y, x *tensor.Tensor, rows, cols int, scale float32, mask []float32, rowsPerMask int) {
	off()
}
func (*Device) SoftmaxBackward(dx, y, dy *tensor.Tensor, rows, cols int, scale float32, mask []float32, rowsPerMask int) {
	off()
}
func (*Device) LayerNorm(y, mean, rstd, x, w, b *tensor.Tensor, rows, cols int, eps float32) { off() }
func (*Device) LayerNormBackward(dx, dw, db, dy, x, w, mean, rstd *tensor.Tensor, rows, cols int) {
	off()
}
func (*Device) Pointwise(f *tensor.Pointwise, y, x *tensor.Tensor)                 { off() }
func (*Device) PointwiseBackward(f *tensor.Pointwise, dx, x, dy *tensor.Tensor)    { off() }
func (*Device) DropoutMask(mask *tensor.Tensor, p float32, seed, offset uint64)    { off() }
func (*Device) Gather(dst, table *tensor.Tensor, idx []int32, cols int)            { off() }
func (*Device) ScatterAdd(dtable, src *tensor.Tensor, idx []int32, cols, skip int) { off() }
func (*Device) CrossEntropy(loss, dlogits, logits *tensor.Tensor, labels []int32, rows, cols int, ignore int32, scale float32) {
	off()
}
func (*Device) Add(dst, a, b *tensor.Tensor)                                      { off() }
func (*Device) Mul(dst, a, b *tensor.Tensor)                                      { off() }
func (*Device) MulAcc(dst, a, b *tensor.Tensor)                                   { off() }
func (*Device) Axpy(alpha float32, x, y *tensor.Tensor)                           { off() }
func (*Device) Scale(alpha float32, x *tensor.Tensor)                             { off() }
func (*Device) Permute(dst, src *tensor.Tensor, dims []int, perm []int, acc bool) { off() }
func (*Device) Sum(dst, x *tensor.Tensor, scale float32)                          { off() }
func (*Device) AxpyScalar(s, x, y *tensor.Tensor)                                 { off() }
func (*Device) AddScalar(y, s *tensor.Tensor, f float32)                          { off() }
func (*Device) Fill(x *tensor.Tensor, v float32)                                  { off() }
func (*Device) Copy(dst, src *tensor.Tensor)                                      { off() }
