//go:build purego || !(amd64 || arm64)

package kernels

// asmBuild reports whether this build has the assembly levels.
const asmBuild = false

// registerArch adds no level: pure Go only.
func registerArch() {}

// gemmVariants: none without assembly.
var gemmVariants = map[string][]*gemmConfig{}
