package kernels

// Implementation slots: the kernels call through these, and Use (impl.go)
// fills them with the chosen level's implementations.
var (
	sgemmImpl        = sgemmGenericParallel
	sgemmBatchedImpl = sgemmBatchedGeneric
)
