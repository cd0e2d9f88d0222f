package onnx

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/onnx/internal/onnxpb"
)

// This file writes networks as PyTorch (torch.onnx.export) and JAX (jax2tf
// and tf2onnx) write them, one spelling per exporter field. foreign_test.go
// checks that Read turns each into the network written, and
// foreign_rejects_test.go that it refuses what is not an MLP.

// exporter writes a network in the graph patterns of a foreign tool.
type exporter struct {
	name    string
	float32 bool // FLOAT tensors; the network must hold float32 values
	// dense is how a layer is written:
	//	"gemm":    Gemm(x, W, b), W as [out in], transB = 1 (torch.onnx.export)
	//	"gemmN":   Gemm(x, Wᵀ, b), Wᵀ as [in out], transB = 0
	//	"matmul":  Add(MatMul(x, Wᵀ), b), Wᵀ as [in out] (newer opsets, tf2onnx)
	//	"matmulT": Add(MatMul(x, Transpose(W)), b), W as [out in]
	//	"left":    the data transposed once, Add(MatMul(W, xᵀ), b as [out 1])
	dense       string
	alpha, beta float32 // Gemm attributes, written if nonzero; W/alpha and b/beta are stored
	biasFirst   bool    // Add(b, z) rather than Add(z, b)
	// silu is "sigmoid" for Mul(z, Sigmoid(z)), "sigmoidFirst" for
	// Mul(Sigmoid(z), z), "expanded" for Mul(z, Reciprocal(Add(Exp(Neg(z)), 1))).
	silu string
	max  bool // ReLU as Max(z, 0), not Relu
	// lastAct, if set, is the activation of the last hidden layer instead
	// of the network's, to write a network mlp cannot hold.
	lastAct string
	// norm is "subdiv" for Div(Sub(x, mean), scale), "submul" for
	// Mul(1/scale, Sub(x, mean)), "scalar" for submul with one mean and one
	// scale of shape [] (the network must have equal means and scales), or
	// "none" for no normalisation nodes (the network must have the identity).
	norm       string
	constNodes bool // constants in Constant nodes, not initializers
	typed      bool // data in float_data or double_data, not raw_data
	noops      bool // Reshape(x, [-1 n]), Identity and Cast to the same type on the data
	opset      int64

	// batch is the size of the batch axis of the input and output, 0 for
	// a symbolic batch size. If fixed, the Reshape of noops gives it.
	batch int64
	// out is how the output is written: "" as [batch 1]; as [batch] by
	// "reshape": Reshape(·, [batch]) after the output layer ([-1] if the
	// batch size is symbolic); "squeeze": Squeeze(·, axes [1]), or [0] for
	// the data transposed ("left") and no Transpose back; "matvec": a
	// MatMul by a weight vector [in] and an Add of a bias of shape [] in
	// the output layer; "roundtrip": Squeeze(·, [1]), Unsqueeze(·, [-1]),
	// Flatten and Squeeze(·, [-1]) at the end. Squeeze and Unsqueeze take
	// their axes as an attribute before opset 13, as an input from 13.
	out string
	// softplus is how Softplus is written: "" as Softplus; "jax" as
	// jax2tf and tf2onnx write jax.nn.softplus, jnp.logaddexp(z, 0):
	// Where(IsNaN(d), Add(z, 0), Add(Max(z, 0), Log(Add(Exp(Neg(Abs(d))), 1))))
	// with d = Sub(z, 0); "jaxFolded" as the same with the Sub and the Where
	// left out and the operands of Max and the Adds in the other order.
	softplus string
	flatten  bool // Flatten(·) (axis 1) on the input
}

// exact reports whether Read must give back the network bit for bit: alpha
// and beta are powers of two and the scale is not written as its inverse.
func (e exporter) exact() bool {
	pow2 := func(a float32) bool { m, _ := math.Frexp(float64(a)); return a == 0 || m == 0.5 }
	return pow2(e.alpha) && pow2(e.beta) && (e.norm == "subdiv" || e.norm == "none")
}

// vectorOut reports whether e writes the output as [batch].
func (e exporter) vectorOut() bool { return e.out != "" }

// builder adds nodes and constants to a graph for an exporter.
type builder struct {
	e exporter
	g *onnxpb.GraphProto
	n int // values written so far, for unique names
}

// fresh returns a new value name with the given prefix.
func (b *builder) fresh(prefix string) string {
	b.n++
	return fmt.Sprintf("%s_%d", prefix, b.n)
}

// elemType returns the element type the exporter writes.
func (b *builder) elemType() int32 {
	if b.e.float32 {
		return int32(onnxpb.TensorProto_FLOAT)
	}
	return int32(onnxpb.TensorProto_DOUBLE)
}

// tensor returns a FLOAT or DOUBLE tensor of the given shape.
func (b *builder) tensor(name string, data []float64, dims ...int64) *onnxpb.TensorProto {
	t := &onnxpb.TensorProto{Name: proto.String(name), Dims: dims, DataType: proto.Int32(b.elemType())}
	for _, v := range data {
		switch {
		case b.e.float32 && b.e.typed:
			t.FloatData = append(t.FloatData, float32(v))
		case b.e.float32:
			t.RawData = binary.LittleEndian.AppendUint32(t.RawData, math.Float32bits(float32(v)))
		case b.e.typed:
			t.DoubleData = append(t.DoubleData, v)
		default:
			t.RawData = binary.LittleEndian.AppendUint64(t.RawData, math.Float64bits(v))
		}
	}
	return t
}

// constant adds t as an initializer or a Constant node and returns its value name.
func (b *builder) constant(t *onnxpb.TensorProto) string {
	if !b.e.constNodes {
		b.g.Initializer = append(b.g.Initializer, t)
		return t.GetName()
	}
	out := t.GetName()
	t.Name = nil
	b.g.Node = append(b.g.Node, &onnxpb.NodeProto{
		Name: proto.String("const_" + out), OpType: proto.String("Constant"), Output: []string{out},
		Attribute: []*onnxpb.AttributeProto{{Name: proto.String("value"), Type: onnxpb.AttributeProto_TENSOR.Enum(), T: t}},
	})
	return out
}

// values adds a FLOAT or DOUBLE constant and returns its name.
func (b *builder) values(prefix string, data []float64, dims ...int64) string {
	return b.constant(b.tensor(b.fresh(prefix), data, dims...))
}

// shape adds an INT64 constant of shape [len(v)] and returns its name.
func (b *builder) shape(v ...int64) string {
	return b.constant(&onnxpb.TensorProto{Name: proto.String(b.fresh("shape")), Dims: []int64{int64(len(v))},
		DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Int64Data: v})
}

// node adds a node and returns the name of its output.
func (b *builder) node(op string, in []string, attrs ...*onnxpb.AttributeProto) string {
	out := b.fresh(strings.ToLower(op))
	b.g.Node = append(b.g.Node, &onnxpb.NodeProto{
		Name: proto.String(out + "_node"), OpType: proto.String(op), Input: in, Output: []string{out}, Attribute: attrs,
	})
	return out
}

// axes adds a Squeeze or Unsqueeze of x along the given axes, as an
// attribute before opset 13 and as an input from 13, and returns its output.
func (b *builder) axes(op, x string, axes ...int64) string {
	if b.e.opset < 13 {
		return b.node(op, []string{x}, &onnxpb.AttributeProto{Name: proto.String("axes"), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: axes})
	}
	return b.node(op, []string{x, b.shape(axes...)})
}

// batchDims sets the batch axis of the graph input or output vi to size
// batch if it is not 0.
func batchDims(vi *onnxpb.ValueInfoProto, batch int64) {
	if batch != 0 {
		vi.Type.GetTensorType().Shape.Dim[0].Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: batch}
	}
}

// intAttribute returns an INT attribute.
func intAttribute(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(v)}
}

// floatAttribute returns a FLOAT attribute.
func floatAttribute(name string, v float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(v)}
}

// transpose returns the (in, out) transpose of w, of shape (out, in).
func transposed(w []float64, out, in int) []float64 {
	t := make([]float64, len(w))
	for o := range out {
		for j := range in {
			t[j*out+o] = w[o*in+j]
		}
	}
	return t
}

// scaled returns v/s, or v if s is 0 (attribute absent).
func scaled(v []float64, s float32) []float64 {
	if s == 0 {
		return v
	}
	d := make([]float64, len(v))
	for i, x := range v {
		d[i] = x / float64(s)
	}
	return d
}

// softplus adds Softplus of z as b.e writes it and returns its output.
func (b *builder) softplus(z string) string {
	switch b.e.softplus {
	case "jax":
		zero := b.values("zero", []float64{0})
		m := b.node("Max", []string{z, zero})
		d := b.node("Sub", []string{z, zero})
		s := b.node("Neg", []string{b.node("Abs", []string{d})})
		s = b.node("Log", []string{b.node("Add", []string{b.node("Exp", []string{s}), b.values("one", []float64{1})})})
		s = b.node("Add", []string{m, s})
		return b.node("Where", []string{b.node("IsNaN", []string{d}), b.node("Add", []string{z, zero}), s})
	case "jaxFolded":
		m := b.node("Max", []string{b.values("zero", []float64{0}), z})
		s := b.node("Neg", []string{b.node("Abs", []string{z})})
		s = b.node("Log", []string{b.node("Add", []string{b.values("one", []float64{1}), b.node("Exp", []string{s})})})
		return b.node("Add", []string{s, m})
	}
	return b.node("Softplus", []string{z})
}

// model returns the graph e writes for net.
func (e exporter) model(net *mlp.Network) *onnxpb.ModelProto {
	b := &builder{e: e, g: &onnxpb.GraphProto{Name: proto.String(e.name)}}
	x := b.input(net)
	for l := range net.Params.W {
		x = b.dense(net, l, x)
		if l == net.Layers() {
			break
		}
		x = b.activation(net, l, x)
	}
	b.output(net, x)
	return &onnxpb.ModelProto{
		IrVersion:    proto.Int64(8),
		OpsetImport:  []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(e.opset)}},
		ProducerName: proto.String(e.name),
		Graph:        b.g,
	}
}

// input adds the graph input "input" for net's inputs, and the nodes b.e
// writes on it before the first layer (no-ops, Flatten, the normalisation
// and, for "left", the Transpose), and returns the data the first layer
// reads.
func (b *builder) input(net *mlp.Network) string {
	e := b.e
	n := net.Inputs()
	in := batchMatrix("input", n, "")
	in.Type.GetTensorType().ElemType = proto.Int32(b.elemType())
	batchDims(in, e.batch)
	b.g.Input = []*onnxpb.ValueInfoProto{in}
	x := "input"
	if e.noops {
		x = b.node("Reshape", []string{x, b.shape(cmp.Or(e.batch, -1), int64(n))})
		x = b.node("Identity", []string{x})
		x = b.node("Cast", []string{x}, intAttribute("to", int64(b.elemType())))
	}
	if e.flatten {
		x = b.node("Flatten", []string{x})
	}
	x = b.normalise(net, x)
	if e.dense == "left" {
		x = b.node("Transpose", []string{x})
	}
	return x
}

// normalise adds the input normalisation of net as b.e writes it (see the
// exporter's norm) to the data x and returns its output.
func (b *builder) normalise(net *mlp.Network, x string) string {
	n := net.Inputs()
	switch b.e.norm {
	case "subdiv":
		x = b.node("Sub", []string{x, b.values("mean", net.Norm.XMean, int64(n))})
		x = b.node("Div", []string{x, b.values("scale", net.Norm.XScale, int64(n))})
	case "submul", "scalar":
		inv := make([]float64, n)
		for j, s := range net.Norm.XScale {
			inv[j] = 1 / s
		}
		if b.e.norm == "scalar" {
			x = b.node("Sub", []string{x, b.values("mean", net.Norm.XMean[:1])})
			x = b.node("Mul", []string{b.values("inv_scale", inv[:1]), x})
		} else {
			x = b.node("Sub", []string{x, b.values("mean", net.Norm.XMean, 1, int64(n))})
			x = b.node("Mul", []string{b.values("inv_scale", inv, int64(n)), x})
		}
	}
	return x
}

// dense adds layer l of net, z = W·x + b, as b.e writes it (see the
// exporter's dense, alpha, beta, biasFirst and out "matvec") and returns z.
func (b *builder) dense(net *mlp.Network, l int, x string) string {
	e := b.e
	out, width := net.Sizes[l+1], net.Sizes[l]
	w, bias := net.Params.W[l], net.Params.B[l]
	var gemm []*onnxpb.AttributeProto
	if e.alpha != 0 {
		gemm = append(gemm, floatAttribute("alpha", e.alpha))
	}
	if e.beta != 0 {
		gemm = append(gemm, floatAttribute("beta", e.beta))
	}
	dense := e.dense
	if l == net.Layers() && e.out == "matvec" {
		dense = "matvec"
	}
	var z string
	switch dense {
	case "matvec":
		if e.dense == "left" {
			z = b.node("MatMul", []string{b.values("weight", w, int64(width)), x})
		} else {
			z = b.node("MatMul", []string{x, b.values("weight", w, int64(width))})
		}
	case "gemm":
		z = b.node("Gemm", []string{x, b.values("weight", scaled(w, e.alpha), int64(out), int64(width)), b.values("bias", scaled(bias, e.beta), int64(out))},
			append(gemm, intAttribute("transB", 1))...)
	case "gemmN":
		z = b.node("Gemm", []string{x, b.values("weight", scaled(transposed(w, out, width), e.alpha), int64(width), int64(out)), b.values("bias", scaled(bias, e.beta), int64(out))},
			append(gemm, intAttribute("transA", 0), intAttribute("transB", 0))...)
	case "matmul":
		z = b.node("MatMul", []string{x, b.values("weight", transposed(w, out, width), int64(width), int64(out))})
	case "matmulT":
		z = b.node("MatMul", []string{x, b.node("Transpose", []string{b.values("weight", w, int64(out), int64(width))},
			&onnxpb.AttributeProto{Name: proto.String("perm"), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: []int64{1, 0}})})
	case "left":
		z = b.node("MatMul", []string{b.values("weight", w, int64(out), int64(width)), x})
	}
	if dense == "matmul" || dense == "matmulT" || dense == "left" || dense == "matvec" {
		z = b.addBias(dense, z, bias, out)
	}
	return z
}

// addBias adds the Add of the bias of a layer of out outputs written as
// dense (a MatMul) to its product z and returns its output: the bias has
// shape [out 1] for "left", [out] for "matmul" and "matmulT", and [] for
// "matvec".
func (b *builder) addBias(dense, z string, bias []float64, out int) string {
	var dims []int64
	switch dense {
	case "left":
		dims = []int64{int64(out), 1}
	case "matmul", "matmulT":
		dims = []int64{int64(out)}
	}
	c := b.values("bias", bias, dims...)
	if b.e.biasFirst {
		return b.node("Add", []string{c, z})
	}
	return b.node("Add", []string{z, c})
}

// activation adds the activation of hidden layer l of net (or b.e.lastAct
// for the last) on z as b.e writes it (see the exporter's silu, max,
// softplus and noops) and returns its output.
func (b *builder) activation(net *mlp.Network, l int, z string) string {
	e := b.e
	act := net.Act
	if e.lastAct != "" && l == net.Layers()-1 {
		act, _ = mlp.ParseActivation(e.lastAct)
	}
	var x string
	switch act {
	case mlp.SiLU:
		var s string
		if e.silu == "expanded" {
			s = b.node("Neg", []string{z})
			s = b.node("Exp", []string{s})
			s = b.node("Add", []string{s, b.values("one", []float64{1})})
			s = b.node("Reciprocal", []string{s})
		} else {
			s = b.node("Sigmoid", []string{z})
		}
		if e.silu == "sigmoidFirst" {
			x = b.node("Mul", []string{s, z})
		} else {
			x = b.node("Mul", []string{z, s})
		}
	case mlp.Softplus:
		x = b.softplus(z)
	case mlp.Tanh:
		x = b.node("Tanh", []string{z})
	case mlp.ReLU:
		if e.max {
			x = b.node("Max", []string{z, b.values("zero", []float64{0})})
		} else {
			x = b.node("Relu", []string{z})
		}
	}
	if e.noops {
		x = b.node("Identity", []string{x})
	}
	return x
}

// output adds the nodes b.e writes after the output layer's z, x (the
// Transpose back for "left", the output's reshaping of out, the
// denormalisation, no-ops), and the graph output.
func (b *builder) output(net *mlp.Network, x string) {
	e := b.e
	if e.dense == "left" && e.out != "squeeze" && e.out != "matvec" {
		x = b.node("Transpose", []string{x}, &onnxpb.AttributeProto{
			Name: proto.String("perm"), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: []int64{1, 0}})
	}
	switch e.out {
	case "reshape":
		x = b.node("Reshape", []string{x, b.shape(cmp.Or(e.batch, -1))})
	case "squeeze":
		if e.dense == "left" {
			x = b.axes("Squeeze", x, 0)
		} else {
			x = b.axes("Squeeze", x, 1)
		}
	}
	if e.norm != "none" {
		x = b.node("Mul", []string{x, b.values("y_scale", []float64{net.Norm.YScale}, 1)})
		x = b.node("Add", []string{b.values("y_mean", []float64{net.Norm.YMean}, 1), x})
	}
	if e.out == "roundtrip" {
		x = b.axes("Squeeze", x, 1)
		x = b.axes("Unsqueeze", x, -1)
		x = b.node("Flatten", []string{x})
		x = b.axes("Squeeze", x, -1)
	}
	if e.noops {
		x = b.node("Identity", []string{x})
	}
	out := batchMatrix(x, 1, "")
	if e.vectorOut() {
		out.Type.GetTensorType().Shape.Dim = out.Type.GetTensorType().Shape.Dim[:1]
	}
	out.Type.GetTensorType().ElemType = proto.Int32(b.elemType())
	batchDims(out, e.batch)
	b.g.Output = []*onnxpb.ValueInfoProto{out}
}

// exporters returns the foreign spellings the tests write.
func exporters() []exporter {
	return []exporter{
		{name: "pytorch float64", dense: "gemm", alpha: 1, beta: 1, silu: "sigmoid", norm: "subdiv", opset: 17},
		{name: "pytorch float32", float32: true, dense: "gemm", alpha: 1, beta: 1, silu: "sigmoid", norm: "subdiv", opset: 14},
		{name: "Gemm transB 0, alpha 0.5, beta 2, typed data", dense: "gemmN", alpha: 0.5, beta: 2, silu: "sigmoidFirst", norm: "subdiv", typed: true, opset: 13},
		{name: "Gemm alpha 0.3, beta 1.7, float32 typed", float32: true, typed: true, dense: "gemm", alpha: 0.3, beta: 1.7, silu: "sigmoid", norm: "subdiv", opset: 11},
		{name: "pytorch MatMul and Add, no normalisation", dense: "matmul", silu: "sigmoid", norm: "none", opset: 18},
		{name: "jax2tf float32", float32: true, dense: "matmul", biasFirst: true, silu: "expanded", max: true, norm: "submul", constNodes: true, noops: true, opset: 15},
		{name: "jax2tf float64, one mean and scale", dense: "matmul", silu: "expanded", max: true, norm: "scalar", noops: true, opset: 13},
		{name: "weights transposed by a node", dense: "matmulT", silu: "sigmoidFirst", norm: "subdiv", constNodes: true, opset: 17},
		{name: "data transposed", dense: "left", biasFirst: true, silu: "expanded", norm: "subdiv", noops: true, opset: 17},
		// jax2tf and tf2onnx with a fixed batch size and a 1-D output.
		{name: "jax2tf fixed batch 256, Reshape to [256]", dense: "matmul", silu: "expanded", max: true, softplus: "jax",
			norm: "subdiv", noops: true, batch: 256, out: "reshape", opset: 17},
		{name: "jax2tf float32 fixed batch 1, Squeeze", float32: true, dense: "matmul", biasFirst: true, silu: "expanded", max: true,
			softplus: "jaxFolded", norm: "submul", constNodes: true, noops: true, batch: 1, out: "squeeze", opset: 13},
		{name: "jax2tf fixed batch 256, weight vector, opset 11", dense: "matmul", silu: "expanded", softplus: "jax",
			norm: "scalar", flatten: true, batch: 256, out: "matvec", typed: true, opset: 11},
		{name: "symbolic batch, Squeeze, Unsqueeze and Flatten, opset 11", dense: "gemm", alpha: 1, beta: 1, silu: "sigmoid",
			softplus: "jaxFolded", norm: "subdiv", out: "roundtrip", opset: 11},
		{name: "data transposed, fixed batch 256, Squeeze of [1 batch]", dense: "left", silu: "expanded", softplus: "jax",
			norm: "subdiv", noops: true, flatten: true, batch: 256, out: "squeeze", opset: 17},
		{name: "data transposed, fixed batch 1, weight vector", dense: "left", biasFirst: true, silu: "sigmoid", max: true,
			softplus: "jax", norm: "none", constNodes: true, batch: 1, out: "matvec", opset: 18},
		{name: "symbolic batch, Reshape to [-1]", dense: "matmul", silu: "expanded", softplus: "jax", norm: "subdiv",
			out: "reshape", opset: 14},
	}
}

// foreignNetwork returns a random network for exporter e: its values are
// float32 numbers if e writes FLOAT, its normalisation is what e can write.
func foreignNetwork(rng *rand.Rand, e exporter, inputs int, hidden []int, act mlp.Activation) *mlp.Network {
	net := randomNetwork(rng, inputs, hidden, act)
	switch e.norm {
	case "none":
		net.Norm = mlp.New(inputs, nil, act).Norm
	case "scalar":
		for j := range net.Norm.XMean {
			net.Norm.XMean[j], net.Norm.XScale[j] = net.Norm.XMean[0], net.Norm.XScale[0]
		}
	}
	if e.float32 {
		round := func(v []float64) {
			for i, x := range v {
				v[i] = float64(float32(x))
			}
		}
		round(net.Params.Flat)
		round(net.Norm.XMean)
		round(net.Norm.XScale)
		net.Norm.YMean, net.Norm.YScale = float64(float32(net.Norm.YMean)), float64(float32(net.Norm.YScale))
	}
	return net
}
