// CUDA kernels of the distilgo CUDA device, compiled at start-up by NVRTC
// with --fmad=false, so that every float32 multiply and add rounds on its
// own as in the Go kernels (package kernels), whose operation order each
// kernel below follows. Reductions that the Go kernels accumulate in float64
// are accumulated in float64 here too.
//
// Launch shapes (the Go side in device_cuda.go must match them):
//   elementwise and row-vector kernels: grid-stride loops, 1-D blocks;
//   k_softmax*, k_layernorm*: one warp per row, blockDim.x = 128;
//   k_xent: one block per row (grid-stride over rows), blockDim.x = 256;
//   k_colsum_part: blockDim = (32, 8), grid = (ceil(cols/32), nchunk);
//   k_scatter: one block per distinct row; k_sum: blockDim.x = 256;
//   k_sum_finish: one thread.

#include "kargs.h"

#define FULL_MASK 0xffffffffu
// kernels.MaskedOut = -math.MaxFloat32.
#define MASKED_OUT (-3.40282346638528859811704183484516925440e+38f)

__device__ __forceinline__ long long gtid() {
	return (long long)blockIdx.x * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ long long gstride() {
	return (long long)gridDim.x * blockDim.x;
}
__device__ __forceinline__ float neg_inf() { return __int_as_float((int)0xff800000); }

__device__ __forceinline__ float warp_sum(float v) {
	for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(FULL_MASK, v, o);
	return v;
}
__device__ __forceinline__ double warp_sum_d(double v) {
	for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(FULL_MASK, v, o);
	return v;
}
__device__ __forceinline__ float warp_max(float v) {
	for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(FULL_MASK, v, o));
	return v;
}

// block_sum_d and block_max need blockDim.x a multiple of 32 and every
// thread of the block calling them; sh holds 32 values.
__device__ double block_sum_d(double v, double* sh) {
	int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
	v = warp_sum_d(v);
	__syncthreads(); // sh may still be read from a previous call
	if (lane == 0) sh[w] = v;
	__syncthreads();
	if (w == 0) {
		double t = lane < nw ? sh[lane] : 0.0;
		t = warp_sum_d(t);
		if (lane == 0) sh[0] = t;
	}
	__syncthreads();
	return sh[0];
}

__device__ float block_max(float v, float* sh) {
	int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
	v = warp_max(v);
	__syncthreads();
	if (lane == 0) sh[w] = v;
	__syncthreads();
	if (w == 0) {
		float t = lane < nw ? sh[lane] : neg_inf();
		t = warp_max(t);
		if (lane == 0) sh[0] = t;
	}
	__syncthreads();
	return sh[0];
}

// ---- elementwise ----

extern "C" __global__ void k_fill(const EwArgs a) {
	float* d = (float*)a.d;
	for (long long i = gtid(); i < a.n; i += gstride()) d[i] = a.s;
}

extern "C" __global__ void k_scale(const EwArgs a) {
	float* d = (float*)a.d;
	for (long long i = gtid(); i < a.n; i += gstride()) d[i] = d[i] * a.s;
}

// d += s*a (kernels.Axpy: y[i] += float32(alpha*x[i])).
extern "C" __global__ void k_axpy(const EwArgs a) {
	float* d = (float*)a.d;
	const float* x = (const float*)a.a;
	for (long long i = gtid(); i < a.n; i += gstride()) d[i] = d[i] + a.s * x[i];
}

// d += s*x and d += s*a.s, s the float at a.b (a loss or sum's upstream
// gradient, left on the device), as k_axpy and k_fill then k_axpy(1).
extern "C" __global__ void k_axpy_dev(const EwArgs a) {
	float* d = (float*)a.d;
	const float* x = (const float*)a.a;
	const float s = *(const float*)a.b;
	for (long long i = gtid(); i < a.n; i += gstride()) d[i] = d[i] + s * x[i];
}

extern "C" __global__ void k_add_dev(const EwArgs a) {
	float* d = (float*)a.d;
	const float v = *(const float*)a.b * a.s;
	for (long long i = gtid(); i < a.n; i += gstride()) d[i] = d[i] + v;
}

extern "C" __global__ void k_add(const EwArgs a) {
	float* d = (float*)a.d;
	const float* x = (const float*)a.a;
	const float* y = (const float*)a.b;
	for (long long i = gtid(); i < a.n; i += gstride()) d[i] = x[i] + y[i];
}

extern "C" __global__ void k_mul(const EwArgs a) {
	float* d = (float*)a.d;
	const float* x = (const float*)a.a;
	const float* y = (const float*)a.b;
	for (long long i = gtid(); i < a.n; i += gstride()) d[i] = x[i] * y[i];
}

extern "C" __global__ void k_mulacc(const EwArgs a) {
	float* d = (float*)a.d;
	const float* x = (const float*)a.a;
	const float* y = (const float*)a.b;
	for (long long i = gtid(); i < a.n; i += gstride()) d[i] = d[i] + x[i] * y[i];
}

// GELU in float64 as kernels.geluRef: 0.5*v*(1 + erf(v/sqrt2)).
extern "C" __global__ void k_gelu(const EwArgs a) {
	float* d = (float*)a.d;
	const float* x = (const float*)a.a;
	for (long long i = gtid(); i < a.n; i += gstride()) {
		double v = (double)x[i];
		d[i] = (float)(0.5 * v * (1.0 + erf(v / 1.4142135623730951)));
	}
}

// d += dy * (Phi(x) + x*phi(x)), float64 as kernels.geluBackwardRef.
extern "C" __global__ void k_gelu_bwd(const EwArgs a) {
	float* d = (float*)a.d;
	const float* x = (const float*)a.a;
	const float* dy = (const float*)a.b;
	for (long long i = gtid(); i < a.n; i += gstride()) {
		double v = (double)x[i];
		double cdf = 0.5 * (1.0 + erf(v / 1.4142135623730951));
		double pdf = 0.3989422804014327 * exp(-0.5 * v * v);
		d[i] = d[i] + (float)((double)dy[i] * (cdf + v * pdf));
	}
}

// ReLU as kernels.Relu: max(x, 0) with NaN kept and -0 giving +0.
extern "C" __global__ void k_relu(const EwArgs a) {
	float* d = (float*)a.d;
	const float* x = (const float*)a.a;
	for (long long i = gtid(); i < a.n; i += gstride()) {
		float v = x[i];
		d[i] = v <= 0.0f ? 0.0f : v;
	}
}

// d += dy where x > 0 or x is NaN, as kernels.ReluBackward.
extern "C" __global__ void k_relu_bwd(const EwArgs a) {
	float* d = (float*)a.d;
	const float* x = (const float*)a.a;
	const float* dy = (const float*)a.b;
	for (long long i = gtid(); i < a.n; i += gstride()) {
		if (!(x[i] <= 0.0f)) d[i] = d[i] + dy[i];
	}
}

extern "C" __global__ void k_add_row(const RowArgs a) {
	float* x = (float*)a.x;
	const float* v = (const float*)a.v;
	long long n = (long long)a.rows * a.cols;
	for (long long i = gtid(); i < n; i += gstride()) x[i] = x[i] + v[i % a.cols];
}

// ---- column sums (bias gradients, layer-norm weight gradients) ----

extern "C" __global__ void k_colsum_part(const ColPartArgs a) {
	__shared__ double s0[8][32];
	__shared__ double s1[8][32];
	int tx = threadIdx.x, ty = threadIdx.y;
	int c = blockIdx.x * 32 + tx;
	int r0 = blockIdx.y * a.chunk;
	int r1 = r0 + a.chunk;
	if (r1 > a.rows) r1 = a.rows;
	double acc0 = 0.0, acc1 = 0.0;
	if (c < a.cols) {
		if (a.mode == 0) {
			const float* x = (const float*)a.x;
			for (int r = r0 + ty; r < r1; r += 8) acc0 += (double)x[(long long)r * a.cols + c];
		} else {
			const float* x = (const float*)a.x;
			const float* dy = (const float*)a.dy;
			const float* mean = (const float*)a.mean;
			const float* rstd = (const float*)a.rstd;
			for (int r = r0 + ty; r < r1; r += 8) {
				long long i = (long long)r * a.cols + c;
				float g = dy[i];
				acc0 += (double)(g * (x[i] - mean[r]) * rstd[r]);
				acc1 += (double)g;
			}
		}
	}
	s0[ty][tx] = acc0;
	s1[ty][tx] = acc1;
	__syncthreads();
	if (ty == 0 && c < a.cols) {
		double t0 = 0.0, t1 = 0.0;
		for (int k = 0; k < 8; k++) {
			t0 += s0[k][tx];
			t1 += s1[k][tx];
		}
		double* part = (double*)a.part;
		part[(long long)blockIdx.y * a.cols + c] = t0;
		if (a.mode == 1) part[(long long)(a.nchunk + blockIdx.y) * a.cols + c] = t1;
	}
}

extern "C" __global__ void k_colsum_final(const ColFinalArgs a) {
	const double* part = (const double*)a.part;
	for (long long c = gtid(); c < a.cols; c += gstride()) {
		double t0 = 0.0, t1 = 0.0;
		for (int k = 0; k < a.nchunk; k++) {
			t0 += part[(long long)k * a.cols + c];
			if (a.mode == 1) t1 += part[(long long)(a.nchunk + k) * a.cols + c];
		}
		if (a.out0) ((float*)a.out0)[c] += (float)t0;
		if (a.out1) ((float*)a.out1)[c] += (float)t1;
	}
}

// ---- softmax (one warp per row) ----

extern "C" __global__ void k_softmax(const SoftmaxArgs a) {
	int lane = threadIdx.x & 31;
	long long r = (long long)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
	if (r >= a.rows) return; // whole warps leave together
	const float* x = (const float*)a.x + r * a.cols;
	float* y = (float*)a.y + r * a.cols;
	const float* m = a.mask ? (const float*)a.mask + (r / a.rpm) * a.cols : 0;
	float mx = neg_inf();
	for (int j = lane; j < a.cols; j += 32) {
		float v = x[j] * a.scale;
		if (m) {
			float mv = m[j];
			if (mv <= MASKED_OUT) v = MASKED_OUT;
			else v = v + mv;
		}
		y[j] = v;
		mx = fmaxf(mx, v);
	}
	mx = warp_max(mx);
	float sum = 0.0f;
	for (int j = lane; j < a.cols; j += 32) {
		float e = expf(y[j] - mx);
		y[j] = e;
		sum += e;
	}
	sum = warp_sum(sum);
	float inv = 1.0f / sum;
	for (int j = lane; j < a.cols; j += 32) y[j] = y[j] * inv;
}

// dx += scale*y*(dy - sum(y*dy)), nothing at masked positions.
extern "C" __global__ void k_softmax_bwd(const SoftmaxBwdArgs a) {
	int lane = threadIdx.x & 31;
	long long r = (long long)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
	if (r >= a.rows) return;
	const float* y = (const float*)a.y + r * a.cols;
	const float* dy = (const float*)a.dy + r * a.cols;
	float* dx = (float*)a.dx + r * a.cols;
	const float* m = a.mask ? (const float*)a.mask + (r / a.rpm) * a.cols : 0;
	float dot = 0.0f;
	for (int j = lane; j < a.cols; j += 32) dot += y[j] * dy[j];
	dot = warp_sum(dot);
	for (int j = lane; j < a.cols; j += 32) {
		if (m && m[j] <= MASKED_OUT) continue;
		dx[j] = dx[j] + a.scale * y[j] * (dy[j] - dot);
	}
}

// ---- layer norm (one warp per row, float64 statistics) ----

extern "C" __global__ void k_layernorm(const LayerNormArgs a) {
	int lane = threadIdx.x & 31;
	long long r = (long long)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
	if (r >= a.rows) return;
	const float* x = (const float*)a.x + r * a.cols;
	float* y = (float*)a.y + r * a.cols;
	const float* w = (const float*)a.w;
	const float* b = (const float*)a.b;
	double s = 0.0;
	for (int j = lane; j < a.cols; j += 32) s += (double)x[j];
	s = warp_sum_d(s);
	double m = s / (double)a.cols;
	double ss = 0.0;
	for (int j = lane; j < a.cols; j += 32) {
		double d = (double)x[j] - m;
		ss += d * d;
	}
	ss = warp_sum_d(ss);
	double rs = 1.0 / sqrt(ss / (double)a.cols + (double)a.eps);
	float mf = (float)m, rf = (float)rs;
	for (int j = lane; j < a.cols; j += 32) y[j] = (x[j] - mf) * rf * w[j] + b[j];
	if (lane == 0) {
		((float*)a.mean)[r] = mf;
		((float*)a.rstd)[r] = rf;
	}
}

// dx += rstd*(dy*w - mean(dy*w) - xhat*mean(dy*w*xhat)); dw and db come
// from k_colsum_part mode 1.
extern "C" __global__ void k_layernorm_bwd(const LayerNormBwdArgs a) {
	int lane = threadIdx.x & 31;
	long long r = (long long)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
	if (r >= a.rows) return;
	const float* x = (const float*)a.x + r * a.cols;
	const float* dy = (const float*)a.dy + r * a.cols;
	float* dx = (float*)a.dx + r * a.cols;
	const float* w = (const float*)a.w;
	float m = ((const float*)a.mean)[r];
	float rs = ((const float*)a.rstd)[r];
	double sg = 0.0, sgx = 0.0;
	for (int j = lane; j < a.cols; j += 32) {
		double g = (double)(dy[j] * w[j]);
		sg += g;
		sgx += g * (double)((x[j] - m) * rs);
	}
	sg = warp_sum_d(sg);
	sgx = warp_sum_d(sgx);
	float mg = (float)(sg / (double)a.cols);
	float mgx = (float)(sgx / (double)a.cols);
	for (int j = lane; j < a.cols; j += 32) {
		float xh = (x[j] - m) * rs;
		dx[j] = dx[j] + rs * (dy[j] * w[j] - mg - xh * mgx);
	}
}

// ---- dropout: tensor/rng.go's stream, bit for bit ----

__device__ __forceinline__ unsigned long long mix64(unsigned long long z) {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

// Position c uses SplitMix64 output c/2 of the stream keyed by mix64(seed):
// its high half for even c, low half for odd c (tensor/rng.go).
extern "C" __global__ void k_dropout(const DropoutArgs a) {
	float* mask = (float*)a.mask;
	unsigned long long key = mix64(a.seed);
	for (long long i = gtid(); i < a.n; i += gstride()) {
		unsigned long long ctr = a.offset + (unsigned long long)i;
		unsigned long long w = mix64(key + ((ctr >> 1) + 1ULL) * 0x9e3779b97f4a7c15ULL);
		unsigned int u = (ctr & 1ULL) ? (unsigned int)w : (unsigned int)(w >> 32);
		mask[i] = u >= a.thr ? a.keep : 0.0f;
	}
}

// ---- embedding gather / scatter-add ----

extern "C" __global__ void k_gather(const GatherArgs a) {
	float* dst = (float*)a.dst;
	const float* table = (const float*)a.table;
	const int* idx = (const int*)a.idx;
	long long n = a.n * a.cols;
	for (long long e = gtid(); e < n; e += gstride()) {
		long long i = e / a.cols, c = e % a.cols;
		dst[e] = table[(long long)idx[i] * a.cols + c];
	}
}

// Each distinct row adds its source rows in index order, as
// kernels.ScatterAddRows does, so repeated indices give the same float32 sums.
extern "C" __global__ void k_scatter(const ScatterArgs a) {
	float* dt = (float*)a.dtable;
	const float* src = (const float*)a.src;
	const int* rows = (const int*)a.rows;
	const int* starts = (const int*)a.starts;
	const int* pos = (const int*)a.pos;
	for (int u = blockIdx.x; u < a.nu; u += gridDim.x) {
		long long row = rows[u];
		if (row == a.skip) continue; // the padding row keeps its gradient
		int s = starts[u], e = starts[u + 1];
		for (int c = threadIdx.x; c < a.cols; c += blockDim.x) {
			float acc = dt[row * a.cols + c];
			for (int k = s; k < e; k++) acc = acc + src[(long long)pos[k] * a.cols + c];
			dt[row * a.cols + c] = acc;
		}
	}
}

// ---- cross-entropy (one block per row) ----

extern "C" __global__ void k_xent(const XentArgs a) {
	__shared__ double shd[32];
	__shared__ float shf[32];
	const int* labels = (const int*)a.labels;
	double* losses = (double*)a.losses;
	for (int r = blockIdx.x; r < a.rows; r += gridDim.x) {
		const float* x = (const float*)a.logits + (long long)r * a.cols;
		float* d = a.dlogits ? (float*)a.dlogits + (long long)r * a.cols : 0;
		int l = labels[r];
		if (l == a.ignore) { // uniform over the block
			if (d)
				for (int j = threadIdx.x; j < a.cols; j += blockDim.x) d[j] = 0.0f;
			if (threadIdx.x == 0) losses[r] = 0.0;
			continue;
		}
		float mx = neg_inf();
		for (int j = threadIdx.x; j < a.cols; j += blockDim.x) mx = fmaxf(mx, x[j]);
		mx = block_max(mx, shf);
		double sum = 0.0;
		for (int j = threadIdx.x; j < a.cols; j += blockDim.x) sum += exp((double)(x[j] - mx));
		sum = block_sum_d(sum, shd);
		if (threadIdx.x == 0) losses[r] = (double)mx + log(sum) - (double)x[l];
		if (d) {
			double inv = 1.0 / sum;
			for (int j = threadIdx.x; j < a.cols; j += blockDim.x)
				d[j] = a.gscale * (float)(exp((double)(x[j] - mx)) * inv);
			__syncthreads();
			if (threadIdx.x == 0) d[l] = d[l] - a.gscale;
		}
		__syncthreads();
	}
}

// ---- permute (rank <= 4, padded to 4) ----

extern "C" __global__ void k_permute(const PermuteArgs a) {
	float* dst = (float*)a.dst;
	const float* src = (const float*)a.src;
	for (long long e = gtid(); e < a.n; e += gstride()) {
		long long t = e;
		long long i3 = t % a.od[3]; t /= a.od[3];
		long long i2 = t % a.od[2]; t /= a.od[2];
		long long i1 = t % a.od[1];
		long long i0 = t / a.od[1];
		long long s = i0 * a.os[0] + i1 * a.os[1] + i2 * a.os[2] + i3 * a.os[3];
		if (a.acc) dst[e] = dst[e] + src[s];
		else dst[e] = src[s];
	}
}

// ---- AdamW, in kernels.adamRangeGeneric's operation order ----

extern "C" __global__ void k_adamw(const AdamWArgs a) {
	float* p = (float*)a.p;
	const float* g = (const float*)a.g;
	float* m = (float*)a.m;
	float* v = (float*)a.v;
	for (long long i = gtid(); i < a.n; i += gstride()) {
		float gi = g[i];
		float pi = p[i] * a.decay;
		float mi = m[i] * a.b1 + a.ob1 * gi;
		float vi = v[i] * a.b2 + a.ob2 * gi * gi;
		m[i] = mi;
		v[i] = vi;
		float denom = sqrtf(vi) / a.bc2sqrt + a.eps;
		p[i] = pi - a.step * (mi / denom);
	}
}

// ---- float64 sums ----

extern "C" __global__ void k_sum(const SumArgs a) {
	__shared__ double sh[32];
	const float* x = (const float*)a.x;
	double acc = 0.0;
	for (long long i = gtid(); i < a.n; i += gstride()) {
		double v = (double)x[i];
		acc += a.square ? v * v : v;
	}
	acc = block_sum_d(acc, sh);
	if (threadIdx.x == 0) ((double*)a.part)[blockIdx.x] = acc;
}

// The final sum of k_sum's partials or k_xent's row losses, in order as
// the Go side summed them on the host before, scaled and rounded once into
// a one-element tensor that stays on the device. One thread.
extern "C" __global__ void k_sum_finish(const FinishArgs a) {
	if (gtid() != 0) return;
	const double* p = (const double*)a.part;
	double s = 0.0;
	for (long long i = 0; i < a.n; i++) s += p[i];
	*(float*)a.dst = (float)(s * (double)a.scale);
}
