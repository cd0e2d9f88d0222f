package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"

	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/onnx/internal/onnxpb"
)

// Reading a graph takes two passes. The walk follows the data flow from the
// graph input to the graph output, one value at a time, and turns each node
// (or group of nodes, for SiLU) that reads the current value into a stage:
// an elementwise constant operation, a dense layer or an activation. It checks
// operand shapes as it goes, tracking the current value's shape [batch, width].
// assemble then parses the sequence of stages as
//
//	[Sub Div] Dense (Act Dense)* [Mul Add]
//
// Other exporters' spellings of a stage (Gemm with transB = 0 or alpha ≠ 1,
// MatMul followed by Add) are further cases of the walk that emit the same
// stages.

// maxDim bounds every dimension read from a file. A protobuf message is below
// 2 GiB, so no tensor stored in one has a dimension this large.
const maxDim = math.MaxInt32

// stageKind names what a stage computes.
type stageKind int

const (
	stageSub   stageKind = iota // v − c, c of shape [width]
	stageDiv                    // v / c, c of shape [width]
	stageMul                    // v · c, c of shape [width]
	stageAdd                    // v + c, c of shape [width]
	stageDense                  // v·Wᵀ + b
	stageAct                    // σ(v)
)

// stage is one step of the network, read from one or more nodes.
type stage struct {
	kind stageKind
	desc string         // the node(s), for error messages
	c    []float64      // the constant of Sub, Div, Mul and Add
	w    []float64      // Dense: W, (out, in) row-major
	b    []float64      // Dense: b, (out)
	out  int            // Dense: the output width
	act  mlp.Activation // Act
}

// graph indexes a GraphProto for the walk.
type graph struct {
	nodes     []*onnxpb.NodeProto
	inits     map[string]*onnxpb.TensorProto
	consumers map[string][]int // value name → indices of the nodes reading it, ascending
	input     string           // the graph input (not an initializer)
	output    string           // the graph output
}

// walker is the state of the walk: the value reached and the stages read so far.
type walker struct {
	*graph
	used   []bool // used[i]: node i has been read
	cur    string // the value reached
	width  int    // its shape is [batch, width]
	stages []stage
}

// readGraph returns the network computed by g.
func readGraph(g *onnxpb.GraphProto) (*mlp.Network, error) {
	gr, inputs, err := index(g)
	if err != nil {
		return nil, err
	}
	w := &walker{graph: gr, used: make([]bool, len(gr.nodes)), cur: gr.input, width: inputs}
	for w.cur != w.output {
		if err := w.step(); err != nil {
			return nil, err
		}
	}
	if w.width != 1 {
		return nil, fmt.Errorf("graph output %q has width %d along the graph, want 1", w.output, w.width)
	}
	for i, used := range w.used {
		if !used {
			return nil, fmt.Errorf("%s is not on the path from input %q to output %q", describe(i, gr.nodes[i]), gr.input, gr.output)
		}
	}
	return assemble(w.stages, inputs)
}

// index checks g's inputs, outputs, initializers and the names its nodes
// produce, and returns the index of g and the input width.
func index(g *onnxpb.GraphProto) (*graph, int, error) {
	gr := &graph{
		nodes:     g.GetNode(),
		inits:     make(map[string]*onnxpb.TensorProto, len(g.GetInitializer())),
		consumers: make(map[string][]int),
	}
	for _, t := range g.GetInitializer() {
		if _, dup := gr.inits[t.GetName()]; dup {
			return nil, 0, fmt.Errorf("initializer %q appears twice", t.GetName())
		}
		gr.inits[t.GetName()] = t
	}
	// Before IR version 4 every initializer was also listed as a graph input.
	var inputs []*onnxpb.ValueInfoProto
	for _, vi := range g.GetInput() {
		if _, ok := gr.inits[vi.GetName()]; !ok {
			inputs = append(inputs, vi)
		}
	}
	if len(inputs) != 1 {
		return nil, 0, fmt.Errorf("graph has %d inputs that are not initializers, want 1", len(inputs))
	}
	if len(g.GetOutput()) != 1 {
		return nil, 0, fmt.Errorf("graph has %d outputs, want 1", len(g.GetOutput()))
	}
	n, err := batchWidth("input", inputs[0])
	if err != nil {
		return nil, 0, err
	}
	m, err := batchWidth("output", g.GetOutput()[0])
	if err != nil {
		return nil, 0, err
	}
	if m != 1 {
		return nil, 0, fmt.Errorf("graph output %q has width %d, want 1", g.GetOutput()[0].GetName(), m)
	}
	gr.input, gr.output = inputs[0].GetName(), g.GetOutput()[0].GetName()

	producer := make(map[string]int)
	for i, nd := range gr.nodes {
		for _, out := range nd.GetOutput() {
			if _, ok := gr.inits[out]; ok || out == gr.input {
				return nil, 0, fmt.Errorf("%s writes %q, which is a graph input or initializer", describe(i, nd), out)
			}
			if j, dup := producer[out]; dup {
				return nil, 0, fmt.Errorf("%s and %s both write %q", describe(j, gr.nodes[j]), describe(i, nd), out)
			}
			producer[out] = i
		}
		for _, in := range nd.GetInput() {
			if c := gr.consumers[in]; len(c) == 0 || c[len(c)-1] != i {
				gr.consumers[in] = append(c, i)
			}
		}
	}
	return gr, n, nil
}

// batchWidth checks that vi, the graph's input or output, is a DOUBLE tensor
// of shape [batch, width] with width fixed, and returns width.
func batchWidth(what string, vi *onnxpb.ValueInfoProto) (int, error) {
	tt := vi.GetType().GetTensorType()
	if tt == nil {
		return 0, fmt.Errorf("graph %s %q is not a tensor", what, vi.GetName())
	}
	if et := tt.GetElemType(); et != int32(onnxpb.TensorProto_DOUBLE) {
		return 0, fmt.Errorf("graph %s %q has element type %v, want DOUBLE", what, vi.GetName(), onnxpb.TensorProto_DataType(et))
	}
	dims := tt.GetShape().GetDim()
	if tt.GetShape() == nil || len(dims) != 2 {
		return 0, fmt.Errorf("graph %s %q has shape %s, want [batch, width]", what, vi.GetName(), shapeString(tt.GetShape()))
	}
	if _, ok := dims[1].GetValue().(*onnxpb.TensorShapeProto_Dimension_DimValue); !ok || dims[1].GetDimValue() < 1 || dims[1].GetDimValue() > maxDim {
		return 0, fmt.Errorf("graph %s %q has shape %s, want [batch, width] with a fixed width from 1 to %d",
			what, vi.GetName(), shapeString(tt.GetShape()), maxDim)
	}
	return int(dims[1].GetDimValue()), nil
}

// shapeString formats a value-info shape, e.g. "[batch 7]"; "?" marks an
// unknown dimension and "none" a missing shape.
func shapeString(s *onnxpb.TensorShapeProto) string {
	if s == nil {
		return "none"
	}
	d := make([]string, len(s.GetDim()))
	for i, dim := range s.GetDim() {
		switch v := dim.GetValue().(type) {
		case *onnxpb.TensorShapeProto_Dimension_DimValue:
			d[i] = fmt.Sprint(v.DimValue)
		case *onnxpb.TensorShapeProto_Dimension_DimParam:
			d[i] = v.DimParam
		default:
			d[i] = "?"
		}
	}
	return "[" + strings.Join(d, " ") + "]"
}

// describe names node i for error messages, e.g. `node 2 "dense1" (Gemm)`.
func describe(i int, nd *onnxpb.NodeProto) string {
	return fmt.Sprintf("node %d %q (%s)", i, nd.GetName(), nd.GetOpType())
}

// step reads the node or nodes that take the current value and moves to
// their output.
func (w *walker) step() error {
	cons := w.consumers[w.cur]
	if len(cons) == 0 {
		return fmt.Errorf("value %q is read by no node and is not the graph output %q", w.cur, w.output)
	}
	sigmoid := -1
	for _, i := range cons {
		nd := w.nodes[i]
		if d := nd.GetDomain(); d != "" && d != "ai.onnx" {
			return fmt.Errorf("%s is in domain %q, want the default ONNX domain", describe(i, nd), d)
		}
		if len(nd.GetOutput()) != 1 || nd.GetOutput()[0] == "" {
			return fmt.Errorf("%s has outputs %q, want one", describe(i, nd), nd.GetOutput())
		}
		if nd.GetOpType() == "Sigmoid" && sigmoid < 0 {
			sigmoid = i
		}
	}
	if sigmoid >= 0 {
		return w.silu(sigmoid, cons)
	}
	if len(cons) != 1 {
		descs := make([]string, len(cons))
		for k, i := range cons {
			descs[k] = describe(i, w.nodes[i])
		}
		return fmt.Errorf("value %q is read by %d nodes (%s), want 1", w.cur, len(cons), strings.Join(descs, ", "))
	}
	i := cons[0]
	switch op := w.nodes[i].GetOpType(); op {
	case "Gemm":
		return w.gemm(i)
	case "Sub":
		return w.constOp(i, stageSub)
	case "Div":
		return w.constOp(i, stageDiv)
	case "Mul":
		return w.constOp(i, stageMul)
	case "Add":
		return w.constOp(i, stageAdd)
	case "Softplus":
		return w.unary(i, mlp.Softplus)
	case "Tanh":
		return w.unary(i, mlp.Tanh)
	case "Relu":
		return w.unary(i, mlp.ReLU)
	default:
		return fmt.Errorf("%s: op type %s is not supported, want Sub, Div, Gemm, Sigmoid, Mul, Softplus, Tanh, Relu or Add",
			describe(i, w.nodes[i]), op)
	}
}

// advance marks the nodes read and moves the walk to value out of the given width.
func (w *walker) advance(out string, width int, nodes ...int) {
	for _, i := range nodes {
		w.used[i] = true
	}
	w.cur, w.width = out, width
}

// gemm reads node i, Gemm(cur, W, b) with transB = 1: a dense layer
// z = cur·Wᵀ + b, W of shape (out, width) and b of shape (out).
func (w *walker) gemm(i int) error {
	nd := w.nodes[i]
	desc := describe(i, nd)
	in := nd.GetInput()
	if len(in) != 3 {
		return fmt.Errorf("%s has %d inputs, want 3 (A, B, C)", desc, len(in))
	}
	if in[0] != w.cur {
		return fmt.Errorf("%s reads %q as B or C, want it as A (the layer input)", desc, w.cur)
	}
	attrs, err := attributes(desc, nd, "alpha", "beta", "transA", "transB")
	if err != nil {
		return err
	}
	for _, a := range nd.GetAttribute() {
		want := onnxpb.AttributeProto_INT
		if a.GetName() == "alpha" || a.GetName() == "beta" {
			want = onnxpb.AttributeProto_FLOAT
		}
		if a.GetType() != want {
			return fmt.Errorf("%s has attribute %s of type %v, want %v", desc, a.GetName(), a.GetType(), want)
		}
	}
	alpha, beta, transA, transB := float32(1), float32(1), int64(0), int64(0) // the defaults
	if a, ok := attrs["alpha"]; ok {
		alpha = a.GetF()
	}
	if a, ok := attrs["beta"]; ok {
		beta = a.GetF()
	}
	if a, ok := attrs["transA"]; ok {
		transA = a.GetI()
	}
	if a, ok := attrs["transB"]; ok {
		transB = a.GetI()
	}
	if alpha != 1 || beta != 1 || transA != 0 || transB != 1 {
		return fmt.Errorf("%s has alpha = %v, beta = %v, transA = %d, transB = %d; want 1, 1, 0, 1",
			desc, alpha, beta, transA, transB)
	}
	wDims, wData, err := w.constant(desc, in[1])
	if err != nil {
		return err
	}
	if len(wDims) != 2 || wDims[0] < 1 || wDims[1] != w.width {
		return fmt.Errorf("%s: weight %q has shape %v, want [out %d] (transB = 1: out × in, and the layer input has width %d)",
			desc, in[1], wDims, w.width, w.width)
	}
	out := wDims[0]
	bDims, bData, err := w.constant(desc, in[2])
	if err != nil {
		return err
	}
	if len(bDims) != 1 || bDims[0] != out {
		return fmt.Errorf("%s: bias %q has shape %v, want [%d] to match weight %q of shape %v",
			desc, in[2], bDims, out, in[1], wDims)
	}
	w.stages = append(w.stages, stage{kind: stageDense, desc: desc, w: wData, b: bData, out: out})
	w.advance(nd.GetOutput()[0], out, i)
	return nil
}

// constOp reads node i, Sub, Div, Mul or Add of cur and a constant of shape [width].
func (w *walker) constOp(i int, kind stageKind) error {
	nd := w.nodes[i]
	desc := describe(i, nd)
	in := nd.GetInput()
	if len(in) != 2 {
		return fmt.Errorf("%s has %d inputs, want 2", desc, len(in))
	}
	if in[0] != w.cur {
		return fmt.Errorf("%s reads %q as its second operand, want it as the first", desc, w.cur)
	}
	if _, err := attributes(desc, nd); err != nil {
		return err
	}
	dims, data, err := w.constant(desc, in[1])
	if err != nil {
		return err
	}
	if len(dims) != 1 || dims[0] != w.width {
		return fmt.Errorf("%s: operand %q has shape %v, want [%d] (one value per column of %q)", desc, in[1], dims, w.width, w.cur)
	}
	w.stages = append(w.stages, stage{kind: kind, desc: desc, c: data})
	w.advance(nd.GetOutput()[0], w.width, i)
	return nil
}

// unary reads node i, an activation with one input and no attributes.
func (w *walker) unary(i int, act mlp.Activation) error {
	nd := w.nodes[i]
	desc := describe(i, nd)
	if len(nd.GetInput()) != 1 {
		return fmt.Errorf("%s has %d inputs, want 1", desc, len(nd.GetInput()))
	}
	if _, err := attributes(desc, nd); err != nil {
		return err
	}
	w.stages = append(w.stages, stage{kind: stageAct, desc: desc, act: act})
	w.advance(nd.GetOutput()[0], w.width, i)
	return nil
}

// silu reads SiLU, z·sigmoid(z), written as s = Sigmoid(z) and Mul(z, s);
// node si is the Sigmoid and cons are the nodes reading z = cur.
func (w *walker) silu(si int, cons []int) error {
	sig := w.nodes[si]
	desc := describe(si, sig)
	s := sig.GetOutput()[0]
	want := fmt.Sprintf("want its output %q and %q read only by one Mul(%q, %q) (SiLU)", s, w.cur, w.cur, s)
	if len(sig.GetInput()) != 1 {
		return fmt.Errorf("%s has %d inputs, want 1", desc, len(sig.GetInput()))
	}
	if _, err := attributes(desc, sig); err != nil {
		return err
	}
	if len(cons) != 2 {
		return fmt.Errorf("%s: %q has %d readers, %s", desc, w.cur, len(cons), want)
	}
	mi := cons[0]
	if mi == si {
		mi = cons[1]
	}
	mul := w.nodes[mi]
	if sc := w.consumers[s]; len(sc) != 1 || sc[0] != mi || mul.GetOpType() != "Mul" ||
		len(mul.GetInput()) != 2 || mul.GetInput()[0] != w.cur || mul.GetInput()[1] != s {
		return fmt.Errorf("%s: %s reads %q, %s", desc, describe(mi, mul), w.cur, want)
	}
	if _, err := attributes(describe(mi, mul), mul); err != nil {
		return err
	}
	w.stages = append(w.stages, stage{kind: stageAct, desc: desc + " with " + describe(mi, mul), act: mlp.SiLU})
	w.advance(mul.GetOutput()[0], w.width, si, mi)
	return nil
}

// attributes returns the attributes of nd by name. It refuses duplicates
// and names not in allowed.
func attributes(desc string, nd *onnxpb.NodeProto, allowed ...string) (map[string]*onnxpb.AttributeProto, error) {
	m := make(map[string]*onnxpb.AttributeProto, len(nd.GetAttribute()))
	for _, a := range nd.GetAttribute() {
		name := a.GetName()
		known := false
		for _, al := range allowed {
			known = known || name == al
		}
		if !known {
			return nil, fmt.Errorf("%s has attribute %q, want only %v", desc, name, allowed)
		}
		if _, dup := m[name]; dup {
			return nil, fmt.Errorf("%s has attribute %q twice", desc, name)
		}
		m[name] = a
	}
	return m, nil
}

// constant returns the shape and the values of initializer name, an input of
// the node described by desc. It must be a DOUBLE tensor with its data in the
// model, in raw_data (little-endian) or in double_data.
func (w *walker) constant(desc, name string) ([]int, []float64, error) {
	t, ok := w.inits[name]
	if !ok {
		return nil, nil, fmt.Errorf("%s reads %q, which is not an initializer, want a constant", desc, name)
	}
	if dt := t.GetDataType(); dt != int32(onnxpb.TensorProto_DOUBLE) {
		return nil, nil, fmt.Errorf("initializer %q has data type %v, want DOUBLE", name, onnxpb.TensorProto_DataType(dt))
	}
	if t.GetDataLocation() != onnxpb.TensorProto_DEFAULT || t.GetSegment() != nil {
		return nil, nil, fmt.Errorf("initializer %q is stored in an external file or in segments, want its data in the model", name)
	}
	dims := make([]int, len(t.GetDims()))
	size := 1
	for k, d := range t.GetDims() {
		if d < 0 || d > maxDim || d > 0 && size > math.MaxInt32/int(d) {
			return nil, nil, fmt.Errorf("initializer %q has dims %v, want a tensor that fits in a model file", name, t.GetDims())
		}
		dims[k] = int(d)
		size *= int(d)
	}
	raw, dd := t.GetRawData(), t.GetDoubleData()
	switch {
	case len(raw) > 0 && len(dd) > 0:
		return nil, nil, fmt.Errorf("initializer %q has both raw_data and double_data, want one", name)
	case len(raw) > 0:
		if len(raw) != 8*size {
			return nil, nil, fmt.Errorf("initializer %q of shape %v has %d bytes of raw_data, want %d (8 per value)", name, dims, len(raw), 8*size)
		}
		data := make([]float64, size)
		for k := range data {
			data[k] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*k:]))
		}
		return dims, data, nil
	case len(dd) != size:
		return nil, nil, fmt.Errorf("initializer %q of shape %v has %d values in double_data and no raw_data, want %d", name, dims, len(dd), size)
	}
	return dims, dd, nil
}

// assemble returns the network of the stages the walk read from a graph with
// the given number of inputs: [Sub Div] Dense (Act Dense)* [Mul Add].
func assemble(st []stage, inputs int) (*mlp.Network, error) {
	norm := mlp.Normalization{XMean: make([]float64, inputs), XScale: make([]float64, inputs), YScale: 1}
	for j := range norm.XScale {
		norm.XScale[j] = 1
	}
	i := 0
	if i < len(st) && st[i].kind == stageSub {
		if i+1 == len(st) || st[i+1].kind != stageDiv {
			return nil, fmt.Errorf("%s (x − x_mean) is followed by %s, want Div (by x_scale)", st[i].desc, found(st, i+1))
		}
		norm.XMean, norm.XScale = st[i].c, st[i+1].c
		i += 2
	}
	sizes := []int{inputs}
	var dense []stage
	act, actDesc := mlp.SiLU, ""
	for {
		if i == len(st) || st[i].kind != stageDense {
			return nil, fmt.Errorf("%s found where a dense layer (Gemm) is expected", found(st, i))
		}
		dense = append(dense, st[i])
		sizes = append(sizes, st[i].out)
		i++
		if i == len(st) || st[i].kind != stageAct {
			break
		}
		if actDesc != "" && st[i].act != act {
			return nil, fmt.Errorf("%s is %v, but %s is %v; want one activation for all hidden layers", st[i].desc, st[i].act, actDesc, act)
		}
		act, actDesc = st[i].act, st[i].desc
		i++
	}
	if i < len(st) && st[i].kind == stageMul {
		if i+1 == len(st) || st[i+1].kind != stageAdd {
			return nil, fmt.Errorf("%s (y_n·y_scale) is followed by %s, want Add (of y_mean)", st[i].desc, found(st, i+1))
		}
		norm.YScale, norm.YMean = st[i].c[0], st[i+1].c[0]
		i += 2
	}
	if i != len(st) {
		return nil, fmt.Errorf("%s found after the output layer, want the graph output", found(st, i))
	}
	net := &mlp.Network{Sizes: sizes, Act: act, Params: mlp.NewParams(sizes), Norm: norm}
	for l, d := range dense {
		copy(net.Params.W[l], d.w)
		copy(net.Params.B[l], d.b)
	}
	return net, nil
}

// found describes stage i, or the graph output if i = len(st).
func found(st []stage, i int) string {
	if i == len(st) {
		return "the graph output"
	}
	return st[i].desc
}
