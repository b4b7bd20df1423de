/* Argument blocks of the CUDA kernels in kernels.cu.
 *
 * Every kernel takes one of these structs by value. The same definitions are
 * compiled three times: by cgo (the Go side fills them), by NVRTC (as the
 * header "kargs.h" of kernels.cu) and by the test emulator. They hold only
 * 8-byte device addresses, 8-byte counts and 4-byte scalars in an order that
 * gives the same layout on x86-64 and NVPTX64, so no field has padding that
 * differs between the compilers. Device addresses are dptr; 0 means absent.
 */
#ifndef DISTILGO_KARGS_H
#define DISTILGO_KARGS_H

typedef unsigned long long dptr;

/* Elementwise ops over n elements: fill, scale, axpy, add, mul, mulacc,
 * gelu, gelu backward. d is the destination, a and b the inputs, s a scalar. */
typedef struct {
	dptr d, a, b;
	long long n;
	float s;
	int pad;
} EwArgs;

/* x[r,c] += v[c] for rows x cols. */
typedef struct {
	dptr x, v;
	int rows, cols;
} RowArgs;

/* Column sums in two passes. Pass 1 (k_colsum_part) writes per-chunk float64
 * partial sums to part: mode 0 sums x; mode 1 sums dy*(x-mean)*rstd into the
 * first nchunk*cols values and dy into the next nchunk*cols. Pass 2
 * (k_colsum_final) adds the chunk sums, in chunk order, into out0 (and out1
 * in mode 1); either may be 0. */
typedef struct {
	dptr x, dy, mean, rstd, part;
	int rows, cols, chunk, nchunk, mode, pad;
} ColPartArgs;

typedef struct {
	dptr part, out0, out1;
	int cols, nchunk, mode, pad;
} ColFinalArgs;

/* Row softmax of scale*x + mask (mask row r/rpm, may be 0) into y; the
 * backward accumulates into dx from y and dy. */
typedef struct {
	dptr y, x, mask;
	int rows, cols, rpm;
	float scale;
} SoftmaxArgs;

typedef struct {
	dptr dx, y, dy, mask;
	int rows, cols, rpm;
	float scale;
} SoftmaxBwdArgs;

/* Layer norm over rows of cols. */
typedef struct {
	dptr y, mean, rstd, x, w, b;
	int rows, cols;
	float eps;
	int pad;
} LayerNormArgs;

typedef struct {
	dptr dx, dy, x, w, mean, rstd;
	int rows, cols;
} LayerNormBwdArgs;

/* Dropout mask: element i is keep when hash(seed, offset+i) >= thr, else 0. */
typedef struct {
	dptr mask;
	long long n;
	unsigned long long seed, offset;
	unsigned int thr;
	float keep;
} DropoutArgs;

/* dst[i,:] = table[idx[i],:] for n rows of cols (idx is int32). */
typedef struct {
	dptr dst, table, idx;
	long long n;
	int cols, pad;
} GatherArgs;

/* Scatter-add grouped by target row: for each of nu distinct rows rows[u]
 * (int32) but skip (-1: none), add src rows pos[starts[u]..starts[u+1])
 * (int32) in order. */
typedef struct {
	dptr dtable, src, rows, starts, pos;
	int nu, cols, skip, pad;
} ScatterArgs;

/* Cross-entropy per row: losses[r] (float64) and, if dlogits != 0,
 * dlogits = gscale*(softmax - onehot), zero on ignored rows. */
typedef struct {
	dptr dlogits, logits, labels, losses;
	int rows, cols, ignore;
	float gscale;
} XentArgs;

/* Permute: output element e (output dims od) reads src at sum(i_k * os[k]);
 * acc adds instead of overwriting. */
typedef struct {
	dptr dst, src;
	long long n;
	int od[4];
	long long os[4];
	int acc, pad;
} PermuteArgs;

/* AdamW step constants as kernels.AdamW computes them. */
typedef struct {
	dptr p, g, m, v;
	long long n;
	float decay, b1, ob1, b2, ob2, bc2sqrt, eps, step;
} AdamWArgs;

/* Per-block float64 partial sums of x (or x squared) into part[blockIdx.x]. */
typedef struct {
	dptr x, part;
	long long n;
	int square, pad;
} SumArgs;

/* *(float*)dst = (float)(scale * the float64 sum of part[0..n) in order). */
typedef struct {
	dptr dst, part;
	long long n;
	float scale;
	int pad;
} FinishArgs;

#endif
