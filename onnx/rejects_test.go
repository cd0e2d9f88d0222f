package onnx

import (
	"encoding/binary"
	"math"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/onnx/internal/onnxpb"
)

// readReject is a change to the model Save writes for a 3 → 4×2 network
// with activation act (see testModel) that Read must refuse with an error
// containing every text of want.
//
// Node order in the Tanh model: 0 normalize_sub, 1 normalize_div, 2 dense1,
// 3 tanh1, 4 dense2, 5 tanh2, 6 dense_out, 7 denormalize_mul, 8 denormalize_add.
type readReject struct {
	name   string
	act    mlp.Activation
	mutate func(t *testing.T, m *onnxpb.ModelProto)
	want   []string // substrings of the error
}

func TestReadRejects(t *testing.T) {
	for _, tc := range slices.Concat(readRejectsDense(), readRejectsTensors(), readRejectsGraph(),
		readRejectsActivations(), readRejectsModel()) {
		t.Run(tc.name, func(t *testing.T) {
			_, m := testModel(t, tc.act)
			tc.mutate(t, m)
			checkRefused(t, tc.name, m, tc.want)
		})
	}
}

// readRejectsDense returns the changes of the dense layers Read refuses: ops
// it does not read, and Gemms with weights, bias, attributes or operands it
// does not take.
func readRejectsDense() []readReject {
	return []readReject{
		{"unsupported op", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			nd := findNode(t, m.Graph, "tanh1")
			nd.OpType, nd.Name = proto.String("Conv"), proto.String("conv_a")
		}, []string{`node 3 "conv_a" (Conv)`, "op type Conv is not supported"}},
		{"first unsupported op in data-flow order", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			findNode(t, m.Graph, "tanh2").OpType = proto.String("Conv")
			findNode(t, m.Graph, "tanh1").OpType = proto.String("MaxPool")
		}, []string{`node 3 "tanh1" (MaxPool)`}},
		{"Gemm weight shape", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			w := findInit(t, m.Graph, "W2")
			w.Dims, w.RawData = []int64{4, 3}, w.RawData[:8*12]
		}, []string{`node 4 "dense2" (Gemm)`, `weight "W2" has shape [4 3], want [out 4]`}},
		{"Gemm bias shape", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			b := findInit(t, m.Graph, "b1")
			b.Dims, b.RawData = []int64{5}, append(b.RawData, make([]byte, 8)...)
		}, []string{`bias "b1" has shape [5], want [4]`}},
		{"Gemm bias as a column", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			findInit(t, m.Graph, "b1").Dims = []int64{4, 1}
		}, []string{`bias "b1" has shape [4 1], want [4], [1 4] or one value`}},
		{"Gemm transB 0", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			findNode(t, m.Graph, "dense1").Attribute[0].I = proto.Int64(0)
		}, []string{`node 2 "dense1" (Gemm): weight "W1" has shape [4 3], want [3 out] (in × out`}},
		{"Gemm transA 1", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			nd := findNode(t, m.Graph, "dense1")
			nd.Attribute = append(nd.Attribute, &onnxpb.AttributeProto{
				Name: proto.String("transA"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(1)})
		}, []string{`node 2 "dense1" (Gemm) multiplies the data "x_n" as A' of shape [3 batch], want [batch 3]`}},
		{"Gemm attribute type", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			findNode(t, m.Graph, "dense1").Attribute[0].Type = onnxpb.AttributeProto_FLOAT.Enum()
		}, []string{"attribute transB of type FLOAT, want INT"}},
		{"Gemm unknown attribute", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			nd := findNode(t, m.Graph, "dense1")
			nd.Attribute = append(nd.Attribute, &onnxpb.AttributeProto{Name: proto.String("broadcast")})
		}, []string{`has attribute "broadcast"`}},
		{"Gemm input as B", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			nd := findNode(t, m.Graph, "dense1")
			nd.Input[0], nd.Input[1] = nd.Input[1], nd.Input[0]
		}, []string{`node 2 "dense1" (Gemm): bias "b1" has shape [4], want [4 1] or one value`}},
		{"Gemm input as C", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			nd := findNode(t, m.Graph, "dense1")
			nd.Input[0], nd.Input[2] = nd.Input[2], nd.Input[0]
		}, []string{`node 2 "dense1" (Gemm) reads the data "x_n" as C, want it as A or B`}},
	}
}

// readRejectsTensors returns the element types and initializers Read
// refuses: types that differ from the data's, integers, missing, short or
// doubly stored data, huge and external tensors.
func readRejectsTensors() []readReject {
	return []readReject{
		{"float initializer", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			w := findInit(t, m.Graph, "W1")
			w.DataType, w.RawData, w.FloatData = proto.Int32(int32(onnxpb.TensorProto_FLOAT)), nil, make([]float32, 12)
		}, []string{`node 2 "dense1" (Gemm) reads "W1" of data type FLOAT, want DOUBLE`}},
		{"float input", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			m.Graph.Input[0].Type.GetTensorType().ElemType = proto.Int32(int32(onnxpb.TensorProto_FLOAT))
		}, []string{`node 0 "normalize_sub" (Sub) reads "x_mean" of data type DOUBLE, want FLOAT`}},
		{"integer input", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			m.Graph.Input[0].Type.GetTensorType().ElemType = proto.Int32(int32(onnxpb.TensorProto_INT64))
		}, []string{`graph input "x" has element type INT64, want FLOAT or DOUBLE`}},
		{"output type", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			m.Graph.Output[0].Type.GetTensorType().ElemType = proto.Int32(int32(onnxpb.TensorProto_FLOAT))
		}, []string{`graph output "y" is declared FLOAT, but the graph computes DOUBLE`}},
		{"integer initializer", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			w := findInit(t, m.Graph, "W1")
			w.DataType, w.RawData, w.Int32Data = proto.Int32(int32(onnxpb.TensorProto_INT32)), nil, make([]int32, 12)
		}, []string{`node 2 "dense1" (Gemm) reads "W1", which is not a constant this package reads: initializer "W1" has data type INT32, want FLOAT, DOUBLE or INT64`}},
		{"missing initializer", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			b1 := findInit(t, m.Graph, "b1")
			m.Graph.Initializer = slices.DeleteFunc(m.Graph.Initializer, func(x *onnxpb.TensorProto) bool { return x == b1 })
		}, []string{`node 2 "dense1" (Gemm) reads "b1", which is neither an initializer nor written by a node`}},
		{"short raw_data", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			w := findInit(t, m.Graph, "W1")
			w.RawData = w.RawData[:len(w.RawData)-1]
		}, []string{`initializer "W1" of shape [4 3] has 95 bytes of raw_data, want 96`}},
		{"short double_data", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			w := findInit(t, m.Graph, "W1")
			w.RawData, w.DoubleData = nil, make([]float64, 11)
		}, []string{`initializer "W1" of shape [4 3] has 11 values in double_data and no raw_data, want 12`}},
		{"raw_data and double_data", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			findInit(t, m.Graph, "W1").DoubleData = make([]float64, 12)
		}, []string{`initializer "W1" has both raw_data and double_data`}},
		{"huge dims", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			findInit(t, m.Graph, "W1").Dims = []int64{1 << 20, 1 << 20}
		}, []string{`initializer "W1" has dims [1048576 1048576]`}},
		{"external data", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			findInit(t, m.Graph, "W1").DataLocation = onnxpb.TensorProto_EXTERNAL.Enum()
		}, []string{`initializer "W1" is stored in an external file`}},
	}
}

// readRejectsGraph returns the graphs Read refuses for their structure:
// mixed activations, nodes off the path, values read or written twice,
// foreign domains and attributes, constant operands it does not take, and
// nodes out of order.
func readRejectsGraph() []readReject {
	return []readReject{
		{"mixed activations", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			findNode(t, m.Graph, "tanh2").OpType = proto.String("Relu")
		}, []string{`node 5 "tanh2" (Relu) is relu, but node 3 "tanh1" (Tanh) is tanh`}},
		{"node off the path", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			m.Graph.Node = append(m.Graph.Node, &onnxpb.NodeProto{Name: proto.String("stray"), OpType: proto.String("Relu"),
				Input: []string{"b1"}, Output: []string{"stray_out"}})
		}, []string{`node 9 "stray" (Relu) is not on the path from input "x" to output "y"`}},
		{"value read twice", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			m.Graph.Node = append(m.Graph.Node, &onnxpb.NodeProto{Name: proto.String("branch"), OpType: proto.String("Relu"),
				Input: []string{"z1"}, Output: []string{"branch_out"}})
		}, []string{`value "z1" is read by 2 nodes (node 3 "tanh1" (Tanh), node 9 "branch" (Relu)), want 1`}},
		{"output not reached", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			m.Graph.Output[0].Name = proto.String("y2")
		}, []string{`value "y" is read by no node and is not the graph output "y2"`}},
		{"two writers", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			findNode(t, m.Graph, "dense2").Output[0] = "z1"
		}, []string{`node 2 "dense1" (Gemm) and node 4 "dense2" (Gemm) both write "z1"`}},
		{"node writes an initializer", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			findNode(t, m.Graph, "tanh1").Output[0] = "W2"
		}, []string{`node 3 "tanh1" (Tanh) writes "W2", which is a graph input or initializer`}},
		{"two outputs", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			nd := findNode(t, m.Graph, "tanh1")
			nd.Output = append(nd.Output, "extra")
		}, []string{`node 3 "tanh1" (Tanh) has outputs ["a1" "extra"], want one`}},
		{"custom domain", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			findNode(t, m.Graph, "tanh1").Domain = proto.String("com.example")
		}, []string{`node 3 "tanh1" (Tanh) is in domain "com.example"`}},
		{"activation attribute", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			findNode(t, m.Graph, "tanh1").Attribute = []*onnxpb.AttributeProto{{Name: proto.String("alpha")}}
		}, []string{`node 3 "tanh1" (Tanh) has attribute "alpha", want only []`}},
		{"constant operand shape", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			c := findInit(t, m.Graph, "x_mean")
			c.Dims, c.RawData = []int64{2}, c.RawData[:16]
		}, []string{`node 0 "normalize_sub" (Sub): operand "x_mean" has shape [2], want [3], [1 3] or one value`}},
		{"constant operand first", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			nd := findNode(t, m.Graph, "normalize_div")
			nd.Input[0], nd.Input[1] = nd.Input[1], nd.Input[0]
		}, []string{`node 1 "normalize_div" (Div) reads "x_centered" as its second operand`}},
		{"Div before Sub", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			sub, div := findNode(t, m.Graph, "normalize_sub"), findNode(t, m.Graph, "normalize_div")
			sub.OpType, sub.Input[1], div.OpType, div.Input[1] = proto.String("Div"), "x_scale", proto.String("Sub"), "x_mean"
		}, []string{`node 1 "normalize_div" (Sub) found where a dense layer (Gemm or MatMul) is expected`}},
		{"activation after the output layer", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			findNode(t, m.Graph, "denormalize_add").OpType = proto.String("Tanh")
			findNode(t, m.Graph, "denormalize_add").Input = []string{"y_scaled"}
		}, []string{`node 8 "denormalize_add" (Tanh) found after the output layer, want the graph output`}},
		{"two activations in a row", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			removeNode(t, m.Graph, "dense2")
		}, []string{`node 4 "tanh2" (Tanh) found where a dense layer (Gemm or MatMul) is expected`}},
		{"activation after the output", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			m.Graph.Node = append(m.Graph.Node, &onnxpb.NodeProto{Name: proto.String("post"), OpType: proto.String("Relu"),
				Input: []string{"y"}, Output: []string{"y2"}})
			m.Graph.Output[0].Name = proto.String("y2")
		}, []string{`node 9 "post" (Relu) found after the output layer, want the graph output`}},
	}
}

// readRejectsActivations returns the broken SiLU and Softplus patterns Read
// refuses.
func readRejectsActivations() []readReject {
	return []readReject{
		{"SiLU Div replaced by Add", mlp.SiLU, func(t *testing.T, m *onnxpb.ModelProto) {
			findNode(t, m.Graph, "silu1_div").OpType = proto.String("Add")
		}, []string{`node 3 "silu1_neg" (Neg): node 6 "silu1_div" (Add) reads "silu_den1", want Neg → Exp → Add(·, 1), then Div of z by it`}},
		{"SiLU Div with two outputs", mlp.SiLU, func(t *testing.T, m *onnxpb.ModelProto) {
			nd := findNode(t, m.Graph, "silu1_div")
			nd.Output = append(nd.Output, "extra")
		}, []string{`node 6 "silu1_div" (Div) has outputs ["a1" "extra"], want one`}},
		{"SiLU Div without outputs", mlp.SiLU, func(t *testing.T, m *onnxpb.ModelProto) {
			findNode(t, m.Graph, "silu1_div").Output = nil
		}, []string{`node 6 "silu1_div" (Div) has outputs [], want one`}},
		{"SiLU Div read twice", mlp.SiLU, func(t *testing.T, m *onnxpb.ModelProto) {
			findNode(t, m.Graph, "silu1_div").Input[1] = "z1"
		}, []string{`node 3 "silu1_neg" (Neg): "silu_den1" has 0 readers`}},
		{"SiLU Add of 2", mlp.SiLU, func(t *testing.T, m *onnxpb.ModelProto) {
			copy(findInit(t, m.Graph, "one").RawData, binary.LittleEndian.AppendUint64(nil, math.Float64bits(2)))
		}, []string{`node 5 "silu1_add" (Add): operand "one" of shape [] is not one`}},
		{"SiLU dividing something else", mlp.SiLU, func(t *testing.T, m *onnxpb.ModelProto) {
			findNode(t, m.Graph, "silu1_div").Input[0] = "one"
		}, []string{`node 3 "silu1_neg" (Neg): "z1" has 1 readers, want "z1" and "a1", its sigmoid, read only by one Mul of the two (SiLU)`}},
		{"Softplus without Log", mlp.Softplus, func(t *testing.T, m *onnxpb.ModelProto) {
			findNode(t, m.Graph, "softplus1_log").OpType = proto.String("Exp")
		}, []string{`node 4 "softplus1_abs" (Abs): node 8 "softplus1_log" (Exp) reads "softplus_sum1", want Add(Relu(z), Log(Add(Exp(Neg(Abs(z))), 1))), Softplus written out`}},
		{"Softplus without Relu", mlp.Softplus, func(t *testing.T, m *onnxpb.ModelProto) {
			findNode(t, m.Graph, "softplus1_relu").OpType = proto.String("Tanh")
		}, []string{`node 4 "softplus1_abs" (Abs): node 3 "softplus1_relu" (Tanh) reads "z1", want Add(Relu(z)`}},
		{"Softplus Abs alone", mlp.Softplus, func(t *testing.T, m *onnxpb.ModelProto) {
			findNode(t, m.Graph, "softplus1_relu").Input[0] = "one"
		}, []string{`node 4 "softplus1_abs" (Abs): "z1" has 1 readers, want Add(Relu(z)`}},
		{"Softplus sum of something else", mlp.Softplus, func(t *testing.T, m *onnxpb.ModelProto) {
			findNode(t, m.Graph, "softplus1_out").Input[0] = "softplus_log1"
		}, []string{`node 4 "softplus1_abs" (Abs): node 9 "softplus1_out" (Add) adds ["softplus_log1" "softplus_log1"], want the sum of "softplus_pos1" and "softplus_log1"`}},
		{"Softplus Add of 2", mlp.Softplus, func(t *testing.T, m *onnxpb.ModelProto) {
			copy(findInit(t, m.Graph, "one").RawData, binary.LittleEndian.AppendUint64(nil, math.Float64bits(2)))
		}, []string{`node 7 "softplus1_add" (Add): operand "one" of shape [] is not one`}},
	}
}

// readRejectsModel returns the graph inputs and outputs, opsets, IR
// versions, metadata and parameter values Read refuses.
func readRejectsModel() []readReject {
	return []readReject{
		{"output width", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			m.Graph.Output[0].Type.GetTensorType().Shape.Dim[1].Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: 2}
		}, []string{`graph output "y" has width 2, want 1`}},
		{"input rank", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			tt := m.Graph.Input[0].Type.GetTensorType()
			tt.Shape.Dim = append(tt.Shape.Dim, &onnxpb.TensorShapeProto_Dimension{})
		}, []string{`graph input "x" has shape [batch 3 ?], want [batch, width]`}},
		{"symbolic input width", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			m.Graph.Input[0].Type.GetTensorType().Shape.Dim[1].Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "n"}
		}, []string{`graph input "x" has shape [batch n], want [batch, width] with a fixed width`}},
		{"input without shape", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			m.Graph.Input[0].Type.GetTensorType().Shape = nil
		}, []string{`graph input "x" has shape none`}},
		{"input without name", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			m.Graph.Input[0].Name = nil
		}, []string{"graph input has no name"}},
		{"input not a tensor", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			m.Graph.Input[0].Type = nil
		}, []string{`graph input "x" is not a tensor`}},
		{"two inputs", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			m.Graph.Input = append(m.Graph.Input, batchMatrix("t", 1, ""))
		}, []string{"graph has 2 inputs that are not initializers, want 1"}},
		{"no output", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			m.Graph.Output = nil
		}, []string{"graph has 0 outputs, want 1"}},
		{"duplicate initializer", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			m.Graph.Initializer = append(m.Graph.Initializer, findInit(t, m.Graph, "b2"))
		}, []string{`initializer "b2" appears twice`}},
		{"opset 6", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			m.OpsetImport[0].Version = proto.Int64(6)
		}, []string{"default-domain opset is 6, want 7 to 23"}},
		{"no default opset", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			m.OpsetImport[0].Domain = proto.String("ai.onnx.ml")
		}, []string{"opset_import has no default domain"}},
		{"default opset twice", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			m.OpsetImport = append(m.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: proto.String("ai.onnx"), Version: proto.Int64(17)})
		}, []string{"opset_import lists the default domain twice"}},
		{"no ir_version", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			m.IrVersion = nil
		}, []string{"ir_version is 0, want 3 or more"}},
		{"no graph", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			m.Graph = nil
		}, []string{"model has no graph"}},
		{"metadata disagrees", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			m.MetadataProps[2].Value = proto.String("4")
		}, []string{`metadata_props "hidden_widths" is "4", but the graph gives "4,4"`}},
		{"metadata activation disagrees", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			m.MetadataProps[0].Value = proto.String("relu")
		}, []string{`metadata_props "activation" is "relu", but the graph gives "tanh"`}},
		{"metadata activation unknown", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			m.MetadataProps[0].Value = proto.String("gelu")
		}, []string{`metadata_props "activation": unknown activation "gelu"`}},
		{"metadata missing", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			m.MetadataProps = m.MetadataProps[:1]
		}, []string{`metadata_props has no "inputs", which producer "sobolev" always writes`}},
		{"NaN weight", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			w := findInit(t, m.Graph, "W1")
			copy(w.RawData, []byte{0, 0, 0, 0, 0, 0, 0xf8, 0x7f})
		}, []string{"mlp: parameter 0 is NaN"}},
		{"zero input scale", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto) {
			copy(findInit(t, m.Graph, "x_scale").RawData, make([]byte, 8))
		}, []string{"mlp: input 0 normalisation", "want finite mean and positive scale"}},
	}
}
