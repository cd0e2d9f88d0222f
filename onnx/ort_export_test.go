package onnx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sobolev-pruning/sobolev/mlp"
)

// ortCase is the JSON file .ci/onnxruntime/check.js reads next to each model:
// a batch of raw inputs and the outputs sobolev computes for them.
type ortCase struct {
	Inputs int       `json:"inputs"` // n
	Batch  int       `json:"batch"`  // rows of x
	X      []float64 `json:"x"`      // batch × n, row-major
	Y      []float64 `json:"y"`      // batch: mlp.Network.Value of each row
	// Optimization is onnxruntime's graphOptimizationLevel for the model:
	// "" for its default, all optimisations, or "disabled".
	Optimization string `json:"optimization,omitempty"`
	// FixedBatch is the batch size the model's input fixes, 0 if it is
	// symbolic: check.js then runs the rows in batches of that size, the
	// last padded.
	FixedBatch int `json:"fixed_batch,omitempty"`
	// VectorOutput is set if the model's output is [batch], not [batch, 1].
	VectorOutput bool `json:"vector_output,omitempty"`
	// DYDX and Gamma, for a greeks model (SaveGreeks along the all-ones
	// vector), are its other outputs as sobolev computes them: batch × n
	// deltas and batch values of 1ᵀH1.
	DYDX  []float64 `json:"dydx,omitempty"`
	Gamma []float64 `json:"gamma,omitempty"`
	// Hessian, for a greeks model with the Hessian, is batch × n × n.
	Hessian []float64 `json:"hessian,omitempty"`
	// ValueModel, for a greeks model, names the value graph of the same
	// network (its case's JSON lies beside it): check.js compares the
	// greeks with central finite differences of that graph, run in
	// onnxruntime, at the first FDRows rows (those around the input
	// normalisation; 0 for ReLU, whose kinks finite differences straddle),
	// with steps of XScale (the network's input scales, raw units).
	ValueModel string    `json:"value_model,omitempty"`
	FDRows     int       `json:"fd_rows,omitempty"`
	XScale     []float64 `json:"x_scale,omitempty"`
}

// writeORTCase writes the model data as dir/name.onnx and, for the network
// net it holds, a batch of inputs and net's outputs as dir/name.json: 60
// points around the input normalisation and 4 far out, where exp(±z)
// overflows in the hidden layers (ortFarRows). c gives the case's Optimization,
// FixedBatch and VectorOutput.
func writeORTCase(t *testing.T, rng *rand.Rand, dir, name string, data []byte, net *mlp.Network, c ortCase) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name+".onnx"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	const batch = 64
	n := net.Inputs()
	c.Inputs, c.Batch, c.X, c.Y = n, batch, make([]float64, batch*n), make([]float64, batch)
	for r := range batch {
		x := c.X[r*n : (r+1)*n]
		spread := 2.0
		if r >= batch-ortFarRows {
			spread = 1000
		}
		for j := range x {
			x[j] = net.Norm.XMean[j] + spread*net.Norm.XScale[j]*rng.NormFloat64()
		}
		c.Y[r] = net.Value(x)
	}
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".json"), js, 0o644); err != nil {
		t.Fatal(err)
	}
}

// ortFarRows is the number of rows of a case drawn far out, at 1000
// standard deviations of the inputs.
const ortFarRows = 4

// TestExportForONNXRuntime writes, into the directory named by the
// environment variable SOBOLEV_ONNX_EXPORT_DIR, models with inputs and
// sobolev's outputs for .ci/onnxruntime/check.js, which runs them in
// onnxruntime (.ci/run does both). The models are the files Save writes for
// each activation and several shapes, with random normalisations, run with
// onnxruntime's default optimisations, as a user would, each also as its
// greeks model (WriteGreeks: y, dydx and gamma compared); and the float64
// graphs of foreign exporters (foreign_export_test.go) with the outputs of the
// network Read makes of them, so that onnxruntime checks this package's
// reading of those graphs too. These run without graph optimisations:
// onnxruntime 1.30 fuses Sigmoid·Mul into a QuickGelu that has no float64
// kernel, and a Mul by a scalar into a MatMul whose float32 alpha rounds the
// scalar. Foreign Softplus is left out where it is the Softplus operator,
// which onnxruntime has no float64 kernel for, and checked where it is
// written out as JAX writes it. Graphs with a fixed batch size run in
// batches of that size.
func TestExportForONNXRuntime(t *testing.T) {
	dir := os.Getenv("SOBOLEV_ONNX_EXPORT_DIR")
	if dir == "" {
		t.Skip("SOBOLEV_ONNX_EXPORT_DIR is not set: this test only writes the models of the onnxruntime check in .ci/run")
	}
	rng := rand.New(rand.NewPCG(29, 30))
	for _, sh := range []shape{{7, []int{8, 8, 8, 8, 8, 8}}, {7, []int{128, 128, 128, 128, 128, 128}}, {1, []int{3}}, {3, nil}} {
		for _, act := range testActs() {
			net := randomNetwork(rng, sh.inputs, sh.hidden, act)
			name := fmt.Sprintf("sobolev-%v-%d-%s", act, sh.inputs, widthsName(sh.hidden))
			writeORTCase(t, rng, dir, name, mustMarshal(t, net), net, ortCase{})
			writeORTGreeksCase(t, rng, dir, name+"-greeks", net)
		}
	}
	for _, e := range exporters() {
		if e.float32 { // onnxruntime computes these in float32
			continue
		}
		acts := []mlp.Activation{mlp.SiLU, mlp.Tanh, mlp.ReLU}
		if e.softplus != "" {
			acts = append(acts, mlp.Softplus)
		}
		for _, act := range acts {
			m := e.model(foreignNetwork(rng, e, 7, []int{8, 8, 8}, act))
			data, err := proto.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			net, err := readModel(t, m)
			if err != nil {
				t.Fatalf("%s: %v", e.name, err)
			}
			name := fmt.Sprintf("foreign-%s-%v", strings.NewReplacer(" ", "-", ",", "", "[", "", "]", "").Replace(e.name), act)
			writeORTCase(t, rng, dir, name, data, net, ortCase{Optimization: "disabled", FixedBatch: int(e.batch), VectorOutput: e.vectorOut()})
			writeORTGreeksCase(t, rng, dir, name+"-greeks", net)
		}
	}
}

// writeORTGreeksCase writes the greeks model of net (WriteGreeks along the
// all-ones vector, with the Hessian) as dir/name.onnx and, as writeORTCase does, a batch of
// inputs with sobolev's value, deltas and gamma as dir/name.json. The graph
// runs with onnxruntime's default optimisations, as a user would. The value
// graph of net is the case whose name is name without "-greeks".
func writeORTGreeksCase(t *testing.T, rng *rand.Rand, dir, name string, net *mlp.Network) {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteGreeks(&buf, net, GreeksOptions{Hessian: true}); err != nil {
		t.Fatal(err)
	}
	writeORTCase(t, rng, dir, name, buf.Bytes(), net, ortCase{})
	path := filepath.Join(dir, name+".json")
	js, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c ortCase
	if err := json.Unmarshal(js, &c); err != nil {
		t.Fatal(err)
	}
	n := net.Inputs()
	ones := make([]float64, n)
	for j := range ones {
		ones[j] = 1
	}
	c.ValueModel = strings.TrimSuffix(name, "-greeks") + ".onnx"
	c.XScale = net.Norm.XScale
	if net.Act != mlp.ReLU {
		c.FDRows = c.Batch - ortFarRows
	}
	c.DYDX, c.Gamma = make([]float64, len(c.X)), make([]float64, c.Batch)
	hv := make([]float64, len(c.X))
	mlp.NewEvaluator(net).EvalHessVec(nil, c.DYDX, hv, c.X, ones)
	for r := range c.Batch {
		for j := range n {
			c.Gamma[r] += hv[r*n+j]
		}
		H := net.Hessian(nil, c.X[r*n:(r+1)*n])
		for j := range n {
			for k := range n {
				c.Hessian = append(c.Hessian, H.At(j, k))
			}
		}
	}
	if js, err = json.Marshal(c); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, js, 0o644); err != nil {
		t.Fatal(err)
	}
}

// widthsName names hidden widths in file names: "8x6" for six layers of
// width 8, "4-5" for widths 4 and 5, "linear" for none.
func widthsName(hidden []int) string {
	if len(hidden) == 0 {
		return "linear"
	}
	if slices.Min(hidden) == slices.Max(hidden) {
		return fmt.Sprintf("%dx%d", hidden[0], len(hidden))
	}
	return strings.Trim(strings.ReplaceAll(fmt.Sprint(hidden), " ", "-"), "[]")
}
