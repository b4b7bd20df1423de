package main

import (
	"fmt"

	"github.com/distilgo/distilgo/distilbert"
	"github.com/distilgo/distilgo/kernels"
	"github.com/distilgo/distilgo/tensor"
)

// setPrecision makes m's matmuls run at the precision named by flag (the
// value of --precision; "--bf16" passes "bf16"). Without bf16 dot products
// in the CPU it says, in one line, that bf16 runs emulated.
func setPrecision(m *distilbert.ForMaskedLM, flag, value string, logf func(string, ...any)) error {
	p, err := tensor.ParsePrecision(value)
	if err != nil {
		return fmt.Errorf("%s: %w", flag, err)
	}
	m.Precision = p
	if p == tensor.BF16 && !kernels.BF16Hardware() {
		logf("bf16: this CPU (kernels level %s) has no bf16 dot products: bf16 matmuls are emulated (same rounding, slower than fp32)", kernels.Level())
	}
	return nil
}

// precisionOf is the --precision value of the --bf16 switch.
func precisionOf(bf16 bool) string {
	if bf16 {
		return "bf16"
	}
	return "fp32"
}
