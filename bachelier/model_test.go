package bachelier

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		n    int
		seed uint64
	}{
		{1, 0}, {2, 0}, {7, 0}, {7, 1}, {7, 12345}, {50, 3}, {500, 0},
	} {
		m, err := New(tc.n, tc.seed)
		if err != nil {
			t.Fatalf("New(%d, %d): %v", tc.n, tc.seed, err)
		}
		name := fmt.Sprintf("New(%d, %d)", tc.n, tc.seed)
		n := tc.n
		if m.Dims() != n || len(m.Vols) != n || len(m.Corr) != n || len(m.Chol) != n {
			t.Fatalf("%s: dims %d, %d vols, %d×? corr, %d×? chol; want %d", name, m.Dims(), len(m.Vols), len(m.Corr), len(m.Chol), n)
		}
		if m.Strike != 1.10 || m.T1 != 1 || m.T2 != 2 || m.Vol != 0.2 || m.Seed != tc.seed {
			t.Errorf("%s: K %v, T1 %v, T2 %v, Vol %v, Seed %v; want 1.1, 1, 2, 0.2, %d", name, m.Strike, m.T1, m.T2, m.Vol, m.Seed, tc.seed)
		}
		// Weights drawn from U(1, 10) and normalised: ratios within 10, sum 1.
		if sum := floats.Sum(m.Weights); math.Abs(sum-1) > 1e-14 {
			t.Errorf("%s: weights sum to %v, want 1", name, sum)
		}
		if lo, hi := floats.Min(m.Weights), floats.Max(m.Weights); lo <= 0 || hi > 10*lo {
			t.Errorf("%s: weights in [%v, %v], want positive with ratio at most 10", name, lo, hi)
		}
		corr := mat.NewSymDense(n, nil)
		sigma := mat.NewSymDense(n, nil)
		for i := range n {
			if m.Corr[i][i] != 1 {
				t.Errorf("%s: Corr[%d][%d] = %v, want 1", name, i, i, m.Corr[i][i])
			}
			for j := range n {
				if m.Corr[i][j] != m.Corr[j][i] || math.Abs(m.Corr[i][j]) > 1 {
					t.Errorf("%s: Corr[%d][%d] = %v, Corr[%d][%d] = %v: want symmetric in [-1, 1]", name, i, j, m.Corr[i][j], j, i, m.Corr[j][i])
				}
				if j >= i {
					corr.SetSym(i, j, m.Corr[i][j])
					sigma.SetSym(i, j, m.Vols[i]*m.Corr[i][j]*m.Vols[j])
				}
				if j > i && m.Chol[i][j] != 0 {
					t.Errorf("%s: Chol[%d][%d] = %v above the diagonal", name, i, j, m.Chol[i][j])
				}
			}
			if m.Chol[i][i] <= 0 {
				t.Errorf("%s: Chol[%d][%d] = %v, want positive", name, i, i, m.Chol[i][i])
			}
		}
		var chol mat.Cholesky
		if !chol.Factorize(corr) {
			t.Errorf("%s: correlation matrix is not positive definite", name)
		}
		w := mat.NewVecDense(n, m.Weights)
		if vol := math.Sqrt(mat.Inner(w, sigma, w)); math.Abs(vol-0.2) > 1e-12 {
			t.Errorf("%s: sqrt(wᵀΣw) = %.17g, want 0.2 to 1e-12", name, vol)
		}
		// L·Lᵀ = Σ, and |Lᵀw| = 0.2.
		l := mat.NewDense(n, n, nil)
		for i := range n {
			l.SetRow(i, m.Chol[i])
		}
		var llt mat.Dense
		llt.Mul(l, l.T())
		if !mat.EqualApprox(&llt, sigma, 1e-12*mat.Max(sigma)) {
			t.Errorf("%s: L·Lᵀ differs from Σ = diag(v)·Corr·diag(v) by more than 1e-12·max(Σ)", name)
		}
		var ltw mat.VecDense
		ltw.MulVec(l.T(), w)
		if vol := mat.Norm(&ltw, 2); math.Abs(vol-0.2) > 1e-12 {
			t.Errorf("%s: |Lᵀw| = %.17g, want 0.2 to 1e-12", name, vol)
		}
	}
}

func TestNewOneAsset(t *testing.T) {
	m, err := New(1, 9)
	if err != nil {
		t.Fatal(err)
	}
	if m.Weights[0] != 1 || m.Corr[0][0] != 1 || math.Abs(m.Vols[0]-0.2) > 1e-15 || math.Abs(m.Chol[0][0]-0.2) > 1e-15 {
		t.Errorf("New(1, 9): w %v, corr %v, vols %v, L %v; want [1], [[1]], [0.2], [[0.2]]", m.Weights, m.Corr, m.Vols, m.Chol)
	}
}

func TestNewErrors(t *testing.T) {
	for _, n := range []int{0, -3} {
		m, err := New(n, 0)
		if want := fmt.Sprintf("bachelier: %d assets, want at least 1", n); m != nil || err == nil || err.Error() != want {
			t.Errorf("New(%d, 0) = %v, %v; want nil, %q", n, m, err, want)
		}
	}
}

func TestNewReproducible(t *testing.T) {
	a, _ := New(7, 42)
	b, _ := New(7, 42)
	if !reflect.DeepEqual(a, b) {
		t.Error("New(7, 42) twice gives two models")
	}
	c, _ := New(7, 43)
	if reflect.DeepEqual(a.Weights, c.Weights) || reflect.DeepEqual(a.Vols, c.Vols) {
		t.Error("New(7, 43) has the weights or volatilities of New(7, 42)")
	}
}

func TestModelJSON(t *testing.T) {
	m, err := New(4, 5)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back Model
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, m) {
		t.Errorf("model does not survive a JSON round trip:\n%s", b)
	}
	var keys map[string]any
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"weights", "volatilities", "correlation", "cholesky", "basket_vol", "strike", "t1", "t2", "seed"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("JSON of a model has no key %q", k)
		}
	}
}

func TestTestBox(t *testing.T) {
	for _, tc := range []struct {
		n      int
		lo, hi string
	}{
		{1, "0.5000", "1.5000"},
		{7, "0.3232", "1.6768"},
		{13, "0.2500", "1.7500"},
	} {
		m, err := New(tc.n, 0)
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := m.TestBox()
		if got := fmt.Sprintf("%.4f", lo); got != tc.lo {
			t.Errorf("n = %d: lo = %s, want %s", tc.n, got, tc.lo)
		}
		if got := fmt.Sprintf("%.4f", hi); got != tc.hi {
			t.Errorf("n = %d: hi = %s, want %s", tc.n, got, tc.hi)
		}
	}
}
