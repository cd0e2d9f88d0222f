package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/sobolev-pruning/sobolev/dataset"
	"github.com/sobolev-pruning/sobolev/results"
)

// This file checks that "sobolev eval" scores a model as jax2tf and tf2onnx
// export it: the batch size fixed at 256, a 1-D output [256], and
// jax.nn.softplus written out. The ONNX file is encoded here field by field
// (package onnx keeps its protobuf types internal), and the test evaluates
// the network directly, independently of package onnx.

// jaxNet is a network 2 → 5 → 4 → 1 with softplus activations, as plain
// numbers: W[l] is (in, out) row-major, as a JAX dense layer holds it, and
// the output layer is a weight vector and a scalar bias.
type jaxNet struct {
	mean, scale  []float64
	w            [][]float64
	b            [][]float64
	wOut         []float64
	bOut         float64
	yMean, ySize float64
}

// jaxSizes are the layer widths of jaxNet.
var jaxSizes = []int{2, 5, 4}

// newJAXNet returns a jaxNet with random weights.
func newJAXNet(rng *rand.Rand) *jaxNet {
	n := &jaxNet{mean: []float64{0.3, -0.2}, scale: []float64{0.7, 1.3}, yMean: 0.4, ySize: 1.7, bOut: -0.1}
	for l := range len(jaxSizes) - 1 {
		in, out := jaxSizes[l], jaxSizes[l+1]
		w, b := make([]float64, in*out), make([]float64, out)
		for i := range w {
			w[i] = rng.NormFloat64() / math.Sqrt(float64(in))
		}
		for i := range b {
			b[i] = 0.1 * rng.NormFloat64()
		}
		n.w, n.b = append(n.w, w), append(n.b, b)
	}
	for range jaxSizes[len(jaxSizes)-1] {
		n.wOut = append(n.wOut, rng.NormFloat64()/2)
	}
	return n
}

// value evaluates the network at the raw input x.
func (n *jaxNet) value(x []float64) float64 {
	a := make([]float64, len(x))
	for j := range x {
		a[j] = (x[j] - n.mean[j]) / n.scale[j]
	}
	for l := range n.w {
		in, out := jaxSizes[l], jaxSizes[l+1]
		z := slices.Clone(n.b[l])
		for o := range out {
			for j := range in {
				z[o] += a[j] * n.w[l][j*out+o]
			}
			z[o] = max(z[o], 0) + math.Log1p(math.Exp(-math.Abs(z[o])))
		}
		a = z
	}
	y := n.bOut
	for j, v := range a {
		y += v * n.wOut[j]
	}
	return n.yMean + n.ySize*y
}

// message appends the protobuf field num holding the message m to b.
func message(b []byte, num protowire.Number, m []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, m)
}

// text appends the protobuf string field num to b.
func text(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

// varint appends the protobuf integer field num to b.
func varint(b []byte, num protowire.Number, v int64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(v))
}

// ONNX element types.
const (
	onnxDouble = 11
	onnxInt64  = 7
)

// tensorProto returns an ONNX TensorProto of the given element type and
// shape, holding the little-endian bytes raw.
func tensorProto(name string, elem int64, raw []byte, dims ...int64) []byte {
	var t []byte
	for _, d := range dims {
		t = varint(t, 1, d) // dims
	}
	t = varint(t, 2, elem)    // data_type
	t = text(t, 8, name)      // name
	return message(t, 9, raw) // raw_data
}

// doubles returns the little-endian bytes of v.
func doubles(v ...float64) []byte {
	var raw []byte
	for _, x := range v {
		raw = binary.LittleEndian.AppendUint64(raw, math.Float64bits(x))
	}
	return raw
}

// jaxGraph builds the GraphProto of a network as jax2tf and tf2onnx export
// it.
type jaxGraph struct {
	g []byte
	n int // values written, for unique names
}

// constant adds a DOUBLE initializer of the given shape and returns its name.
func (j *jaxGraph) constant(v []float64, dims ...int64) string {
	j.n++
	name := fmt.Sprintf("const_%d", j.n)
	j.g = message(j.g, 5, tensorProto(name, onnxDouble, doubles(v...), dims...)) // initializer
	return name
}

// node adds a node and returns the name of its output.
func (j *jaxGraph) node(op string, in ...string) string {
	j.n++
	out := fmt.Sprintf("%s_%d", op, j.n)
	var nd []byte
	for _, v := range in {
		nd = text(nd, 1, v) // input
	}
	nd = text(nd, 2, out)         // output
	nd = text(nd, 3, out+"_node") // name
	nd = text(nd, 4, op)          // op_type
	j.g = message(j.g, 1, nd)     // node
	return out
}

// valueInfo returns a ValueInfoProto of a DOUBLE tensor of the given shape.
func valueInfo(name string, dims ...int64) []byte {
	var shape []byte
	for _, d := range dims {
		shape = message(shape, 1, varint(nil, 1, d)) // dim { dim_value }
	}
	tensor := message(varint(nil, 1, onnxDouble), 2, shape) // elem_type, shape
	return message(text(nil, 1, name), 2, message(nil, 1, tensor))
}

// onnxModel returns the ONNX file of n as jax2tf and tf2onnx write it with
// the batch size fixed at batch: Reshape(x, [batch 2]) on the input, each
// dense layer as MatMul and Add, jax.nn.softplus as jnp.logaddexp(z, 0)
// written out with its NaN guard, the output layer as a MatMul by a weight
// vector, giving the output [batch].
func (n *jaxNet) onnxModel(batch int64) []byte {
	j := &jaxGraph{}
	var shape []byte
	for _, v := range []int64{batch, int64(jaxSizes[0])} {
		shape = binary.LittleEndian.AppendUint64(shape, uint64(v))
	}
	j.g = message(j.g, 5, tensorProto("input_shape", onnxInt64, shape, 2))
	a := j.node("Reshape", "x", "input_shape")
	a = j.node("Sub", a, j.constant(n.mean, 2))
	a = j.node("Div", a, j.constant(n.scale, 2))
	zero, one := j.constant([]float64{0}), j.constant([]float64{1})
	for l := range n.w {
		in, out := int64(jaxSizes[l]), int64(jaxSizes[l+1])
		z := j.node("Add", j.node("MatMul", a, j.constant(n.w[l], in, out)), j.constant(n.b[l], out))
		pos := j.node("Max", z, zero)
		d := j.node("Sub", z, zero)
		log1p := j.node("Log", j.node("Add", j.node("Exp", j.node("Neg", j.node("Abs", d))), one))
		sum := j.node("Add", pos, log1p)
		a = j.node("Where", j.node("IsNaN", d), j.node("Add", z, zero), sum)
	}
	y := j.node("Add", j.node("MatMul", a, j.constant(n.wOut, int64(len(n.wOut)))), j.constant([]float64{n.bOut}))
	y = j.node("Mul", y, j.constant([]float64{n.ySize}, 1))
	y = j.node("Add", y, j.constant([]float64{n.yMean}, 1))
	j.g = text(j.g, 2, "jax2tf_fn")                                   // name
	j.g = message(j.g, 11, valueInfo("x", batch, int64(jaxSizes[0]))) // input
	j.g = message(j.g, 12, valueInfo(y, batch))                       // output
	var m []byte
	m = varint(m, 1, 8)                                   // ir_version
	m = text(m, 2, "tf2onnx")                             // producer_name
	m = message(m, 7, j.g)                                // graph
	return message(m, 8, varint(text(nil, 1, ""), 2, 17)) // opset_import: default domain, version 17
}

// TestEvalForeignJAX runs "sobolev eval --json" on a JAX export with a
// fixed batch size of 256 and a 1-D output, at 50 points whose labels are
// the network's value and its central finite differences: the deltas and
// gamma that eval computes from the loaded model must agree with them.
func TestEvalForeignJAX(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(41, 42))
	net := newJAXNet(rng)
	model := filepath.Join(dir, "jax.onnx")
	if err := os.WriteFile(model, net.onnxModel(256), 0o644); err != nil {
		t.Fatal(err)
	}
	const points = 50
	set := dataset.New(points, 2, dataset.WithGamma)
	for r := range points {
		x := set.X[2*r : 2*r+2]
		for j := range x {
			x[j] = net.mean[j] + 2*net.scale[j]*rng.NormFloat64()
		}
		set.Y[r] = net.value(x)
		// Central differences: h = 1e-5 leaves errors below 1e-10 in the
		// deltas, h = 1e-3 below 1e-8 in gamma, the second difference
		// along (1, 1).
		const h, h2 = 1e-5, 1e-3
		shifted := func(d0, d1 float64) float64 { return net.value([]float64{x[0] + d0, x[1] + d1}) }
		set.DYDX[2*r] = (shifted(h, 0) - shifted(-h, 0)) / (2 * h)
		set.DYDX[2*r+1] = (shifted(0, h) - shifted(0, -h)) / (2 * h)
		set.Gamma[r] = (shifted(h2, h2) - 2*set.Y[r] + shifted(-h2, -h2)) / (h2 * h2)
	}
	data := filepath.Join(dir, "points.npz")
	if err := dataset.WriteNPZ(data, set); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err := runSobolev(context.Background(), "eval", "--model", model, "--data", data, "--json")
	if err != nil {
		t.Fatalf("sobolev eval of a JAX export: %v\n%s", err, stderr)
	}
	var got struct {
		Points     int
		Inputs     int
		Hidden     []int
		Activation string
		results.Scores
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("eval --json printed no JSON object: %v\n%s", err, stdout)
	}
	if got.Points != points || got.Inputs != 2 || !slices.Equal(got.Hidden, jaxSizes[1:]) || got.Activation != "softplus" {
		t.Errorf("eval read %d points and a model of %d inputs, hidden %v, %s; want %d points, 2 inputs, hidden %v, softplus",
			got.Points, got.Inputs, got.Hidden, got.Activation, points, jaxSizes[1:])
	}
	// The loaded model computes the network's value up to rounding.
	if !(got.MaxErrValue <= 1e-13) {
		t.Errorf("value: largest error %v, want ≤ 1e-13 (the network's own value)", got.MaxErrValue)
	}
	if len(got.Deltas) != 2 {
		t.Fatalf("eval gives %d deltas, want 2:\n%s", len(got.Deltas), stdout)
	}
	for j, d := range got.Deltas {
		if !(d.MaxErr <= 1e-8) {
			t.Errorf("delta %d: largest difference from central differences %v, want ≤ 1e-8", j+1, d.MaxErr)
		}
	}
	if !(got.MaxErrGamma <= 1e-5) || !(got.R2Gamma >= 1-1e-8) {
		t.Errorf("gamma: largest difference from second differences %v, R² %v; want ≤ 1e-5 and ≥ 1 − 1e-8", got.MaxErrGamma, got.R2Gamma)
	}
}
