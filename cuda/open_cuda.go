//go:build cuda && cgo

package cuda

import (
	"errors"
	"fmt"
	"runtime"
)

// Open loads the NVIDIA libraries, opens GPU opts.Ordinal, compiles the
// kernels for its architecture and returns it as a device. Without a
// driver or GPU it returns an error naming what is missing.
func Open(opts Options) (*Device, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	d := &Device{tf32: opts.TF32, scratch: map[string]scratchBuf{}, live: map[uint64]int{}}
	d.empty = &storage{d: d}
	var err error
	if d.info.LibCUDA, err = load(&libs.driver, opts.LibCUDA, &loaded.driver); err != nil {
		return nil, err
	}
	if d.dev, err = driverInfo(opts.Ordinal, &d.info); err != nil {
		return nil, err
	}
	if d.ctx, err = primaryContext(d.dev); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			d.release()
		}
	}()
	if d.info.LibNVRTC, err = load(&libs.nvrtc, opts.LibNVRTC, &loaded.nvrtc); err != nil {
		return nil, err
	}
	d.info.NVRTCMajor, d.info.NVRTCMinor = nvrtcVersion()
	if err := d.loadKernels(); err != nil {
		return nil, err
	}
	if d.info.LibCUBLAS, err = load(&libs.cublas, opts.LibCUBLAS, &loaded.cublas); err != nil {
		return nil, err
	}
	if d.blas, d.info.CUBLASVersion, err = newCublas(); err != nil {
		return nil, err
	}
	if err := cublasSetMath(d.blas, d.tf32); err != nil {
		return nil, err
	}
	d.maxBlocks = max(1, d.info.Multiprocessors) * 32
	ok = true
	return d, nil
}

// loadKernels compiles kernels.cu to a CUBIN for the GPU's architecture
// and loads it; if the driver rejects that image (an NVRTC newer than the
// driver), it loads PTX for the same architecture instead.
func (d *Device) loadKernels() error {
	names := kernelNames[:]
	arch := fmt.Sprintf("%d%d", d.info.Major, d.info.Minor)
	img, err := compile(kernelSource, kargsHeader, []string{"--gpu-architecture=sm_" + arch, "--fmad=false"}, false)
	if err != nil {
		return err
	}
	mod, fns, cubinErr := loadModule(img, names)
	d.info.Image = "cubin"
	if cubinErr != nil {
		img, err = compile(kernelSource, kargsHeader, []string{"--gpu-architecture=compute_" + arch, "--fmad=false"}, true)
		if err != nil {
			return errors.Join(cubinErr, err)
		}
		if mod, fns, err = loadModule(img, names); err != nil {
			return errors.Join(cubinErr, err)
		}
		d.info.Image = "ptx"
	}
	d.mod = mod
	copy(d.fn[:], fns)
	return nil
}

// SetTF32 allows (on) or forbids TF32 tensor cores in matrix products.
func (d *Device) SetTF32(on bool) {
	d.begin()
	defer d.end()
	if err := cublasSetMath(d.blas, on); err != nil {
		panic(err.Error())
	}
	d.tf32 = on
}

// Close waits for the device, frees its memory (tensors on it become
// unusable) and releases the GPU. The device must not be used afterwards.
func (d *Device) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := cuErr(cuSetCurrent(d.ctx), "cuCtxSetCurrent"); err != nil {
		return err
	}
	err := cuErr(cuSynchronize(), "cuCtxSynchronize")
	d.release()
	d.closed = true
	return err
}

// release frees what Open acquired (the context must be current).
func (d *Device) release() {
	d.freeAllMemory()
	d.stage.freeAll()
	for k, s := range d.scratch {
		cuFree(s.p)
		delete(d.scratch, k)
	}
	if d.blas != nil {
		destroyCublas(d.blas)
		d.blas = nil
	}
	if d.mod != nil {
		unloadModule(d.mod)
		d.mod = nil
	}
	if d.ctx != nil {
		releasePrimaryContext(d.dev)
		d.ctx = nil
	}
}
