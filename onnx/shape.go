package onnx

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sobolev-pruning/sobolev/onnx/internal/onnxpb"
)

// The walk tracks the shape of the data in one of three forms. Nodes that
// only reshape the data (Reshape, Flatten, Squeeze, Unsqueeze) are read on a
// symbolic shape, a list of dimensions in which batchAxis stands for the
// batch axis, whatever its size: they are accepted if they keep the data as
// they are, in the same order, the batch axis a separate axis, and give one
// of the three forms again.

// form is the layout of the data the walk has reached.
type form int

const (
	rows   form = iota // [batch, width]: one row per sample
	cols               // [width, batch]: one column per sample, after a Transpose
	vector             // [batch]: width 1, as the output of a JAX function of one value
)

// batchAxis stands for the batch axis in a symbolic shape.
const batchAxis = -1

// layout formats the shape of data of the given width and form, e.g.
// "[batch 7]", "[7 batch]" or "[batch]".
func layout(width int, f form) string {
	switch f {
	case cols:
		return fmt.Sprintf("[%d batch]", width)
	case vector:
		return "[batch]"
	}
	return fmt.Sprintf("[batch %d]", width)
}

// symbolic returns the symbolic shape of the data.
func (w *walker) symbolic() []int {
	switch w.form {
	case cols:
		return []int{w.width, batchAxis}
	case vector:
		return []int{batchAxis}
	}
	return []int{batchAxis, w.width}
}

// symbolicString formats a symbolic shape, e.g. "[1 batch 7]".
func symbolicString(d []int) string {
	s := make([]string, len(d))
	for j, v := range d {
		s[j] = fmt.Sprint(v)
		if v == batchAxis {
			s[j] = "batch"
		}
	}
	return "[" + strings.Join(s, " ") + "]"
}

// sameAxes reports whether the symbolic shapes a and b hold data in the same
// order: they are equal once their axes of size 1 are removed. Each has one
// batch axis.
func sameAxes(a, b []int) bool {
	unit := func(d int) bool { return d == 1 }
	return slices.Equal(slices.DeleteFunc(slices.Clone(a), unit), slices.DeleteFunc(slices.Clone(b), unit))
}

// reshaped moves the walk past node i, which gives the data the symbolic
// shape d with the data in the same order, or refuses it if d is not one of
// the forms the walk tracks.
func (w *walker) reshaped(i int, d []int) error {
	switch {
	case len(d) == 1 && d[0] == batchAxis:
		w.form = vector // the size is unchanged, so the width is 1
	case len(d) == 2 && d[0] == batchAxis:
		w.form = rows
	case len(d) == 2 && d[1] == batchAxis:
		w.form = cols
	default:
		return fmt.Errorf("%s gives the data %q the shape %s, want [batch, width], [width, batch] or [batch] (an MLP's data has no other axes)",
			describe(i, w.nodes[i]), w.cur, symbolicString(d))
	}
	w.advance(w.nodes[i].GetOutput()[0], w.width, i)
	return nil
}

// reshapeSymbolic returns the symbolic shape that a Reshape to target gives
// data of symbolic shape in, and whether it leaves the data as they are: the
// same axes in the same order, with axes of size 1 added or removed and the
// batch axis kept apart. 0 in target copies the dimension at its index
// (unless allowZero) and one -1 is inferred. batch is the fixed batch size,
// which target may give literally, or 0 if the batch size is not fixed.
func reshapeSymbolic(in []int, target []int64, allowZero bool, batch int) ([]int, bool) {
	out := make([]int, len(target))
	infer, hasBatch := -1, false
	for j, t := range target {
		switch {
		case t == 0 && !allowZero && j < len(in):
			out[j] = in[j]
			hasBatch = hasBatch || in[j] == batchAxis
		case t == -1 && infer < 0:
			infer = j
		case t >= 1 && t <= maxDim:
			out[j] = int(t)
		default:
			return nil, false
		}
	}
	features := 1 // the product of the other axes than the batch axis
	for _, d := range in {
		if d != batchAxis {
			features *= d
		}
	}
	// try completes out with the batch axis at index b (-1 if it is there
	// already) and reports whether it is a reshape that keeps the data.
	try := func(b int) ([]int, bool) {
		o, at := slices.Clone(out), infer
		if b >= 0 {
			o[b] = batchAxis
			if b == infer {
				at = -1
			}
		}
		known := 1
		for j, d := range o {
			if j == at || d == batchAxis {
				continue
			}
			if known > features/d {
				return nil, false
			}
			known *= d
		}
		switch {
		case at >= 0 && features%known == 0:
			o[at] = features / known
		case at >= 0 || known != features:
			return nil, false
		}
		return o, sameAxes(in, o)
	}
	if hasBatch {
		return try(-1)
	}
	if infer >= 0 {
		if o, ok := try(infer); ok {
			return o, true
		}
	}
	for j, d := range out {
		if batch > 0 && d == batch && j != infer {
			if o, ok := try(j); ok {
				return o, true
			}
		}
	}
	return nil, false
}

// reshape reads node i, a Reshape of cur that leaves the data as they are:
// to its own shape, or adding or removing axes of size 1 (see
// reshapeSymbolic). Any other Reshape moves the data.
func (w *walker) reshape(i int) error {
	nd := w.nodes[i]
	desc := describe(i, nd)
	in := nd.GetInput()
	if err := arity(desc, nd, 2); err != nil {
		return err
	}
	if in[0] != w.cur {
		return fmt.Errorf("%s reads the data %q as its shape, want it as the tensor to reshape", desc, w.cur)
	}
	allowZero, err := reshapeAllowZero(desc, nd)
	if err != nil {
		return err
	}
	k, err := w.resolve(in[1])
	if err != nil {
		return fmt.Errorf("%s reads %q, %w", desc, in[1], err)
	}
	t, err := shapeOperand(desc, in[1], k)
	if err != nil {
		return err
	}
	d, ok := reshapeSymbolic(w.symbolic(), t, allowZero, w.batch)
	if !ok {
		return fmt.Errorf("%s reshapes the data %q of shape %s to %v (allowzero %t), want a Reshape to the same shape "+
			"or one that only adds or removes axes of size 1 (one that moves data is not part of an MLP)",
			desc, w.cur, layout(w.width, w.form), t, allowZero)
	}
	return w.reshaped(i, d)
}

// transpose reads node i, a Transpose of cur, which swaps the axes of a
// matrix unless perm is [0 1], and leaves a vector as it is.
func (w *walker) transpose(i int) error {
	nd := w.nodes[i]
	desc := describe(i, nd)
	if err := arity(desc, nd, 1); err != nil {
		return err
	}
	swap, err := transposePerm(desc, nd, len(w.symbolic()))
	if err != nil {
		return err
	}
	switch {
	case swap && w.form == rows:
		w.form = cols
	case swap:
		w.form = rows
	}
	w.advance(nd.GetOutput()[0], w.width, i)
	return nil
}

// flatten reads node i, Flatten(cur) with attribute axis (default 1), which
// gives the shape [product of the axes before axis, product of the others].
// It must not merge the batch axis with an axis of another size than 1.
func (w *walker) flatten(i int) error {
	nd := w.nodes[i]
	desc := describe(i, nd)
	if err := arity(desc, nd, 1); err != nil {
		return err
	}
	attrs, err := attributes(desc, nd, "axis")
	if err != nil {
		return err
	}
	in := w.symbolic()
	axis := int64(1)
	if a, ok := attrs["axis"]; ok {
		if a.GetType() != onnxpb.AttributeProto_INT {
			return fmt.Errorf("%s has attribute axis of type %v, want INT", desc, a.GetType())
		}
		axis = a.GetI()
	}
	r := int64(len(in))
	if axis < -r || axis > r {
		return fmt.Errorf("%s has axis %d, want −%d to %d for the data %q of shape %s", desc, axis, r, r, w.cur, layout(w.width, w.form))
	}
	if axis < 0 {
		axis += r
	}
	out := make([]int, 2)
	for k, part := range [][]int{in[:axis], in[axis:]} {
		out[k] = 1
		for _, d := range part {
			switch {
			case d == batchAxis:
				out[k] = batchAxis
			case d != 1 && slices.Contains(part, batchAxis):
				return fmt.Errorf("%s flattens the data %q of shape %s at axis %d, which merges the batch axis with an axis of size %d; "+
					"want an axis that keeps the batch axis apart", desc, w.cur, layout(w.width, w.form), axis, d)
			default:
				out[k] *= d
			}
		}
	}
	return w.reshaped(i, out)
}

// squeeze reads node i, Squeeze(cur), which removes the axes listed (every
// axis of size 1 if none are). It must not remove the batch axis: without
// axes, the batch size must be fixed, and more than 1.
func (w *walker) squeeze(i int) error {
	desc := describe(i, w.nodes[i])
	axes, given, err := w.axes(i)
	if err != nil {
		return err
	}
	in := w.symbolic()
	if !given || len(axes) == 0 {
		switch w.batch {
		case 0:
			return fmt.Errorf("%s has no axes, so it would remove the batch axis too if the batch size were 1 (it is not fixed); "+
				"want the axes of size 1 to remove listed", desc)
		case 1:
			return fmt.Errorf("%s has no axes, so it removes the batch axis too (its size is fixed at 1); "+
				"want the axes of size 1 to remove listed", desc)
		}
		return w.reshaped(i, slices.DeleteFunc(in, func(d int) bool { return d == 1 }))
	}
	drop := make([]bool, len(in))
	for _, a := range axes {
		j, err := normAxis(desc, a, len(in), drop)
		if err != nil {
			return err
		}
		switch in[j] {
		case batchAxis:
			return fmt.Errorf("%s removes axis %d of the data %q of shape %s, the batch axis; want only axes of size 1 other than the batch",
				desc, a, w.cur, layout(w.width, w.form))
		case 1:
			drop[j] = true
		default:
			return fmt.Errorf("%s removes axis %d of the data %q of shape %s, of size %d; want only axes of size 1",
				desc, a, w.cur, layout(w.width, w.form), in[j])
		}
	}
	out := make([]int, 0, len(in))
	for j, d := range in {
		if !drop[j] {
			out = append(out, d)
		}
	}
	return w.reshaped(i, out)
}

// unsqueeze reads node i, Unsqueeze(cur), which inserts axes of size 1 at
// the indices listed, indices into the output.
func (w *walker) unsqueeze(i int) error {
	desc := describe(i, w.nodes[i])
	axes, given, err := w.axes(i)
	if err != nil {
		return err
	}
	if !given {
		return fmt.Errorf("%s has no axes, want the indices of the axes to insert", desc)
	}
	in := w.symbolic()
	unit := make([]bool, len(in)+len(axes))
	for _, a := range axes {
		j, err := normAxis(desc, a, len(unit), unit)
		if err != nil {
			return err
		}
		unit[j] = true
	}
	out := make([]int, len(unit))
	k := 0
	for j := range out {
		if unit[j] {
			out[j] = 1
			continue
		}
		out[j] = in[k]
		k++
	}
	return w.reshaped(i, out)
}

// normAxis returns axis a of a tensor of the given rank as an index from 0,
// and refuses it if it is out of range or seen[index] is already set.
func normAxis(desc string, a int64, rank int, seen []bool) (int, error) {
	r := int64(rank)
	if a < -r || a >= r {
		return 0, fmt.Errorf("%s has axis %d, want −%d to %d", desc, a, r, r-1)
	}
	if a < 0 {
		a += r
	}
	if seen[a] {
		return 0, fmt.Errorf("%s lists axis %d twice", desc, a)
	}
	return int(a), nil
}

// axes returns the axes of node i, a Squeeze or Unsqueeze of cur: its
// attribute axes (up to opset 12) or its constant second input (from opset
// 13). given is false if it has neither.
func (w *walker) axes(i int) (axes []int64, given bool, err error) {
	nd := w.nodes[i]
	desc := describe(i, nd)
	in := nd.GetInput()
	if len(in) != 1 && len(in) != 2 {
		return nil, false, fmt.Errorf("%s has %d inputs, want 1 (data) or 2 (data, axes)", desc, len(in))
	}
	if in[0] != w.cur {
		return nil, false, fmt.Errorf("%s reads the data %q as its axes, want it as the tensor to reshape", desc, w.cur)
	}
	attrs, err := attributes(desc, nd, "axes")
	if err != nil {
		return nil, false, err
	}
	a, fromAttr := attrs["axes"]
	fromInput := len(in) == 2 && in[1] != ""
	switch {
	case fromAttr && fromInput:
		return nil, false, fmt.Errorf("%s has axes both as an attribute and as an input, want one", desc)
	case fromAttr && a.GetType() != onnxpb.AttributeProto_INTS:
		return nil, false, fmt.Errorf("%s has attribute axes of type %v, want INTS", desc, a.GetType())
	case fromAttr:
		return a.GetInts(), true, nil
	case fromInput:
		k, err := w.resolve(in[1])
		if err != nil {
			return nil, false, fmt.Errorf("%s reads %q, %w", desc, in[1], err)
		}
		if k.dtype != typeInt64 || len(k.dims) > 1 {
			return nil, false, fmt.Errorf("%s: axes %q is %s of shape %v, want a one-dimensional INT64 tensor", desc, in[1], typeName(k.dtype), k.dims)
		}
		return k.i, true, nil
	}
	return nil, false, nil
}
