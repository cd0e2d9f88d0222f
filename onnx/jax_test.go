package onnx

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/onnx/internal/onnxpb"
)

// This file tests the forms of graphs that jax2tf and tf2onnx export: a
// fixed batch size, an output of shape [batch], Flatten, Squeeze and
// Unsqueeze on the data, and jax.nn.softplus written out.
// foreign_export_test.go writes them (exporter fields batch, out, flatten and
// softplus).

// interpretRows evaluates the graph of m, whose input is "input", at the
// rows of x and returns one output per row. If batch is not 0, the graph's
// batch size is fixed at batch and it runs on batches of that many rows, the
// last one padded with copies of its first row. The output must have the
// declared rank: [rows] or [rows 1].
func interpretRows(m *onnxpb.ModelProto, x tensor, batch int) ([]float64, error) {
	rows, n := x.shape[0], x.shape[1]
	if batch == 0 {
		batch = rows
	}
	out := m.GetGraph().GetOutput()[0]
	rank := len(out.GetType().GetTensorType().GetShape().GetDim())
	var y []float64
	for lo := 0; lo < rows; lo += batch {
		hi := min(lo+batch, rows)
		chunk := tensor{shape: []int{batch, n}, data: slices.Clone(x.data[lo*n : hi*n])}
		for len(chunk.data) < batch*n {
			chunk.data = append(chunk.data, x.data[lo*n:(lo+1)*n]...)
		}
		outs, err := interpret(m, map[string]tensor{"input": chunk})
		if err != nil {
			return nil, fmt.Errorf("interpret: %v", err)
		}
		v := outs[out.GetName()]
		if want := []int{batch, 1}[:rank]; !slices.Equal(v.shape, want) {
			return nil, fmt.Errorf("graph output has shape %v, want %v", v.shape, want)
		}
		y = append(y, v.data[:hi-lo]...)
	}
	return y, nil
}

// node returns a node named name, which writes the value name.
func node(name, op string, in []string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	return &onnxpb.NodeProto{Name: proto.String(name), OpType: proto.String(op), Input: in, Output: []string{name}, Attribute: attrs}
}

// intsAttribute returns an INTS attribute.
func intsAttribute(name string, v ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: v}
}

// insertAfter inserts nd, which reads v, into g after the node writing v
// (first if none does), and makes the other readers of v, and the graph
// output if it is v, read the output of nd instead.
func insertAfter(g *onnxpb.GraphProto, v string, nd *onnxpb.NodeProto) {
	at := 0
	for i, n := range g.Node {
		for k, in := range n.Input {
			if in == v {
				n.Input[k] = nd.Output[0]
			}
		}
		if slices.Contains(n.Output, v) {
			at = i + 1
		}
	}
	if g.Output[0].GetName() == v {
		g.Output[0].Name = proto.String(nd.Output[0])
	}
	g.Node = slices.Insert(g.Node, at, nd)
}

// named describes the node of g named name as error messages do.
func named(t *testing.T, g *onnxpb.GraphProto, name string) string {
	t.Helper()
	for i, nd := range g.Node {
		if nd.GetName() == name {
			return describe(i, nd)
		}
	}
	t.Fatalf("no node %q", name)
	return ""
}

// jaxBase returns the exporter the JAX tests start from: jax2tf and tf2onnx
// with the batch size fixed at 256, the output Reshape(·, [256]) and
// jax.nn.softplus with its NaN guard.
func jaxBase() exporter {
	return exporter{name: "jax", dense: "matmul", silu: "expanded", max: true, softplus: "jax", norm: "subdiv", noops: true,
		batch: 256, out: "reshape", opset: 17}
}

// jaxVariant is a change to the graph of exporter e (jaxBase or a variant)
// for a 3 → 4 → 5 → 1 Softplus network that Read must accept and read back as
// the network written.
type jaxVariant struct {
	name   string
	e      exporter
	mutate func(t *testing.T, g *onnxpb.GraphProto)
}

func TestReadJAXVariants(t *testing.T) {
	for _, tc := range slices.Concat(jaxShapeVariants(), jaxSoftplusVariants()) {
		t.Run(tc.name, func(t *testing.T) { checkJAXVariant(t, tc) })
	}
}

// checkJAXVariant checks that Read reads the graph of tc, changed, back as
// the network written, and that it computes what the graph does.
func checkJAXVariant(t *testing.T, tc jaxVariant) {
	want := foreignNetwork(rand.New(rand.NewPCG(31, 32)), tc.e, 3, []int{4, 5}, mlp.Softplus)
	m := tc.e.model(want)
	if findNode(t, m.Graph, "max_14_node").Input[0] != "add_12" {
		t.Fatalf("%s: the graph has changed: update the node names in the test", tc.name)
	}
	tc.mutate(t, m.Graph)
	got, err := readModel(t, m)
	if err != nil {
		t.Errorf("%s: %v", tc.name, err)
		return
	}
	if d := sameNetwork(got, want); d != "" {
		t.Errorf("%s: %s", tc.name, d)
	}
	x := tensor{shape: []int{3, 3}, data: []float64{0.5, -1, 2, 3, 0.25, -0.75, -40, 30, 0}}
	y, err := interpretRows(m, x, 256)
	if err != nil {
		t.Fatalf("%s: %v", tc.name, err)
	}
	for r := range 3 {
		// Sums in another order: see TestReadForeign.
		if v := got.Value(x.data[3*r : 3*r+3]); !closeTo(v, y[r], 1e-14) {
			t.Errorf("%s: row %d: read network gives %v, graph %v", tc.name, r, v, y[r])
		}
	}
}

// outReshape returns the output Reshape of the graph of jaxBase: its second
// Reshape.
func outReshape(t *testing.T, g *onnxpb.GraphProto) *onnxpb.NodeProto {
	i, _ := nodeOf(t, g, "Reshape", 1)
	return g.Node[i]
}

// jaxShapeVariants returns the variants of the shapes of the input and the
// output: Squeeze, Reshape, Unsqueeze, Flatten and Transpose that keep the
// data in place.
func jaxShapeVariants() []jaxVariant {
	base := jaxBase()
	opset11 := base
	opset11.opset = 11
	return []jaxVariant{
		{"Squeeze without axes, batch size 256", base, func(t *testing.T, g *onnxpb.GraphProto) {
			nd := outReshape(t, g)
			nd.OpType, nd.Input = proto.String("Squeeze"), nd.Input[:1]
		}},
		{"output Reshape to [-1]", base, func(t *testing.T, g *onnxpb.GraphProto) {
			int64Init(g, "flat", -1)
			outReshape(t, g).Input[1] = "flat"
		}},
		{"output Reshape to [0]", base, func(t *testing.T, g *onnxpb.GraphProto) {
			int64Init(g, "copy", 0)
			outReshape(t, g).Input[1] = "copy"
		}},
		{"output Reshape to [256 1], then Squeeze(axes [-1])", base, func(t *testing.T, g *onnxpb.GraphProto) {
			int64Init(g, "column", 256, 1)
			int64Init(g, "last", -1)
			nd := outReshape(t, g)
			nd.Input[1] = "column"
			insertAfter(g, nd.Output[0], node("squeeze", "Squeeze", []string{nd.Output[0], "last"}))
		}},
		{"Unsqueeze and Squeeze of axis 0 of the output, opset 11", opset11, func(t *testing.T, g *onnxpb.GraphProto) {
			y := outReshape(t, g).Output[0]
			insertAfter(g, y, node("unsqueeze", "Unsqueeze", []string{y}, intsAttribute("axes", 0)))
			insertAfter(g, "unsqueeze", node("squeeze", "Squeeze", []string{"unsqueeze"}, intsAttribute("axes", -2)))
		}},
		{"Flatten(axis 0) of the output, Transpose and Squeeze", base, func(t *testing.T, g *onnxpb.GraphProto) {
			y := outReshape(t, g).Output[0]
			int64Init(g, "axis1", 1)
			insertAfter(g, y, node("flatten", "Flatten", []string{y}, intAttribute("axis", 0)))
			insertAfter(g, "flatten", node("transpose", "Transpose", []string{"flatten"}))
			insertAfter(g, "transpose", node("squeeze", "Squeeze", []string{"transpose", "axis1"}))
		}},
		{"Flatten(axis -1) and Reshape to [256 3] of the input", base, func(t *testing.T, g *onnxpb.GraphProto) {
			int64Init(g, "fixed", 256, 3)
			insertAfter(g, "input", node("flatten", "Flatten", []string{"input"}, intAttribute("axis", -1)))
			insertAfter(g, "flatten", node("reshape", "Reshape", []string{"flatten", "fixed"}))
		}},
	}
}

// jaxSoftplusVariants returns the variants of jax.nn.softplus written out.
// In the graph of jaxBase for 3 → 4 → 5 → 1, the first softplus reads
// "add_12", its Sub writes "sub_15", its Max is "max_14_node", its IsNaN
// "isnan_23_node", its guard Add "add_24_node" and its Where
// "where_25_node".
func jaxSoftplusVariants() []jaxVariant {
	base := jaxBase()
	return []jaxVariant{
		{"Sub(z, 0) left out", base, func(t *testing.T, g *onnxpb.GraphProto) {
			removeNode(t, g, "sub_15_node")
		}},
		{"z for NaN in the guard, no Add(z, 0)", base, func(t *testing.T, g *onnxpb.GraphProto) {
			removeNode(t, g, "add_24_node")
		}},
		{"Add(0, z) in the guard, Max(0, z), Add(1, ·), Add(log, max)", base, func(t *testing.T, g *onnxpb.GraphProto) {
			for _, name := range []string{"add_24_node", "max_14_node", "add_20_node", "add_22_node"} {
				in := findNode(t, g, name).Input
				in[0], in[1] = in[1], in[0]
			}
		}},
		{"IsNaN of z, Abs of Sub(z, 0)", base, func(t *testing.T, g *onnxpb.GraphProto) {
			findNode(t, g, "isnan_23_node").Input[0] = "add_12"
		}},
		{"no guard", base, func(t *testing.T, g *onnxpb.GraphProto) {
			for _, name := range []string{"isnan_23_node", "add_24_node"} {
				g.Node = slices.DeleteFunc(g.Node, func(n *onnxpb.NodeProto) bool { return n.GetName() == name })
			}
			findNode(t, g, "where_25_node").Input = []string{"add_22"}
			findNode(t, g, "where_25_node").OpType = proto.String("Identity")
		}},
		{"zeros as Constant nodes of shapes [1] and [1 1]", base, func(t *testing.T, g *onnxpb.GraphProto) {
			b := &builder{e: exporter{constNodes: true}, g: g}
			findNode(t, g, "max_14_node").Input[1] = b.values("zero_a", []float64{0}, 1)
			findNode(t, g, "sub_15_node").Input[1] = b.values("zero_b", []float64{0}, 1, 1)
			findNode(t, g, "add_24_node").Input[1] = b.values("zero_c", []float64{0}, 1, 1)
			// b appended the Constant nodes after their readers: move them first.
			k := len(g.Node) - 3
			g.Node = append(g.Node[k:], g.Node[:k]...)
		}},
		{"input batch size 0 (unknown), output 256", base, func(t *testing.T, g *onnxpb.GraphProto) {
			g.Input[0].Type.GetTensorType().Shape.Dim[0].Value = &onnxpb.TensorShapeProto_Dimension_DimValue{}
		}},
		{"Relu in the JAX form", base, func(t *testing.T, g *onnxpb.GraphProto) {
			nd := findNode(t, g, "max_14_node")
			nd.OpType, nd.Input = proto.String("Relu"), nd.Input[:1]
		}},
	}
}

// jaxReject is a change to the graph of exporter e (jaxBase or a variant)
// for a 3 → 4 → 1 Softplus network that Read must refuse: mutate makes it
// and returns substrings of the error.
//
// In the graph of jaxBase, the output Reshape is "reshape_32_node", which
// writes "reshape_32" and reads "add_30"; the softplus reads "add_12", its
// Max is "max_14_node", its Sub "sub_15_node", its Log "log_21_node", its
// IsNaN "isnan_23_node", its guard Add "add_24_node" and its Where
// "where_25_node"; the graph output is "identity_37".
type jaxReject struct {
	name   string
	e      exporter
	mutate func(t *testing.T, g *onnxpb.GraphProto) []string // returns substrings of the error
}

func TestReadJAXRejects(t *testing.T) {
	for _, tc := range slices.Concat(jaxRejectsAxes(), jaxRejectsShapes(), jaxRejectsSoftplus(), jaxRejectsGuard()) {
		t.Run(tc.name, func(t *testing.T) { checkJAXReject(t, tc) })
	}
}

// checkJAXReject checks that Read reads the graph of tc and refuses it once
// changed.
func checkJAXReject(t *testing.T, tc jaxReject) {
	net := foreignNetwork(rand.New(rand.NewPCG(33, 34)), tc.e, 3, []int{4}, mlp.Softplus)
	m := tc.e.model(net)
	if _, err := readModel(t, m); err != nil {
		t.Fatalf("%s: the model before the change: %v", tc.name, err)
	}
	if findNode(t, m.Graph, "reshape_32_node").Input[0] != "add_30" || m.Graph.Output[0].GetName() != "identity_37" {
		t.Fatalf("%s: the graph has changed: update the node names in the test", tc.name)
	}
	want := tc.mutate(t, m.Graph)
	checkRefused(t, tc.name, m, want)
}

// jaxRejectsAxes returns the Squeezes, Unsqueezes, Flattens and Reshapes
// Read refuses: those that touch the batch axis, move data or leave the
// axes unclear.
func jaxRejectsAxes() []jaxReject {
	base := jaxBase()
	symbolic := base
	symbolic.batch = 0
	one := base
	one.batch = 1
	opset11 := base
	opset11.opset = 11
	return []jaxReject{
		{"Squeeze of the batch axis", base, func(t *testing.T, g *onnxpb.GraphProto) []string {
			int64Init(g, "first", 0)
			nd := findNode(t, g, "reshape_32_node")
			nd.OpType, nd.Input[1] = proto.String("Squeeze"), "first"
			return []string{named(t, g, "reshape_32_node") + ` removes axis 0 of the data "add_30" of shape [batch 1], the batch axis; want only axes of size 1 other than the batch`}
		}},
		{"Squeeze of an axis of size 3", base, func(t *testing.T, g *onnxpb.GraphProto) []string {
			int64Init(g, "second", 1)
			insertAfter(g, "input", node("squeeze", "Squeeze", []string{"input", "second"}))
			return []string{named(t, g, "squeeze") + ` removes axis 1 of the data "input" of shape [batch 3], of size 3; want only axes of size 1`}
		}},
		{"Squeeze without axes, symbolic batch size", symbolic, func(t *testing.T, g *onnxpb.GraphProto) []string {
			nd := findNode(t, g, "reshape_32_node")
			nd.OpType, nd.Input = proto.String("Squeeze"), nd.Input[:1]
			return []string{named(t, g, "reshape_32_node") + " has no axes, so it would remove the batch axis too if the batch size were 1 (it is not fixed)"}
		}},
		{"Squeeze without axes, batch size 1", one, func(t *testing.T, g *onnxpb.GraphProto) []string {
			nd := findNode(t, g, "reshape_32_node")
			nd.OpType, nd.Input = proto.String("Squeeze"), nd.Input[:1]
			return []string{named(t, g, "reshape_32_node") + " has no axes, so it removes the batch axis too (its size is fixed at 1)"}
		}},
		{"Squeeze with axes twice", opset11, func(t *testing.T, g *onnxpb.GraphProto) []string {
			int64Init(g, "last", -1)
			nd := findNode(t, g, "reshape_32_node")
			nd.OpType, nd.Input[1], nd.Attribute = proto.String("Squeeze"), "last", []*onnxpb.AttributeProto{intsAttribute("axes", 1)}
			return []string{named(t, g, "reshape_32_node") + " has axes both as an attribute and as an input, want one"}
		}},
		{"Squeeze of axis 2", opset11, func(t *testing.T, g *onnxpb.GraphProto) []string {
			nd := findNode(t, g, "reshape_32_node")
			nd.OpType, nd.Input, nd.Attribute = proto.String("Squeeze"), nd.Input[:1], []*onnxpb.AttributeProto{intsAttribute("axes", 2)}
			return []string{named(t, g, "reshape_32_node") + " has axis 2, want −2 to 1"}
		}},
		{"Unsqueeze of [batch 3]", base, func(t *testing.T, g *onnxpb.GraphProto) []string {
			int64Init(g, "front", 0)
			insertAfter(g, "input", node("unsqueeze", "Unsqueeze", []string{"input", "front"}))
			return []string{named(t, g, "unsqueeze") + ` gives the data "input" the shape [1 batch 3], want [batch, width], [width, batch] or [batch] (an MLP's data has no other axes)`}
		}},
		{"Unsqueeze without axes", base, func(t *testing.T, g *onnxpb.GraphProto) []string {
			insertAfter(g, "reshape_32", node("unsqueeze", "Unsqueeze", []string{"reshape_32"}))
			return []string{named(t, g, "unsqueeze") + " has no axes, want the indices of the axes to insert"}
		}},
		{"Flatten at axis 0", base, func(t *testing.T, g *onnxpb.GraphProto) []string {
			insertAfter(g, "input", node("flatten", "Flatten", []string{"input"}, intAttribute("axis", 0)))
			return []string{named(t, g, "flatten") + ` flattens the data "input" of shape [batch 3] at axis 0, which merges the batch axis with an axis of size 3; want an axis that keeps the batch axis apart`}
		}},
		{"Flatten at axis 2", base, func(t *testing.T, g *onnxpb.GraphProto) []string {
			insertAfter(g, "input", node("flatten", "Flatten", []string{"input"}, intAttribute("axis", 2)))
			return []string{named(t, g, "flatten") + ` flattens the data "input" of shape [batch 3] at axis 2, which merges the batch axis with an axis of size 3`}
		}},
		{"Reshape to [768]", base, func(t *testing.T, g *onnxpb.GraphProto) []string {
			i, d := nodeOf(t, g, "Reshape", 0)
			int64Init(g, "flat", 768)
			g.Node[i].Input[1] = "flat"
			return []string{d + ` reshapes the data "input" of shape [batch 3] to [768] (allowzero false), want a Reshape to the same shape or one that only adds or removes axes of size 1`}
		}},
		{"Reshape to [3 256]", base, func(t *testing.T, g *onnxpb.GraphProto) []string {
			i, d := nodeOf(t, g, "Reshape", 0)
			int64Init(g, "swapped", 3, 256)
			g.Node[i].Input[1] = "swapped"
			return []string{d + ` reshapes the data "input" of shape [batch 3] to [3 256] (allowzero false)`}
		}},
		{"Reshape to [128 6]", base, func(t *testing.T, g *onnxpb.GraphProto) []string {
			i, d := nodeOf(t, g, "Reshape", 0)
			int64Init(g, "halves", 128, 6)
			g.Node[i].Input[1] = "halves"
			return []string{d + ` reshapes the data "input" of shape [batch 3] to [128 6] (allowzero false)`}
		}},
	}
}

// jaxRejectsShapes returns the declared shapes Read refuses, and the ops it
// refuses on an output of shape [batch].
func jaxRejectsShapes() []jaxReject {
	base := jaxBase()
	return []jaxReject{
		{"output computed as [batch 1], declared [batch]", base, func(t *testing.T, g *onnxpb.GraphProto) []string {
			removeNode(t, g, "reshape_32_node")
			return []string{`graph output "identity_37" is computed as [batch 1], but declared [batch]`}
		}},
		{"output computed as [batch], declared [batch 1]", base, func(t *testing.T, g *onnxpb.GraphProto) []string {
			s := g.Output[0].Type.GetTensorType().Shape
			s.Dim = append(s.Dim, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: 1}})
			return []string{`graph output "identity_37" is computed as [batch], but declared [batch 1]`}
		}},
		{"batch sizes differ", base, func(t *testing.T, g *onnxpb.GraphProto) []string {
			batchDims(g.Output[0], 1)
			return []string{`graph input "input" has batch size 256, but output "identity_37" has 1; want the same`}
		}},
		{"output of rank 3", base, func(t *testing.T, g *onnxpb.GraphProto) []string {
			s := g.Output[0].Type.GetTensorType().Shape
			s.Dim = append(s.Dim, s.Dim[0], s.Dim[0])
			return []string{`graph output "identity_37" has shape [256 256 256], want [batch, 1] or [batch]`}
		}},
		{"input of shape [batch]", base, func(t *testing.T, g *onnxpb.GraphProto) []string {
			s := g.Input[0].Type.GetTensorType().Shape
			s.Dim = s.Dim[:1]
			return []string{`graph input "input" has shape [256], want [batch, width]`}
		}},
		{"MatMul of the output vector", base, func(t *testing.T, g *onnxpb.GraphProto) []string {
			doubleInit(g, "w1", 2)
			findInit(t, g, "w1").Dims = []int64{1, 1}
			insertAfter(g, "reshape_32", node("matmul", "MatMul", []string{"reshape_32", "w1"}))
			return []string{named(t, g, "matmul") + ` multiplies the data "reshape_32" of shape [batch], want [batch 1] or [1 batch] (a dense layer takes a matrix)`}
		}},
		{"[1 1] constant on the output vector", base, func(t *testing.T, g *onnxpb.GraphProto) []string {
			y := findInit(t, g, "y_scale_33")
			y.Dims = []int64{1, 1}
			return []string{named(t, g, "mul_34_node") + `: operand "y_scale_33" has shape [1 1], want one value ([] or [1]) to meet "reshape_32" of shape [batch]`}
		}},
		{"unsupported op on the output vector", base, func(t *testing.T, g *onnxpb.GraphProto) []string {
			findNode(t, g, "mul_34_node").OpType = proto.String("Pow")
			return []string{named(t, g, "mul_34_node") + ": op type Pow is not supported on the data path"}
		}},
	}
}

// jaxRejectsSoftplus returns the changes of jax.nn.softplus written out that
// Read refuses, outside its NaN guard.
func jaxRejectsSoftplus() []jaxReject {
	base := jaxBase()
	return []jaxReject{
		{"Softplus Max(z, 1)", base, func(t *testing.T, g *onnxpb.GraphProto) []string {
			doubleInit(g, "one_for_max", 1)
			findNode(t, g, "max_14_node").Input[1] = "one_for_max"
			return []string{named(t, g, "max_14_node") + `: operand "one_for_max" of shape [] is not zero, want Max("add_12", 0), the positive part of Softplus`}
		}},
		{"Softplus Sub(z, 1)", base, func(t *testing.T, g *onnxpb.GraphProto) []string {
			doubleInit(g, "one_for_sub", 1)
			findNode(t, g, "sub_15_node").Input[1] = "one_for_sub"
			return []string{named(t, g, "sub_15_node") + `: operand "one_for_sub" of shape [] is not zero, want Sub("add_12", 0), whose Abs is |add_12|`}
		}},
		{"Softplus Sub(0, z)", base, func(t *testing.T, g *onnxpb.GraphProto) []string {
			in := findNode(t, g, "sub_15_node").Input
			in[0], in[1] = in[1], in[0]
			return []string{named(t, g, "sub_15_node") + ` reads "add_12" as its second operand, want Sub("add_12", 0)`}
		}},
		{"Softplus Abs of z and of Sub(z, 0)", base, func(t *testing.T, g *onnxpb.GraphProto) []string {
			g.Node = append(g.Node, node("abs2", "Abs", []string{"add_12"}))
			return []string{named(t, g, "abs2") + `: "add_12" is read by both ` + named(t, g, "abs2") + " and " + named(t, g, "sub_15_node") +
				", want Abs(z) or Abs(Sub(z, 0))"}
		}},
		{"Softplus without Log", base, func(t *testing.T, g *onnxpb.GraphProto) []string {
			findNode(t, g, "log_21_node").OpType = proto.String("Exp")
			return []string{named(t, g, "sub_15_node") + ": " + named(t, g, "log_21_node") + ` reads "add_20", want Add(Relu(z), Log(Add(Exp(Neg(Abs(z))), 1))), Softplus written out`}
		}},
		{"Softplus with Log1p's Add of 2", base, func(t *testing.T, g *onnxpb.GraphProto) []string {
			doubleInit(g, "two", 2)
			findNode(t, g, "add_20_node").Input[1] = "two"
			return []string{named(t, g, "add_20_node") + `: operand "two" of shape [] is not one, want 1 (log(1 + u) is Log(Add(u, 1)))`}
		}},
	}
}

// jaxRejectsGuard returns the changes of the NaN guard of jax.nn.softplus,
// Where(IsNaN(d), Add(z, 0), sum), that Read refuses.
func jaxRejectsGuard() []jaxReject {
	base := jaxBase()
	return []jaxReject{
		{"guard Add(z, 2)", base, func(t *testing.T, g *onnxpb.GraphProto) []string {
			doubleInit(g, "two", 2)
			findNode(t, g, "add_24_node").Input[1] = "two"
			return []string{named(t, g, "add_24_node") + `: operand "two" of shape [] is not zero, want Add("add_12", 0), the NaN of the guard`}
		}},
		{"guard with its branches swapped", base, func(t *testing.T, g *onnxpb.GraphProto) []string {
			in := findNode(t, g, "where_25_node").Input
			in[1], in[2] = in[2], in[1]
			return []string{named(t, g, "sub_15_node") + ": " + named(t, g, "where_25_node") + ` takes the sum "add_22" as its value for NaN, want it as its value for numbers (the guard is Where(IsNaN(z), Add(z, 0), sum) around the sum`}
		}},
		{"guard on IsNaN of something else", base, func(t *testing.T, g *onnxpb.GraphProto) []string {
			doubleInit(g, "c", 0)
			findNode(t, g, "isnan_23_node").Input[0] = "c"
			return []string{named(t, g, "sub_15_node") + `: "sub_15" is read by no IsNaN (the guard is Where(IsNaN(z), Add(z, 0), sum)`}
		}},
		{"guard without IsNaN", base, func(t *testing.T, g *onnxpb.GraphProto) []string {
			findNode(t, g, "isnan_23_node").OpType = proto.String("IsInf")
			return []string{named(t, g, "sub_15_node") + ": " + named(t, g, "isnan_23_node") + ` reads "sub_15", want Add(Relu(z)`}
		}},
		{"guard on another condition", base, func(t *testing.T, g *onnxpb.GraphProto) []string {
			doubleInit(g, "cond", 1)
			findNode(t, g, "where_25_node").Input[0] = "cond"
			return []string{named(t, g, "sub_15_node") + ": " + named(t, g, "where_25_node") + ` has condition "cond", want "isnan_23", which ` +
				named(t, g, "isnan_23_node") + " writes"}
		}},
		{"guard with a condition read twice", base, func(t *testing.T, g *onnxpb.GraphProto) []string {
			g.Node = append(g.Node, node("spy", "Identity", []string{"isnan_23"}))
			return []string{named(t, g, "sub_15_node") + `: "isnan_23", which ` + named(t, g, "isnan_23_node") + " writes, has 2 readers, want " +
				named(t, g, "where_25_node") + " alone"}
		}},
		{"guard with the NaN of something else", base, func(t *testing.T, g *onnxpb.GraphProto) []string {
			doubleInit(g, "c", 0)
			findNode(t, g, "where_25_node").Input[1] = "c"
			return []string{named(t, g, "sub_15_node") + ": " + named(t, g, "where_25_node") + ` takes "c" for NaN, want "add_12" or Add("add_12", 0) read by it alone`}
		}},
	}
}
