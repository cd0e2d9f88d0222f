package onnx

import (
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

// This file checks that Read turns the graphs foreign_export_test.go writes,
// as PyTorch and JAX write them, into the network written, also after
// changes that keep them an MLP; foreign_rejects_test.go checks that it
// refuses what is not an MLP.

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

// foreignVariant is a change to a foreign graph of exporter e for a
// 3 → 4 → 5 → 1 network with activation act that Read must accept: it must
// read back the network want, which mutate updates to the change.
type foreignVariant struct {
	name   string
	e      exporter
	act    mlp.Activation
	mutate func(t *testing.T, g *onnxpb.GraphProto, want *mlp.Network)
}

func TestReadForeignVariants(t *testing.T) {
	for _, tc := range slices.Concat(foreignOpVariants(), foreignWeightVariants()) {
		t.Run(tc.name, func(t *testing.T) { checkForeignVariant(t, tc) })
	}
}

// checkForeignVariant checks that Read reads the graph of tc, changed, back
// as the network written, and that it computes what the graph does.
func checkForeignVariant(t *testing.T, tc foreignVariant) {
	want := foreignNetwork(rand.New(rand.NewPCG(25, 26)), tc.e, 3, []int{4, 5}, tc.act)
	m := tc.e.model(want)
	tc.mutate(t, m.Graph, want)
	got, err := readModel(t, m)
	if err != nil {
		t.Errorf("%s: %v", tc.name, err)
		return
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

// foreignOpVariants returns the variants of the data path's ops: Reshape to
// the same shape, Gemm without bias, Reciprocal as a Div, Max(0, z) and a
// widening Cast.
func foreignOpVariants() []foreignVariant {
	torch, jax, jax32, _ := foreignBases()
	return []foreignVariant{
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
	}
}

// foreignWeightVariants returns the variants of how the weights are stored
// and multiplied: through Reshape, Identity and Cast, transposed by a node,
// and a Gemm that takes the transposed data as B.
func foreignWeightVariants() []foreignVariant {
	_, jax, _, left := foreignBases()
	return []foreignVariant{
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
	}
}
