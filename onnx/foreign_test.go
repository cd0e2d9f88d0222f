package onnx

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/onnx/internal/onnxpb"
)

// This file writes networks as PyTorch (torch.onnx.export) and JAX (jax2tf
// and tf2onnx) write them, one spelling per exporter field, and checks that
// Read turns each into the network written, and refuses what is not an MLP.

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
	switch e.norm {
	case "subdiv":
		x = b.node("Sub", []string{x, b.values("mean", net.Norm.XMean, int64(n))})
		x = b.node("Div", []string{x, b.values("scale", net.Norm.XScale, int64(n))})
	case "submul", "scalar":
		inv := make([]float64, n)
		for j, s := range net.Norm.XScale {
			inv[j] = 1 / s
		}
		if e.norm == "scalar" {
			x = b.node("Sub", []string{x, b.values("mean", net.Norm.XMean[:1])})
			x = b.node("Mul", []string{b.values("inv_scale", inv[:1]), x})
		} else {
			x = b.node("Sub", []string{x, b.values("mean", net.Norm.XMean, 1, int64(n))})
			x = b.node("Mul", []string{b.values("inv_scale", inv, int64(n)), x})
		}
	}
	if e.dense == "left" {
		x = b.node("Transpose", []string{x})
	}
	for l := range net.Params.W {
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
			var dims []int64
			switch dense {
			case "left":
				dims = []int64{int64(out), 1}
			case "matmul", "matmulT":
				dims = []int64{int64(out)}
			}
			c := b.values("bias", bias, dims...)
			if e.biasFirst {
				z = b.node("Add", []string{c, z})
			} else {
				z = b.node("Add", []string{z, c})
			}
		}
		x = z
		if l == net.Layers() {
			break
		}
		act := net.Act
		if e.lastAct != "" && l == net.Layers()-1 {
			act, _ = mlp.ParseActivation(e.lastAct)
		}
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
	}
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
	return &onnxpb.ModelProto{
		IrVersion:    proto.Int64(8),
		OpsetImport:  []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(e.opset)}},
		ProducerName: proto.String(e.name),
		Graph:        b.g,
	}
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

// closeTo reports whether got is within tol of want, relative to 1 + |want|.
func closeTo(got, want, tol float64) bool { return math.Abs(got-want) <= tol*(1+math.Abs(want)) }

func TestReadForeign(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, e := range exporters() {
		for _, sh := range []shape{{3, []int{4, 5}}, {7, []int{8, 8, 8, 8, 8, 8}}, {1, []int{3}}} {
			for _, act := range testActs() {
				net := foreignNetwork(rng, e, sh.inputs, sh.hidden, act)
				name := fmt.Sprintf("%s, %d-%v-%v", e.name, sh.inputs, sh.hidden, act)
				m := e.model(net)
				got, err := readModel(t, m)
				if err != nil {
					t.Errorf("%s: %v", name, err)
					continue
				}
				if e.exact() {
					if d := sameNetwork(got, net); d != "" {
						t.Errorf("%s: %s", name, d)
					}
				} else if !slices.Equal(got.Sizes, net.Sizes) || got.Act != net.Act {
					t.Errorf("%s: read sizes %v and activation %v, want %v and %v", name, got.Sizes, got.Act, net.Sizes, net.Act)
				}
				// Points where the inputs are float32 numbers, which a Cast
				// to FLOAT in the graph leaves as they are.
				const batch = 5
				x := tensor{shape: []int{batch, sh.inputs}, data: make([]float64, batch*sh.inputs)}
				for i := range x.data {
					j := i % sh.inputs
					x.data[i] = float64(float32(net.Norm.XMean[j] + 2*net.Norm.XScale[j]*rng.NormFloat64()))
				}
				y, err := interpretRows(m, x, int(e.batch))
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				// The read network and the written one agree bit for bit
				// if e is exact. Otherwise the file holds 1/scale or
				// W/alpha rounded to its type: the largest differences
				// seen are 4e-19 in float64 and 5e-8 in float32.
				tol := 1e-13
				if e.float32 && !e.exact() {
					tol = 1e-6
				}
				for r := range batch {
					xr := x.data[r*sh.inputs : (r+1)*sh.inputs]
					// The graph and the read network round differently: the
					// order of sums, the sigmoid written out, alpha·W and
					// 1/(1/scale) in the read network. The largest
					// difference seen is 1.3e-15.
					if v, want := got.Value(xr), y[r]; !closeTo(v, want, 1e-14) {
						t.Errorf("%s: row %d: read network gives %v, graph %v", name, r, v, want)
					}
					if v, want := got.Value(xr), net.Value(xr); !closeTo(v, want, tol) {
						t.Errorf("%s: row %d: read network gives %v, written network %v", name, r, v, want)
					}
					g, want := got.InputGradient(nil, xr), net.InputGradient(nil, xr)
					for j := range g {
						if !closeTo(g[j], want[j], tol) {
							t.Errorf("%s: row %d: ∂y/∂x_%d of the read network is %v, of the written network %v", name, r, j, g[j], want[j])
						}
					}
				}
			}
		}
	}
}

// nodeOf returns the index of the k-th node of g with the given op type and
// its description, as error messages give it.
func nodeOf(t *testing.T, g *onnxpb.GraphProto, op string, k int) (int, string) {
	t.Helper()
	for i, nd := range g.GetNode() {
		if nd.GetOpType() == op {
			if k == 0 {
				return i, describe(i, nd)
			}
			k--
		}
	}
	t.Fatalf("graph has no %s node number %d", op, k)
	return 0, ""
}

// int64Init appends an INT64 initializer of shape [len(v)] to g.
func int64Init(g *onnxpb.GraphProto, name string, v ...int64) {
	g.Initializer = append(g.Initializer, &onnxpb.TensorProto{Name: proto.String(name), Dims: []int64{int64(len(v))},
		DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Int64Data: v})
}

// doubleInit appends a DOUBLE initializer of shape [] to g.
func doubleInit(g *onnxpb.GraphProto, name string, v float64) {
	g.Initializer = append(g.Initializer, &onnxpb.TensorProto{Name: proto.String(name),
		DataType: proto.Int32(int32(onnxpb.TensorProto_DOUBLE)), DoubleData: []float64{v}})
}

// foreignBases returns the exporters the variant and refusal tests start from.
func foreignBases() (torch, jax, jax32, left exporter) {
	torch = exporter{name: "pytorch", dense: "gemm", alpha: 1, beta: 1, silu: "sigmoid", norm: "subdiv", opset: 17}
	jax = exporter{name: "jax", dense: "matmul", silu: "expanded", max: true, norm: "subdiv", noops: true, opset: 17}
	jax32 = jax
	jax32.float32, jax32.constNodes, jax32.typed = true, true, true
	left = exporter{name: "left", dense: "left", silu: "sigmoid", norm: "subdiv", opset: 17}
	return torch, jax, jax32, left
}

func TestReadForeignVariants(t *testing.T) {
	torch, jax, jax32, left := foreignBases()
	for _, tc := range []struct {
		name   string
		e      exporter
		act    mlp.Activation
		mutate func(t *testing.T, g *onnxpb.GraphProto, want *mlp.Network)
	}{
		{"Reshape to [0 -1]", jax, mlp.Tanh, func(t *testing.T, g *onnxpb.GraphProto, _ *mlp.Network) {
			i, _ := nodeOf(t, g, "Reshape", 0)
			int64Init(g, "keep", 0, -1)
			g.Node[i].Input[1] = "keep"
		}},
		{"Reshape to [0 0]", jax, mlp.Tanh, func(t *testing.T, g *onnxpb.GraphProto, _ *mlp.Network) {
			i, _ := nodeOf(t, g, "Reshape", 0)
			int64Init(g, "keep", 0, 0)
			g.Node[i].Input[1] = "keep"
		}},
		{"Gemm without C", torch, mlp.SiLU, func(t *testing.T, g *onnxpb.GraphProto, want *mlp.Network) {
			for _, nd := range g.Node {
				if nd.GetOpType() == "Gemm" {
					nd.Input = nd.Input[:2]
				}
			}
			clear(want.Params.B[0])
			clear(want.Params.B[1])
			clear(want.Params.B[2])
		}},
		{"Gemm with C named empty", torch, mlp.Softplus, func(t *testing.T, g *onnxpb.GraphProto, want *mlp.Network) {
			i, _ := nodeOf(t, g, "Gemm", 1)
			g.Node[i].Input[2] = ""
			clear(want.Params.B[1])
		}},
		{"Div(1, ·) for Reciprocal", jax, mlp.SiLU, func(t *testing.T, g *onnxpb.GraphProto, _ *mlp.Network) {
			doubleInit(g, "one_for_div", 1)
			for _, nd := range g.Node {
				if nd.GetOpType() == "Reciprocal" {
					nd.OpType, nd.Input = proto.String("Div"), []string{"one_for_div", nd.Input[0]}
				}
			}
		}},
		{"Max(0, z)", jax, mlp.ReLU, func(t *testing.T, g *onnxpb.GraphProto, _ *mlp.Network) {
			i, _ := nodeOf(t, g, "Max", 1)
			in := g.Node[i].Input
			in[0], in[1] = in[1], in[0]
		}},
		{"widening Cast at the output", jax32, mlp.Tanh, func(t *testing.T, g *onnxpb.GraphProto, _ *mlp.Network) {
			y := g.Output[0]
			g.Node = append(g.Node, &onnxpb.NodeProto{Name: proto.String("widen"), OpType: proto.String("Cast"),
				Input: []string{y.GetName()}, Output: []string{"y64"}, Attribute: []*onnxpb.AttributeProto{intAttribute("to", 11)}})
			y.Name, y.Type.GetTensorType().ElemType = proto.String("y64"), proto.Int32(int32(onnxpb.TensorProto_DOUBLE))
		}},
		{"weight through Reshape, Identity and Cast", jax, mlp.SiLU, func(t *testing.T, g *onnxpb.GraphProto, want *mlp.Network) {
			i, _ := nodeOf(t, g, "MatMul", 0)
			name := g.Node[i].Input[1]
			w := findInit(t, g, name)
			g.Initializer = slices.DeleteFunc(g.Initializer, func(x *onnxpb.TensorProto) bool { return x == w })
			v, err := initializerValue(w)
			if err != nil {
				t.Fatal(err)
			}
			flat := &onnxpb.TensorProto{Name: proto.String("w_flat"), Dims: []int64{int64(len(v.data))}, DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT))}
			for _, x := range v.data {
				flat.FloatData = append(flat.FloatData, float32(x))
			}
			g.Initializer = append(g.Initializer, flat)
			int64Init(g, "w_shape", w.Dims...)
			g.Node = append([]*onnxpb.NodeProto{
				{Name: proto.String("w_reshape"), OpType: proto.String("Reshape"), Input: []string{"w_flat", "w_shape"}, Output: []string{"w_2d"}},
				{Name: proto.String("w_identity"), OpType: proto.String("Identity"), Input: []string{"w_2d"}, Output: []string{"w_id"}},
				{Name: proto.String("w_cast"), OpType: proto.String("Cast"), Input: []string{"w_id"}, Output: []string{name},
					Attribute: []*onnxpb.AttributeProto{intAttribute("to", 11)}},
			}, g.Node...)
			for k, x := range want.Params.W[0] {
				want.Params.W[0][k] = float64(float32(x))
			}
		}},
		{"Transpose of weights without perm", jax, mlp.Tanh, func(t *testing.T, g *onnxpb.GraphProto, want *mlp.Network) {
			i, _ := nodeOf(t, g, "MatMul", 1)
			name := g.Node[i].Input[1]
			w := findInit(t, g, name)
			v, err := initializerValue(w)
			if err != nil {
				t.Fatal(err)
			}
			w.Name, w.Dims = proto.String("w_out_in"), []int64{w.Dims[1], w.Dims[0]}
			w.RawData = nil
			for _, x := range transposed(v.data, int(w.Dims[1]), int(w.Dims[0])) {
				w.RawData = binary.LittleEndian.AppendUint64(w.RawData, math.Float64bits(x))
			}
			g.Node = append([]*onnxpb.NodeProto{{Name: proto.String("w_t"), OpType: proto.String("Transpose"),
				Input: []string{"w_out_in"}, Output: []string{name}}}, g.Node...)
		}},
		{"data transposed, Gemm with the data as B", left, mlp.Tanh, func(t *testing.T, g *onnxpb.GraphProto, _ *mlp.Network) {
			// Add(MatMul(W, aᵀ), b) → Gemm(W, aᵀ, b) in the hidden layers,
			// Gemm(aᵀ, W, b, transA = 1, transB = 1) in the output layer,
			// whose output needs no Transpose back.
			for l := range 3 {
				i, _ := nodeOf(t, g, "MatMul", 0)
				mm, add := g.Node[i], g.Node[i+1]
				mm.OpType, mm.Input, mm.Output = proto.String("Gemm"), append(mm.Input, add.Input[1]), add.Output
				g.Node = slices.Delete(g.Node, i+1, i+2)
				if l == 2 {
					mm.Input[0], mm.Input[1] = mm.Input[1], mm.Input[0]
					mm.Attribute = []*onnxpb.AttributeProto{intAttribute("transA", 1), intAttribute("transB", 1)}
				}
			}
			i, _ := nodeOf(t, g, "Transpose", 1)
			removeNode(t, g, g.Node[i].GetName())
		}},
	} {
		want := foreignNetwork(rand.New(rand.NewPCG(25, 26)), tc.e, 3, []int{4, 5}, tc.act)
		m := tc.e.model(want)
		tc.mutate(t, m.Graph, want)
		got, err := readModel(t, m)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if d := sameNetwork(got, want); d != "" {
			t.Errorf("%s: %s", tc.name, d)
		}
		x := tensor{shape: []int{2, 3}, data: []float64{0.5, -1, 2, 3, 0.25, -0.75}}
		outs, err := interpret(m, map[string]tensor{"input": x})
		if err != nil {
			t.Fatalf("%s: interpret: %v", tc.name, err)
		}
		for r := range 2 {
			// Sums in another order: see TestReadForeign.
			if v, y := got.Value(x.data[3*r:3*r+3]), outs[m.Graph.Output[0].GetName()].data[r]; !closeTo(v, y, 1e-14) {
				t.Errorf("%s: row %d: read network gives %v, graph %v", tc.name, r, v, y)
			}
		}
	}
}

func TestReadForeignRejects(t *testing.T) {
	torch, jax, jax32, left := foreignBases()
	mixed := jax
	mixed.lastAct = "tanh"
	transposedW := torch
	transposedW.dense = "matmulT"
	for _, tc := range []struct {
		name   string
		e      exporter
		act    mlp.Activation
		mutate func(t *testing.T, g *onnxpb.GraphProto) []string // returns substrings of the error
	}{
		{"Conv", jax, mlp.Tanh, func(t *testing.T, g *onnxpb.GraphProto) []string {
			i, _ := nodeOf(t, g, "MatMul", 1)
			g.Node[i].OpType = proto.String("Conv")
			return []string{describe(i, g.Node[i]) + ": op type Conv is not supported on the data path, want Sub, Div"}
		}},
		{"Reshape that flattens", jax, mlp.Tanh, func(t *testing.T, g *onnxpb.GraphProto) []string {
			i, d := nodeOf(t, g, "Reshape", 0)
			int64Init(g, "flat", -1)
			g.Node[i].Input[1] = "flat"
			return []string{d + ` reshapes the data "input" of shape [batch 3] to [-1] (allowzero false), want a Reshape to the same shape`}
		}},
		{"Reshape that moves data", jax, mlp.Tanh, func(t *testing.T, g *onnxpb.GraphProto) []string {
			i, d := nodeOf(t, g, "Reshape", 0)
			int64Init(g, "column", -1, 1)
			g.Node[i].Input[1] = "column"
			return []string{d + ` reshapes the data "input" of shape [batch 3] to [-1 1]`}
		}},
		{"Reshape with allowzero", jax, mlp.Tanh, func(t *testing.T, g *onnxpb.GraphProto) []string {
			i, d := nodeOf(t, g, "Reshape", 0)
			int64Init(g, "keep", 0, -1)
			g.Node[i].Input[1] = "keep"
			g.Node[i].Attribute = []*onnxpb.AttributeProto{intAttribute("allowzero", 1)}
			return []string{d + ` reshapes the data "input" of shape [batch 3] to [0 -1] (allowzero true)`}
		}},
		{"Reshape to a shape computed from the data", jax, mlp.Tanh, func(t *testing.T, g *onnxpb.GraphProto) []string {
			i, d := nodeOf(t, g, "Reshape", 0)
			int64Init(g, "batch", -1)
			int64Init(g, "width", 3)
			g.Node = append([]*onnxpb.NodeProto{{Name: proto.String("dims"), OpType: proto.String("Concat"),
				Input: []string{"batch", "width"}, Output: []string{"dims"}, Attribute: []*onnxpb.AttributeProto{intAttribute("axis", 0)}}}, g.Node...)
			g.Node[i+1].Input[1] = "dims"
			return []string{strings.Replace(d, fmt.Sprint(i), fmt.Sprint(i+1), 1) +
				` reads "dims", which is not a constant: it is written by node 0 "dims" (Concat), want an initializer, a Constant node`}
		}},
		{"LayerNorm-like", jax, mlp.Tanh, func(t *testing.T, g *onnxpb.GraphProto) []string {
			i, _ := nodeOf(t, g, "Tanh", 0)
			z := g.Node[i].Input[0]
			g.Node = slices.Insert(g.Node, i,
				&onnxpb.NodeProto{Name: proto.String("mean"), OpType: proto.String("ReduceMean"), Input: []string{z}, Output: []string{"mean"}},
				&onnxpb.NodeProto{Name: proto.String("center"), OpType: proto.String("Sub"), Input: []string{z, "mean"}, Output: []string{"centered"}})
			g.Node[i+2].Input[0] = "centered"
			return []string{fmt.Sprintf(`node %d "mean" (ReduceMean): op type ReduceMean is not supported`, i)}
		}},
		{"LayerNormalization", torch, mlp.Tanh, func(t *testing.T, g *onnxpb.GraphProto) []string {
			i, _ := nodeOf(t, g, "Tanh", 1)
			g.Node[i].OpType = proto.String("LayerNormalization")
			return []string{describe(i, g.Node[i]) + ": op type LayerNormalization is not supported"}
		}},
		{"two graph outputs", torch, mlp.Tanh, func(t *testing.T, g *onnxpb.GraphProto) []string {
			g.Output = append(g.Output, batchMatrix(g.Node[3].Output[0], 4, ""))
			return []string{"graph has 2 outputs, want 1"}
		}},
		{"mixed activations", mixed, mlp.SiLU, func(t *testing.T, g *onnxpb.GraphProto) []string {
			_, tanh := nodeOf(t, g, "Tanh", 0)
			_, neg := nodeOf(t, g, "Neg", 0)
			_, mul := nodeOf(t, g, "Mul", 0)
			return []string{tanh + " is tanh, but " + neg + " … " + mul + " is silu; want one activation for all hidden layers"}
		}},
		{"Cast that rounds the data", jax, mlp.Tanh, func(t *testing.T, g *onnxpb.GraphProto) []string {
			i, d := nodeOf(t, g, "Cast", 0)
			g.Node[i].Attribute[0].I = proto.Int64(int64(onnxpb.TensorProto_FLOAT))
			return []string{d + ` casts the data "` + g.Node[i].Input[0] + `" from DOUBLE to FLOAT, want the same type or FLOAT to DOUBLE`}
		}},
		{"Cast to an integer", jax, mlp.Tanh, func(t *testing.T, g *onnxpb.GraphProto) []string {
			i, d := nodeOf(t, g, "Cast", 0)
			g.Node[i].Attribute[0].I = proto.Int64(int64(onnxpb.TensorProto_INT32))
			return []string{d + " casts to INT32, want FLOAT, DOUBLE or INT64"}
		}},
		{"output left transposed", left, mlp.Tanh, func(t *testing.T, g *onnxpb.GraphProto) []string {
			i, _ := nodeOf(t, g, "Transpose", 1)
			removeNode(t, g, g.Node[i].GetName())
			return []string{"is computed as [1, batch] (transposed), but declared [batch, 1]"}
		}},
		{"MatMul with the weights first", jax, mlp.Tanh, func(t *testing.T, g *onnxpb.GraphProto) []string {
			i, d := nodeOf(t, g, "MatMul", 0)
			in := g.Node[i].Input
			in[0], in[1] = in[1], in[0]
			return []string{d + ` multiplies the data "` + in[1] + `" as B' of shape [batch 3], want [3 batch] (one column per sample, the weights as A)`}
		}},
		{"MatMul of the data by itself", jax, mlp.Tanh, func(t *testing.T, g *onnxpb.GraphProto) []string {
			i, d := nodeOf(t, g, "MatMul", 0)
			g.Node[i].Input[1] = g.Node[i].Input[0]
			return []string{d + " reads the data", "as A and B, want a constant weight matrix"}
		}},
		{"constant minus data", torch, mlp.Tanh, func(t *testing.T, g *onnxpb.GraphProto) []string {
			i, d := nodeOf(t, g, "Sub", 0)
			in := g.Node[i].Input
			in[0], in[1] = in[1], in[0]
			return []string{d + ` reads "input" as its second operand, want it as the first`}
		}},
		{"Constant with value_float", jax32, mlp.Tanh, func(t *testing.T, g *onnxpb.GraphProto) []string {
			i, d := nodeOf(t, g, "Constant", 1)
			a := g.Node[i].Attribute[0]
			a.Name, a.Type, a.T, a.F = proto.String("value_float"), onnxpb.AttributeProto_FLOAT.Enum(), nil, proto.Float32(1)
			return []string{d + ` has attribute "value_float", want only [value]`}
		}},
		{"constant that depends on itself", torch, mlp.Tanh, func(t *testing.T, g *onnxpb.GraphProto) []string {
			i, d := nodeOf(t, g, "Gemm", 0)
			w := g.Node[i].Input[1]
			g.Initializer = slices.DeleteFunc(g.Initializer, func(x *onnxpb.TensorProto) bool { return x.GetName() == w })
			n := len(g.Node)
			g.Node = append(g.Node,
				&onnxpb.NodeProto{Name: proto.String("a"), OpType: proto.String("Identity"), Input: []string{"loop"}, Output: []string{w}},
				&onnxpb.NodeProto{Name: proto.String("b"), OpType: proto.String("Identity"), Input: []string{w}, Output: []string{"loop"}})
			return []string{fmt.Sprintf(`%s reads %q, which is not a constant: node %d "a" (Identity) reads "loop", which is not a constant: node %d "b" (Identity) reads %q, which depends on itself`,
				d, w, n, n+1, w)}
		}},
		{"Sigmoid read by an Add", torch, mlp.SiLU, func(t *testing.T, g *onnxpb.GraphProto) []string {
			_, sig := nodeOf(t, g, "Sigmoid", 0)
			i, _ := nodeOf(t, g, "Mul", 0)
			g.Node[i].OpType = proto.String("Add")
			z, s := g.Node[i].Input[0], g.Node[i].Input[1]
			return []string{fmt.Sprintf(`%s: %s reads %q, want %q and %q, its sigmoid, read only by one Mul of the two (SiLU)`, sig, describe(i, g.Node[i]), z, z, s)}
		}},
		{"lone Sigmoid", torch, mlp.SiLU, func(t *testing.T, g *onnxpb.GraphProto) []string {
			_, sig := nodeOf(t, g, "Sigmoid", 0)
			i, _ := nodeOf(t, g, "Mul", 0)
			z, s := g.Node[i].Input[0], g.Node[i].Input[1]
			removeNode(t, g, g.Node[i].GetName())
			g.Node[i].Input[0] = s // the next Gemm
			return []string{fmt.Sprintf(`%s: %q has 1 readers, want %q and %q, its sigmoid, read only by one Mul`, sig, z, z, s)}
		}},
		{"SiLU adding 2", jax, mlp.SiLU, func(t *testing.T, g *onnxpb.GraphProto) []string {
			i, _ := nodeOf(t, g, "Exp", 0)
			add := g.Node[i+1]
			copy(findInit(t, g, add.Input[1]).RawData, binary.LittleEndian.AppendUint64(nil, math.Float64bits(2)))
			return []string{describe(i+1, add) + `: operand "` + add.Input[1] + `" of shape [] is not one`}
		}},
		{"SiLU with Exp read twice", jax, mlp.SiLU, func(t *testing.T, g *onnxpb.GraphProto) []string {
			_, neg := nodeOf(t, g, "Neg", 0)
			i, _ := nodeOf(t, g, "Exp", 0)
			e := g.Node[i].Output[0]
			g.Node = append(g.Node, &onnxpb.NodeProto{Name: proto.String("spy"), OpType: proto.String("Identity"), Input: []string{e}, Output: []string{"spy"}})
			return []string{neg + `: "` + e + `" has 2 readers, want Neg → Exp → Add(·, 1), then Div of z by it or Reciprocal and Mul`}
		}},
		{"SiLU with Div(d, 1)", jax, mlp.SiLU, func(t *testing.T, g *onnxpb.GraphProto) []string {
			doubleInit(g, "one_for_div", 1)
			i, _ := nodeOf(t, g, "Reciprocal", 0)
			g.Node[i].OpType, g.Node[i].Input = proto.String("Div"), []string{g.Node[i].Input[0], "one_for_div"}
			return []string{describe(i, g.Node[i]) + ` divides by "one_for_div", want by "` + g.Node[i].Input[0] + `", 1 + exp(−z) of SiLU`}
		}},
		{"Max(z, 1)", jax, mlp.ReLU, func(t *testing.T, g *onnxpb.GraphProto) []string {
			i, d := nodeOf(t, g, "Max", 0)
			copy(findInit(t, g, g.Node[i].Input[1]).RawData, binary.LittleEndian.AppendUint64(nil, math.Float64bits(1)))
			return []string{d + `: operand "` + g.Node[i].Input[1] + `" of shape [] is not zero, want Max(`}
		}},
		{"Transpose of weights with perm [0 2]", transposedW, mlp.Tanh, func(t *testing.T, g *onnxpb.GraphProto) []string {
			i, d := nodeOf(t, g, "Transpose", 0)
			g.Node[i].Attribute[0].Ints = []int64{0, 2}
			return []string{d + " has perm [0 2], want a permutation of the 2 axes of its input"}
		}},
		{"Reshape of weights to a wrong size", jax, mlp.Tanh, func(t *testing.T, g *onnxpb.GraphProto) []string {
			i, _ := nodeOf(t, g, "MatMul", 0)
			int64Init(g, "bad_shape", -1, 5)
			w := g.Node[i].Input[1]
			findInit(t, g, w).Name = proto.String("w_stored")
			g.Node = append([]*onnxpb.NodeProto{{Name: proto.String("w_reshape"), OpType: proto.String("Reshape"),
				Input: []string{"w_stored", "bad_shape"}, Output: []string{w}}}, g.Node...)
			return []string{`node 0 "w_reshape" (Reshape): shape [-1 5] cannot reshape a tensor of shape [3 4]`}
		}},
		{"Cast of an integer constant", torch, mlp.Tanh, func(t *testing.T, g *onnxpb.GraphProto) []string {
			i, _ := nodeOf(t, g, "Gemm", 0)
			b := g.Node[i].Input[2]
			findInit(t, g, b).Name = proto.String("b_int")
			int64Init(g, "b_int64", 1, 2, 3, 4)
			g.Initializer = slices.DeleteFunc(g.Initializer, func(x *onnxpb.TensorProto) bool { return x.GetName() == "b_int" })
			g.Node = append([]*onnxpb.NodeProto{{Name: proto.String("b_cast"), OpType: proto.String("Cast"),
				Input: []string{"b_int64"}, Output: []string{b}, Attribute: []*onnxpb.AttributeProto{intAttribute("to", 11)}}}, g.Node...)
			return []string{`node 0 "b_cast" (Cast) casts a constant from INT64 to DOUBLE, want FLOAT and DOUBLE cast to each other`}
		}},
		{"short float_data", jax32, mlp.Tanh, func(t *testing.T, g *onnxpb.GraphProto) []string {
			i, d := nodeOf(t, g, "Constant", 2)
			v := g.Node[i].Attribute[0].T
			v.FloatData = v.FloatData[1:]
			return []string{d + " attribute value of shape [3] has 2 values in float_data and no raw_data, want 3"}
		}},
		{"float weights in a float64 graph", torch, mlp.Tanh, func(t *testing.T, g *onnxpb.GraphProto) []string {
			i, d := nodeOf(t, g, "Gemm", 1)
			w := findInit(t, g, g.Node[i].Input[1])
			w.DataType, w.RawData, w.FloatData = proto.Int32(int32(onnxpb.TensorProto_FLOAT)), nil, make([]float32, 20)
			return []string{d + ` reads "` + w.GetName() + `" of data type FLOAT, want DOUBLE (the type of the data it meets)`}
		}},
	} {
		net := foreignNetwork(rand.New(rand.NewPCG(27, 28)), tc.e, 3, []int{4, 5}, tc.act)
		m := tc.e.model(net)
		if _, err := readModel(t, m); err != nil && tc.e.lastAct == "" {
			t.Fatalf("%s: the model before the change: %v", tc.name, err)
		}
		want := tc.mutate(t, m.Graph)
		checkRefused(t, tc.name, m, want)
	}
}
