//go:build purego || !(amd64 || arm64)

package kernels

// asmBuild reports whether this build has the assembly levels.
const asmBuild = false

// registerArch adds no level: pure Go only.
func registerArch() {}

// gemmVariants: none without assembly.
var gemmVariants = map[string][]*gemmConfig{}

// No bf16 instructions without assembly.
var bf16Variants []*bf16Config

func bf16PeakFunc() (func(n int), int) { return nil, 0 }
