//go:build noasm

package main

// Built with -tags noasm, gonum uses its pure-Go kernels instead of its
// SSE assembly (gonum.org/v1/gonum/internal/asm/f32 on amd64).
func init() { gonumLevel = "go-noasm" }
