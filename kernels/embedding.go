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
	parallel(&gatherJobs, len(idx), 64, gatherArgs{dst: dst, table: table, idx: idx, cols: cols}, gatherRange)
}

type gatherArgs struct {
	dst, table []float32
	idx        []int32
	cols, skip int
}

var gatherJobs argPool[job[gatherArgs]]

func gatherRange(a *gatherArgs, lo, hi int) {
	cols := a.cols
	for i := lo; i < hi; i++ {
		id := int(a.idx[i])
		copy(a.dst[i*cols:i*cols+cols], a.table[id*cols:id*cols+cols])
	}
}

// ScatterAddRows accumulates row i of src into row idx[i] of dtable, the
// backward of GatherRows, except into row skip (when ≥ 0), which is left
// untouched: an embedding's padding row gets no gradient. Pass -1 to skip
// nothing. Repeated indices add up, in index order. Work is split over
// columns so that no two workers write the same element.
func ScatterAddRows(dtable, src []float32, idx []int32, cols, skip int) {
	nrows := len(dtable) / max(cols, 1)
	checkLen("ScatterAddRows", "src", len(src), len(idx)*cols)
	for i, id := range idx {
		if id < 0 || int(id) >= nrows {
			panicShape("ScatterAddRows", "index %d at %d outside [0,%d)", id, i, nrows)
		}
	}
	parallel(&gatherJobs, cols, 64, gatherArgs{dst: dtable, table: src, idx: idx, cols: cols, skip: skip}, scatterAddRange)
}

func scatterAddRange(a *gatherArgs, lo, hi int) {
	cols := a.cols
	for i, id := range a.idx {
		if int(id) == a.skip {
			continue
		}
		axpyRow(1, a.table[i*cols+lo:i*cols+hi], a.dst[int(id)*cols+lo:int(id)*cols+hi])
	}
}
