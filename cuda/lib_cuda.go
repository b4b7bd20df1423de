//go:build cuda && cgo

package cuda

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include "kargs.h"

// The few prototypes of the CUDA driver API, cuBLAS and NVRTC that this
// package calls, declared here so that building needs no CUDA headers; the
// libraries are opened with dlopen at run time.

typedef int CUresult;
typedef int CUdevice;
typedef void* CUcontext;
typedef void* CUmodule;
typedef void* CUfunction;
typedef void* CUstream;
typedef unsigned long long CUdeviceptr;
typedef void* cublasHandle_t;
typedef void* nvrtcProgram;

static CUresult (*p_cuInit)(unsigned int);
static CUresult (*p_cuDriverGetVersion)(int*);
static CUresult (*p_cuDeviceGetCount)(int*);
static CUresult (*p_cuDeviceGet)(CUdevice*, int);
static CUresult (*p_cuDeviceGetName)(char*, int, CUdevice);
static CUresult (*p_cuDeviceGetAttribute)(int*, int, CUdevice);
static CUresult (*p_cuDeviceTotalMem)(size_t*, CUdevice);
static CUresult (*p_cuDevicePrimaryCtxRetain)(CUcontext*, CUdevice);
static CUresult (*p_cuDevicePrimaryCtxRelease)(CUdevice);
static CUresult (*p_cuCtxSetCurrent)(CUcontext);
static CUresult (*p_cuCtxSynchronize)(void);
static CUresult (*p_cuMemGetInfo)(size_t*, size_t*);
static CUresult (*p_cuMemAlloc)(CUdeviceptr*, size_t);
static CUresult (*p_cuMemFree)(CUdeviceptr);
static CUresult (*p_cuMemcpyHtoDAsync)(CUdeviceptr, const void*, size_t, CUstream);
static CUresult (*p_cuMemcpyDtoH)(void*, CUdeviceptr, size_t);
static CUresult (*p_cuMemcpyDtoDAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream);
static CUresult (*p_cuMemsetD32Async)(CUdeviceptr, unsigned int, size_t, CUstream);
static CUresult (*p_cuModuleLoadData)(CUmodule*, const void*);
static CUresult (*p_cuModuleUnload)(CUmodule);
static CUresult (*p_cuModuleGetFunction)(CUfunction*, CUmodule, const char*);
static CUresult (*p_cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
	unsigned, CUstream, void**, void**);
static CUresult (*p_cuGetErrorName)(CUresult, const char**);

static int (*p_cublasCreate)(cublasHandle_t*);
static int (*p_cublasDestroy)(cublasHandle_t);
static int (*p_cublasSetMathMode)(cublasHandle_t, int);
static int (*p_cublasGetVersion)(cublasHandle_t, int*);
static int (*p_cublasSgemm)(cublasHandle_t, int, int, int, int, int, const float*, const float*, int,
	const float*, int, const float*, float*, int);
static int (*p_cublasSgemmStridedBatched)(cublasHandle_t, int, int, int, int, int, const float*,
	const float*, int, long long, const float*, int, long long, const float*, float*, int, long long, int);

static int (*p_nvrtcVersion)(int*, int*);
static const char* (*p_nvrtcGetErrorString)(int);
static int (*p_nvrtcCreateProgram)(nvrtcProgram*, const char*, const char*, int, const char* const*,
	const char* const*);
static int (*p_nvrtcCompileProgram)(nvrtcProgram, int, const char* const*);
static int (*p_nvrtcGetProgramLogSize)(nvrtcProgram, size_t*);
static int (*p_nvrtcGetProgramLog)(nvrtcProgram, char*);
static int (*p_nvrtcGetCUBINSize)(nvrtcProgram, size_t*);
static int (*p_nvrtcGetCUBIN)(nvrtcProgram, char*);
static int (*p_nvrtcGetPTXSize)(nvrtcProgram, size_t*);
static int (*p_nvrtcGetPTX)(nvrtcProgram, char*);
static int (*p_nvrtcDestroyProgram)(nvrtcProgram*);

// A symbol table entry: where to store the address, and the names to try
// ("name|fallback"), the versioned name first.
typedef struct { void** slot; const char* names; } sym;

#define S(p, n) { (void**)&p, n }
static sym driverSyms[] = {
	S(p_cuInit, "cuInit"),
	S(p_cuDriverGetVersion, "cuDriverGetVersion"),
	S(p_cuDeviceGetCount, "cuDeviceGetCount"),
	S(p_cuDeviceGet, "cuDeviceGet"),
	S(p_cuDeviceGetName, "cuDeviceGetName"),
	S(p_cuDeviceGetAttribute, "cuDeviceGetAttribute"),
	S(p_cuDeviceTotalMem, "cuDeviceTotalMem_v2|cuDeviceTotalMem"),
	S(p_cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain"),
	S(p_cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2|cuDevicePrimaryCtxRelease"),
	S(p_cuCtxSetCurrent, "cuCtxSetCurrent"),
	S(p_cuCtxSynchronize, "cuCtxSynchronize"),
	S(p_cuMemGetInfo, "cuMemGetInfo_v2|cuMemGetInfo"),
	S(p_cuMemAlloc, "cuMemAlloc_v2|cuMemAlloc"),
	S(p_cuMemFree, "cuMemFree_v2|cuMemFree"),
	S(p_cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2|cuMemcpyHtoDAsync"),
	S(p_cuMemcpyDtoH, "cuMemcpyDtoH_v2|cuMemcpyDtoH"),
	S(p_cuMemcpyDtoDAsync, "cuMemcpyDtoDAsync_v2|cuMemcpyDtoDAsync"),
	S(p_cuMemsetD32Async, "cuMemsetD32Async"),
	S(p_cuModuleLoadData, "cuModuleLoadData"),
	S(p_cuModuleUnload, "cuModuleUnload"),
	S(p_cuModuleGetFunction, "cuModuleGetFunction"),
	S(p_cuLaunchKernel, "cuLaunchKernel"),
	S(p_cuGetErrorName, "cuGetErrorName"),
	{ 0, 0 },
};
static sym cublasSyms[] = {
	S(p_cublasCreate, "cublasCreate_v2|cublasCreate"),
	S(p_cublasDestroy, "cublasDestroy_v2|cublasDestroy"),
	S(p_cublasSetMathMode, "cublasSetMathMode"),
	S(p_cublasGetVersion, "cublasGetVersion_v2|cublasGetVersion"),
	S(p_cublasSgemm, "cublasSgemm_v2|cublasSgemm"),
	S(p_cublasSgemmStridedBatched, "cublasSgemmStridedBatched"),
	{ 0, 0 },
};
static sym nvrtcSyms[] = {
	S(p_nvrtcVersion, "nvrtcVersion"),
	S(p_nvrtcGetErrorString, "nvrtcGetErrorString"),
	S(p_nvrtcCreateProgram, "nvrtcCreateProgram"),
	S(p_nvrtcCompileProgram, "nvrtcCompileProgram"),
	S(p_nvrtcGetProgramLogSize, "nvrtcGetProgramLogSize"),
	S(p_nvrtcGetProgramLog, "nvrtcGetProgramLog"),
	S(p_nvrtcGetCUBINSize, "nvrtcGetCUBINSize"),
	S(p_nvrtcGetCUBIN, "nvrtcGetCUBIN"),
	S(p_nvrtcGetPTXSize, "nvrtcGetPTXSize"),
	S(p_nvrtcGetPTX, "nvrtcGetPTX"),
	S(p_nvrtcDestroyProgram, "nvrtcDestroyProgram"),
	{ 0, 0 },
};
#undef S

static void* dl_open(const char* path, int global) {
	return dlopen(path, RTLD_NOW | (global ? RTLD_GLOBAL : RTLD_LOCAL));
}
static const char* dl_error(void) {
	const char* e = dlerror();
	return e ? e : "unknown dlopen error";
}

// bind resolves every symbol of table from handle h. It returns -1, or the
// index of the first entry none of whose names is found.
static int bind(void* h, sym* table) {
	char buf[128];
	for (int i = 0; table[i].slot; i++) {
		const char* n = table[i].names;
		void* f = 0;
		while (*n && !f) {
			const char* bar = strchr(n, '|');
			size_t len = bar ? (size_t)(bar - n) : strlen(n);
			if (len >= sizeof buf) return i;
			memcpy(buf, n, len);
			buf[len] = 0;
			f = dlsym(h, buf);
			n += len + (bar ? 1 : 0);
		}
		if (!f) return i;
		*table[i].slot = f;
	}
	return -1;
}
static int bind_driver(void* h) { return bind(h, driverSyms); }
static int bind_cublas(void* h) { return bind(h, cublasSyms); }
static int bind_nvrtc(void* h) { return bind(h, nvrtcSyms); }
static const char* driver_sym(int i) { return driverSyms[i].names; }
static const char* cublas_sym(int i) { return cublasSyms[i].names; }
static const char* nvrtc_sym(int i) { return nvrtcSyms[i].names; }

// Thin call-throughs (cgo cannot call C function pointers directly).
static CUresult x_cuInit(void) { return p_cuInit(0); }
static CUresult x_cuDriverGetVersion(int* v) { return p_cuDriverGetVersion(v); }
static CUresult x_cuDeviceGetCount(int* n) { return p_cuDeviceGetCount(n); }
static CUresult x_cuDeviceGet(CUdevice* d, int o) { return p_cuDeviceGet(d, o); }
static CUresult x_cuDeviceGetName(char* s, int n, CUdevice d) { return p_cuDeviceGetName(s, n, d); }
static CUresult x_cuDeviceGetAttribute(int* v, int a, CUdevice d) { return p_cuDeviceGetAttribute(v, a, d); }
static CUresult x_cuDeviceTotalMem(size_t* b, CUdevice d) { return p_cuDeviceTotalMem(b, d); }
static CUresult x_cuDevicePrimaryCtxRetain(CUcontext* c, CUdevice d) { return p_cuDevicePrimaryCtxRetain(c, d); }
static CUresult x_cuDevicePrimaryCtxRelease(CUdevice d) { return p_cuDevicePrimaryCtxRelease(d); }
static CUresult x_cuCtxSetCurrent(CUcontext c) { return p_cuCtxSetCurrent(c); }
static CUresult x_cuCtxSynchronize(void) { return p_cuCtxSynchronize(); }
static CUresult x_cuMemGetInfo(size_t* f, size_t* t) { return p_cuMemGetInfo(f, t); }
static CUresult x_cuMemAlloc(CUdeviceptr* p, size_t n) { return p_cuMemAlloc(p, n); }
static CUresult x_cuMemFree(CUdeviceptr p) { return p_cuMemFree(p); }
static CUresult x_cuMemcpyHtoDAsync(CUdeviceptr d, const void* h, size_t n) { return p_cuMemcpyHtoDAsync(d, h, n, 0); }
static CUresult x_cuMemcpyDtoH(void* h, CUdeviceptr d, size_t n) { return p_cuMemcpyDtoH(h, d, n); }
static CUresult x_cuMemcpyDtoDAsync(CUdeviceptr d, CUdeviceptr s, size_t n) { return p_cuMemcpyDtoDAsync(d, s, n, 0); }
static CUresult x_cuMemsetD32Async(CUdeviceptr d, unsigned int v, size_t n) { return p_cuMemsetD32Async(d, v, n, 0); }
static CUresult x_cuModuleLoadData(CUmodule* m, const void* img) { return p_cuModuleLoadData(m, img); }
static CUresult x_cuModuleUnload(CUmodule m) { return p_cuModuleUnload(m); }
static CUresult x_cuModuleGetFunction(CUfunction* f, CUmodule m, const char* n) { return p_cuModuleGetFunction(f, m, n); }
static CUresult x_launch(CUfunction f, unsigned gx, unsigned gy, unsigned bx, unsigned by, void* arg) {
	void* params[1] = { arg };
	return p_cuLaunchKernel(f, gx, gy, 1, bx, by, 1, 0, 0, params, 0);
}
static const char* x_cuErrorName(CUresult r) {
	const char* s = 0;
	if (!p_cuGetErrorName || p_cuGetErrorName(r, &s) != 0 || !s) return "unknown CUDA error";
	return s;
}

static int x_cublasCreate(cublasHandle_t* h) { return p_cublasCreate(h); }
static int x_cublasDestroy(cublasHandle_t h) { return p_cublasDestroy(h); }
static int x_cublasSetMathMode(cublasHandle_t h, int m) { return p_cublasSetMathMode(h, m); }
static int x_cublasGetVersion(cublasHandle_t h, int* v) { return p_cublasGetVersion(h, v); }
static int x_sgemm(cublasHandle_t h, int ta, int tb, int m, int n, int k, float alpha, CUdeviceptr a, int lda,
	CUdeviceptr b, int ldb, float beta, CUdeviceptr c, int ldc) {
	return p_cublasSgemm(h, ta, tb, m, n, k, &alpha, (const float*)a, lda, (const float*)b, ldb, &beta,
		(float*)c, ldc);
}
static int x_sgemmStridedBatched(cublasHandle_t h, int ta, int tb, int m, int n, int k, float alpha,
	CUdeviceptr a, int lda, long long sa, CUdeviceptr b, int ldb, long long sb, float beta, CUdeviceptr c,
	int ldc, long long sc, int batch) {
	return p_cublasSgemmStridedBatched(h, ta, tb, m, n, k, &alpha, (const float*)a, lda, sa,
		(const float*)b, ldb, sb, &beta, (float*)c, ldc, sc, batch);
}

static int x_nvrtcVersion(int* a, int* b) { return p_nvrtcVersion(a, b); }
static const char* x_nvrtcGetErrorString(int r) { return p_nvrtcGetErrorString(r); }
static int x_nvrtcCreateProgram(nvrtcProgram* p, const char* src, const char* name, const char* hdr,
	const char* hdrName) {
	const char* hs[1] = { hdr };
	const char* ns[1] = { hdrName };
	return p_nvrtcCreateProgram(p, src, name, 1, hs, ns);
}
static int x_nvrtcCompileProgram(nvrtcProgram p, int n, char** opts) {
	return p_nvrtcCompileProgram(p, n, (const char* const*)opts);
}
static int x_nvrtcGetProgramLogSize(nvrtcProgram p, size_t* n) { return p_nvrtcGetProgramLogSize(p, n); }
static int x_nvrtcGetProgramLog(nvrtcProgram p, char* s) { return p_nvrtcGetProgramLog(p, s); }
static int x_nvrtcGetCUBINSize(nvrtcProgram p, size_t* n) { return p_nvrtcGetCUBINSize(p, n); }
static int x_nvrtcGetCUBIN(nvrtcProgram p, char* s) { return p_nvrtcGetCUBIN(p, s); }
static int x_nvrtcGetPTXSize(nvrtcProgram p, size_t* n) { return p_nvrtcGetPTXSize(p, n); }
static int x_nvrtcGetPTX(nvrtcProgram p, char* s) { return p_nvrtcGetPTX(p, s); }
static int x_nvrtcDestroyProgram(nvrtcProgram* p) { return p_nvrtcDestroyProgram(p); }
*/
import "C"

import (
	"fmt"
	"strings"
	"sync"
	"unsafe"
)

// lib describes one of the three libraries: how to find it and bind it.
type lib struct {
	what     string   // "the CUDA driver (libcuda)"
	sonames  []string // in order of preference
	glob     string   // file-name pattern in search directories
	preload  []string // patterns of companion libraries to load first from the same directory
	bind     func(h unsafe.Pointer) (missing string)
	override string // Options field name, for messages
}

var libs = struct {
	driver, cublas, nvrtc lib
}{
	driver: lib{
		what:    "the CUDA driver library (libcuda.so.1, installed with the NVIDIA driver)",
		sonames: []string{"libcuda.so.1", "libcuda.so"},
		glob:    "libcuda.so*",
		bind: func(h unsafe.Pointer) string {
			if i := C.bind_driver(h); i >= 0 {
				return C.GoString(C.driver_sym(i))
			}
			return ""
		},
		override: "LibCUDA",
	},
	cublas: lib{
		what:    "cuBLAS (libcublas.so, from the CUDA toolkit or the nvidia-cublas Python wheel)",
		sonames: []string{"libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"},
		glob:    "libcublas.so*",
		preload: []string{"libcublasLt.so*"},
		bind: func(h unsafe.Pointer) string {
			if i := C.bind_cublas(h); i >= 0 {
				return C.GoString(C.cublas_sym(i))
			}
			return ""
		},
		override: "LibCUBLAS",
	},
	nvrtc: lib{
		what:    "NVRTC (libnvrtc.so, from the CUDA toolkit or the nvidia-cuda-nvrtc Python wheel)",
		sonames: []string{"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so"},
		glob:    "libnvrtc.so*",
		preload: []string{"libnvrtc-builtins.so*"},
		bind: func(h unsafe.Pointer) string {
			if i := C.bind_nvrtc(h); i >= 0 {
				return C.GoString(C.nvrtc_sym(i))
			}
			return ""
		},
		override: "LibNVRTC",
	},
}

// loaded records which library files are bound: the function pointers are
// process-wide, so every Device of the process shares them.
var loaded struct {
	sync.Mutex
	driver, cublas, nvrtc string
}

// load opens the first loadable candidate of l (override if set, else the
// sonames through the dynamic loader, else files found by searchDirs) and
// binds its symbols. It returns the path or name that was loaded.
func load(l *lib, override string, bound *string) (string, error) {
	loaded.Lock()
	defer loaded.Unlock()
	if *bound != "" {
		if override != "" && override != *bound {
			return "", fmt.Errorf("cuda: %s: %s already loaded from %s in this process", l.override, override, *bound)
		}
		return *bound, nil
	}
	var cands []string
	if override != "" {
		cands = []string{override}
	} else {
		cands = candidates(l.sonames, l.glob, searchDirs())
	}
	var errs []string
	for _, c := range cands {
		if strings.Contains(c, "/") {
			preloadCompanions(c, l.preload)
		}
		cs := C.CString(c)
		h := C.dl_open(cs, 1)
		C.free(unsafe.Pointer(cs))
		if h == nil {
			errs = append(errs, C.GoString(C.dl_error()))
			continue
		}
		if missing := l.bind(h); missing != "" {
			errs = append(errs, fmt.Sprintf("%s: symbol %s not found", c, missing))
			continue
		}
		*bound = c
		return c, nil
	}
	if len(errs) == 0 {
		errs = append(errs, "no candidate file found")
	}
	if len(errs) > 4 {
		errs = append(errs[:4], fmt.Sprintf("and %d more", len(errs)-4))
	}
	return "", fmt.Errorf("cuda: cannot load %s (set Options.%s to its path): %s", l.what, l.override, strings.Join(errs, "; "))
}

// preloadCompanions loads, with RTLD_GLOBAL, the libraries matching patterns
// in path's directory, so that path's own dependencies on them (libcublasLt,
// libnvrtc-builtins) resolve even when that directory is not on the loader's
// search path. Failures are ignored: loading path reports what is missing.
func preloadCompanions(path string, patterns []string) {
	dir := path[:strings.LastIndex(path, "/")]
	for _, pat := range patterns {
		for _, f := range globSorted(dir + "/" + pat) {
			cs := C.CString(f)
			C.dl_open(cs, 1)
			C.free(unsafe.Pointer(cs))
		}
	}
}

// cuErr describes a driver API result; nil for CUDA_SUCCESS.
func cuErr(r C.CUresult, what string) error {
	if r == 0 {
		return nil
	}
	return fmt.Errorf("cuda: %s: %s (%d)", what, C.GoString(C.x_cuErrorName(r)), int(r))
}

// must panics on a driver error inside a device method: the tensor.Device
// interface has no error results, and a failed launch or copy leaves the
// computation unusable.
func must(r C.CUresult, what string) {
	if err := cuErr(r, what); err != nil {
		panic(err.Error())
	}
}

func cublasErr(r C.int, what string) error {
	if r == 0 {
		return nil
	}
	return fmt.Errorf("cuda: cuBLAS %s: status %d", what, int(r))
}

func nvrtcErr(r C.int, what string) error {
	if r == 0 {
		return nil
	}
	return fmt.Errorf("cuda: NVRTC %s: %s", what, C.GoString(C.x_nvrtcGetErrorString(r)))
}

// Go wrappers of the C call-throughs, so that the other files of the
// package need no C declarations beyond kargs.h. Handles are opaque
// pointers; device addresses are uint64.

func cuSetCurrent(ctx unsafe.Pointer) C.CUresult { return C.x_cuCtxSetCurrent(C.CUcontext(ctx)) }
func cuSynchronize() C.CUresult                  { return C.x_cuCtxSynchronize() }

func cuAlloc(bytes int) (uint64, C.CUresult) {
	var p C.CUdeviceptr
	r := C.x_cuMemAlloc(&p, C.size_t(bytes))
	return uint64(p), r
}

func cuFree(p uint64) C.CUresult { return C.x_cuMemFree(C.CUdeviceptr(p)) }

func cuHtoD(dst uint64, src unsafe.Pointer, bytes int) C.CUresult {
	return C.x_cuMemcpyHtoDAsync(C.CUdeviceptr(dst), src, C.size_t(bytes))
}

func cuDtoH(dst unsafe.Pointer, src uint64, bytes int) C.CUresult {
	return C.x_cuMemcpyDtoH(dst, C.CUdeviceptr(src), C.size_t(bytes))
}

func cuDtoD(dst, src uint64, bytes int) C.CUresult {
	return C.x_cuMemcpyDtoDAsync(C.CUdeviceptr(dst), C.CUdeviceptr(src), C.size_t(bytes))
}

func cuMemset32(dst uint64, v uint32, n int) C.CUresult {
	return C.x_cuMemsetD32Async(C.CUdeviceptr(dst), C.uint(v), C.size_t(n))
}

func cuLaunch(fn unsafe.Pointer, gx, gy, bx, by int, args unsafe.Pointer) C.CUresult {
	return C.x_launch(C.CUfunction(fn), C.uint(gx), C.uint(gy), C.uint(bx), C.uint(by), args)
}

// cublasHandle is a cuBLAS handle.
type cublasHandle unsafe.Pointer

// cuBLAS constants (cublas_api.h).
const (
	cublasOpN              = 0
	cublasOpT              = 1
	cublasDefaultMath      = 0
	cublasTF32TensorOpMath = 3
)

func sgemm(h cublasHandle, ta, tb, m, n, k int, alpha float32, a uint64, lda int, b uint64, ldb int, beta float32, c uint64, ldc int) C.int {
	return C.x_sgemm(C.cublasHandle_t(h), C.int(ta), C.int(tb), C.int(m), C.int(n), C.int(k), C.float(alpha),
		C.CUdeviceptr(a), C.int(lda), C.CUdeviceptr(b), C.int(ldb), C.float(beta), C.CUdeviceptr(c), C.int(ldc))
}

func sgemmStridedBatched(h cublasHandle, ta, tb, m, n, k int, alpha float32, a uint64, lda int, sa int64,
	b uint64, ldb int, sb int64, beta float32, c uint64, ldc int, sc int64, batch int) C.int {
	return C.x_sgemmStridedBatched(C.cublasHandle_t(h), C.int(ta), C.int(tb), C.int(m), C.int(n), C.int(k),
		C.float(alpha), C.CUdeviceptr(a), C.int(lda), C.longlong(sa), C.CUdeviceptr(b), C.int(ldb),
		C.longlong(sb), C.float(beta), C.CUdeviceptr(c), C.int(ldc), C.longlong(sc), C.int(batch))
}

func cublasSetMath(h cublasHandle, tf32 bool) error {
	mode := cublasDefaultMath
	if tf32 {
		mode = cublasTF32TensorOpMath
	}
	return cublasErr(C.x_cublasSetMathMode(C.cublasHandle_t(h), C.int(mode)), "cublasSetMathMode")
}

// driverInfo opens the driver, initialises it and describes GPU ordinal.
func driverInfo(ordinal int, info *Info) (ord int, err error) {
	var dev C.int
	if r := C.x_cuInit(); r != 0 {
		return 0, fmt.Errorf("%w (is an NVIDIA GPU present and its driver loaded?)", cuErr(r, "cuInit"))
	}
	var v, count C.int
	if err := cuErr(C.x_cuDriverGetVersion(&v), "cuDriverGetVersion"); err != nil {
		return 0, err
	}
	info.DriverVersion = int(v)
	if err := cuErr(C.x_cuDeviceGetCount(&count), "cuDeviceGetCount"); err != nil {
		return 0, err
	}
	if ordinal < 0 || ordinal >= int(count) {
		return 0, fmt.Errorf("cuda: GPU %d requested, %d present", ordinal, int(count))
	}
	if err := cuErr(C.x_cuDeviceGet(&dev, C.int(ordinal)), "cuDeviceGet"); err != nil {
		return 0, err
	}
	var name [256]C.char
	if err := cuErr(C.x_cuDeviceGetName(&name[0], 256, dev), "cuDeviceGetName"); err != nil {
		return 0, err
	}
	info.Name = C.GoString(&name[0])
	attr := func(a int) (int, error) {
		var x C.int
		err := cuErr(C.x_cuDeviceGetAttribute(&x, C.int(a), dev), "cuDeviceGetAttribute")
		return int(x), err
	}
	// CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR/MINOR, MULTIPROCESSOR_COUNT.
	if info.Major, err = attr(75); err != nil {
		return 0, err
	}
	if info.Minor, err = attr(76); err != nil {
		return 0, err
	}
	if info.Multiprocessors, err = attr(16); err != nil {
		return 0, err
	}
	var total C.size_t
	if err := cuErr(C.x_cuDeviceTotalMem(&total, dev), "cuDeviceTotalMem"); err != nil {
		return 0, err
	}
	info.TotalMemory = int64(total)
	return int(dev), nil
}

func primaryContext(dev int) (unsafe.Pointer, error) {
	var ctx C.CUcontext
	if err := cuErr(C.x_cuDevicePrimaryCtxRetain(&ctx, C.int(dev)), "cuDevicePrimaryCtxRetain"); err != nil {
		return nil, err
	}
	if err := cuErr(C.x_cuCtxSetCurrent(ctx), "cuCtxSetCurrent"); err != nil {
		return nil, err
	}
	return unsafe.Pointer(ctx), nil
}

func releasePrimaryContext(dev int) { C.x_cuDevicePrimaryCtxRelease(C.int(dev)) }

func newCublas() (cublasHandle, int, error) {
	var h C.cublasHandle_t
	if err := cublasErr(C.x_cublasCreate(&h), "cublasCreate"); err != nil {
		return nil, 0, err
	}
	var v C.int
	C.x_cublasGetVersion(h, &v)
	return cublasHandle(h), int(v), nil
}

func destroyCublas(h cublasHandle) { C.x_cublasDestroy(C.cublasHandle_t(h)) }

func nvrtcVersion() (int, int) {
	var a, b C.int
	C.x_nvrtcVersion(&a, &b)
	return int(a), int(b)
}

// compile compiles src (which includes header as "kargs.h") with options and
// returns the CUBIN (ptx false) or PTX image, or the compiler log on error.
func compile(src, header string, options []string, ptx bool) ([]byte, error) {
	csrc, cname, chdr, chname := C.CString(src), C.CString("distilgo_kernels.cu"), C.CString(header), C.CString("kargs.h")
	defer func() {
		C.free(unsafe.Pointer(csrc))
		C.free(unsafe.Pointer(cname))
		C.free(unsafe.Pointer(chdr))
		C.free(unsafe.Pointer(chname))
	}()
	var prog C.nvrtcProgram
	if err := nvrtcErr(C.x_nvrtcCreateProgram(&prog, csrc, cname, chdr, chname), "nvrtcCreateProgram"); err != nil {
		return nil, err
	}
	defer C.x_nvrtcDestroyProgram(&prog)
	opts := C.malloc(C.size_t(len(options)) * C.size_t(unsafe.Sizeof(uintptr(0))))
	defer C.free(opts)
	optv := unsafe.Slice((**C.char)(opts), len(options))
	for i, o := range options {
		optv[i] = C.CString(o)
		defer C.free(unsafe.Pointer(optv[i]))
	}
	if r := C.x_nvrtcCompileProgram(prog, C.int(len(options)), (**C.char)(opts)); r != 0 {
		var n C.size_t
		C.x_nvrtcGetProgramLogSize(prog, &n)
		log := make([]byte, int(n)+1)
		C.x_nvrtcGetProgramLog(prog, (*C.char)(unsafe.Pointer(&log[0])))
		return nil, fmt.Errorf("%w: %s", nvrtcErr(r, "compiling the kernels with "+strings.Join(options, " ")), strings.TrimRight(string(log), "\x00\n"))
	}
	var n C.size_t
	var img []byte
	if ptx {
		if err := nvrtcErr(C.x_nvrtcGetPTXSize(prog, &n), "nvrtcGetPTXSize"); err != nil {
			return nil, err
		}
		img = make([]byte, int(n)+1)
		if err := nvrtcErr(C.x_nvrtcGetPTX(prog, (*C.char)(unsafe.Pointer(&img[0]))), "nvrtcGetPTX"); err != nil {
			return nil, err
		}
	} else {
		if err := nvrtcErr(C.x_nvrtcGetCUBINSize(prog, &n), "nvrtcGetCUBINSize"); err != nil {
			return nil, err
		}
		img = make([]byte, int(n)+1)
		if err := nvrtcErr(C.x_nvrtcGetCUBIN(prog, (*C.char)(unsafe.Pointer(&img[0]))), "nvrtcGetCUBIN"); err != nil {
			return nil, err
		}
	}
	return img, nil
}

// loadModule loads a compiled image and looks up the named kernels.
func loadModule(img []byte, names []string) (unsafe.Pointer, []unsafe.Pointer, error) {
	cimg := C.CBytes(img)
	defer C.free(cimg)
	var mod C.CUmodule
	if err := cuErr(C.x_cuModuleLoadData(&mod, cimg), "cuModuleLoadData"); err != nil {
		return nil, nil, err
	}
	fns := make([]unsafe.Pointer, len(names))
	for i, n := range names {
		cn := C.CString(n)
		var f C.CUfunction
		r := C.x_cuModuleGetFunction(&f, mod, cn)
		C.free(unsafe.Pointer(cn))
		if err := cuErr(r, "cuModuleGetFunction "+n); err != nil {
			C.x_cuModuleUnload(mod)
			return nil, nil, err
		}
		fns[i] = unsafe.Pointer(f)
	}
	return unsafe.Pointer(mod), fns, nil
}

func unloadModule(mod unsafe.Pointer) { C.x_cuModuleUnload(C.CUmodule(mod)) }
