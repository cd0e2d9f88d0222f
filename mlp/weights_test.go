package mlp

import (
	"context"
	"math"
	"strings"
	"testing"
)

func TestFitSobolevWeights(t *testing.T) {
	d := smoothData(200, 7)
	net := newSmoothNet(t, d, []int{6}, 7)
	norm := net.Norm
	w, err := FitSobolevWeights(d.DYDX, norm, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	// The reference sums each column in row order, as FitSobolevWeights
	// does, so the weights agree exactly.
	var sum float64
	for j := range 3 {
		ss := 0.0
		for r := range 200 {
			g := d.DYDX[3*r+j] * norm.XScale[j] / norm.YScale
			ss += g * g
		}
		want := 200 / ss
		if w.Lambda[j] != want {
			t.Errorf("λ_%d = %v, want 1/mean(dydx_n²) = %v", j+1, w.Lambda[j], want)
		}
		sum += want
	}
	beta, hvp := 0.75, 0.1 // variables: a constant product would be rounded once
	if want := beta * hvp * (sum / 3); w.Value != 0.25 || w.Grad != beta || w.HVP != want || w.Mu != nil {
		t.Errorf("weights %+v, want α = 1/4, β = 3/4, γ = β·0.1·mean λ = %v and Mu nil", w, want)
	}
	if w0, err := FitSobolevWeights(d.DYDX, norm, 0); err != nil || w0.HVP != 0 {
		t.Errorf("hvp 0: γ = %v (%v), want 0", w0.HVP, err)
	}

	// Train's default λ, without a validation split, is the same bits.
	cfg := TrainConfig{Epochs: 1, BatchSize: 50, LR: Schedule{Kind: Constant, Max: 1e-3}, Seed: 1}
	h, err := Train(context.Background(), net, d, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	for j, l := range h.Weights.Lambda {
		if l != w.Lambda[j] {
			t.Errorf("Train's λ_%d = %v, FitSobolevWeights' %v; want the same bits", j+1, l, w.Lambda[j])
		}
	}
}

func TestFitSobolevWeightsErrors(t *testing.T) {
	d := smoothData(20, 8)
	net := newSmoothNet(t, d, []int{4}, 8)
	for r := range 20 {
		d.DYDX[3*r+1] = 0 // input 2 never moves the labels
	}
	if _, err := FitSobolevWeights(d.DYDX, net.Norm, 0); err == nil || !strings.Contains(err.Error(), "input 2 are all 0") ||
		!strings.Contains(err.Error(), "train with the MSE loss") {
		t.Errorf("all-zero labels of input 2: error %v, want one naming input 2 with a remedy", err)
	}
	cfg := TrainConfig{Epochs: 1, BatchSize: 10, LR: Schedule{Kind: Constant, Max: 1e-3}}
	if _, err := Train(context.Background(), net, d, cfg, nil); err == nil || !strings.Contains(err.Error(), "input 2 are all 0") ||
		!strings.Contains(err.Error(), "set LossWeights.Lambda") {
		t.Errorf("Train on all-zero labels of input 2: error %v, want one naming input 2 with a remedy", err)
	}
	if _, err := FitSobolevWeights(nil, net.Norm, 0); err == nil {
		t.Error("FitSobolevWeights without labels returned no error")
	}
	defer func() {
		if r := recover(); r != errFitSobolevLen {
			t.Errorf("FitSobolevWeights of 4 labels for 3 inputs: panic %v, want %q", r, errFitSobolevLen)
		}
	}()
	FitSobolevWeights(make([]float64, 4), net.Norm, 0)
}

func TestHessVecLabels(t *testing.T) {
	d := smoothData(5, 9)
	net := newSmoothNet(t, d, []int{6, 5}, 9)
	dirs := []float64{1, 1, 1, 0.5, -2, 0.25}
	const n, k = 3, 2
	hv := HessVecLabels(net, d.X, dirs)
	if len(hv) != 5*k*n {
		t.Fatalf("%d labels, want 5 rows × 2 directions × 3 inputs", len(hv))
	}
	tmp := make([]float64, len(d.X))
	gp, gm := make([]float64, n), make([]float64, n)
	x := make([]float64, n)
	const h = 1e-5
	for dir := range k {
		v := dirs[dir*n : (dir+1)*n]
		NewEvaluator(net).EvalHessVec(nil, nil, tmp, d.X, v)
		for r := range 5 {
			got := hv[(r*k+dir)*n : (r*k+dir+1)*n]
			for i := range n {
				if got[i] != tmp[r*n+i] {
					t.Errorf("row %d, direction %d, entry %d: %v, want EvalHessVec's %v", r, dir, i, got[i], tmp[r*n+i])
				}
			}
			// Central differences of the input gradient along v.
			for i := range n {
				x[i] = d.X[r*n+i] + h*v[i]
			}
			net.InputGradient(gp, x)
			for i := range n {
				x[i] = d.X[r*n+i] - h*v[i]
			}
			net.InputGradient(gm, x)
			for i := range n {
				fd := (gp[i] - gm[i]) / (2 * h)
				if math.Abs(got[i]-fd) > 1e-6*(1+math.Abs(fd)) {
					t.Errorf("row %d, direction %d, entry %d: %v, central difference %v", r, dir, i, got[i], fd)
				}
			}
		}
	}
	defer func() {
		if r := recover(); r != errHessVecDirs {
			t.Errorf("HessVecLabels with 4 direction entries for 3 inputs: panic %v, want %q", r, errHessVecDirs)
		}
	}()
	HessVecLabels(net, d.X, dirs[:4])
}
