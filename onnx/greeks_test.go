package onnx

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/onnx/internal/onnxpb"
)

// greeksOf runs the greeks graph of net along dir on the rows of x (batch × n)
// in the test interpreter and returns its three outputs.
func greeksOf(t *testing.T, net *mlp.Network, dir, x []float64) (y, dydx, gamma []float64) {
	y, dydx, gamma, _ = greeksHessianOf(t, net, dir, x)
	return y, dydx, gamma
}

// greeksHessianOf is greeksOf with the output hessian, batch × n × n.
func greeksHessianOf(t *testing.T, net *mlp.Network, dir, x []float64) (y, dydx, gamma, hessian []float64) {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteGreeks(&buf, net, GreeksOptions{Direction: dir, Hessian: true}); err != nil {
		t.Fatal(err)
	}
	var m onnxpb.ModelProto
	if err := proto.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	n := net.Inputs()
	outs, err := interpret(&m, map[string]tensor{"x": {shape: []int{len(x) / n, n}, data: x}})
	if err != nil {
		t.Fatal(err)
	}
	rows := len(x) / n
	for name, shape := range map[string][]int{"y": {rows, 1}, "dydx": {rows, n}, "gamma": {rows}, "hessian": {rows, n, n}} {
		if got := outs[name].shape; len(got) != len(shape) || got[0] != shape[0] || got[len(got)-1] != shape[len(shape)-1] {
			t.Fatalf("output %s has shape %v, want %v", name, got, shape)
		}
	}
	return outs["y"].data, outs["dydx"].data, outs["gamma"].data, outs["hessian"].data
}

// near reports whether got is within tol·(1 + |want|) of want.
func nearRel(got, want, tol float64) bool { return math.Abs(got-want) <= tol*(1+math.Abs(want)) }

// TestGreeksGraph checks the greeks graph of every activation and shape,
// linear nets included, against sobolev's own greeks (the Evaluator, whose
// derivatives are tested against finite differences in package mlp), along
// the all-ones vector and along another direction, and its deltas and gamma
// against central differences of its own value output.
func TestGreeksGraph(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, act := range []mlp.Activation{mlp.SiLU, mlp.Softplus, mlp.Tanh, mlp.ReLU} {
		for _, hidden := range [][]int{nil, {5}, {6, 4, 3}} {
			net := randomNetwork(rng, 3, hidden, act)
			const rows = 17
			x := make([]float64, rows*3)
			for i := range x {
				x[i] = net.Norm.XMean[i%3] + net.Norm.XScale[i%3]*rng.NormFloat64()
			}
			for _, dir := range [][]float64{nil, {0.5, -2, 1.25}} {
				v := dir
				if v == nil {
					v = []float64{1, 1, 1}
				}
				y, dydx, gamma, hess := greeksHessianOf(t, net, dir, x)
				wantY, wantG, hv := make([]float64, rows), make([]float64, len(x)), make([]float64, len(x))
				mlp.NewEvaluator(net).EvalHessVec(wantY, wantG, hv, x, v)
				for r := range rows {
					wantGamma := 0.0
					for j := range 3 {
						wantGamma += v[j] * hv[r*3+j]
					}
					bad := !nearRel(y[r], wantY[r], 1e-12) || !nearRel(gamma[r], wantGamma, 1e-10)
					for j := range 3 {
						bad = bad || !nearRel(dydx[r*3+j], wantG[r*3+j], 1e-12)
					}
					H := net.Hessian(nil, x[r*3:r*3+3])
					for j := range 3 {
						for k := range 3 {
							bad = bad || !nearRel(hess[(r*3+j)*3+k], H.At(j, k), 1e-9)
						}
					}
					if bad {
						t.Fatalf("%v %v dir %v row %d: graph y %v dydx %v gamma %v; sobolev %v %v %v",
							act, hidden, dir, r, y[r], dydx[r*3:r*3+3], gamma[r], wantY[r], wantG[r*3:r*3+3], wantGamma)
					}
				}
				if act == mlp.ReLU {
					continue // not differentiable everywhere: no finite differences
				}
				// Central differences of the graph's own value along v.
				const h = 1e-4
				xp, xm := make([]float64, len(x)), make([]float64, len(x))
				for i := range x {
					xp[i], xm[i] = x[i]+h*v[i%3], x[i]-h*v[i%3]
				}
				yp, dp, _ := greeksOf(t, net, dir, xp)
				ym, dm, _ := greeksOf(t, net, dir, xm)
				for r := range rows {
					slope, curv := 0.0, 0.0
					for j := range 3 {
						slope += v[j] * dydx[r*3+j]
						curv += v[j] * (dp[r*3+j] - dm[r*3+j]) / (2 * h)
					}
					if fd := (yp[r] - ym[r]) / (2 * h); !nearRel(slope, fd, 1e-6) {
						t.Errorf("%v %v row %d: vᵀ·dydx %v, central difference of y %v", act, hidden, r, slope, fd)
					}
					if !nearRel(gamma[r], curv, 1e-5) {
						t.Errorf("%v %v row %d: gamma %v, central difference of vᵀ·dydx %v", act, hidden, r, gamma[r], curv)
					}
				}
			}
		}
	}
}

func TestSaveGreeks(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	net := randomNetwork(rng, 2, []int{4, 4}, mlp.SiLU)
	path := filepath.Join(t.TempDir(), "g.onnx")
	if err := SaveGreeks(path, net, GreeksOptions{}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteGreeks(&buf, net, GreeksOptions{}); err != nil || !bytes.Equal(buf.Bytes(), data) {
		t.Errorf("WriteGreeks differs from the file SaveGreeks wrote (%v)", err)
	}
	for _, dir := range [][]float64{{1}, {1, math.NaN()}, {math.Inf(1), 0}} {
		if err := SaveGreeks(filepath.Join(t.TempDir(), "bad.onnx"), net, GreeksOptions{Direction: dir}); err == nil {
			t.Errorf("SaveGreeks with direction %v: no error", dir)
		}
	}
}
