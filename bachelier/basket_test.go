package bachelier

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

func TestBasketAtTheMoney(t *testing.T) {
	// B = K: d = 0, price = s·φ(0), delta = w/2, gamma = φ(0)/s.
	b := Basket{Weights: []float64{0.25, 0.75}, Strike: 1.1, Vol: 0.2, Tau: 4}
	spots := []float64{1.1, 1.1}
	s := 0.4
	phi0 := 1 / math.Sqrt(2*math.Pi)
	if got, want := b.Price(spots), s*phi0; math.Abs(got-want) > 1e-16 {
		t.Errorf("Price = %.17g, want s·φ(0) = %.17g", got, want)
	}
	if got := b.Delta(nil, spots); got[0] != 0.125 || got[1] != 0.375 {
		t.Errorf("Delta = %v, want [0.125 0.375]", got)
	}
	if got, want := b.Gamma(spots), phi0/s; math.Abs(got-want) > 1e-15 {
		t.Errorf("Gamma = %.17g, want φ(0)/s = %.17g", got, want)
	}
	// d = ±10: intrinsic value and zero (the time value s·φ(d)/d² ≈ 3e-25).
	if got := b.Price([]float64{5.1, 5.1}); math.Abs(got-4) > 1e-15 {
		t.Errorf("deep in the money: Price = %v, want 4", got)
	}
	if got := b.Price([]float64{-2.9, -2.9}); got < 0 || got > 1e-24 {
		t.Errorf("deep out of the money: Price = %v, want about 0 and not negative", got)
	}
}

// TestBasketDerivatives checks Delta, Hessian, Gamma and HessVec against
// central finite differences of Price and Delta (float64 throughout).
func TestBasketDerivatives(t *testing.T) {
	m, err := New(7, 0)
	if err != nil {
		t.Fatal(err)
	}
	unnormalised := Basket{Weights: []float64{0.5, 2, 1}, Strike: 3.3, Vol: 0.7, Tau: 0.5}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, b := range []Basket{m.Basket(), unnormalised} {
		n := b.Dims()
		for trial := range 6 {
			spots := make([]float64, n)
			for i := range spots { // baskets from about 2.5 s below to 2.5 s above K
				spots[i] = b.Strike/floats.Sum(b.Weights) + (rng.Float64()-0.5)*2*b.Vol*math.Sqrt(b.Tau)
			}
			name := fmt.Sprintf("n = %d, trial %d", n, trial)

			delta := b.Delta(make([]float64, n), spots)
			grad := fd.Gradient(nil, b.Price, spots, &fd.Settings{Formula: fd.Central, Step: 1e-5})
			if !floats.EqualApprox(delta, grad, 1e-9) { // FD error O(h²·p‴) ≈ 1e-10·(1/s²)
				t.Errorf("%s: Delta %v, finite differences of Price %v", name, delta, grad)
			}

			h := b.Hessian(nil, spots)
			jac := mat.NewDense(n, n, nil)
			fd.Jacobian(jac, func(y, x []float64) { b.Delta(y, x) }, spots, &fd.JacobianSettings{Formula: fd.Central, Step: 1e-5})
			if !mat.EqualApprox(h, jac, 1e-8) {
				t.Errorf("%s: Hessian\n%v\nfinite differences of Delta\n%v", name, mat.Formatted(h), mat.Formatted(jac))
			}

			ones := make([]float64, n)
			floats.AddConst(1, ones)
			step := 1e-4
			plus, minus := make([]float64, n), make([]float64, n)
			floats.AddScaledTo(plus, spots, step, ones)
			floats.AddScaledTo(minus, spots, -step, ones)
			fdGamma := (b.Price(plus) - 2*b.Price(spots) + b.Price(minus)) / (step * step)
			if got := b.Gamma(spots); math.Abs(got-fdGamma) > 1e-5*math.Max(1, got) {
				t.Errorf("%s: Gamma = %v, second difference of Price along 1 = %v", name, got, fdGamma)
			}
			if got, want := b.Gamma(spots), mat.Sum(h); math.Abs(got-want) > 1e-13*want {
				t.Errorf("%s: Gamma = %v, 1ᵀH1 of Hessian = %v", name, got, want)
			}

			v := make([]float64, n)
			for i := range v {
				v[i] = rng.NormFloat64()
			}
			hv := b.HessVec(nil, v, b.Gamma(spots))
			var want mat.VecDense
			want.MulVec(h, mat.NewVecDense(n, v))
			if !floats.EqualApprox(hv, want.RawVector().Data, 1e-13*mat.Max(h)*floats.Norm(v, 1)) {
				t.Errorf("%s: HessVec = %v, Hessian·v = %v", name, hv, want.RawVector().Data)
			}
		}
	}
}

func TestBasketDst(t *testing.T) {
	b := Basket{Weights: []float64{0.5, 0.5}, Strike: 1, Vol: 0.2, Tau: 1}
	spots := []float64{1, 1.2}
	dst := make([]float64, 2)
	if got := b.Delta(dst, spots); &got[0] != &dst[0] {
		t.Error("Delta does not return dst")
	}
	if got := b.HessVec(dst, spots, 1); &got[0] != &dst[0] {
		t.Error("HessVec does not return dst")
	}
	// HessVec may overwrite its direction.
	v := []float64{1, 3}
	if got := b.HessVec(v, v, 4); got[0] != 4 || got[1] != 4 { // 4·(w·v)·w
		t.Errorf("HessVec(v, v, 4) = %v, want [4 4]", got)
	}
	var empty mat.SymDense
	if got := b.Hessian(&empty, spots); got != &empty || got.SymmetricDim() != 2 {
		t.Error("Hessian does not size and return an empty dst")
	}
	for _, tc := range []struct {
		name string
		f    func()
		want string
	}{
		{"Price", func() { b.Price([]float64{1}) }, panicSpots},
		{"Delta spots", func() { b.Delta(nil, []float64{1, 2, 3}) }, panicSpots},
		{"Delta dst", func() { b.Delta(make([]float64, 3), spots) }, panicDst},
		{"Gamma", func() { b.Gamma(nil) }, panicSpots},
		{"Hessian dst", func() { b.Hessian(mat.NewSymDense(3, nil), spots) }, panicHessian},
		{"HessVec v", func() { b.HessVec(nil, []float64{1}, 1) }, panicV},
		{"HessVec dst", func() { b.HessVec(make([]float64, 1), spots, 1) }, panicDst},
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

// within4SE reports whether the sample mean of x is within 4 standard errors
// of want, and returns the mean and standard error.
func within4SE(x []float64, want float64) (ok bool, mean, se float64) {
	return withinSE(x, want, 4)
}

// within3SE is within4SE with 3 standard errors.
func within3SE(x []float64, want float64) (ok bool, mean, se float64) {
	return withinSE(x, want, 3)
}

// withinSE reports whether the sample mean of x is within k standard errors
// of want, and returns the mean and standard error.
func withinSE(x []float64, want, k float64) (ok bool, mean, se float64) {
	mean, sd := stat.MeanStdDev(x, nil)
	se = sd / math.Sqrt(float64(len(x)))
	return math.Abs(mean-want) <= k*se, mean, se
}

// TestBasketMonteCarlo checks the closed form against Monte Carlo runs of
// 200,000 paths: one drawing the basket at T2 from its exact conditional
// normal distribution (in antithetic pairs), one simulating all spots S2 = S1 + √τ·L·z with the
// model's Cholesky factor (which also checks that L gives the basket
// volatility). Deltas are checked by the pathwise estimator 1{B > K}·w and,
// for the full simulation, by the likelihood-ratio estimator
// payoff·(L⁻ᵀz)/√τ, which does not assume the form Φ(d)·w.
func TestBasketMonteCarlo(t *testing.T) {
	const paths = 200_000
	m, err := New(7, 0)
	if err != nil {
		t.Fatal(err)
	}
	b := m.Basket()
	n := m.Dims()
	sqrtTau := math.Sqrt(m.T2 - m.T1)
	s := m.Vol * sqrtTau
	l := mat.NewTriDense(n, mat.Lower, nil)
	for i := range n {
		for j := 0; j <= i; j++ {
			l.SetTri(i, j, m.Chol[i][j])
		}
	}
	var linvT mat.Dense // L⁻ᵀ
	if err := linvT.Inverse(l.T()); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2024, 7))
	for _, level := range []float64{0.8, 1.0, 1.1, 1.35} {
		spots := make([]float64, n)
		for i := range spots { // a spread of spots around the level
			spots[i] = level + 0.1*float64(i-n/2)/float64(n)
		}
		price, delta := b.Price(spots), b.Delta(nil, spots)
		b0 := floats.Dot(m.Weights, spots)
		name := fmt.Sprintf("basket %.3f", b0)

		// Exact conditional distribution: B(T2) ~ N(B, s²), antithetic pairs.
		pay, itm := make([]float64, paths), make([]float64, paths)
		for k := range paths {
			dz := s * rng.NormFloat64()
			for _, bt := range [2]float64{b0 + dz, b0 - dz} {
				pay[k] += 0.5 * math.Max(bt-m.Strike, 0)
				if bt > m.Strike {
					itm[k] += 0.5
				}
			}
		}
		if ok, mean, se := within4SE(pay, price); !ok {
			t.Errorf("%s, exact B(T2): MC price %.6f ± %.6f, closed form %.6f", name, mean, se, price)
		}
		if ok, mean, se := within4SE(itm, delta[0]/m.Weights[0]); !ok {
			t.Errorf("%s, exact B(T2): MC Φ(d) %.6f ± %.6f, closed form %.6f", name, mean, se, delta[0]/m.Weights[0])
		}

		// Full simulation of the spots with L; a = L⁻ᵀz gives the likelihood ratio.
		pw := make([][]float64, n)
		lr := make([][]float64, n)
		for i := range n {
			pw[i] = make([]float64, paths)
			lr[i] = make([]float64, paths)
		}
		z := make([]float64, n)
		for k := range paths {
			for i := range n {
				z[i] = rng.NormFloat64()
			}
			bt := b0
			for i := range n { // w·(S1 + √τ·L·z)
				bt += m.Weights[i] * sqrtTau * floats.Dot(m.Chol[i][:i+1], z[:i+1])
			}
			pay[k] = math.Max(bt-m.Strike, 0)
			for i := range n {
				if bt > m.Strike {
					pw[i][k] = m.Weights[i]
				} else {
					pw[i][k] = 0
				}
				lr[i][k] = pay[k] * floats.Dot(linvT.RawRowView(i), z) / sqrtTau
			}
		}
		if ok, mean, se := within4SE(pay, price); !ok {
			t.Errorf("%s, S2 simulated with L: MC price %.6f ± %.6f, closed form %.6f", name, mean, se, price)
		}
		for i := range n {
			if ok, mean, se := within4SE(pw[i], delta[i]); !ok {
				t.Errorf("%s, S2 simulated with L: pathwise MC delta[%d] %.6f ± %.6f, closed form %.6f", name, i, mean, se, delta[i])
			}
			if ok, mean, se := within4SE(lr[i], delta[i]); !ok {
				t.Errorf("%s, S2 simulated with L: likelihood-ratio MC delta[%d] %.6f ± %.6f, closed form %.6f", name, i, mean, se, delta[i])
			}
		}
	}
}
