package onnx

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/onnx/internal/onnxpb"
)

// This file holds a small ONNX interpreter, independent of the package's
// reader, for the operators Save emits and those of the foreign graphs in
// foreign_test.go and jax_test.go, following their definitions in the ONNX
// operator documentation (opset 17; Squeeze and Unsqueeze also take their
// axes as an attribute, as before opset 13), for tensors of rank 2 or less
// where it matters. It computes in float64 whatever the element type, except
// that Cast to FLOAT rounds; BOOL is 0 or 1. It does not check the declared
// shapes of the graph input and output. TestGraphSemantics runs the files
// Save writes through it and compares with a direct evaluation of the
// network.

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
		var out tensor
		var err error
		switch nd.GetOpType() {
		case "Sub":
			out, err = broadcast(in, func(a, b float64) float64 { return a - b })
		case "Div":
			out, err = broadcast(in, func(a, b float64) float64 { return a / b })
		case "Mul":
			out, err = broadcast(in, func(a, b float64) float64 { return a * b })
		case "Add":
			out, err = broadcast(in, func(a, b float64) float64 { return a + b })
		case "Sigmoid":
			out, err = elementwise(in, func(z float64) float64 { return 1 / (1 + math.Exp(-z)) })
		case "Softplus":
			out, err = elementwise(in, func(z float64) float64 { return math.Log(math.Exp(z) + 1) })
		case "Tanh":
			out, err = elementwise(in, math.Tanh)
		case "Relu":
			out, err = elementwise(in, func(z float64) float64 { return max(z, 0) })
		case "Gemm":
			out, err = gemm(in, nd.GetAttribute())
		case "MatMul":
			out, err = matmul(in)
		case "Max":
			out, err = broadcast(in, math.Max)
		case "Neg":
			out, err = elementwise(in, func(z float64) float64 { return -z })
		case "Exp":
			out, err = elementwise(in, math.Exp)
		case "Log":
			out, err = elementwise(in, math.Log)
		case "Abs":
			out, err = elementwise(in, math.Abs)
		case "Reciprocal":
			out, err = elementwise(in, func(z float64) float64 { return 1 / z })
		case "Identity":
			out, err = elementwise(in, func(z float64) float64 { return z })
		case "Cast":
			out, err = cast(in, nd.GetAttribute())
		case "Reshape":
			out, err = reshape(in, nd.GetAttribute())
		case "Transpose":
			out, err = transpose(in, nd.GetAttribute())
		case "Flatten":
			out, err = flatten(in, nd.GetAttribute())
		case "Squeeze":
			out, err = squeeze(in, nd.GetAttribute())
		case "Unsqueeze":
			out, err = unsqueeze(in, nd.GetAttribute())
		case "IsNaN":
			out, err = elementwise(in, func(z float64) float64 {
				if math.IsNaN(z) {
					return 1
				}
				return 0
			})
		case "Where":
			out, err = broadcastN(in, 3, func(v []float64) float64 {
				if v[0] != 0 {
					return v[1]
				}
				return v[2]
			})
		case "Constant":
			if len(in) != 0 || len(nd.GetAttribute()) != 1 || nd.GetAttribute()[0].GetName() != "value" {
				err = fmt.Errorf("Constant with inputs %v and attributes %v, want none and value", in, nd.GetAttribute())
				break
			}
			out, err = initializerValue(nd.GetAttribute()[0].GetT())
		default:
			err = fmt.Errorf("op type %s not implemented", nd.GetOpType())
		}
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

// forward evaluates net at the raw input x directly from method.md §3,
// independently of the graph.
func forward(net *mlp.Network, x []float64) float64 {
	a := make([]float64, len(x))
	for j := range x {
		a[j] = (x[j] - net.Norm.XMean[j]) / net.Norm.XScale[j]
	}
	for l := range net.Params.W {
		in, out := net.Sizes[l], net.Sizes[l+1]
		z := make([]float64, out)
		for i := range z {
			s := 0.0
			for k := range in {
				s += net.Params.W[l][i*in+k] * a[k]
			}
			z[i] = s + net.Params.B[l][i]
		}
		if l < net.Layers() {
			for i, v := range z {
				switch net.Act {
				case mlp.SiLU:
					z[i] = v / (1 + math.Exp(-v))
				case mlp.Softplus:
					z[i] = max(v, 0) + math.Log1p(math.Exp(-math.Abs(v)))
				case mlp.Tanh:
					z[i] = math.Tanh(v)
				case mlp.ReLU:
					z[i] = max(v, 0)
				}
			}
		}
		a = z
	}
	return net.Norm.YMean + net.Norm.YScale*a[0]
}

// shape is a layer layout: the number of inputs and the hidden widths.
type shape struct {
	inputs int
	hidden []int
}

// testShapes returns the layer layouts the tests run on.
func testShapes() []shape {
	return []shape{
		{1, []int{3}},
		{7, []int{8, 8, 8, 8, 8, 8}},
		{7, []int{128, 128, 128}},
		{3, nil}, // no hidden layer: a linear model
	}
}

// testActs returns every activation.
func testActs() []mlp.Activation { return []mlp.Activation{mlp.SiLU, mlp.Softplus, mlp.Tanh, mlp.ReLU} }

// mustMarshal returns the bytes Write writes for net.
func mustMarshal(t *testing.T, net *mlp.Network) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, net); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes()
}

// randomNetwork returns a network with random weights of scale 1/√in and a
// random normalisation. Its first parameter is −0 and its second, if any, the
// smallest subnormal, to show that bits survive a round trip.
func randomNetwork(rng *rand.Rand, inputs int, hidden []int, act mlp.Activation) *mlp.Network {
	net := mlp.New(inputs, hidden, act)
	for l := range net.Params.W {
		s := 1 / math.Sqrt(float64(net.Sizes[l]))
		for i := range net.Params.W[l] {
			net.Params.W[l][i] = s * rng.NormFloat64()
		}
		for i := range net.Params.B[l] {
			net.Params.B[l][i] = 0.1 * rng.NormFloat64()
		}
	}
	net.Params.Flat[0] = math.Copysign(0, -1)
	if len(net.Params.Flat) > 1 {
		net.Params.Flat[1] = math.SmallestNonzeroFloat64
	}
	for j := range net.Norm.XMean {
		net.Norm.XMean[j] = rng.NormFloat64()
		net.Norm.XScale[j] = 0.5 + 2*rng.Float64()
	}
	net.Norm.YMean = rng.NormFloat64()
	net.Norm.YScale = 0.1 + rng.Float64()
	return net
}

// checkConformance checks the parts of the ONNX standard a runtime relies on.
func checkConformance(t *testing.T, m *onnxpb.ModelProto, inputs int) {
	t.Helper()
	if m.GetIrVersion() != 8 {
		t.Errorf("ir_version %d, want 8", m.GetIrVersion())
	}
	if ops := m.GetOpsetImport(); len(ops) != 1 || ops[0].GetDomain() != "" || ops[0].GetVersion() != 17 {
		t.Errorf("opset_import %v, want one entry: default domain, version 17", ops)
	}
	g := m.GetGraph()
	names := make(map[string]bool)
	for _, nd := range g.GetNode() {
		if nd.GetName() == "" || names[nd.GetName()] {
			t.Errorf("node name %q is empty or not unique", nd.GetName())
		}
		names[nd.GetName()] = true
	}
	inits := make(map[string]bool)
	for _, init := range g.GetInitializer() {
		if inits[init.GetName()] {
			t.Errorf("initializer %q appears twice", init.GetName())
		}
		inits[init.GetName()] = true
	}
	for _, tc := range []struct {
		vis   []*onnxpb.ValueInfoProto
		name  string
		width int
	}{{g.GetInput(), "x", inputs}, {g.GetOutput(), "y", 1}} {
		if len(tc.vis) != 1 {
			t.Fatalf("graph has %d inputs or outputs named %q, want 1", len(tc.vis), tc.name)
		}
		vi := tc.vis[0]
		tt := vi.GetType().GetTensorType()
		dims := tt.GetShape().GetDim()
		if vi.GetName() != tc.name || inits[vi.GetName()] || tt.GetElemType() != int32(onnxpb.TensorProto_DOUBLE) ||
			len(dims) != 2 || dims[0].GetDimParam() != "batch" || dims[1].GetDimValue() != int64(tc.width) {
			t.Errorf("graph value %v, want %q: DOUBLE [batch, %d], not an initializer", vi, tc.name, tc.width)
		}
	}
}

func TestGraphSemantics(t *testing.T) {
	// A hand-computed case anchors forward itself: tanh, x = 3 gives
	// x_n = (3−1)/2 = 1, z = 2·1 + 1 = 3, y = 10 + 4·(3·tanh 3 + 0.5).
	hand := mlp.New(1, []int{1}, mlp.Tanh)
	copy(hand.Params.Flat, []float64{2, 1, 3, 0.5})
	hand.Norm = mlp.Normalization{XMean: []float64{1}, XScale: []float64{2}, YMean: 10, YScale: 4}
	if got, want := forward(hand, []float64{3}), 10+4*(3*math.Tanh(3)+0.5); got != want {
		t.Fatalf("forward of the hand-computed network = %v, want %v", got, want)
	}
	var m onnxpb.ModelProto
	if err := proto.Unmarshal(mustMarshal(t, hand), &m); err != nil {
		t.Fatal(err)
	}
	outs, err := interpret(&m, map[string]tensor{"x": {shape: []int{1, 1}, data: []float64{3}}})
	if want := 10 + 4*(3*math.Tanh(3)+0.5); err != nil || outs["y"].data[0] != want {
		t.Fatalf("graph of the hand-computed network gives %v (%v), want %v", outs["y"].data, err, want)
	}

	rng := rand.New(rand.NewPCG(1, 2))
	for _, sh := range testShapes() {
		for _, act := range testActs() {
			net := randomNetwork(rng, sh.inputs, sh.hidden, act)
			name := fmt.Sprintf("%d-%v-%v", sh.inputs, sh.hidden, act)
			var m onnxpb.ModelProto
			if err := proto.Unmarshal(mustMarshal(t, net), &m); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			checkConformance(t, &m, sh.inputs)
			for _, batch := range []int{1, 5} {
				x := tensor{shape: []int{batch, sh.inputs}, data: make([]float64, batch*sh.inputs)}
				for i := range x.data {
					j := i % sh.inputs
					x.data[i] = net.Norm.XMean[j] + 2*net.Norm.XScale[j]*rng.NormFloat64()
				}
				outs, err := interpret(&m, map[string]tensor{"x": x})
				if err != nil {
					t.Fatalf("%s: interpret: %v", name, err)
				}
				y := outs["y"]
				if len(y.shape) != 2 || y.shape[0] != batch || y.shape[1] != 1 {
					t.Fatalf("%s: output shape %v, want [%d 1]", name, y.shape, batch)
				}
				for r := range batch {
					want := forward(net, x.data[r*sh.inputs:(r+1)*sh.inputs])
					// The graph's log(1 + e⁻|ᶻ|) rounds differently from
					// forward's log1p, and sums may round differently: a
					// few ulp per node. The largest difference seen is 3e-16.
					if d := math.Abs(y.data[r] - want); d > 1e-14*(1+math.Abs(want)) {
						t.Errorf("%s: row %d: graph gives %v, network %v (difference %.3g)", name, r, y.data[r], want, d)
					}
				}
			}
		}
	}
}

func TestGraphExtremes(t *testing.T) {
	// One hidden unit z = x: the written-out SiLU and Softplus must give
	// their limits where e^{±z} overflows, not NaN.
	for _, tc := range []struct {
		act     mlp.Activation
		x, want float64 // want = σ(x)
		tol     float64 // absolute
	}{
		{mlp.SiLU, -1000, 0, 0}, // −1000/(1 + e¹⁰⁰⁰) = −1000/Inf = −0
		{mlp.SiLU, 1000, 1000, 0},
		{mlp.SiLU, -30, -30 / (1 + math.Exp(30)), 1e-25},
		{mlp.Softplus, -1000, 0, 0},
		{mlp.Softplus, 1000, 1000, 0},
		{mlp.Softplus, 30, 30 + math.Log1p(math.Exp(-30)), 4e-15},
		{mlp.Softplus, -30, math.Log1p(math.Exp(-30)), 2e-16}, // log(1 + e⁻³⁰) is off by up to half an ulp of 1
	} {
		net := mlp.New(1, []int{1}, tc.act)
		copy(net.Params.Flat, []float64{1, 0, 1, 0})
		var m onnxpb.ModelProto
		if err := proto.Unmarshal(mustMarshal(t, net), &m); err != nil {
			t.Fatal(err)
		}
		outs, err := interpret(&m, map[string]tensor{"x": {shape: []int{1, 1}, data: []float64{tc.x}}})
		if err != nil {
			t.Fatal(err)
		}
		if got := outs["y"].data[0]; !(math.Abs(got-tc.want) <= tc.tol) {
			t.Errorf("%v(%v): graph gives %v, want %v", tc.act, tc.x, got, tc.want)
		}
	}
}
