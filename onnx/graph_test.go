package onnx

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/onnx/internal/onnxpb"
)

// This file checks the graphs Save writes: it runs them through the
// interpreter of interp_test.go and compares with a direct evaluation of
// the network, and checks the parts of the ONNX standard a runtime relies
// on. It also holds the random networks and layouts the tests share.

// forward evaluates net at the raw input x directly from method.md §3,
// independently of the graph.
func forward(net *mlp.Network, x []float64) float64 {
	a := make([]float64, len(x))
	for j := range x {
		a[j] = (x[j] - net.Norm.XMean[j]) / net.Norm.XScale[j]
	}
	for l := range net.Params.W {
		in, out := net.Sizes[l], net.Sizes[l+1]
		z := make([]float64, out)
		for i := range z {
			s := 0.0
			for k := range in {
				s += net.Params.W[l][i*in+k] * a[k]
			}
			z[i] = s + net.Params.B[l][i]
		}
		if l < net.Layers() {
			for i, v := range z {
				switch net.Act {
				case mlp.SiLU:
					z[i] = v / (1 + math.Exp(-v))
				case mlp.Softplus:
					z[i] = max(v, 0) + math.Log1p(math.Exp(-math.Abs(v)))
				case mlp.Tanh:
					z[i] = math.Tanh(v)
				case mlp.ReLU:
					z[i] = max(v, 0)
				}
			}
		}
		a = z
	}
	return net.Norm.YMean + net.Norm.YScale*a[0]
}

// shape is a layer layout: the number of inputs and the hidden widths.
type shape struct {
	inputs int
	hidden []int
}

// testShapes returns the layer layouts the tests run on.
func testShapes() []shape {
	return []shape{
		{1, []int{3}},
		{7, []int{8, 8, 8, 8, 8, 8}},
		{7, []int{128, 128, 128}},
		{3, nil}, // no hidden layer: a linear model
	}
}

// testActs returns every activation.
func testActs() []mlp.Activation { return []mlp.Activation{mlp.SiLU, mlp.Softplus, mlp.Tanh, mlp.ReLU} }

// mustMarshal returns the bytes Write writes for net.
func mustMarshal(t *testing.T, net *mlp.Network) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, net); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes()
}

// randomNetwork returns a network with random weights of scale 1/√in and a
// random normalisation. Its first parameter is −0 and its second, if any, the
// smallest subnormal, to show that bits survive a round trip.
func randomNetwork(rng *rand.Rand, inputs int, hidden []int, act mlp.Activation) *mlp.Network {
	net := mlp.New(inputs, hidden, act)
	for l := range net.Params.W {
		s := 1 / math.Sqrt(float64(net.Sizes[l]))
		for i := range net.Params.W[l] {
			net.Params.W[l][i] = s * rng.NormFloat64()
		}
		for i := range net.Params.B[l] {
			net.Params.B[l][i] = 0.1 * rng.NormFloat64()
		}
	}
	net.Params.Flat[0] = math.Copysign(0, -1)
	if len(net.Params.Flat) > 1 {
		net.Params.Flat[1] = math.SmallestNonzeroFloat64
	}
	for j := range net.Norm.XMean {
		net.Norm.XMean[j] = rng.NormFloat64()
		net.Norm.XScale[j] = 0.5 + 2*rng.Float64()
	}
	net.Norm.YMean = rng.NormFloat64()
	net.Norm.YScale = 0.1 + rng.Float64()
	return net
}

// checkConformance checks the parts of the ONNX standard a runtime relies on.
func checkConformance(t *testing.T, m *onnxpb.ModelProto, inputs int) {
	t.Helper()
	if m.GetIrVersion() != 8 {
		t.Errorf("ir_version %d, want 8", m.GetIrVersion())
	}
	if ops := m.GetOpsetImport(); len(ops) != 1 || ops[0].GetDomain() != "" || ops[0].GetVersion() != 17 {
		t.Errorf("opset_import %v, want one entry: default domain, version 17", ops)
	}
	g := m.GetGraph()
	names := make(map[string]bool)
	for _, nd := range g.GetNode() {
		if nd.GetName() == "" || names[nd.GetName()] {
			t.Errorf("node name %q is empty or not unique", nd.GetName())
		}
		names[nd.GetName()] = true
	}
	inits := make(map[string]bool)
	for _, init := range g.GetInitializer() {
		if inits[init.GetName()] {
			t.Errorf("initializer %q appears twice", init.GetName())
		}
		inits[init.GetName()] = true
	}
	for _, tc := range []struct {
		vis   []*onnxpb.ValueInfoProto
		name  string
		width int
	}{{g.GetInput(), "x", inputs}, {g.GetOutput(), "y", 1}} {
		if len(tc.vis) != 1 {
			t.Fatalf("graph has %d inputs or outputs named %q, want 1", len(tc.vis), tc.name)
		}
		vi := tc.vis[0]
		tt := vi.GetType().GetTensorType()
		dims := tt.GetShape().GetDim()
		if vi.GetName() != tc.name || inits[vi.GetName()] || tt.GetElemType() != int32(onnxpb.TensorProto_DOUBLE) ||
			len(dims) != 2 || dims[0].GetDimParam() != "batch" || dims[1].GetDimValue() != int64(tc.width) {
			t.Errorf("graph value %v, want %q: DOUBLE [batch, %d], not an initializer", vi, tc.name, tc.width)
		}
	}
}

func TestGraphSemantics(t *testing.T) {
	// A hand-computed case anchors forward itself: tanh, x = 3 gives
	// x_n = (3−1)/2 = 1, z = 2·1 + 1 = 3, y = 10 + 4·(3·tanh 3 + 0.5).
	hand := mlp.New(1, []int{1}, mlp.Tanh)
	copy(hand.Params.Flat, []float64{2, 1, 3, 0.5})
	hand.Norm = mlp.Normalization{XMean: []float64{1}, XScale: []float64{2}, YMean: 10, YScale: 4}
	if got, want := forward(hand, []float64{3}), 10+4*(3*math.Tanh(3)+0.5); got != want {
		t.Fatalf("forward of the hand-computed network = %v, want %v", got, want)
	}
	var m onnxpb.ModelProto
	if err := proto.Unmarshal(mustMarshal(t, hand), &m); err != nil {
		t.Fatal(err)
	}
	outs, err := interpret(&m, map[string]tensor{"x": {shape: []int{1, 1}, data: []float64{3}}})
	if want := 10 + 4*(3*math.Tanh(3)+0.5); err != nil || outs["y"].data[0] != want {
		t.Fatalf("graph of the hand-computed network gives %v (%v), want %v", outs["y"].data, err, want)
	}

	rng := rand.New(rand.NewPCG(1, 2))
	for _, sh := range testShapes() {
		for _, act := range testActs() {
			net := randomNetwork(rng, sh.inputs, sh.hidden, act)
			name := fmt.Sprintf("%d-%v-%v", sh.inputs, sh.hidden, act)
			var m onnxpb.ModelProto
			if err := proto.Unmarshal(mustMarshal(t, net), &m); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			checkConformance(t, &m, sh.inputs)
			for _, batch := range []int{1, 5} {
				x := tensor{shape: []int{batch, sh.inputs}, data: make([]float64, batch*sh.inputs)}
				for i := range x.data {
					j := i % sh.inputs
					x.data[i] = net.Norm.XMean[j] + 2*net.Norm.XScale[j]*rng.NormFloat64()
				}
				outs, err := interpret(&m, map[string]tensor{"x": x})
				if err != nil {
					t.Fatalf("%s: interpret: %v", name, err)
				}
				y := outs["y"]
				if len(y.shape) != 2 || y.shape[0] != batch || y.shape[1] != 1 {
					t.Fatalf("%s: output shape %v, want [%d 1]", name, y.shape, batch)
				}
				for r := range batch {
					want := forward(net, x.data[r*sh.inputs:(r+1)*sh.inputs])
					// The graph's log(1 + e⁻|ᶻ|) rounds differently from
					// forward's log1p, and sums may round differently: a
					// few ulp per node. The largest difference seen is 3e-16.
					if d := math.Abs(y.data[r] - want); d > 1e-14*(1+math.Abs(want)) {
						t.Errorf("%s: row %d: graph gives %v, network %v (difference %.3g)", name, r, y.data[r], want, d)
					}
				}
			}
		}
	}
}

func TestGraphExtremes(t *testing.T) {
	// One hidden unit z = x: the written-out SiLU and Softplus must give
	// their limits where e^{±z} overflows, not NaN.
	for _, tc := range []struct {
		act     mlp.Activation
		x, want float64 // want = σ(x)
		tol     float64 // absolute
	}{
		{mlp.SiLU, -1000, 0, 0}, // −1000/(1 + e¹⁰⁰⁰) = −1000/Inf = −0
		{mlp.SiLU, 1000, 1000, 0},
		{mlp.SiLU, -30, -30 / (1 + math.Exp(30)), 1e-25},
		{mlp.Softplus, -1000, 0, 0},
		{mlp.Softplus, 1000, 1000, 0},
		{mlp.Softplus, 30, 30 + math.Log1p(math.Exp(-30)), 4e-15},
		{mlp.Softplus, -30, math.Log1p(math.Exp(-30)), 2e-16}, // log(1 + e⁻³⁰) is off by up to half an ulp of 1
	} {
		net := mlp.New(1, []int{1}, tc.act)
		copy(net.Params.Flat, []float64{1, 0, 1, 0})
		var m onnxpb.ModelProto
		if err := proto.Unmarshal(mustMarshal(t, net), &m); err != nil {
			t.Fatal(err)
		}
		outs, err := interpret(&m, map[string]tensor{"x": {shape: []int{1, 1}, data: []float64{tc.x}}})
		if err != nil {
			t.Fatal(err)
		}
		if got := outs["y"].data[0]; !(math.Abs(got-tc.want) <= tc.tol) {
			t.Errorf("%v(%v): graph gives %v, want %v", tc.act, tc.x, got, tc.want)
		}
	}
}
