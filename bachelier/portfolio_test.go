package bachelier

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// TestPortfolioDerivatives checks the closed forms of Portfolio against
// central finite differences: Delta of Price, Hessian of Delta, Gamma as the
// second difference of Price along 1 and as 1ᵀH1, and HessVec as H·v, for
// 1, 4 and 16 baskets on 7 and 30 assets.
func TestPortfolioDerivatives(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 3))
	for _, n := range []int{7, 30} {
		for _, k := range []int{1, 4, 16} {
			m := newPortfolio(t, n, k, 2)
			p := m.Portfolio()
			if len(p) != k || m.Baskets() != k || p.Dims() != n {
				t.Fatalf("NewPortfolio(%d, %d): %d baskets (Baskets %d) of %d assets", n, k, len(p), m.Baskets(), p.Dims())
			}
			for trial := range 3 {
				spots := make([]float64, n)
				for i := range spots { // baskets within about ±0.3 of 1.1, among the strikes
					spots[i] = 1.1 + 0.3*(2*rng.Float64()-1)
				}
				name := fmt.Sprintf("n = %d, %d baskets, trial %d", n, k, trial)
				// The third derivatives are at most about Σ_j 1/s_j² ≈ 100·k.
				delta := p.Delta(nil, spots)
				grad := fd.Gradient(nil, p.Price, spots, &fd.Settings{Formula: fd.Central, Step: 1e-5})
				if !floats.EqualApprox(delta, grad, 1e-8) {
					t.Errorf("%s: Delta %v, finite differences of Price %v", name, delta, grad)
				}
				h := p.Hessian(nil, spots)
				jac := mat.NewDense(n, n, nil)
				fd.Jacobian(jac, func(y, x []float64) { p.Delta(y, x) }, spots, &fd.JacobianSettings{Formula: fd.Central, Step: 1e-5})
				if !mat.EqualApprox(h, jac, 1e-7) {
					t.Errorf("%s: Hessian\n%v\nfinite differences of Delta\n%v", name, mat.Formatted(h), mat.Formatted(jac))
				}

				gamma := p.Gamma(spots)
				if got := mat.Sum(h); math.Abs(gamma-got) > 1e-13*gamma {
					t.Errorf("%s: Gamma = %v, 1ᵀH1 of Hessian = %v", name, gamma, got)
				}
				const step = 1e-4
				plus, minus := make([]float64, n), make([]float64, n)
				for i := range spots {
					plus[i], minus[i] = spots[i]+step, spots[i]-step
				}
				fdGamma := (p.Price(plus) - 2*p.Price(spots) + p.Price(minus)) / (step * step)
				if math.Abs(gamma-fdGamma) > 1e-5*math.Max(1, gamma) {
					t.Errorf("%s: Gamma = %v, second difference of Price along 1 = %v", name, gamma, fdGamma)
				}

				v := make([]float64, n)
				for i := range v {
					v[i] = rng.NormFloat64()
				}
				var want mat.VecDense
				want.MulVec(h, mat.NewVecDense(n, v))
				if hv := p.HessVec(nil, spots, v); !floats.EqualApprox(hv, want.RawVector().Data, 1e-13*mat.Max(h)*floats.Norm(v, 1)) {
					t.Errorf("%s: HessVec = %v, Hessian·v = %v", name, hv, want.RawVector().Data)
				}
			}
		}
	}
}

// TestPortfolioOneBasket checks that a portfolio of one basket is that
// basket, bit for bit.
func TestPortfolioOneBasket(t *testing.T) {
	m := newModel(t, 7, 0)
	b, p := m.Basket(), m.Portfolio()
	if len(p) != 1 || !reflect.DeepEqual(p[0], b) {
		t.Fatalf("Portfolio() of New's model = %+v, want its Basket()", p)
	}
	spots := []float64{0.9, 1.0, 1.1, 1.2, 1.3, 1.05, 1.15}
	v := []float64{1, -2, 0.5, 3, 0, 1, 1}
	if p.Price(spots) != b.Price(spots) || p.Gamma(spots) != b.Gamma(spots) ||
		!sameBits(p.Delta(nil, spots), b.Delta(nil, spots)) ||
		!mat.Equal(p.Hessian(nil, spots), b.Hessian(nil, spots)) ||
		!sameBits(p.HessVec(nil, spots, v), b.HessVec(nil, v, b.Gamma(spots))) {
		t.Error("a portfolio of one basket differs from the basket")
	}
}

// TestPortfolioPanics checks the documented panics.
func TestPortfolioPanics(t *testing.T) {
	p := newPortfolio(t, 3, 2, 0).Portfolio()
	mixed := Portfolio{p[0], {Weights: []float64{1, 0}, Strike: 1, Vol: 0.2, Tau: 1}}
	spots := []float64{1, 1, 1}
	var wrong mat.SymDense
	wrong.ReuseAsSym(2)
	for _, tc := range []struct {
		name string
		f    func()
		want string
	}{
		{"empty", func() { Portfolio{}.Price(nil) }, panicPortfolio},
		{"mixed lengths", func() { mixed.Gamma(spots) }, panicPortfolio},
		{"short spots", func() { p.Price(spots[:2]) }, panicSpots},
		{"short dst", func() { p.Delta(make([]float64, 2), spots) }, panicDst},
		{"short v", func() { p.HessVec(nil, spots, spots[:2]) }, panicV},
		{"wrong Hessian", func() { p.Hessian(&wrong, spots) }, panicHessian},
	} {
		func() {
			defer func() {
				if r := recover(); r != tc.want {
					t.Errorf("%s: panic %v, want %q", tc.name, r, tc.want)
				}
			}()
			tc.f()
		}()
	}
}

// TestNewPortfolio checks the draws of NewPortfolio: New's model and basket
// 0 whatever k, k = 1 giving New's model, weights positive summing to 1,
// strikes and times to expiry in their ranges, Vol_j = sqrt(w_jᵀΣw_j)
// (computed here with the Cholesky factor), distinct directions, the same
// first baskets for a larger k, and errors.
func TestNewPortfolio(t *testing.T) {
	one := newModel(t, 7, 5)
	if m := newPortfolio(t, 7, 1, 5); !reflect.DeepEqual(m, one) {
		t.Error("NewPortfolio(7, 1, 5) differs from New(7, 5)")
	}
	m := newPortfolio(t, 7, 16, 5)
	rest := *m
	rest.ExtraBaskets = nil
	if !reflect.DeepEqual(&rest, one) {
		t.Error("NewPortfolio(7, 16, 5) changes the model of New(7, 5)")
	}
	if len(m.ExtraBaskets) != 15 {
		t.Fatalf("%d extra baskets, want 15", len(m.ExtraBaskets))
	}
	for j, b := range m.ExtraBaskets {
		if floats.Min(b.Weights) <= 0 || math.Abs(floats.Sum(b.Weights)-1) > 1e-15 {
			t.Errorf("basket %d: weights %v, want positive and summing to 1", j+1, b.Weights)
		}
		if b.Strike < 0.9 || b.Strike >= 1.3 || b.Tau < 0.5 || b.Tau >= 2 {
			t.Errorf("basket %d: strike %v, τ %v, want in [0.9, 1.3) and [0.5, 2)", j+1, b.Strike, b.Tau)
		}
		u := make([]float64, 7) // Lᵀw, whose norm is the basket volatility
		for i, row := range m.Chol {
			floats.AddScaled(u[:i+1], b.Weights[i], row[:i+1])
		}
		if got := floats.Norm(u, 2); math.Abs(got-b.Vol) > 1e-14 {
			t.Errorf("basket %d: Vol %v, |Lᵀw| %v", j+1, b.Vol, got)
		}
		// Concentrated weights: the largest is well above the mean 1/7, and the
		// direction differs from basket 0's.
		if floats.Max(b.Weights) < 0.25 {
			t.Errorf("basket %d: largest weight %v, want the weights concentrated (U³)", j+1, floats.Max(b.Weights))
		}
		cos := floats.Dot(b.Weights, m.Weights) / (floats.Norm(b.Weights, 2) * floats.Norm(m.Weights, 2))
		if cos > 0.99 {
			t.Errorf("basket %d: cosine %v with basket 0, want another direction", j+1, cos)
		}
	}
	if first := newPortfolio(t, 7, 4, 5); !reflect.DeepEqual(first.ExtraBaskets, m.ExtraBaskets[:3]) {
		t.Error("NewPortfolio(7, 4, 5)'s baskets are not the first of NewPortfolio(7, 16, 5)'s")
	}
	if other := newPortfolio(t, 7, 16, 6); reflect.DeepEqual(other.ExtraBaskets[0], m.ExtraBaskets[0]) {
		t.Error("seeds 5 and 6 draw the same extra basket")
	}
	for _, tc := range []struct{ n, k int }{{7, 0}, {7, -1}, {0, 3}} {
		if _, err := NewPortfolio(tc.n, tc.k, 0); err == nil {
			t.Errorf("NewPortfolio(%d, %d): no error", tc.n, tc.k)
		}
	}
	// One asset: every basket is the asset, with its own strike and expiry.
	single := newPortfolio(t, 1, 3, 0)
	for _, b := range single.ExtraBaskets {
		if b.Weights[0] != 1 || math.Abs(b.Vol-single.Vol) > 1e-15 {
			t.Errorf("n = 1: basket %+v, want weight 1 and the asset's volatility %v", b, single.Vol)
		}
	}
}

// TestPortfolioData checks the data of a portfolio: exact test labels of
// Portfolio, training sets independent of the block size, and the Hessian
// labels' rank (at most k).
func TestPortfolioData(t *testing.T) {
	m := newPortfolio(t, 7, 4, 9)
	p := m.Portfolio()
	test := m.TestSet(300, true)
	n := m.Dims()
	for r := range test.N() {
		x := test.X[r*n : (r+1)*n]
		h := p.Hessian(nil, x)
		if math.Abs(test.Y[r]-p.Price(x)) > 1e-15 || !floats.EqualApprox(test.DYDX[r*n:(r+1)*n], p.Delta(nil, x), 1e-15) ||
			math.Abs(test.Gamma[r]-p.Gamma(x)) > 1e-13*p.Gamma(x) ||
			!mat.EqualApprox(mat.NewDense(n, n, test.Hessian[r*n*n:(r+1)*n*n]), h, 1e-13*mat.Max(h)) {
			t.Fatalf("test point %d: labels differ from the closed form of the portfolio", r)
		}
	}
	opts := TrainOptions{Smoothing: 0.02, Hessian: true}
	whole := m.TrainingSet(500, opts)
	s := m.TrainingSampler(opts)
	for i, b := range []struct{ lo, hi int }{{0, 1}, {1, 200}, {200, 500}} {
		part := s.Fill(s.NewSet(b.hi - b.lo))
		if !sameSet(part, whole.Slice(b.lo, b.hi)) {
			t.Errorf("block %d: samples %d…%d differ from those of one block", i, b.lo, b.hi-1)
		}
	}
	for r := range 20 {
		var svd mat.SVD
		if !svd.Factorize(mat.NewDense(n, n, whole.Hessian[r*n*n:(r+1)*n*n]), mat.SVDNone) {
			t.Fatal("SVD failed")
		}
		sv := svd.Values(nil)
		if sv[len(p)] > 1e-12*sv[0] {
			t.Errorf("sample %d: Hessian label has singular values %v, want rank ≤ %d", r, sv, len(p))
		}
	}
}

// TestPortfolioSpec checks that spec.json of a portfolio holds its extra
// baskets and gives back the model, and that a folder of several baskets
// holds other data than one of one basket.
func TestPortfolioSpec(t *testing.T) {
	dir := t.TempDir()
	files := FolderFiles(dir)
	c := DataConfig{Dims: 5, Seed: 2, Baskets: 3, Train: 100, Test: 50, Smoothing: 0.01}
	m, err := WriteData(context.Background(), files, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Baskets() != 3 {
		t.Fatalf("WriteData with 3 baskets made a model of %d", m.Baskets())
	}
	data, err := os.ReadFile(files.Spec)
	if err != nil {
		t.Fatal(err)
	}
	var back Model
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, m) {
		t.Errorf("spec.json does not give back the model of 3 baskets:\n%s", data)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		t.Fatal(err)
	}
	var extra []map[string]any
	if err := json.Unmarshal(keys["extra_baskets"], &extra); err != nil || len(extra) != 2 {
		t.Fatalf("spec.json's extra_baskets = %s, want 2 baskets (%v)", keys["extra_baskets"], err)
	}
	for _, k := range []string{"weights", "strike", "basket_vol", "tau"} {
		if _, ok := extra[0][k]; !ok {
			t.Errorf("an extra basket in spec.json has no key %q", k)
		}
	}
	one := newModel(t, 5, 2)
	js, err := json.Marshal(one)
	if err != nil {
		t.Fatal(err)
	}
	var oneKeys map[string]json.RawMessage
	if err := json.Unmarshal(js, &oneKeys); err != nil {
		t.Fatal(err)
	}
	if _, ok := oneKeys["extra_baskets"]; ok {
		t.Errorf("the JSON of a model of one basket has extra_baskets: %s", js)
	}
	if sameSet(m.TrainingSet(10, TrainOptions{}), one.TrainingSet(10, TrainOptions{})) {
		t.Error("3 baskets give the training set of one")
	}
}
