package kernels

// GatherRows copies rows idx[i] of table (rows of cols values) into dst row i.
// An index outside the table is a programmer error.
func GatherRows(dst, table []float32, idx []int32, cols int) {
	nrows := len(table) / max(cols, 1)
	checkLen("GatherRows", "dst", len(dst), len(idx)*cols)
	for i, id := range idx {
		if id < 0 || int(id) >= nrows {
			panicShape("GatherRows", "index %d at %d outside [0,%d)", id, i, nrows)
		}
	}
	ParallelFor(len(idx), 64, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			id := int(idx[i])
			copy(dst[i*cols:i*cols+cols], table[id*cols:id*cols+cols])
		}
	})
}

// ScatterAddRows accumulates row i of src into row idx[i] of dtable, the
// backward of GatherRows. Repeated indices add up. Work is split over columns
// so that no two workers write the same element.
func ScatterAddRows(dtable, src []float32, idx []int32, cols int) {
	nrows := len(dtable) / max(cols, 1)
	checkLen("ScatterAddRows", "src", len(src), len(idx)*cols)
	for i, id := range idx {
		if id < 0 || int(id) >= nrows {
			panicShape("ScatterAddRows", "index %d at %d outside [0,%d)", id, i, nrows)
		}
	}
	ParallelFor(cols, 64, func(lo, hi int) {
		for i, id := range idx {
			axpyGeneric(1, src[i*cols+lo:i*cols+hi], dtable[int(id)*cols+lo:int(id)*cols+hi])
		}
	})
}
