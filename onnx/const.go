package onnx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/sobolev-pruning/sobolev/onnx/internal/onnxpb"
)

// Element types of the tensors this package reads.
const (
	typeFloat  = int32(onnxpb.TensorProto_FLOAT)
	typeDouble = int32(onnxpb.TensorProto_DOUBLE)
	typeInt64  = int32(onnxpb.TensorProto_INT64)
)

// typeName returns the name of an ONNX element type, e.g. "DOUBLE".
func typeName(t int32) string { return onnxpb.TensorProto_DataType(t).String() }

// constTensor is a constant read from a file: an initializer, the value of a
// Constant node, or one of these through Identity, Cast, Transpose or Reshape.
type constTensor struct {
	dtype int32     // typeFloat, typeDouble or typeInt64
	dims  []int     // the shape
	f     []float64 // FLOAT and DOUBLE values, row-major; FLOAT values are exact in float64
	i     []int64   // INT64 values
}

// size returns the number of elements of a shape.
func size(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}

// decodeTensor returns the constant stored in t, which what names for error
// messages (e.g. `initializer "W1"`). t must be a FLOAT, DOUBLE or INT64
// tensor with its data in the model, in raw_data (little-endian) or in the
// field of its type (float_data, double_data, int64_data).
func decodeTensor(what string, t *onnxpb.TensorProto) (*constTensor, error) {
	dt := t.GetDataType()
	if dt != typeFloat && dt != typeDouble && dt != typeInt64 {
		return nil, fmt.Errorf("%s has data type %s, want FLOAT, DOUBLE or INT64", what, typeName(dt))
	}
	if t.GetDataLocation() != onnxpb.TensorProto_DEFAULT || t.GetSegment() != nil {
		return nil, fmt.Errorf("%s is stored in an external file or in segments, want its data in the model", what)
	}
	k := &constTensor{dtype: dt, dims: make([]int, len(t.GetDims()))}
	n := 1
	for j, d := range t.GetDims() {
		if d < 0 || d > maxDim || d > 0 && n > math.MaxInt32/int(d) {
			return nil, fmt.Errorf("%s has dims %v, want a tensor that fits in a model file", what, t.GetDims())
		}
		k.dims[j] = int(d)
		n *= int(d)
	}
	raw := t.GetRawData()
	var field string
	var typed int
	switch dt {
	case typeFloat:
		field, typed = "float_data", len(t.GetFloatData())
	case typeDouble:
		field, typed = "double_data", len(t.GetDoubleData())
	default:
		field, typed = "int64_data", len(t.GetInt64Data())
	}
	width := 8
	if dt == typeFloat {
		width = 4
	}
	switch {
	case len(raw) > 0 && typed > 0:
		return nil, fmt.Errorf("%s has both raw_data and %s, want one", what, field)
	case len(raw) > 0 && len(raw) != width*n:
		return nil, fmt.Errorf("%s of shape %v has %d bytes of raw_data, want %d (%d per value)", what, k.dims, len(raw), width*n, width)
	case len(raw) == 0 && typed != n:
		return nil, fmt.Errorf("%s of shape %v has %d values in %s and no raw_data, want %d", what, k.dims, typed, field, n)
	}
	switch {
	case dt == typeInt64 && len(raw) > 0:
		k.i = make([]int64, n)
		for j := range k.i {
			k.i[j] = int64(binary.LittleEndian.Uint64(raw[8*j:]))
		}
	case dt == typeInt64:
		k.i = t.GetInt64Data()
	case dt == typeDouble && len(raw) > 0:
		k.f = make([]float64, n)
		for j := range k.f {
			k.f[j] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*j:]))
		}
	case dt == typeDouble:
		k.f = t.GetDoubleData()
	case len(raw) > 0:
		k.f = make([]float64, n)
		for j := range k.f {
			k.f[j] = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*j:])))
		}
	default:
		k.f = make([]float64, n)
		for j, v := range t.GetFloatData() {
			k.f[j] = float64(v)
		}
	}
	return k, nil
}

// constant returns the constant value name, an input of the node described
// by desc, with the element type want (FLOAT or DOUBLE, the type of the data
// it meets).
func (w *walker) constant(desc, name string, want int32) (*constTensor, error) {
	k, err := w.resolve(name)
	if err != nil {
		return nil, fmt.Errorf("%s reads %q, %w", desc, name, err)
	}
	if k.dtype != want {
		return nil, fmt.Errorf("%s reads %q of data type %s, want %s (the type of the data it meets)",
			desc, name, typeName(k.dtype), typeName(want))
	}
	return k, nil
}

// errCycle is returned by resolve for a value that depends on itself.
var errCycle = errors.New("which depends on itself")

// resolve returns the constant value name: an initializer, or the output of
// a Constant node, or of Identity, Cast, Transpose or Reshape of constants.
// Nodes it reads are marked used. Its errors complete a sentence
// "node … reads "name", …".
func (w *walker) resolve(name string) (*constTensor, error) {
	if k, ok := w.consts[name]; ok {
		if k == nil {
			return nil, errCycle
		}
		return k, nil
	}
	if t, ok := w.inits[name]; ok {
		k, err := decodeTensor(fmt.Sprintf("initializer %q", name), t)
		if err != nil {
			return nil, fmt.Errorf("which is not a constant this package reads: %w", err)
		}
		w.consts[name] = k
		return k, nil
	}
	i, ok := w.producer[name]
	if !ok {
		if name == w.input {
			return nil, errors.New("which is the graph input, want a constant")
		}
		return nil, errors.New("which is neither an initializer nor written by a node, want a constant")
	}
	w.consts[name] = nil // marks name as being resolved
	k, err := w.fold(i)
	if err != nil {
		delete(w.consts, name)
		return nil, fmt.Errorf("which is not a constant: %w", err)
	}
	w.consts[name] = k
	w.used[i] = true
	return k, nil
}

// fold returns the value of node i, which must be a Constant node or
// Identity, Cast, Transpose or Reshape of constants.
func (w *walker) fold(i int) (*constTensor, error) {
	nd := w.nodes[i]
	desc := describe(i, nd)
	if err := w.checkNode(i); err != nil {
		return nil, err
	}
	in := nd.GetInput()
	switch op := nd.GetOpType(); op {
	case "Constant":
		if len(in) != 0 {
			return nil, fmt.Errorf("%s has %d inputs, want none", desc, len(in))
		}
		attrs, err := attributes(desc, nd, "value")
		if err != nil {
			return nil, err
		}
		if a, ok := attrs["value"]; !ok || a.GetType() != onnxpb.AttributeProto_TENSOR {
			return nil, fmt.Errorf("%s has no attribute value of type TENSOR, want its constant there", desc)
		}
		return decodeTensor(desc+" attribute value", attrs["value"].GetT())
	case "Identity":
		if _, err := attributes(desc, nd); err != nil {
			return nil, err
		}
		return w.operands(desc, nd, 1)
	case "Cast":
		to, err := castTarget(desc, nd)
		if err != nil {
			return nil, err
		}
		k, err := w.operands(desc, nd, 1)
		if err != nil {
			return nil, err
		}
		return castConst(desc, k, to)
	case "Transpose":
		k, err := w.operands(desc, nd, 1)
		if err != nil {
			return nil, err
		}
		swap, err := transposePerm(desc, nd, len(k.dims))
		if err != nil || !swap {
			return k, err
		}
		return transposeConst(k), nil
	case "Reshape":
		allowZero, err := reshapeAllowZero(desc, nd)
		if err != nil {
			return nil, err
		}
		k, err := w.operands(desc, nd, 2)
		if err != nil {
			return nil, err
		}
		s, err := w.resolve(in[1]) // resolved by operands
		if err != nil {
			return nil, err
		}
		target, err := shapeOperand(desc, in[1], s)
		if err != nil {
			return nil, err
		}
		dims, err := reshapeDims(k.dims, target, allowZero)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", desc, err)
		}
		return &constTensor{dtype: k.dtype, dims: dims, f: k.f, i: k.i}, nil
	default:
		return nil, fmt.Errorf("it is written by %s, want an initializer, a Constant node, or Identity, Cast, Transpose or Reshape of constants", desc)
	}
}

// operands checks that node nd has n inputs, resolves them all as constants
// and returns the first.
func (w *walker) operands(desc string, nd *onnxpb.NodeProto, n int) (*constTensor, error) {
	in := nd.GetInput()
	if len(in) != n {
		return nil, fmt.Errorf("%s has %d inputs, want %d", desc, len(in), n)
	}
	var first *constTensor
	for j, name := range in {
		k, err := w.resolve(name)
		if err != nil {
			return nil, fmt.Errorf("%s reads %q, %w", desc, name, err)
		}
		if j == 0 {
			first = k
		}
	}
	return first, nil
}

// castTarget returns the attribute "to" of the Cast node nd.
func castTarget(desc string, nd *onnxpb.NodeProto) (int32, error) {
	attrs, err := attributes(desc, nd, "to")
	if err != nil {
		return 0, err
	}
	a, ok := attrs["to"]
	if !ok || a.GetType() != onnxpb.AttributeProto_INT {
		return 0, fmt.Errorf("%s has no attribute to of type INT, want the target type there", desc)
	}
	to := a.GetI()
	if to != int64(typeFloat) && to != int64(typeDouble) && to != int64(typeInt64) {
		return 0, fmt.Errorf("%s casts to %s, want FLOAT, DOUBLE or INT64", desc, onnxpb.TensorProto_DataType(to))
	}
	return int32(to), nil
}

// castConst returns k cast to type to: FLOAT and DOUBLE may be cast to each
// other (DOUBLE to FLOAT rounds to nearest), INT64 only to itself.
func castConst(desc string, k *constTensor, to int32) (*constTensor, error) {
	switch {
	case k.dtype == to:
		return k, nil
	case k.dtype == typeInt64 || to == typeInt64:
		return nil, fmt.Errorf("%s casts a constant from %s to %s, want FLOAT and DOUBLE cast to each other", desc, typeName(k.dtype), typeName(to))
	case to == typeDouble:
		return &constTensor{dtype: to, dims: k.dims, f: k.f}, nil
	}
	f := make([]float64, len(k.f))
	for j, v := range k.f {
		f[j] = float64(float32(v))
	}
	return &constTensor{dtype: to, dims: k.dims, f: f}, nil
}

// transposePerm reads the perm attribute of the Transpose node nd applied to
// a tensor of the given rank, and reports whether it swaps two axes. Only
// ranks up to 2 are supported; the default perm reverses the axes.
func transposePerm(desc string, nd *onnxpb.NodeProto, rank int) (bool, error) {
	attrs, err := attributes(desc, nd, "perm")
	if err != nil {
		return false, err
	}
	if rank > 2 {
		return false, fmt.Errorf("%s transposes a tensor of rank %d, want rank 2 or less", desc, rank)
	}
	a, ok := attrs["perm"]
	if !ok {
		return rank == 2, nil
	}
	p := a.GetInts()
	switch {
	case a.GetType() != onnxpb.AttributeProto_INTS:
		return false, fmt.Errorf("%s has attribute perm of type %v, want INTS", desc, a.GetType())
	case rank == 2 && len(p) == 2 && p[0] == 1 && p[1] == 0:
		return true, nil
	case rank == 2 && len(p) == 2 && p[0] == 0 && p[1] == 1,
		rank == 1 && len(p) == 1 && p[0] == 0,
		rank == 0 && len(p) == 0:
		return false, nil
	}
	return false, fmt.Errorf("%s has perm %v, want a permutation of the %d axes of its input", desc, p, rank)
}

// transposeConst returns the transpose of the matrix k.
func transposeConst(k *constTensor) *constTensor {
	r, c := k.dims[0], k.dims[1]
	t := &constTensor{dtype: k.dtype, dims: []int{c, r}}
	if k.dtype == typeInt64 {
		t.i = make([]int64, len(k.i))
		for a := range r {
			for b := range c {
				t.i[b*r+a] = k.i[a*c+b]
			}
		}
		return t
	}
	t.f = make([]float64, len(k.f))
	for a := range r {
		for b := range c {
			t.f[b*r+a] = k.f[a*c+b]
		}
	}
	return t
}

// reshapeAllowZero returns the allowzero attribute of the Reshape node nd.
func reshapeAllowZero(desc string, nd *onnxpb.NodeProto) (bool, error) {
	attrs, err := attributes(desc, nd, "allowzero")
	if err != nil {
		return false, err
	}
	a, ok := attrs["allowzero"]
	if !ok {
		return false, nil
	}
	if a.GetType() != onnxpb.AttributeProto_INT {
		return false, fmt.Errorf("%s has attribute allowzero of type %v, want INT", desc, a.GetType())
	}
	return a.GetI() != 0, nil
}

// shapeOperand checks that k, the shape operand name of a Reshape, is a
// one-dimensional INT64 tensor and returns its values.
func shapeOperand(desc, name string, k *constTensor) ([]int64, error) {
	if k.dtype != typeInt64 || len(k.dims) != 1 {
		return nil, fmt.Errorf("%s: shape %q is %s of shape %v, want a one-dimensional INT64 tensor", desc, name, typeName(k.dtype), k.dims)
	}
	return k.i, nil
}

// reshapeDims returns the shape a Reshape to target gives a tensor of shape
// dims: 0 copies the dimension at its index (unless allowZero), and one -1 is
// inferred from the size.
func reshapeDims(dims []int, target []int64, allowZero bool) ([]int, error) {
	out := make([]int, len(target))
	infer, known := -1, 1
	for j, t := range target {
		switch {
		case t == -1 && infer < 0:
			infer = j
			continue
		case t == 0 && !allowZero && j < len(dims):
			out[j] = dims[j]
		case t >= 0 && t <= maxDim:
			out[j] = int(t)
		default:
			return nil, fmt.Errorf("shape %v cannot reshape a tensor of shape %v", target, dims)
		}
		if out[j] > 0 && known > math.MaxInt32/out[j] {
			return nil, fmt.Errorf("shape %v cannot reshape a tensor of shape %v", target, dims)
		}
		known *= out[j]
	}
	n := size(dims)
	if infer >= 0 && known > 0 && n%known == 0 {
		out[infer] = n / known
		known = n
	}
	if known != n || infer >= 0 && known == 0 {
		return nil, fmt.Errorf("shape %v cannot reshape a tensor of shape %v", target, dims)
	}
	return out, nil
}

// broadcastShapes returns the shapes a constant operand may have to meet data
// of width n and form f elementwise without changing their shape, for error
// messages.
func broadcastShapes(n int, f form) string {
	switch f {
	case cols:
		return fmt.Sprintf("[%d 1] or one value ([], [1] or [1 1])", n)
	case vector:
		return "one value ([] or [1])"
	}
	return fmt.Sprintf("[%d], [1 %d] or one value ([], [1] or [1 1])", n, n)
}

// expand returns the n values the constant k takes along the feature axis of
// data of width n and form f when broadcast against them elementwise,
// whatever the batch size, and whether k broadcasts so without changing the
// data's shape. The values are a new slice.
func expand(k *constTensor, n int, f form) ([]float64, bool) {
	var ok bool
	switch d := k.dims; len(d) {
	case 0:
		ok = true
	case 1:
		ok = d[0] == 1 || d[0] == n && f == rows
	case 2:
		ok = d[0] == 1 && d[1] == 1 && f != vector ||
			f == rows && d[0] == 1 && d[1] == n ||
			f == cols && d[0] == n && d[1] == 1
	}
	if !ok {
		return nil, false
	}
	c := make([]float64, n)
	for j := range c {
		c[j] = k.f[j%len(k.f)]
	}
	return c, true
}
