package nn

import (
	"fmt"
	"sort"

	"github.com/distilgo/distilgo/tensor"
)

// ParamSet holds every parameter of a module in one contiguous buffer, and
// every gradient in another with the same layout, as llm.c does: zeroing,
// clipping, the optimizer step and checkpoint I/O are single passes over
// Data and Grad. Each parameter tensor's Data and Grad are views into them.
type ParamSet struct {
	// Names lists each distinct parameter once, in visit order; a tied
	// parameter is listed under the first name it was visited with.
	Names []string
	// Params are the tensors, parallel to Names.
	Params []*tensor.Tensor
	// Offsets[i] is where Params[i] starts in Data and Grad.
	Offsets []int
	// Data and Grad are the contiguous buffers.
	Data, Grad []float32
	// Aliases maps every visited name (tied ones included) to its index.
	Aliases map[string]int
}

// Pack collects the parameters of m, moves their values into one buffer and
// their gradients into another, and rebinds each tensor to views of them.
// Parameters visited twice (tied weights) are stored once.
func Pack(m Module) *ParamSet {
	ps := &ParamSet{Aliases: map[string]int{}}
	index := map[*tensor.Tensor]int{}
	total := 0
	m.VisitParams("", func(name string, p *tensor.Tensor) {
		if _, dup := ps.Aliases[name]; dup {
			panic(fmt.Sprintf("nn.Pack: parameter name %q visited twice", name))
		}
		if i, ok := index[p]; ok {
			ps.Aliases[name] = i
			return
		}
		i := len(ps.Params)
		index[p] = i
		ps.Aliases[name] = i
		ps.Names = append(ps.Names, name)
		ps.Params = append(ps.Params, p)
		ps.Offsets = append(ps.Offsets, total)
		total += p.Size()
	})
	ps.Data = make([]float32, total)
	ps.Grad = make([]float32, total)
	for i, p := range ps.Params {
		off, n := ps.Offsets[i], p.Size()
		copy(ps.Data[off:off+n], p.Host())
		p.SetHost(ps.Data[off : off+n : off+n])
		p.Grad = tensor.FromData(ps.Grad[off:off+n:off+n], p.Shape()...)
		p.SetRequiresGrad(true)
	}
	return ps
}

// Bind makes every parameter a view of data and, when grad is not nil,
// every parameter's gradient a view of grad: flat tensors of Len()
// elements with the layout of Data and Grad, on the host or on a device
// (Trainer.Run moves a model onto a GPU with tensor.NewOn and Bind, and
// back with BindHost). Nothing is copied.
func (ps *ParamSet) Bind(data, grad *tensor.Tensor) {
	if data.Size() != len(ps.Data) || (grad != nil && grad.Size() != len(ps.Grad)) {
		panic(fmt.Sprintf("nn.ParamSet.Bind: %d parameters, tensors of %v and %v", len(ps.Data), data.Shape(), grad))
	}
	for i, p := range ps.Params {
		p.SetView(data, ps.Offsets[i])
		if grad != nil {
			p.Grad.SetView(grad, ps.Offsets[i])
		}
	}
}

// BindHost makes the parameters and their gradients views of Data and
// Grad again (what Pack made them).
func (ps *ParamSet) BindHost() {
	ps.Bind(tensor.FromData(ps.Data, len(ps.Data)), tensor.FromData(ps.Grad, len(ps.Grad)))
}

// Len returns the number of scalar parameters.
func (ps *ParamSet) Len() int { return len(ps.Data) }

// ZeroGrad clears all gradients in one pass (Grad, the host buffer: after
// Bind to device tensors, zero those instead).
func (ps *ParamSet) ZeroGrad() { clear(ps.Grad) }

// Lookup returns the parameter with the given name (tied names included).
func (ps *ParamSet) Lookup(name string) (*tensor.Tensor, bool) {
	i, ok := ps.Aliases[name]
	if !ok {
		return nil, false
	}
	return ps.Params[i], true
}

// AllNames returns every name, tied ones included, sorted.
func (ps *ParamSet) AllNames() []string {
	names := make([]string, 0, len(ps.Aliases))
	for n := range ps.Aliases {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
