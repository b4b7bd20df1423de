package kernels

import "fmt"

// Panic messages for programmer errors, in one place (as gonum's blas does).

func panicShape(kernel, format string, args ...any) {
	panic("kernels." + kernel + ": " + fmt.Sprintf(format, args...))
}

func checkLen(kernel, name string, got, need int) {
	if got < need {
		panicShape(kernel, "len(%s)=%d, need at least %d", name, got, need)
	}
}
