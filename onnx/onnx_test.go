package onnx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/onnx/internal/onnxpb"
)

// sameBits reports whether a and b hold the same float64 bit patterns.
func sameBits(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
}

// sameNetwork returns "" if got equals want bit for bit, else what differs.
func sameNetwork(got, want *mlp.Network) string {
	switch {
	case !slices.Equal(got.Sizes, want.Sizes):
		return fmt.Sprintf("sizes %v, want %v", got.Sizes, want.Sizes)
	case got.Act != want.Act:
		return fmt.Sprintf("activation %v, want %v", got.Act, want.Act)
	case !sameBits(got.Params.Flat, want.Params.Flat):
		return "parameters differ"
	case !sameBits(got.Norm.XMean, want.Norm.XMean) || !sameBits(got.Norm.XScale, want.Norm.XScale) ||
		!sameBits([]float64{got.Norm.YMean, got.Norm.YScale}, []float64{want.Norm.YMean, want.Norm.YScale}):
		return fmt.Sprintf("normalisation %+v, want %+v", got.Norm, want.Norm)
	}
	off := 0
	for l := range got.Params.W { // W[l] and B[l] must be views into Flat
		p := got.Params
		if &p.W[l][0] != &p.Flat[off] || &p.B[l][0] != &p.Flat[off+len(p.W[l])] {
			return fmt.Sprintf("W[%d] or B[%d] is not a view into Flat at offset %d", l, l, off)
		}
		off += len(p.W[l]) + len(p.B[l])
	}
	return ""
}

func TestSaveLoadRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	dir := t.TempDir()
	for _, sh := range testShapes() {
		for _, act := range testActs() {
			net := randomNetwork(rng, sh.inputs, sh.hidden, act)
			path := filepath.Join(dir, fmt.Sprintf("m-%d-%d-%v.onnx", sh.inputs, len(sh.hidden), act))
			if err := Save(path, net); err != nil {
				t.Fatal(err)
			}
			got, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if d := sameNetwork(got, net); d != "" {
				t.Errorf("%s: loaded network: %s", path, d)
			}
			for range 3 {
				x := make([]float64, sh.inputs)
				for j := range x {
					x[j] = rng.NormFloat64()
				}
				if a, b := forward(got, x), forward(net, x); math.Float64bits(a) != math.Float64bits(b) {
					t.Errorf("%s: loaded network gives %v at %v, saved one %v", path, a, x, b)
				}
			}
		}
	}
}

func TestReadTruncated(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, sh := range []shape{{7, []int{6, 6, 6, 6, 6, 6, 6, 6}}, {2, nil}} {
		data := mustMarshal(t, randomNetwork(rng, sh.inputs, sh.hidden, mlp.SiLU))
		if _, err := Read(bytes.NewReader(data)); err != nil {
			t.Fatalf("whole file: %v", err)
		}
		for cut := range len(data) { // every proper prefix, including the empty file
			_, err := Read(bytes.NewReader(data[:cut]))
			if err == nil {
				t.Fatalf("%v: the first %d of %d bytes load without error", sh, cut, len(data))
			}
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("%v: the first %d of %d bytes: error %v does not match ErrFormat", sh, cut, len(data), err)
			}
		}
	}
}

func TestReadByteFlips(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	data := mustMarshal(t, randomNetwork(rng, 3, []int{4, 4}, mlp.Tanh))
	loaded := 0
	for range 5000 {
		bad := slices.Clone(data)
		for range 1 + rng.IntN(3) {
			bad[rng.IntN(len(bad))] ^= byte(1 + rng.IntN(255))
		}
		net, err := Read(bytes.NewReader(bad)) // a panic fails the test
		switch {
		case err != nil && !errors.Is(err, ErrFormat):
			t.Fatalf("error %v does not match ErrFormat", err)
		case err == nil:
			loaded++
			if verr := net.Validate(); verr != nil {
				t.Fatalf("a corrupt file loads as an invalid network: %v", verr)
			}
		}
	}
	t.Logf("%d of 5000 corrupted files load (flips in weights or doc strings)", loaded)
}

// findNode returns the node of g named name.
func findNode(t *testing.T, g *onnxpb.GraphProto, name string) *onnxpb.NodeProto {
	t.Helper()
	for _, nd := range g.GetNode() {
		if nd.GetName() == name {
			return nd
		}
	}
	t.Fatalf("no node %q", name)
	return nil
}

// findInit returns the initializer of g named name.
func findInit(t *testing.T, g *onnxpb.GraphProto, name string) *onnxpb.TensorProto {
	t.Helper()
	for _, init := range g.GetInitializer() {
		if init.GetName() == name {
			return init
		}
	}
	t.Fatalf("no initializer %q", name)
	return nil
}

// removeNode deletes the node named name and makes its readers read its input.
func removeNode(t *testing.T, g *onnxpb.GraphProto, name string) {
	t.Helper()
	nd := findNode(t, g, name)
	g.Node = slices.DeleteFunc(g.Node, func(n *onnxpb.NodeProto) bool { return n == nd })
	for _, n := range g.Node {
		for k, in := range n.Input {
			if in == nd.Output[0] {
				n.Input[k] = nd.Input[0]
			}
		}
	}
}

// testModel returns the model Save writes for a 3 → 4×2 network with activation act.
func testModel(t *testing.T, act mlp.Activation) (*mlp.Network, *onnxpb.ModelProto) {
	t.Helper()
	net := randomNetwork(rand.New(rand.NewPCG(9, 10)), 3, []int{4, 4}, act)
	var m onnxpb.ModelProto
	if err := proto.Unmarshal(mustMarshal(t, net), &m); err != nil {
		t.Fatal(err)
	}
	return net, &m
}

// readModel serialises m and reads it back.
func readModel(t *testing.T, m *onnxpb.ModelProto) (*mlp.Network, error) {
	t.Helper()
	data, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return Read(bytes.NewReader(data))
}

// checkRefused checks that Read refuses m with an error that matches
// ErrFormat and contains every text of want.
func checkRefused(t *testing.T, name string, m *onnxpb.ModelProto, want []string) {
	t.Helper()
	_, err := readModel(t, m)
	if err == nil {
		t.Errorf("%s: no error", name)
		return
	}
	if !errors.Is(err, ErrFormat) {
		t.Errorf("%s: error %q does not match ErrFormat", name, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: error %q does not contain %q", name, err, w)
		}
	}
}

func TestReadRejects(t *testing.T) {
	// Node order in the Tanh model: 0 normalize_sub, 1 normalize_div, 2 dense1,
	// 3 tanh1, 4 dense2, 5 tanh2, 6 dense_out, 7 denormalize_mul, 8 denormalize_add.
	for _, tc := range []struct {
		name   string
		act    mlp.Activation
		mutate func(t *testing.T, m *onnxpb.ModelProto)
		want   []string // substrings of the error
	}{
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
	} {
		_, m := testModel(t, tc.act)
		tc.mutate(t, m)
		checkRefused(t, tc.name, m, tc.want)
	}
}

func TestReadAccepts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		act    mlp.Activation
		mutate func(t *testing.T, m *onnxpb.ModelProto, want *mlp.Network)
	}{
		{"double_data", mlp.SiLU, func(t *testing.T, m *onnxpb.ModelProto, _ *mlp.Network) {
			for _, init := range m.Graph.Initializer {
				v, err := initializerValue(init)
				if err != nil {
					t.Fatal(err)
				}
				init.RawData, init.DoubleData = nil, v.data
			}
		}},
		{"initializers as graph inputs (IR version 3)", mlp.Softplus, func(t *testing.T, m *onnxpb.ModelProto, _ *mlp.Network) {
			m.IrVersion = proto.Int64(3)
			for _, init := range m.Graph.Initializer {
				m.Graph.Input = append(m.Graph.Input, &onnxpb.ValueInfoProto{Name: init.Name})
			}
		}},
		{"no normalisation nodes", mlp.ReLU, func(t *testing.T, m *onnxpb.ModelProto, want *mlp.Network) {
			for _, name := range []string{"normalize_sub", "normalize_div", "denormalize_mul"} {
				removeNode(t, m.Graph, name)
			}
			removeNode(t, m.Graph, "denormalize_add")
			m.Graph.Output[0].Name = proto.String("y_n")
			want.Norm = mlp.New(want.Inputs(), nil, want.Act).Norm
		}},
		{"other names, opset 13 as ai.onnx", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto, _ *mlp.Network) {
			m.OpsetImport[0].Domain, m.OpsetImport[0].Version = proto.String("ai.onnx"), proto.Int64(13)
			m.OpsetImport = append(m.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: proto.String("ai.onnx.ml"), Version: proto.Int64(3)})
			for _, nd := range m.Graph.Node {
				nd.Name = nil
			}
		}},
		{"foreign producer without metadata", mlp.SiLU, func(t *testing.T, m *onnxpb.ModelProto, _ *mlp.Network) {
			m.ProducerName, m.MetadataProps = proto.String("pytorch"), nil
		}},
		{"Sub without Div", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto, want *mlp.Network) {
			removeNode(t, m.Graph, "normalize_div")
			want.Norm.XScale = mlp.New(want.Inputs(), nil, want.Act).Norm.XScale
		}},
		{"Div without Sub", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto, want *mlp.Network) {
			removeNode(t, m.Graph, "normalize_sub")
			want.Norm.XMean = mlp.New(want.Inputs(), nil, want.Act).Norm.XMean
		}},
		{"Mul without Add", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto, want *mlp.Network) {
			removeNode(t, m.Graph, "denormalize_add")
			m.Graph.Output[0].Name = proto.String("y_scaled")
			want.Norm.YMean = 0
		}},
		{"Gemm alpha and beta, powers of two", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto, want *mlp.Network) {
			nd := findNode(t, m.Graph, "dense_out")
			nd.Attribute = append(nd.Attribute,
				&onnxpb.AttributeProto{Name: proto.String("alpha"), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(2)},
				&onnxpb.AttributeProto{Name: proto.String("beta"), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(0.5)})
			for i := range want.Params.W[2] {
				want.Params.W[2][i] *= 2
			}
			want.Params.B[2][0] *= 0.5
		}},
	} {
		want, m := testModel(t, tc.act)
		tc.mutate(t, m, want)
		got, err := readModel(t, m)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if d := sameNetwork(got, want); d != "" {
			t.Errorf("%s: %s", tc.name, d)
		}
	}
}

func TestLinearNetworkActivation(t *testing.T) {
	// Without hidden layers the graph has no activation node: Act comes from
	// the metadata of a file from Save, and is SiLU otherwise.
	net := randomNetwork(rand.New(rand.NewPCG(11, 12)), 2, nil, mlp.ReLU)
	var m onnxpb.ModelProto
	if err := proto.Unmarshal(mustMarshal(t, net), &m); err != nil {
		t.Fatal(err)
	}
	if got, err := readModel(t, &m); err != nil || got.Act != mlp.ReLU {
		t.Errorf("file from Save: activation %v (error %v), want relu", got.Act, err)
	}
	m.ProducerName, m.MetadataProps = proto.String("other"), nil
	if got, err := readModel(t, &m); err != nil || got.Act != mlp.SiLU {
		t.Errorf("foreign file: activation %v (error %v), want silu", got.Act, err)
	}
}

func TestWriteDeterministic(t *testing.T) {
	net := randomNetwork(rand.New(rand.NewPCG(13, 14)), 4, []int{5, 5}, mlp.SiLU)
	if a, b := mustMarshal(t, net), mustMarshal(t, net.Clone()); !bytes.Equal(a, b) {
		t.Error("two writes of equal networks differ")
	}
}

// failWriter fails every write.
type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

func TestWriteErrors(t *testing.T) {
	errDisk := errors.New("disk full")
	net := randomNetwork(rand.New(rand.NewPCG(15, 16)), 2, []int{3}, mlp.Tanh)
	if err := Write(failWriter{errDisk}, net); !errors.Is(err, errDisk) {
		t.Errorf("Write to a failing writer returned %v, want its error", err)
	}
	net.Act = mlp.Activation(-1)
	var buf bytes.Buffer
	if err := Write(&buf, net); err == nil || !strings.Contains(err.Error(), "network has activation Activation(-1), want silu") || buf.Len() != 0 {
		t.Errorf("Write with an unknown activation: error %v and %d bytes written, want an error and none", err, buf.Len())
	}
	net.Act = mlp.Tanh
	net.Norm.XScale[1] = 0
	if err := Write(&buf, net); err == nil || !strings.Contains(err.Error(), "mlp: input 1 normalisation") || buf.Len() != 0 {
		t.Errorf("Write of an invalid network: error %v and %d bytes written, want a Validate error and none", err, buf.Len())
	}
}

// dirEntries returns the names in dir.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestSaveErrors(t *testing.T) {
	net := randomNetwork(rand.New(rand.NewPCG(17, 18)), 2, []int{3}, mlp.Tanh)
	dir := t.TempDir()

	missing := filepath.Join(dir, "missing", "model.onnx")
	if err := Save(missing, net); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("Save into a missing directory: error %v, want one naming %s", err, missing)
	}
	if names := dirEntries(t, dir); len(names) != 0 {
		t.Errorf("after a failed Save the directory holds %v, want nothing", names)
	}

	// Renaming over a directory fails after the temporary file is written.
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Save(sub, net); err == nil || !strings.Contains(err.Error(), sub) {
		t.Errorf("Save over a directory: error %v, want one naming %s", err, sub)
	}
	if names := dirEntries(t, dir); !slices.Equal(names, []string{"sub"}) {
		t.Errorf("after a failed Save the directory holds %v, want only [sub]", names)
	}

	bad := net.Clone()
	bad.Params.Flat[0] = math.Inf(1)
	path := filepath.Join(dir, "bad.onnx")
	if err := Save(path, bad); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "mlp: parameter 0 is +Inf") {
		t.Errorf("Save of an invalid network: error %v, want one naming %s and the parameter", err, path)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Save of an invalid network left a file (stat: %v)", err)
	}
}

func TestSaveReplaces(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	path := filepath.Join(t.TempDir(), "model.onnx")
	first, second := randomNetwork(rng, 2, []int{3}, mlp.Tanh), randomNetwork(rng, 4, []int{5, 6}, mlp.SiLU)
	for _, net := range []*mlp.Network{first, second} {
		if err := Save(path, net); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := sameNetwork(got, second); d != "" {
		t.Errorf("after saving over a model: %s", d)
	}
	if names := dirEntries(t, filepath.Dir(path)); !slices.Equal(names, []string{"model.onnx"}) {
		t.Errorf("directory holds %v, want only [model.onnx]", names)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "none.onnx")
	if _, err := Load(missing); !errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), missing) {
		t.Errorf("Load of a missing file: %v, want fs.ErrNotExist naming %s", err, missing)
	}
	text := filepath.Join(dir, "notes.onnx")
	if err := os.WriteFile(text, []byte("these are not the weights you are looking for\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(text)
	if !errors.Is(err, ErrFormat) || !strings.HasPrefix(fmt.Sprint(err), "onnx: "+text+": ") {
		t.Errorf("Load of a text file: %v, want ErrFormat naming %s", err, text)
	}
}

// FuzzRead checks that no input makes Read panic, and that what it accepts
// is a valid network. Run with go test -fuzz FuzzRead ./onnx.
func FuzzRead(f *testing.F) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, act := range testActs() {
		var buf bytes.Buffer
		if err := Write(&buf, randomNetwork(rng, 2, []int{3, 2}, act)); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	for _, e := range exporters() {
		data, err := proto.Marshal(e.model(foreignNetwork(rng, e, 2, []int{3}, mlp.Softplus)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		net, err := Read(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v does not match ErrFormat", err)
			}
			return
		}
		if err := net.Validate(); err != nil {
			t.Fatalf("Read accepted an invalid network: %v", err)
		}
	})
}
