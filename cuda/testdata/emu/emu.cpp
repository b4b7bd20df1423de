// A CPU emulator of the few CUDA driver, cuBLAS and NVRTC entry points that
// package cuda calls, for testing the package where no GPU exists.
//
// It is built by the tests into a shared library (g++ -shared) and loaded in
// place of libcuda, libcublas and libnvrtc. Device memory is host memory.
// The kernels of ../../kernels.cu are compiled in as C++; every CUDA thread
// of a block runs as a coroutine on its own stack, switched only at
// __syncthreads and warp shuffles (which are barriers over the warp), so the
// kernels' cross-thread logic runs as written. A barrier that not all live
// threads of its block (or warp) reach is reported as a deadlock. cuBLAS
// SGEMM is the column-major reference loop, accumulated in float64.
//
// x86-64 Linux only (the context switch is assembly).

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

// ---- CUDA built-ins for the kernels ----

struct uint3 {
	unsigned int x, y, z;
};
static uint3 threadIdx, blockIdx, blockDim, gridDim;

#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static

static void emu_barrier(int warp);
void __syncthreads() { emu_barrier(0); }

static inline float __int_as_float(int i) {
	float f;
	memcpy(&f, &i, 4);
	return f;
}
static inline float __int_as_float(unsigned int i) {
	float f;
	memcpy(&f, &i, 4);
	return f;
}

static double emu_xchg[1024];

static unsigned emu_tid() { return threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z); }

template <class T>
static T emu_shfl(T v, int src) {
	unsigned t = emu_tid();
	double slot;
	memcpy(&slot, &v, sizeof(T) < 8 ? sizeof(T) : 8);
	emu_xchg[t] = slot;
	emu_barrier(1);
	unsigned from = (t & ~31u) + ((unsigned)src & 31u);
	T r;
	memcpy(&r, &emu_xchg[from], sizeof(T));
	emu_barrier(1);
	return r;
}
template <class T>
static T __shfl_xor_sync(unsigned mask, T v, int lm) {
	(void)mask;
	return emu_shfl(v, (int)((emu_tid() & 31u) ^ (unsigned)lm));
}

#include "../../kernels.cu"
#include "kernels_gen.h" // DISTILGO_KERNELS, generated from kernels.cu

// ---- coroutine scheduler ----

extern "C" void emu_swap(void** save, void* to);
asm(".text\n"
    ".globl emu_swap\n"
    ".type emu_swap,@function\n"
    "emu_swap:\n"
    "  pushq %rbp\n  pushq %rbx\n  pushq %r12\n  pushq %r13\n  pushq %r14\n  pushq %r15\n"
    "  movq %rsp, (%rdi)\n"
    "  movq %rsi, %rsp\n"
    "  popq %r15\n  popq %r14\n  popq %r13\n  popq %r12\n  popq %rbx\n  popq %rbp\n"
    "  ret\n");

enum { RUN, WAIT_BLOCK, WAIT_WARP, DONE };
struct Thread {
	void* sp;
	int state;
	uint3 idx;
};
static const size_t kStack = 64 * 1024;
static char* g_stacks;
static Thread g_th[1024];
static int g_nth, g_cur;
static void* g_sched;
static void (*g_fn)(void*);
static void* g_arg;
static const char* g_name;

static void emu_entry() {
	g_fn(g_arg);
	g_th[g_cur].state = DONE;
	emu_swap(&g_th[g_cur].sp, g_sched);
	abort(); // never resumed
}

static void emu_barrier(int warp) {
	g_th[g_cur].state = warp ? WAIT_WARP : WAIT_BLOCK;
	emu_swap(&g_th[g_cur].sp, g_sched);
}

static void die(const char* what) {
	fprintf(stderr, "cuda emulator: kernel %s: %s\n", g_name, what);
	abort();
}

static void run_block() {
	for (int t = 0; t < g_nth; t++) {
		char* top = g_stacks + (size_t)(t + 1) * kStack;
		void** sp = (void**)top;
		*--sp = 0;                  // fake return address of emu_entry
		*--sp = (void*)emu_entry;   // where emu_swap returns to
		for (int k = 0; k < 6; k++) *--sp = 0; // rbp rbx r12-r15
		g_th[t].sp = sp;
		g_th[t].state = RUN;
		unsigned x = t % blockDim.x, y = (t / blockDim.x) % blockDim.y, z = t / (blockDim.x * blockDim.y);
		g_th[t].idx = uint3{x, y, z};
	}
	for (;;) {
		for (int t = 0; t < g_nth; t++) {
			if (g_th[t].state != RUN) continue;
			g_cur = t;
			threadIdx = g_th[t].idx;
			emu_swap(&g_sched, g_th[t].sp);
		}
		bool live = false, released = false;
		for (int w = 0; w < (g_nth + 31) / 32; w++) {
			int lo = w * 32, hi = lo + 32 < g_nth ? lo + 32 : g_nth;
			bool all = true, any = false;
			for (int t = lo; t < hi; t++) {
				if (g_th[t].state == DONE) continue;
				live = true;
				if (g_th[t].state == WAIT_WARP) any = true;
				else all = false;
			}
			if (any) {
				if (!all) die("warp shuffle not reached by every live thread of the warp");
				for (int t = lo; t < hi; t++)
					if (g_th[t].state == WAIT_WARP) g_th[t].state = RUN;
				released = true;
			}
		}
		if (!live) return;
		if (released) continue;
		int done = 0;
		for (int t = 0; t < g_nth; t++) {
			if (g_th[t].state == DONE) done++;
			else if (g_th[t].state != WAIT_BLOCK) die("scheduler state");
		}
		if (done) die("__syncthreads not reached by every thread of the block");
		for (int t = 0; t < g_nth; t++) g_th[t].state = RUN;
	}
}

static void emu_launch(const char* name, void (*fn)(void*), void* arg, unsigned gx, unsigned gy, unsigned gz,
                       unsigned bx, unsigned by, unsigned bz) {
	if (!g_stacks) g_stacks = (char*)aligned_alloc(64, 1024 * kStack);
	g_name = name;
	g_fn = fn;
	g_arg = arg;
	blockDim = uint3{bx, by, bz};
	gridDim = uint3{gx, gy, gz};
	g_nth = (int)(bx * by * bz);
	if (g_nth < 1 || g_nth > 1024) die("bad block size");
	for (unsigned z = 0; z < gz; z++)
		for (unsigned y = 0; y < gy; y++)
			for (unsigned x = 0; x < gx; x++) {
				blockIdx = uint3{x, y, z};
				run_block();
			}
}

// ---- kernel table ----

#define TRAMP(name, T) \
	static void tramp_##name(void* p) { name(*(const T*)p); }
DISTILGO_KERNELS(TRAMP)
#undef TRAMP

struct KernelEntry {
	const char* name;
	void (*fn)(void*);
	size_t argSize;
};
#define ENTRY(name, T) {#name, tramp_##name, sizeof(T)},
static KernelEntry g_kernels[] = {DISTILGO_KERNELS(ENTRY)};
#undef ENTRY

// ---- driver API ----

extern "C" {
typedef int CUresult;
typedef unsigned long long CUdeviceptr;

CUresult cuInit(unsigned int) { return 0; }
CUresult cuDriverGetVersion(int* v) { *v = 13000; return 0; }
CUresult cuDeviceGetCount(int* n) { *n = 1; return 0; }
CUresult cuDeviceGet(int* d, int ord) { if (ord != 0) return 101; *d = 0; return 0; }
CUresult cuDeviceGetName(char* s, int n, int) { snprintf(s, n, "distilgo CUDA emulator"); return 0; }
CUresult cuDeviceGetAttribute(int* v, int attr, int) {
	switch (attr) {
	case 75: *v = 9; break;  // compute capability major
	case 76: *v = 0; break;  // minor
	case 16: *v = 4; break;  // multiprocessors
	default: *v = 0;
	}
	return 0;
}
CUresult cuDeviceTotalMem_v2(size_t* b, int) { *b = (size_t)1 << 32; return 0; }
static int g_ctx;
CUresult cuDevicePrimaryCtxRetain(void** c, int) { *c = &g_ctx; return 0; }
CUresult cuDevicePrimaryCtxRelease_v2(int) { return 0; }
CUresult cuCtxSetCurrent(void*) { return 0; }
CUresult cuCtxSynchronize() { return 0; }
CUresult cuMemGetInfo_v2(size_t* f, size_t* t) { *f = (size_t)1 << 31; *t = (size_t)1 << 32; return 0; }

static long long g_allocs, g_live;
CUresult cuMemAlloc_v2(CUdeviceptr* p, size_t n) {
	void* m = aligned_alloc(256, (n + 255) / 256 * 256);
	if (!m) return 2;
	memset(m, 0xff, n); // garbage, as fresh device memory may hold
	*p = (CUdeviceptr)m;
	g_allocs++;
	g_live++;
	return 0;
}
CUresult cuMemFree_v2(CUdeviceptr p) { free((void*)p); g_live--; return 0; }
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr d, const void* h, size_t n, void*) { memcpy((void*)d, h, n); return 0; }
CUresult cuMemcpyDtoH_v2(void* h, CUdeviceptr d, size_t n) { memcpy(h, (void*)d, n); return 0; }
CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr d, CUdeviceptr s, size_t n, void*) { memmove((void*)d, (void*)s, n); return 0; }
CUresult cuMemsetD32Async(CUdeviceptr d, unsigned int v, size_t n, void*) {
	unsigned int* p = (unsigned int*)d;
	for (size_t i = 0; i < n; i++) p[i] = v;
	return 0;
}
static int g_module;
CUresult cuModuleLoadData(void** m, const void* image) {
	if (strcmp((const char*)image, "EMULATED") != 0) return 200; // CUDA_ERROR_INVALID_IMAGE
	*m = &g_module;
	return 0;
}
CUresult cuModuleUnload(void*) { return 0; }
CUresult cuModuleGetFunction(void** f, void*, const char* name) {
	for (auto& k : g_kernels)
		if (strcmp(k.name, name) == 0) {
			*f = &k;
			return 0;
		}
	return 500; // CUDA_ERROR_NOT_FOUND
}
CUresult cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned shmem, void* stream, void** params, void** extra) {
	(void)shmem; (void)stream; (void)extra;
	KernelEntry* k = (KernelEntry*)f;
	if (gx == 0 || gy == 0 || gz == 0) return 1; // CUDA_ERROR_INVALID_VALUE, as the driver
	emu_launch(k->name, k->fn, params[0], gx, gy, gz, bx, by, bz);
	return 0;
}
CUresult cuGetErrorName(CUresult e, const char** s) {
	static char buf[64];
	snprintf(buf, sizeof buf, "EMU_ERROR_%d", e);
	*s = buf;
	return 0;
}
CUresult cuGetErrorString(CUresult e, const char** s) { return cuGetErrorName(e, s); }

// Test hook: allocations so far and live.
void emu_alloc_stats(long long* total, long long* live) { *total = g_allocs; *live = g_live; }

// ---- cuBLAS ----

typedef int cublasStatus_t;
static int g_handle, g_math;
cublasStatus_t cublasCreate_v2(void** h) { *h = &g_handle; return 0; }
cublasStatus_t cublasDestroy_v2(void*) { return 0; }
cublasStatus_t cublasSetMathMode(void*, int m) { g_math = m; return 0; }
cublasStatus_t cublasGetVersion_v2(void*, int* v) { *v = 130000; return 0; }

static void gemm(int ta, int tb, int m, int n, int k, float alpha, const float* A, int lda, const float* B, int ldb,
                 float beta, float* C, int ldc) {
	for (int j = 0; j < n; j++)
		for (int i = 0; i < m; i++) {
			double s = 0;
			for (int l = 0; l < k; l++) {
				float a = ta ? A[l + (size_t)i * lda] : A[i + (size_t)l * lda];
				float b = tb ? B[j + (size_t)l * ldb] : B[l + (size_t)j * ldb];
				s += (double)a * (double)b;
			}
			float* c = &C[i + (size_t)j * ldc];
			*c = beta == 0 ? (float)(alpha * s) : (float)(alpha * s + (double)beta * *c);
		}
}
cublasStatus_t cublasSgemm_v2(void*, int ta, int tb, int m, int n, int k, const float* alpha, const float* A, int lda,
                              const float* B, int ldb, const float* beta, float* C, int ldc) {
	if (lda < (ta ? k : m) || ldb < (tb ? n : k) || ldc < m) return 7; // CUBLAS_STATUS_INVALID_VALUE
	gemm(ta, tb, m, n, k, *alpha, A, lda, B, ldb, *beta, C, ldc);
	return 0;
}
cublasStatus_t cublasSgemmStridedBatched(void*, int ta, int tb, int m, int n, int k, const float* alpha,
                                         const float* A, int lda, long long sa, const float* B, int ldb,
                                         long long sb, const float* beta, float* C, int ldc, long long sc,
                                         int batch) {
	if (lda < (ta ? k : m) || ldb < (tb ? n : k) || ldc < m) return 7;
	for (int i = 0; i < batch; i++)
		gemm(ta, tb, m, n, k, *alpha, A + i * sa, lda, B + i * sb, ldb, *beta, C + i * sc, ldc);
	return 0;
}

// ---- NVRTC ----

typedef int nvrtcResult;
struct Program {
	std::string src, log;
};
nvrtcResult nvrtcVersion(int* major, int* minor) { *major = 13; *minor = 0; return 0; }
const char* nvrtcGetErrorString(nvrtcResult r) { return r ? "NVRTC_ERROR (emulated)" : "NVRTC_SUCCESS"; }
nvrtcResult nvrtcCreateProgram(void** p, const char* src, const char*, int nh, const char* const* headers,
                               const char* const* names) {
	Program* pr = new Program;
	pr->src = src;
	// The real compiler would need the header; check that it is passed.
	bool found = false;
	for (int i = 0; i < nh; i++)
		if (strcmp(names[i], "kargs.h") == 0 && headers[i] && strlen(headers[i]) > 0) found = true;
	if (!found) pr->log = "kargs.h not supplied";
	*p = pr;
	return 0;
}
nvrtcResult nvrtcCompileProgram(void* p, int n, const char* const* opts) {
	Program* pr = (Program*)p;
	if (!pr->log.empty()) return 6; // NVRTC_ERROR_COMPILATION
	bool arch = false, fmad = false;
	for (int i = 0; i < n; i++) {
		if (strncmp(opts[i], "--gpu-architecture=", 19) == 0) arch = true;
		if (strcmp(opts[i], "--fmad=false") == 0) fmad = true;
	}
	if (!arch || !fmad) {
		pr->log = "missing --gpu-architecture or --fmad=false";
		return 6;
	}
	for (auto& k : g_kernels)
		if (pr->src.find(std::string("void ") + k.name + "(") == std::string::npos) {
			pr->log = std::string("kernel not in source: ") + k.name;
			return 6;
		}
	return 0;
}
nvrtcResult nvrtcGetProgramLogSize(void* p, size_t* n) { *n = ((Program*)p)->log.size() + 1; return 0; }
nvrtcResult nvrtcGetProgramLog(void* p, char* s) { strcpy(s, ((Program*)p)->log.c_str()); return 0; }
nvrtcResult nvrtcGetCUBINSize(void*, size_t* n) { *n = 9; return 0; }
nvrtcResult nvrtcGetCUBIN(void*, char* s) { memcpy(s, "EMULATED", 9); return 0; }
nvrtcResult nvrtcGetPTXSize(void*, size_t* n) { *n = 9; return 0; }
nvrtcResult nvrtcGetPTX(void*, char* s) { memcpy(s, "EMULATED", 9); return 0; }
nvrtcResult nvrtcDestroyProgram(void** p) { delete (Program*)*p; *p = 0; return 0; }
}
