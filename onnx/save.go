package onnx

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/sobolev-pruning/sobolev/internal/atomicfile"
	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/onnx/internal/onnxpb"
)

// The versions Save writes.
const (
	irVersion    = 8  // ONNX IR version of ONNX 1.12
	opsetVersion = 17 // default-domain opset of ONNX 1.12
	producer     = "sobolev"
)

// Keys of the metadata_props Save writes.
const (
	metaActivation = "activation"    // net.Act.String(), e.g. "silu"
	metaInputs     = "inputs"        // the number of inputs, e.g. "7"
	metaHidden     = "hidden_widths" // the hidden widths, comma separated, e.g. "8,8,8"; "" for none
)

// Save writes net to the file at path as an ONNX model (see the package
// documentation for the graph). The file is replaced atomically: the model
// goes to a temporary file in the same directory, which is synced and renamed
// over path. On any error the temporary file is removed and a file already at
// path is left as it was.
//
// Save returns an error, and writes nothing, if net.Validate fails or net.Act
// is not one of the Activation constants.
func Save(path string, net *mlp.Network) error {
	data, err := marshal(net)
	if err != nil {
		return fmt.Errorf("onnx: %s: %w", path, err)
	}
	err = atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		return fmt.Errorf("onnx: %w", err)
	}
	return nil
}

// Write writes net to w as an ONNX model, the bytes Save puts in a file.
// Write returns an error, and writes nothing, if net.Validate fails or net.Act
// is not one of the Activation constants.
func Write(w io.Writer, net *mlp.Network) error {
	data, err := marshal(net)
	if err != nil {
		return fmt.Errorf("onnx: %w", err)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("onnx: %w", err)
	}
	return nil
}

// marshal returns the serialised model of net. The encoding is deterministic:
// equal networks give equal bytes.
func marshal(net *mlp.Network) ([]byte, error) {
	if err := checkNet(net); err != nil {
		return nil, err
	}
	return proto.MarshalOptions{Deterministic: true}.Marshal(model(net))
}

// checkNet reports a network the graphs cannot be written for: one that
// fails Validate or whose activation is not one of the Activation constants.
func checkNet(net *mlp.Network) error {
	if err := net.Validate(); err != nil {
		return err
	}
	switch net.Act { // Validate does not check Act
	case mlp.SiLU, mlp.Softplus, mlp.Tanh, mlp.ReLU:
		return nil
	}
	return fmt.Errorf("network has activation %v, want silu, softplus, tanh or relu", net.Act)
}

// model returns the ONNX model of net: the graph of the package documentation,
// with the weights first among the initializers, in the order of net.Params.Flat.
func model(net *mlp.Network) *onnxpb.ModelProto {
	g := forwardGraph(net)
	return wrapModel(net, g, "Neural surrogate of a pricer, trained with derivatives (Sobolev training); maps raw inputs x to the raw output y.")
}

// wrapModel returns the model of the graph g of net, with doc as its
// description and net's architecture in the metadata.
func wrapModel(net *mlp.Network, g *onnxpb.GraphProto, doc string) *onnxpb.ModelProto {
	return &onnxpb.ModelProto{
		IrVersion:    proto.Int64(irVersion),
		OpsetImport:  []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(opsetVersion)}},
		ProducerName: proto.String(producer),
		DocString:    proto.String(doc),
		Graph:        g,
		MetadataProps: []*onnxpb.StringStringEntryProto{
			{Key: proto.String(metaActivation), Value: proto.String(net.Act.String())},
			{Key: proto.String(metaInputs), Value: proto.String(strconv.Itoa(net.Inputs()))},
			{Key: proto.String(metaHidden), Value: proto.String(formatWidths(net.Hidden()))},
		},
	}
}

// addNode appends to g a node of type op named name that reads in and writes
// out, and returns it.
func addNode(g *onnxpb.GraphProto, name, op, doc, out string, in ...string) *onnxpb.NodeProto {
	nd := &onnxpb.NodeProto{
		Name:      proto.String(name),
		OpType:    proto.String(op),
		Input:     in,
		Output:    []string{out},
		DocString: proto.String(doc),
	}
	g.Node = append(g.Node, nd)
	return nd
}

// forwardGraph returns the graph of net's value: input x [batch, n], the
// initializers, the forward pass of method.md §3 (pre-activations z1…zL,
// activations a1…aL) and output y [batch, 1].
func forwardGraph(net *mlp.Network) *onnxpb.GraphProto {
	n, L := net.Inputs(), net.Layers()
	g := &onnxpb.GraphProto{
		Name: proto.String("sobolev_mlp"),
		DocString: proto.String(fmt.Sprintf(
			"Dense MLP, %d inputs, hidden widths %v, activation %v: y = y_mean + y_scale·MLP((x − x_mean)/x_scale)",
			n, net.Hidden(), net.Act)),
		Input:  []*onnxpb.ValueInfoProto{batchMatrix("x", n, "raw inputs, one row per sample")},
		Output: []*onnxpb.ValueInfoProto{batchMatrix("y", 1, "raw output, one row per sample")},
	}
	for l := range net.Params.W {
		wName, bName := "W_out", "b_out"
		if l < L {
			wName, bName = fmt.Sprintf("W%d", l+1), fmt.Sprintf("b%d", l+1)
		}
		g.Initializer = append(g.Initializer,
			doubles(wName, net.Params.W[l], net.Sizes[l+1], net.Sizes[l]),
			doubles(bName, net.Params.B[l], net.Sizes[l+1]))
	}
	g.Initializer = append(g.Initializer,
		doubles("x_mean", net.Norm.XMean, n),
		doubles("x_scale", net.Norm.XScale, n),
		doubles("y_scale", []float64{net.Norm.YScale}, 1),
		doubles("y_mean", []float64{net.Norm.YMean}, 1))
	if L > 0 && (net.Act == mlp.SiLU || net.Act == mlp.Softplus) {
		g.Initializer = append(g.Initializer, doubles("one", []float64{1}))
	}

	add := func(name, op, doc, out string, in ...string) *onnxpb.NodeProto {
		return addNode(g, name, op, doc, out, in...)
	}
	add("normalize_sub", "Sub", "x − x_mean", "x_centered", "x", "x_mean")
	add("normalize_div", "Div", "x_n = (x − x_mean)/x_scale", "x_n", "x_centered", "x_scale")
	a := "x_n"
	for l := 1; l <= L; l++ {
		z := fmt.Sprintf("z%d", l)
		dense := add(fmt.Sprintf("dense%d", l), "Gemm",
			fmt.Sprintf("hidden layer %d: %s = a%d·W%dᵀ + b%d", l, z, l-1, l, l),
			z, a, fmt.Sprintf("W%d", l), fmt.Sprintf("b%d", l))
		dense.Attribute = []*onnxpb.AttributeProto{transB()}
		a = fmt.Sprintf("a%d", l)
		v := func(name string) string { return fmt.Sprintf("%s%d", name, l) }
		switch net.Act {
		case mlp.SiLU:
			add(v("silu")+"_neg", "Neg", "SiLU, part 1: −z", v("silu_neg"), z)
			add(v("silu")+"_exp", "Exp", "SiLU, part 2: exp(−z)", v("silu_exp"), v("silu_neg"))
			add(v("silu")+"_add", "Add", "SiLU, part 3: 1 + exp(−z)", v("silu_den"), v("silu_exp"), "one")
			add(v("silu")+"_div", "Div", "SiLU, part 4: z/(1 + exp(−z)) = z·sigmoid(z)", a, z, v("silu_den"))
		case mlp.Softplus:
			add(v("softplus")+"_relu", "Relu", "Softplus, part 1: max(z, 0)", v("softplus_pos"), z)
			add(v("softplus")+"_abs", "Abs", "Softplus, part 2: |z|", v("softplus_abs"), z)
			add(v("softplus")+"_neg", "Neg", "Softplus, part 3: −|z|", v("softplus_neg"), v("softplus_abs"))
			add(v("softplus")+"_exp", "Exp", "Softplus, part 4: exp(−|z|)", v("softplus_exp"), v("softplus_neg"))
			add(v("softplus")+"_add", "Add", "Softplus, part 5: 1 + exp(−|z|)", v("softplus_sum"), v("softplus_exp"), "one")
			add(v("softplus")+"_log", "Log", "Softplus, part 6: log(1 + exp(−|z|))", v("softplus_log"), v("softplus_sum"))
			add(v("softplus")+"_out", "Add", "Softplus, part 7: max(z, 0) + log(1 + exp(−|z|)) = log(1 + exp(z))", a, v("softplus_pos"), v("softplus_log"))
		case mlp.Tanh:
			add(fmt.Sprintf("tanh%d", l), "Tanh", "tanh(z)", a, z)
		case mlp.ReLU:
			add(fmt.Sprintf("relu%d", l), "Relu", "max(z, 0)", a, z)
		}
	}
	out := add("dense_out", "Gemm", fmt.Sprintf("output layer: y_n = a%d·W_outᵀ + b_out", L),
		"y_n", a, "W_out", "b_out")
	out.Attribute = []*onnxpb.AttributeProto{transB()}
	add("denormalize_mul", "Mul", "y_n·y_scale", "y_scaled", "y_n", "y_scale")
	add("denormalize_add", "Add", "y = y_mean + y_scale·y_n", "y", "y_scaled", "y_mean")

	return g
}

// formatWidths returns the widths separated by commas, e.g. "8,8,8".
func formatWidths(widths []int) string {
	s := make([]string, len(widths))
	for i, w := range widths {
		s[i] = strconv.Itoa(w)
	}
	return strings.Join(s, ",")
}

// transB returns the Gemm attribute transB = 1: B is stored as (out, in).
func transB() *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{
		Name: proto.String("transB"),
		Type: onnxpb.AttributeProto_INT.Enum(),
		I:    proto.Int64(1),
	}
}

// doubles returns a DOUBLE initializer with the given dims, its data as
// little-endian float64 in raw_data.
func doubles(name string, data []float64, dims ...int) *onnxpb.TensorProto {
	raw := make([]byte, 0, 8*len(data))
	for _, v := range data {
		raw = binary.LittleEndian.AppendUint64(raw, math.Float64bits(v))
	}
	d := make([]int64, len(dims))
	for i, v := range dims {
		d[i] = int64(v)
	}
	return &onnxpb.TensorProto{
		Name:     proto.String(name),
		Dims:     d,
		DataType: proto.Int32(int32(onnxpb.TensorProto_DOUBLE)),
		RawData:  raw,
	}
}

// batchMatrix returns the value info of a DOUBLE tensor of shape [batch, width]
// with a symbolic batch dimension.
func batchMatrix(name string, width int, doc string) *onnxpb.ValueInfoProto {
	return batchTensor(name, doc, width)
}

// batchTensor returns the value info of a DOUBLE tensor of shape
// [batch, dims…] with a symbolic batch dimension.
func batchTensor(name, doc string, dims ...int) *onnxpb.ValueInfoProto {
	shape := []*onnxpb.TensorShapeProto_Dimension{{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "batch"}}}
	for _, d := range dims {
		shape = append(shape, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}})
	}
	return &onnxpb.ValueInfoProto{
		Name: proto.String(name),
		Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: proto.Int32(int32(onnxpb.TensorProto_DOUBLE)),
			Shape:    &onnxpb.TensorShapeProto{Dim: shape},
		}}},
		DocString: proto.String(doc),
	}
}
