package onnx

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/sobolev-pruning/sobolev/onnx/internal/onnxpb"
)

// This file holds a small ONNX interpreter, independent of the package's
// reader, for the operators Save emits and those of the foreign graphs of
// foreign_export_test.go and jax_test.go, following their definitions in the
// ONNX operator documentation (opset 17; Squeeze and Unsqueeze also take their
// axes as an attribute, as before opset 13), for tensors of rank 2 or less
// where it matters. It computes in float64 whatever the element type, except
// that Cast to FLOAT rounds; BOOL is 0 or 1. It does not check the declared
// shapes of the graph input and output. TestGraphSemantics (graph_test.go)
// runs the files Save writes through it and compares with a direct
// evaluation of the network.

// tensor is a float64 tensor, row-major.
type tensor struct {
	shape []int
	data  []float64
}

// interpret evaluates the graph of m on the given inputs and returns its outputs.
func interpret(m *onnxpb.ModelProto, feeds map[string]tensor) (map[string]tensor, error) {
	g := m.GetGraph()
	env := make(map[string]tensor)
	for _, t := range g.GetInitializer() {
		v, err := initializerValue(t)
		if err != nil {
			return nil, err
		}
		env[t.GetName()] = v
	}
	for name, v := range feeds {
		env[name] = v
	}
	for _, nd := range g.GetNode() {
		in, err := nodeInputs(nd, env)
		if err != nil {
			return nil, err
		}
		out, err := evalNode(nd, in)
		if err != nil {
			return nil, fmt.Errorf("node %q: %v", nd.GetName(), err)
		}
		if len(nd.GetOutput()) != 1 {
			return nil, fmt.Errorf("node %q has %d outputs, want 1", nd.GetName(), len(nd.GetOutput()))
		}
		if _, ok := env[nd.GetOutput()[0]]; ok {
			return nil, fmt.Errorf("node %q writes %q, which is already defined", nd.GetName(), nd.GetOutput()[0])
		}
		env[nd.GetOutput()[0]] = out
	}
	outs := make(map[string]tensor)
	for _, vi := range g.GetOutput() {
		v, ok := env[vi.GetName()]
		if !ok {
			return nil, fmt.Errorf("graph output %q is never written", vi.GetName())
		}
		outs[vi.GetName()] = v
	}
	return outs, nil
}

// nodeInputs returns the values in env of the inputs of nd, leaving out the
// optional inputs named "", or an error if one is not defined yet.
func nodeInputs(nd *onnxpb.NodeProto, env map[string]tensor) ([]tensor, error) {
	var in []tensor
	for _, name := range nd.GetInput() {
		if name == "" { // an optional input left out
			continue
		}
		v, ok := env[name]
		if !ok {
			return nil, fmt.Errorf("node %q reads %q before it is defined", nd.GetName(), name)
		}
		in = append(in, v)
	}
	return in, nil
}

// evalNode returns the output of node nd on its inputs in.
func evalNode(nd *onnxpb.NodeProto, in []tensor) (tensor, error) {
	if f, ok := unaryOp(nd.GetOpType()); ok {
		return elementwise(in, f)
	}
	if f, ok := binaryOp(nd.GetOpType()); ok {
		return broadcast(in, f)
	}
	switch nd.GetOpType() {
	case "Gemm":
		return gemm(in, nd.GetAttribute())
	case "MatMul":
		return matmul(in)
	case "Cast":
		return cast(in, nd.GetAttribute())
	case "Reshape":
		return reshape(in, nd.GetAttribute())
	case "Transpose":
		return transpose(in, nd.GetAttribute())
	case "Flatten":
		return flatten(in, nd.GetAttribute())
	case "Squeeze":
		return squeeze(in, nd.GetAttribute())
	case "Unsqueeze":
		return unsqueeze(in, nd.GetAttribute())
	case "Concat":
		return concat(in, nd.GetAttribute())
	case "Where":
		return broadcastN(in, 3, func(v []float64) float64 {
			if v[0] != 0 {
				return v[1]
			}
			return v[2]
		})
	case "Constant":
		if len(in) != 0 || len(nd.GetAttribute()) != 1 || nd.GetAttribute()[0].GetName() != "value" {
			return tensor{}, fmt.Errorf("Constant with inputs %v and attributes %v, want none and value", in, nd.GetAttribute())
		}
		return initializerValue(nd.GetAttribute()[0].GetT())
	}
	return tensor{}, fmt.Errorf("op type %s not implemented", nd.GetOpType())
}

// unaryOp returns the function that the elementwise op type op applies to
// each value, and false if op is not one.
func unaryOp(op string) (func(float64) float64, bool) {
	switch op {
	case "Sigmoid":
		return func(z float64) float64 { return 1 / (1 + math.Exp(-z)) }, true
	case "Softplus":
		return func(z float64) float64 { return math.Log(math.Exp(z) + 1) }, true
	case "Tanh":
		return math.Tanh, true
	case "Relu":
		return func(z float64) float64 { return max(z, 0) }, true
	case "Neg":
		return func(z float64) float64 { return -z }, true
	case "Exp":
		return math.Exp, true
	case "Log":
		return math.Log, true
	case "Abs":
		return math.Abs, true
	case "Reciprocal":
		return func(z float64) float64 { return 1 / z }, true
	case "Identity":
		return func(z float64) float64 { return z }, true
	case "IsNaN":
		return func(z float64) float64 {
			if math.IsNaN(z) {
				return 1
			}
			return 0
		}, true
	}
	return nil, false
}

// binaryOp returns the function that the broadcasting op type op applies to
// each pair of values, and false if op is not one.
func binaryOp(op string) (func(a, b float64) float64, bool) {
	switch op {
	case "Sub":
		return func(a, b float64) float64 { return a - b }, true
	case "Div":
		return func(a, b float64) float64 { return a / b }, true
	case "Mul":
		return func(a, b float64) float64 { return a * b }, true
	case "Add":
		return func(a, b float64) float64 { return a + b }, true
	case "Max":
		return math.Max, true
	case "Greater": // a bool tensor, held as 1 and 0
		return func(a, b float64) float64 {
			if a > b {
				return 1
			}
			return 0
		}, true
	}
	return nil, false
}

// initializerValue decodes a DOUBLE, FLOAT or INT64 initializer from raw_data
// or the field of its type, as float64.
func initializerValue(t *onnxpb.TensorProto) (tensor, error) {
	v := tensor{shape: make([]int, len(t.GetDims()))}
	size := 1
	for i, d := range t.GetDims() {
		v.shape[i] = int(d)
		size *= int(d)
	}
	raw := t.GetRawData()
	switch onnxpb.TensorProto_DataType(t.GetDataType()) {
	case onnxpb.TensorProto_DOUBLE:
		v.data = t.GetDoubleData()
		if len(raw) > 0 {
			v.data = make([]float64, len(raw)/8)
			if err := binary.Read(bytes.NewReader(raw), binary.LittleEndian, v.data); err != nil {
				return tensor{}, err
			}
		}
	case onnxpb.TensorProto_FLOAT:
		f := t.GetFloatData()
		if len(raw) > 0 {
			f = make([]float32, len(raw)/4)
			if err := binary.Read(bytes.NewReader(raw), binary.LittleEndian, f); err != nil {
				return tensor{}, err
			}
		}
		for _, x := range f {
			v.data = append(v.data, float64(x))
		}
	case onnxpb.TensorProto_INT64:
		n := t.GetInt64Data()
		if len(raw) > 0 {
			n = make([]int64, len(raw)/8)
			if err := binary.Read(bytes.NewReader(raw), binary.LittleEndian, n); err != nil {
				return tensor{}, err
			}
		}
		for _, x := range n {
			v.data = append(v.data, float64(x))
		}
	default:
		return tensor{}, fmt.Errorf("initializer %q: data type %d", t.GetName(), t.GetDataType())
	}
	if len(v.data) != size {
		return tensor{}, fmt.Errorf("initializer %q: %d values for shape %v", t.GetName(), len(v.data), v.shape)
	}
	return v, nil
}

func elementwise(in []tensor, f func(float64) float64) (tensor, error) {
	if len(in) != 1 {
		return tensor{}, fmt.Errorf("%d inputs, want 1", len(in))
	}
	out := tensor{shape: in[0].shape, data: make([]float64, len(in[0].data))}
	for i, v := range in[0].data {
		out.data[i] = f(v)
	}
	return out, nil
}

// broadcast applies f with multidirectional (NumPy) broadcasting.
func broadcast(in []tensor, f func(a, b float64) float64) (tensor, error) {
	return broadcastN(in, 2, func(v []float64) float64 { return f(v[0], v[1]) })
}

// broadcastN applies f to n operands with multidirectional (NumPy) broadcasting.
func broadcastN(in []tensor, n int, f func(v []float64) float64) (tensor, error) {
	if len(in) != n {
		return tensor{}, fmt.Errorf("%d inputs, want %d", len(in), n)
	}
	rank := 0
	for _, t := range in {
		rank = max(rank, len(t.shape))
	}
	padded := make([][]int, n) // the shapes left-padded with ones to the common rank
	for k, t := range in {
		padded[k] = slices.Repeat([]int{1}, rank-len(t.shape))
		padded[k] = append(padded[k], t.shape...)
	}
	shape := make([]int, rank)
	size := 1
	for i := range shape {
		shape[i] = 1
		for _, p := range padded {
			switch {
			case p[i] == shape[i] || p[i] == 1:
			case shape[i] == 1:
				shape[i] = p[i]
			default:
				return tensor{}, fmt.Errorf("shapes %v do not broadcast", padded)
			}
		}
		size *= shape[i]
	}
	out := tensor{shape: shape, data: make([]float64, size)}
	idx := make([]int, rank)
	v := make([]float64, n)
	for flat := range out.data {
		for i, r := rank-1, flat; i >= 0; i-- {
			idx[i] = r % shape[i]
			r /= shape[i]
		}
		for k, p := range padded {
			at := 0
			for i := range idx {
				at = at*p[i] + min(idx[i], p[i]-1)
			}
			v[k] = in[k].data[at]
		}
		out.data[flat] = f(v)
	}
	return out, nil
}

// gemm computes Y = alpha·A'·B' + beta·C, A' = transpose(A) if transA, B' likewise,
// with C broadcast to the shape of Y; C is optional.
func gemm(in []tensor, attrs []*onnxpb.AttributeProto) (tensor, error) {
	if len(in) == 2 {
		in = append(in, tensor{shape: []int{}, data: []float64{0}})
	}
	if len(in) != 3 {
		return tensor{}, fmt.Errorf("%d inputs, want 2 or 3", len(in))
	}
	alpha, beta, transA, transB := 1.0, 1.0, false, false
	for _, at := range attrs {
		switch at.GetName() {
		case "alpha":
			alpha = float64(at.GetF())
		case "beta":
			beta = float64(at.GetF())
		case "transA":
			transA = at.GetI() != 0
		case "transB":
			transB = at.GetI() != 0
		default:
			return tensor{}, fmt.Errorf("attribute %q", at.GetName())
		}
	}
	a, b := in[0], in[1]
	if len(a.shape) != 2 || len(b.shape) != 2 {
		return tensor{}, fmt.Errorf("A %v, B %v: want matrices", a.shape, b.shape)
	}
	at := func(i, k int) float64 { // A'[i,k]
		if transA {
			return a.data[k*a.shape[1]+i]
		}
		return a.data[i*a.shape[1]+k]
	}
	bt := func(k, j int) float64 { // B'[k,j]
		if transB {
			return b.data[j*b.shape[1]+k]
		}
		return b.data[k*b.shape[1]+j]
	}
	M, K := a.shape[0], a.shape[1]
	if transA {
		M, K = K, M
	}
	K2, N := b.shape[0], b.shape[1]
	if transB {
		K2, N = N, K2
	}
	if K != K2 {
		return tensor{}, fmt.Errorf("A' is %d×%d, B' is %d×%d", M, K, K2, N)
	}
	ab := tensor{shape: []int{M, N}, data: make([]float64, M*N)}
	for i := range M {
		for j := range N {
			s := 0.0
			for k := range K {
				s += at(i, k) * bt(k, j)
			}
			ab.data[i*N+j] = alpha * s
		}
	}
	y, err := broadcast([]tensor{ab, in[2]}, func(p, c float64) float64 { return p + beta*c })
	if err != nil {
		return tensor{}, err
	}
	if len(y.shape) != 2 || y.shape[0] != M || y.shape[1] != N {
		return tensor{}, fmt.Errorf("C of shape %v does not broadcast to [%d %d]", in[2].shape, M, N)
	}
	return y, nil
}

// matmul computes the matrix product A·B of two matrices, or of a matrix
// and a vector, which, as in NumPy, is taken as a row of A or a column of B,
// and that axis dropped from the product.
func matmul(in []tensor) (tensor, error) {
	if len(in) != 2 {
		return tensor{}, fmt.Errorf("%d inputs, want 2", len(in))
	}
	a, b := in[0], in[1]
	if len(a.shape) == 1 {
		a.shape = []int{1, a.shape[0]}
	}
	if len(b.shape) == 1 {
		b.shape = []int{b.shape[0], 1}
	}
	p, err := gemm([]tensor{a, b}, nil)
	switch {
	case err != nil:
	case len(in[0].shape) == 1 && len(in[1].shape) == 1:
		p.shape = []int{}
	case len(in[0].shape) == 1:
		p.shape = p.shape[1:]
	case len(in[1].shape) == 1:
		p.shape = p.shape[:1]
	}
	return p, err
}

// intAttr returns the INT attribute name, or def if absent.
func intAttr(attrs []*onnxpb.AttributeProto, name string, def int64) int64 {
	for _, a := range attrs {
		if a.GetName() == name {
			return a.GetI()
		}
	}
	return def
}

// cast converts to the type of the attribute "to": FLOAT rounds to float32,
// DOUBLE and INT64 keep the values (the tests cast only integers to INT64).
func cast(in []tensor, attrs []*onnxpb.AttributeProto) (tensor, error) {
	switch onnxpb.TensorProto_DataType(intAttr(attrs, "to", 0)) {
	case onnxpb.TensorProto_FLOAT:
		return elementwise(in, func(z float64) float64 { return float64(float32(z)) })
	case onnxpb.TensorProto_DOUBLE, onnxpb.TensorProto_INT64:
		return elementwise(in, func(z float64) float64 { return z })
	}
	return tensor{}, fmt.Errorf("cast to type %d", intAttr(attrs, "to", 0))
}

// reshape gives in[0] the shape in[1]: 0 copies a dimension (allowzero = 0),
// −1 is inferred.
func reshape(in []tensor, attrs []*onnxpb.AttributeProto) (tensor, error) {
	if len(in) != 2 || intAttr(attrs, "allowzero", 0) != 0 {
		return tensor{}, fmt.Errorf("%d inputs, attributes %v: want 2 and allowzero = 0", len(in), attrs)
	}
	shape := make([]int, len(in[1].data))
	known, infer := 1, -1
	for i, v := range in[1].data {
		switch {
		case v == -1:
			infer = i
			continue
		case v == 0:
			shape[i] = in[0].shape[i]
		default:
			shape[i] = int(v)
		}
		known *= shape[i]
	}
	if infer >= 0 {
		shape[infer] = len(in[0].data) / known
		known *= shape[infer]
	}
	if known != len(in[0].data) {
		return tensor{}, fmt.Errorf("cannot reshape %v to %v", in[0].shape, in[1].data)
	}
	return tensor{shape: shape, data: in[0].data}, nil
}

// flatten reshapes in[0] to a matrix: the axes before the attribute axis
// (default 1) make the rows, the others the columns.
func flatten(in []tensor, attrs []*onnxpb.AttributeProto) (tensor, error) {
	if len(in) != 1 {
		return tensor{}, fmt.Errorf("%d inputs, want 1", len(in))
	}
	axis := int(intAttr(attrs, "axis", 1))
	if axis < 0 {
		axis += len(in[0].shape)
	}
	if axis < 0 || axis > len(in[0].shape) {
		return tensor{}, fmt.Errorf("axis %d for shape %v", axis, in[0].shape)
	}
	r := 1
	for _, d := range in[0].shape[:axis] {
		r *= d
	}
	return tensor{shape: []int{r, len(in[0].data) / r}, data: in[0].data}, nil
}

// axesOf returns the axes of a Squeeze or Unsqueeze, from its second input
// or its attribute axes, with negative axes counted from rank, and whether
// it has any.
func axesOf(in []tensor, attrs []*onnxpb.AttributeProto, rank int) ([]int, bool) {
	var axes []int
	if len(in) == 2 {
		for _, v := range in[1].data {
			axes = append(axes, int(v))
		}
	}
	for _, a := range attrs {
		if a.GetName() == "axes" {
			for _, v := range a.GetInts() {
				axes = append(axes, int(v))
			}
		}
	}
	for k, a := range axes {
		if a < 0 {
			axes[k] += rank
		}
	}
	return axes, len(axes) > 0
}

// squeeze removes axes of size 1 from in[0]: those listed, or all.
func squeeze(in []tensor, attrs []*onnxpb.AttributeProto) (tensor, error) {
	if len(in) < 1 || len(in) > 2 {
		return tensor{}, fmt.Errorf("%d inputs, want 1 or 2", len(in))
	}
	axes, given := axesOf(in, attrs, len(in[0].shape))
	var shape []int
	for i, d := range in[0].shape {
		drop := d == 1 && !given || slices.Contains(axes, i)
		if drop && d != 1 {
			return tensor{}, fmt.Errorf("axis %d of shape %v is not 1", i, in[0].shape)
		}
		if !drop {
			shape = append(shape, d)
		}
	}
	return tensor{shape: shape, data: in[0].data}, nil
}

// unsqueeze inserts axes of size 1 into in[0] at the indices listed.
func unsqueeze(in []tensor, attrs []*onnxpb.AttributeProto) (tensor, error) {
	if len(in) < 1 || len(in) > 2 {
		return tensor{}, fmt.Errorf("%d inputs, want 1 or 2", len(in))
	}
	axes, _ := axesOf(in, attrs, 0)
	rank := len(in[0].shape) + len(axes)
	axes, _ = axesOf(in, attrs, rank)
	shape := make([]int, 0, rank)
	rest := in[0].shape
	for i := range rank {
		if slices.Contains(axes, i) {
			shape = append(shape, 1)
			continue
		}
		if len(rest) == 0 {
			return tensor{}, fmt.Errorf("axes %v for shape %v", axes, in[0].shape)
		}
		shape, rest = append(shape, rest[0]), rest[1:]
	}
	return tensor{shape: shape, data: in[0].data}, nil
}

// transpose swaps the axes of a matrix (perm absent or [1 0]).
func transpose(in []tensor, attrs []*onnxpb.AttributeProto) (tensor, error) {
	if len(in) != 1 || len(in[0].shape) != 2 {
		return tensor{}, fmt.Errorf("%d inputs, want one matrix", len(in))
	}
	for _, a := range attrs {
		if a.GetName() != "perm" || !slices.Equal(a.GetInts(), []int64{1, 0}) {
			return tensor{}, fmt.Errorf("attribute %v, want perm [1 0]", a)
		}
	}
	r, c := in[0].shape[0], in[0].shape[1]
	out := tensor{shape: []int{c, r}, data: make([]float64, r*c)}
	for i := range r {
		for j := range c {
			out.data[j*r+i] = in[0].data[i*c+j]
		}
	}
	return out, nil
}

// concat joins matrices along axis 1, the only Concat the tests write.
func concat(in []tensor, attrs []*onnxpb.AttributeProto) (tensor, error) {
	if axis := intAttr(attrs, "axis", 0); axis != 1 {
		return tensor{}, fmt.Errorf("Concat on axis %d, want 1", axis)
	}
	rows, width := in[0].shape[0], 0
	for _, t := range in {
		if len(t.shape) != 2 || t.shape[0] != rows {
			return tensor{}, fmt.Errorf("Concat of shapes %v and %v", in[0].shape, t.shape)
		}
		width += t.shape[1]
	}
	out := tensor{shape: []int{rows, width}}
	for r := range rows {
		for _, t := range in {
			out.data = append(out.data, t.data[r*t.shape[1]:(r+1)*t.shape[1]]...)
		}
	}
	return out, nil
}
