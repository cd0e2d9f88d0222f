package onnx

import (
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

// foreignReject is a change to a foreign graph of exporter e for a
// 3 → 4 → 5 → 1 network with activation act that Read must refuse: mutate
// makes it and returns substrings of the error.
type foreignReject struct {
	name   string
	e      exporter
	act    mlp.Activation
	mutate func(t *testing.T, g *onnxpb.GraphProto) []string // returns substrings of the error
}

func TestReadForeignRejects(t *testing.T) {
	for _, tc := range slices.Concat(foreignRejectsDataPath(), foreignRejectsLayers(), foreignRejectsConstants()) {
		t.Run(tc.name, func(t *testing.T) { checkForeignReject(t, tc) })
	}
}

// checkForeignReject checks that Read reads the graph of tc (unless it has
// mixed activations) and refuses it once changed.
func checkForeignReject(t *testing.T, tc foreignReject) {
	net := foreignNetwork(rand.New(rand.NewPCG(27, 28)), tc.e, 3, []int{4, 5}, tc.act)
	m := tc.e.model(net)
	if _, err := readModel(t, m); err != nil && tc.e.lastAct == "" {
		t.Fatalf("%s: the model before the change: %v", tc.name, err)
	}
	want := tc.mutate(t, m.Graph)
	checkRefused(t, tc.name, m, want)
}

// foreignRejectsDataPath returns the changes of the data path Read refuses:
// ops it does not read, Reshapes that move data, more than one output, and
// Casts that round or leave floating point.
func foreignRejectsDataPath() []foreignReject {
	torch, jax, _, _ := foreignBases()
	return []foreignReject{
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
	}
}

// foreignRejectsLayers returns the changes of the layers Read refuses: mixed
// activations, an output left transposed, dense layers that do not multiply
// the data by constant weights, and broken SiLU and ReLU patterns.
func foreignRejectsLayers() []foreignReject {
	torch, jax, _, left := foreignBases()
	mixed := jax
	mixed.lastAct = "tanh"
	return []foreignReject{
		{"mixed activations", mixed, mlp.SiLU, func(t *testing.T, g *onnxpb.GraphProto) []string {
			_, tanh := nodeOf(t, g, "Tanh", 0)
			_, neg := nodeOf(t, g, "Neg", 0)
			_, mul := nodeOf(t, g, "Mul", 0)
			return []string{tanh + " is tanh, but " + neg + " … " + mul + " is silu; want one activation for all hidden layers"}
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
	}
}

// foreignRejectsConstants returns the changes of the constants Read refuses:
// Constant attributes other than value, constants that depend on
// themselves, bad Transposes, Reshapes and Casts of constants, short data
// and weights of the wrong type.
func foreignRejectsConstants() []foreignReject {
	torch, jax, jax32, _ := foreignBases()
	transposedW := torch
	transposedW.dense = "matmulT"
	return []foreignReject{
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
	}
}
