package onnx

import (
	"fmt"
	"math"
	"strings"

	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/onnx/internal/onnxpb"
)

// Reading a graph takes two passes. The walk follows the data flow from the
// graph input to the graph output, one value at a time, and turns each node
// (or group of nodes, for SiLU and Softplus) that reads the current value
// into a stage: an elementwise operation with a constant, a dense layer or an
// activation. Nodes that leave the data as they are (Identity, Cast to the
// same or a wider type, Transpose, and Reshape, Flatten, Squeeze and
// Unsqueeze that keep the data in order) give no stage. The walk checks
// operand shapes as it goes, tracking the current value's element type and
// shape: [batch, width], [width, batch] after a Transpose, or [batch] for
// width 1 (shape.go). Constants are read where a node needs them (const.go).
// assemble then parses the sequence of stages as
//
//	[Sub] [Div | Mul]  Dense Add*  (Act Dense Add*)*  [Mul [Add]]
//
// Each exporter's spelling of a stage is one case of the walk: Gemm with
// either transB, alpha and beta, or MatMul with the weights on either side,
// all give Dense; Sigmoid·Mul and Neg → Exp → Add → Reciprocal → Mul both
// give Act SiLU. The batch size may be fixed: the network read evaluates any
// number of points all the same.

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

// stage is one step of the network, read from one or more nodes. Its slices
// are its own: no other stage or constant shares them.
type stage struct {
	kind stageKind
	desc string         // the node(s), for error messages
	c    []float64      // the constant of Sub, Div, Mul and Add, one value per column
	w    []float64      // Dense: W, (out, in) row-major
	b    []float64      // Dense: b, (out); nil if the node has no bias
	out  int            // Dense: the output width
	act  mlp.Activation // Act
}

// graph indexes a GraphProto for the walk.
type graph struct {
	nodes     []*onnxpb.NodeProto
	inits     map[string]*onnxpb.TensorProto
	consumers map[string][]int // value name → indices of the nodes reading it, ascending
	producer  map[string]int   // value name → index of the node writing it
	input     string           // the graph input (not an initializer)
	output    string           // the graph output
	inType    int32            // the element type of the input, typeFloat or typeDouble
	outType   int32            // the element type of the output
	outForm   form             // the declared shape of the output: rows ([batch, 1]) or vector ([batch])
	batch     int              // the batch size the input or output fixes, 0 if neither does
}

// walker is the state of the walk: the value reached and the stages read so far.
type walker struct {
	*graph
	used   []bool                  // used[i]: node i has been read
	consts map[string]*constTensor // constants read so far; nil while one is being read
	cur    string                  // the value reached
	width  int                     // its number of features
	dtype  int32                   // its element type, typeFloat or typeDouble
	form   form                    // its shape: [batch, width], [width, batch] or [batch]
	stages []stage
}

// readGraph returns the network computed by g.
func readGraph(g *onnxpb.GraphProto) (*mlp.Network, error) {
	gr, inputs, err := index(g)
	if err != nil {
		return nil, err
	}
	w := &walker{
		graph:  gr,
		used:   make([]bool, len(gr.nodes)),
		consts: make(map[string]*constTensor),
		cur:    gr.input,
		width:  inputs,
		dtype:  gr.inType,
	}
	for w.cur != w.output {
		if err := w.step(); err != nil {
			return nil, err
		}
	}
	switch {
	case w.width != 1:
		return nil, fmt.Errorf("graph output %q has width %d along the graph, want 1", w.output, w.width)
	case w.form == cols && gr.outForm == rows:
		return nil, fmt.Errorf("graph output %q is computed as [1, batch] (transposed), but declared [batch, 1]", w.output)
	case w.form != gr.outForm:
		return nil, fmt.Errorf("graph output %q is computed as %s, but declared %s", w.output, layout(1, w.form), layout(1, gr.outForm))
	case w.dtype != gr.outType:
		return nil, fmt.Errorf("graph output %q is declared %s, but the graph computes %s", w.output, typeName(gr.outType), typeName(w.dtype))
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
		producer:  make(map[string]int),
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
	x, err := checkIO("input", inputs[0])
	if err != nil {
		return nil, 0, err
	}
	y, err := checkIO("output", g.GetOutput()[0])
	if err != nil {
		return nil, 0, err
	}
	gr.input, gr.output = inputs[0].GetName(), g.GetOutput()[0].GetName()
	if y.width != 1 {
		return nil, 0, fmt.Errorf("graph output %q has width %d, want 1", gr.output, y.width)
	}
	if x.batch > 0 && y.batch > 0 && x.batch != y.batch {
		return nil, 0, fmt.Errorf("graph input %q has batch size %d, but output %q has %d; want the same", gr.input, x.batch, gr.output, y.batch)
	}
	gr.inType, gr.outType = x.dtype, y.dtype
	gr.outForm, gr.batch = y.form, max(x.batch, y.batch)

	for i, nd := range gr.nodes {
		for _, out := range nd.GetOutput() {
			if _, ok := gr.inits[out]; ok || out == gr.input {
				return nil, 0, fmt.Errorf("%s writes %q, which is a graph input or initializer", describe(i, nd), out)
			}
			if j, dup := gr.producer[out]; dup {
				return nil, 0, fmt.Errorf("%s and %s both write %q", describe(j, gr.nodes[j]), describe(i, nd), out)
			}
			gr.producer[out] = i
		}
		for _, in := range nd.GetInput() {
			if c := gr.consumers[in]; len(c) == 0 || c[len(c)-1] != i {
				gr.consumers[in] = append(c, i)
			}
		}
	}
	return gr, x.width, nil
}

// ioShape is the declared type and shape of the graph input or output.
type ioShape struct {
	dtype int32 // the element type, typeFloat or typeDouble
	width int   // the size of the feature axis, 1 for the output [batch]
	form  form  // rows for [batch, width], vector for the output [batch]
	batch int   // the size of the batch axis if fixed, else 0
}

// checkIO checks that vi, the graph's input or output, is a FLOAT or DOUBLE
// tensor of shape [batch, width] with width fixed, or, for the output,
// [batch], and returns its type and shape. The batch size may be fixed,
// symbolic or unknown; a size outside 1 to maxDim, such as the 0 or −1 some
// exporters write, counts as unknown.
func checkIO(what string, vi *onnxpb.ValueInfoProto) (ioShape, error) {
	var s ioShape
	if vi.GetName() == "" {
		return s, fmt.Errorf("graph %s has no name", what)
	}
	tt := vi.GetType().GetTensorType()
	if tt == nil {
		return s, fmt.Errorf("graph %s %q is not a tensor", what, vi.GetName())
	}
	s.dtype = tt.GetElemType()
	if s.dtype != typeFloat && s.dtype != typeDouble {
		return s, fmt.Errorf("graph %s %q has element type %s, want FLOAT or DOUBLE", what, vi.GetName(), typeName(s.dtype))
	}
	dims := tt.GetShape().GetDim()
	want := "[batch, width]"
	if what == "output" {
		want = "[batch, 1] or [batch]"
	}
	switch {
	case tt.GetShape() == nil || len(dims) != 2 && (what != "output" || len(dims) != 1):
		return s, fmt.Errorf("graph %s %q has shape %s, want %s", what, vi.GetName(), shapeString(tt.GetShape()), want)
	case len(dims) == 1:
		s.width, s.form = 1, vector
	default:
		if _, ok := dims[1].GetValue().(*onnxpb.TensorShapeProto_Dimension_DimValue); !ok || dims[1].GetDimValue() < 1 || dims[1].GetDimValue() > maxDim {
			return s, fmt.Errorf("graph %s %q has shape %s, want %s with a fixed width from 1 to %d",
				what, vi.GetName(), shapeString(tt.GetShape()), want, maxDim)
		}
		s.width, s.form = int(dims[1].GetDimValue()), rows
	}
	if b := dims[0].GetDimValue(); b >= 1 && b <= maxDim {
		s.batch = int(b)
	}
	return s, nil
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

// supportedOps lists the op types the walk reads on the data path, for error messages.
const supportedOps = "Sub, Div, Mul, Add, Gemm, MatMul, Sigmoid, Neg, Abs, Softplus, Tanh, Relu, Max, Identity, Cast, " +
	"Reshape, Transpose, Flatten, Squeeze or Unsqueeze"

// checkNode checks that node i is in the default domain and has one output.
func (w *walker) checkNode(i int) error {
	nd := w.nodes[i]
	if d := nd.GetDomain(); d != "" && d != "ai.onnx" {
		return fmt.Errorf("%s is in domain %q, want the default ONNX domain", describe(i, nd), d)
	}
	if len(nd.GetOutput()) != 1 || nd.GetOutput()[0] == "" {
		return fmt.Errorf("%s has outputs %q, want one", describe(i, nd), nd.GetOutput())
	}
	return nil
}

// plain checks that node i has n inputs and no attributes.
func (w *walker) plain(i, n int) error {
	nd := w.nodes[i]
	if err := arity(describe(i, nd), nd, n); err != nil {
		return err
	}
	_, err := attributes(describe(i, nd), nd)
	return err
}

// arity checks that nd, described by desc, has n inputs.
func arity(desc string, nd *onnxpb.NodeProto, n int) error {
	if len(nd.GetInput()) != n {
		return fmt.Errorf("%s has %d inputs, want %d", desc, len(nd.GetInput()), n)
	}
	return nil
}

// step reads the node or nodes that take the current value and moves to
// their output.
func (w *walker) step() error {
	cons := w.consumers[w.cur]
	if len(cons) == 0 {
		return fmt.Errorf("value %q is read by no node and is not the graph output %q", w.cur, w.output)
	}
	for _, i := range cons {
		if err := w.checkNode(i); err != nil {
			return err
		}
	}
	for _, i := range cons {
		switch w.nodes[i].GetOpType() {
		case "Sigmoid", "Neg":
			return w.silu(i, cons)
		}
	}
	if softplusReaders(w.ops(cons)) {
		return w.softplus(cons)
	}
	if len(cons) != 1 {
		descs := make([]string, len(cons))
		for k, i := range cons {
			if !supported(w.nodes[i].GetOpType()) {
				return w.unsupported(i)
			}
			descs[k] = describe(i, w.nodes[i])
		}
		return fmt.Errorf("value %q is read by %d nodes (%s), want 1", w.cur, len(cons), strings.Join(descs, ", "))
	}
	i := cons[0]
	switch w.nodes[i].GetOpType() {
	case "Gemm":
		return w.gemm(i)
	case "MatMul":
		return w.matmul(i)
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
	case "Max":
		return w.max(i)
	case "Identity":
		return w.identity(i)
	case "Cast":
		return w.cast(i)
	case "Reshape":
		return w.reshape(i)
	case "Transpose":
		return w.transpose(i)
	case "Flatten":
		return w.flatten(i)
	case "Squeeze":
		return w.squeeze(i)
	case "Unsqueeze":
		return w.unsqueeze(i)
	}
	return w.unsupported(i)
}

// supported reports whether the walk reads op on the data path.
func supported(op string) bool {
	switch op {
	case "Sub", "Div", "Mul", "Add", "Gemm", "MatMul", "Sigmoid", "Neg", "Abs", "Softplus", "Tanh", "Relu", "Max",
		"Identity", "Cast", "Reshape", "Transpose", "Flatten", "Squeeze", "Unsqueeze":
		return true
	}
	return false
}

// unsupported returns the error for node i, whose op type the walk does not read.
func (w *walker) unsupported(i int) error {
	nd := w.nodes[i]
	return fmt.Errorf("%s: op type %s is not supported on the data path, want %s", describe(i, nd), nd.GetOpType(), supportedOps)
}

// advance marks the nodes read and moves the walk to value out of the given width.
func (w *walker) advance(out string, width int, nodes ...int) {
	for _, i := range nodes {
		w.used[i] = true
	}
	w.cur, w.width = out, width
}

// constOp reads node i, Sub, Div, Mul or Add of cur and a constant that
// broadcasts to the shape of cur: one value, or one per feature. Mul and Add
// may take cur as either operand, Sub and Div only as the first.
func (w *walker) constOp(i int, kind stageKind) error {
	nd := w.nodes[i]
	desc := describe(i, nd)
	in := nd.GetInput()
	if err := w.plain(i, 2); err != nil {
		return err
	}
	other := in[1]
	if in[0] != w.cur {
		if kind == stageSub || kind == stageDiv {
			return fmt.Errorf("%s reads %q as its second operand, want it as the first", desc, w.cur)
		}
		other = in[0]
	}
	k, err := w.constant(desc, other, w.dtype)
	if err != nil {
		return err
	}
	c, ok := expand(k, w.width, w.form)
	if !ok {
		return fmt.Errorf("%s: operand %q has shape %v, want %s to meet %q of shape %s",
			desc, other, k.dims, broadcastShapes(w.width, w.form), w.cur, layout(w.width, w.form))
	}
	w.stages = append(w.stages, stage{kind: kind, desc: desc, c: c})
	w.advance(nd.GetOutput()[0], w.width, i)
	return nil
}

// unary reads node i, an activation with one input and no attributes.
func (w *walker) unary(i int, act mlp.Activation) error {
	if err := w.plain(i, 1); err != nil {
		return err
	}
	w.stages = append(w.stages, stage{kind: stageAct, desc: describe(i, w.nodes[i]), act: act})
	w.advance(w.nodes[i].GetOutput()[0], w.width, i)
	return nil
}

// max reads node i, Max(cur, 0) in either order: ReLU as JAX writes it.
func (w *walker) max(i int) error {
	nd := w.nodes[i]
	desc := describe(i, nd)
	if err := w.plain(i, 2); err != nil {
		return err
	}
	if err := w.isConst(i, w.other(i, w.cur), 0, "zero", fmt.Sprintf("Max(%q, 0), which is ReLU", w.cur)); err != nil {
		return err
	}
	w.stages = append(w.stages, stage{kind: stageAct, desc: desc, act: mlp.ReLU})
	w.advance(nd.GetOutput()[0], w.width, i)
	return nil
}

// identity reads node i, Identity(cur).
func (w *walker) identity(i int) error {
	if err := w.plain(i, 1); err != nil {
		return err
	}
	w.advance(w.nodes[i].GetOutput()[0], w.width, i)
	return nil
}

// cast reads node i, a Cast of cur to its own type, or from FLOAT to DOUBLE,
// which is exact. A Cast from DOUBLE to FLOAT rounds the data, and is refused.
func (w *walker) cast(i int) error {
	nd := w.nodes[i]
	desc := describe(i, nd)
	if err := arity(desc, nd, 1); err != nil {
		return err
	}
	to, err := castTarget(desc, nd)
	if err != nil {
		return err
	}
	switch {
	case to == w.dtype:
	case w.dtype == typeFloat && to == typeDouble:
		w.dtype = to
	default:
		return fmt.Errorf("%s casts the data %q from %s to %s, want the same type or FLOAT to DOUBLE (a cast that rounds changes the data)",
			desc, w.cur, typeName(w.dtype), typeName(to))
	}
	w.advance(nd.GetOutput()[0], w.width, i)
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
