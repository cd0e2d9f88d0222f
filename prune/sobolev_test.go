package prune

import (
	"math"
	"strings"
	"testing"

	"github.com/sobolev-pruning/sobolev/mlp"
)

// gated returns a copy of net in which node i of hidden layer l+1 passes
// (1−t)·a + t·c to the next layer instead of its output a: the next layer's
// column i of weights scaled by 1−t and t·c times it added to the bias.
func gated(net *mlp.Network, l, i int, t, c float64) *mlp.Network {
	g := net.Clone()
	W, b := g.Params.W[l+1], g.Params.B[l+1]
	cols := net.Sizes[l+1]
	for k := range b {
		b[k] += t * c * W[k*cols+i]
		W[k*cols+i] *= 1 - t
	}
	return g
}

// TestOBD checks the OBD saliencies against half the central second
// difference, in the gate t of each node, of the value loss
// L(t) = (1/2N)·Σ_r (y_n(x_r; t) − y_n(x_r; 0))², whose Hessian is its
// Gauss–Newton form (the residual is 0 at t = 0), over more rows than one
// batch.
func TestOBD(t *testing.T) {
	net := randomNet(3, []int{5, 4}, mlp.SiLU, 8)
	const N = 300
	x := points(N, 3, 5)
	got, err := OBD(net, x)
	if err != nil {
		t.Fatal(err)
	}
	mean, _ := MeanActivations(net, x)
	base := make([]float64, N)
	for r := range N {
		base[r] = net.Value(x[r*3 : (r+1)*3])
	}
	loss := func(g *mlp.Network) float64 {
		var s float64
		for r := range N {
			e := (g.Value(x[r*3:(r+1)*3]) - base[r]) / net.Norm.YScale
			s += e * e
		}
		return s / (2 * N)
	}
	const h = 1e-3
	for l, w := range net.Hidden() {
		for i := range w {
			lp, lm := loss(gated(net, l, i, h, mean[l][i])), loss(gated(net, l, i, -h, mean[l][i]))
			want := 0.5 * (lp + lm) / (h * h)
			if want < 1e-6 || math.Abs(got[l][i]-want) > 1e-5*want {
				t.Errorf("OBD saliency of node %d of layer %d = %v, want %v", i, l+1, got[l][i], want)
			}
		}
	}
}

// sobolevLabels returns value and gradient labels at the rows of x (N × 3)
// of y = sin(x₁ + 2x₂) + x₃², which a random net does not fit.
func sobolevLabels(x []float64) (y, dydx []float64) {
	N := len(x) / 3
	y, dydx = make([]float64, N), make([]float64, 3*N)
	for r := range N {
		x1, x2, x3 := x[3*r], x[3*r+1], x[3*r+2]
		y[r] = math.Sin(x1+2*x2) + x3*x3
		c := math.Cos(x1 + 2*x2)
		dydx[3*r], dydx[3*r+1], dydx[3*r+2] = c, 2*c, 2*x3
	}
	return y, dydx
}

// TestSobolevTaylor checks the Sobolev-Taylor scores over two batches (256
// and 44 rows) against central finite differences, in the gate t of each
// node, of each batch's Sobolev loss, with the gate applied to the net's
// weights and bias and the labels normalised here.
func TestSobolevTaylor(t *testing.T) {
	net := randomNet(3, []int{5, 4}, mlp.Tanh, 9)
	const N, n = 300, 3
	x := points(N, n, 7)
	y, dydx := sobolevLabels(x)
	got, err := SobolevTaylor(net, x, y, dydx)
	if err != nil {
		t.Fatal(err)
	}
	mean, _ := MeanActivations(net, x)
	w, err := mlp.FitSobolevWeights(dydx, net.Norm, 0)
	if err != nil {
		t.Fatal(err)
	}
	nm := net.Norm
	batchLoss := func(g *mlp.Network, lo, hi int) float64 {
		bt := mlp.Batch{}
		for r := lo; r < hi; r++ {
			bt.Y = append(bt.Y, (y[r]-nm.YMean)/nm.YScale)
			for j := range n {
				bt.X = append(bt.X, (x[r*n+j]-nm.XMean[j])/nm.XScale[j])
				bt.DYDX = append(bt.DYDX, dydx[r*n+j]*nm.XScale[j]/nm.YScale)
			}
		}
		return g.SobolevLoss(nil, mlp.NewWorkspace(g, hi-lo, 0, 1), bt, w).Total
	}
	const h = 1e-5
	var largest float64
	for l, width := range net.Hidden() {
		for i := range width {
			var want float64
			for _, b := range [][2]int{{0, 256}, {256, N}} {
				lp := batchLoss(gated(net, l, i, h, mean[l][i]), b[0], b[1])
				lm := batchLoss(gated(net, l, i, -h, mean[l][i]), b[0], b[1])
				want += float64(b[1]-b[0]) / N * math.Abs((lp-lm)/(2*h))
			}
			largest = max(largest, want)
			if math.Abs(got[l][i]-want) > 1e-8+1e-6*want {
				t.Errorf("Sobolev-Taylor score of node %d of layer %d = %v, want %v", i, l+1, got[l][i], want)
			}
		}
	}
	if largest < 1e-3 {
		t.Errorf("largest Sobolev-Taylor score %v; the test is vacuous", largest)
	}
}

// TestSobolevTaylorErrors checks the errors for labels that do not fit the
// inputs or cannot weight the loss.
func TestSobolevTaylorErrors(t *testing.T) {
	net := randomNet(3, []int{4}, mlp.Tanh, 1)
	x := points(10, 3, 2)
	y, dydx := sobolevLabels(x)
	zero := append([]float64(nil), dydx...)
	for r := range 10 {
		zero[3*r+1] = 0
	}
	bad := append([]float64(nil), y...)
	bad[4] = math.NaN()
	for _, tc := range []struct {
		x, y, dydx []float64
		want       string
	}{
		{x, y[:9], dydx, "9 value labels for 10 rows"},
		{x, y, dydx[:27], "27 gradient labels for 10 rows of 3 inputs, want 30"},
		{x, y, nil, "0 gradient labels"},
		{x, bad, dydx, "value label 4 is NaN"},
		{x, y, zero, "gradient labels of input 2 are all 0"},
		{x[:29], y, dydx, "29 values do not form rows of 3 inputs"},
	} {
		if _, err := SobolevTaylor(net, tc.x, tc.y, tc.dydx); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("SobolevTaylor: error %v, want one containing %q", err, tc.want)
		}
	}
}
