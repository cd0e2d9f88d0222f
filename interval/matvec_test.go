package interval

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// randWeight draws a matrix entry: mostly moderate, sometimes zero, tiny,
// huge or from randFloat.
func randWeight(r *rand.Rand) float64 {
	switch r.IntN(8) {
	case 0:
		return 0
	case 1:
		return randFloat(r)
	case 2:
		return randExtreme(r)
	}
	return uniform(r, -1, 1)
}

// randVecInterval draws an input interval with finite bounds: narrow boxes
// around moderate centres (as in IASA) or randFiniteInterval.
func randVecInterval(r *rand.Rand) Interval {
	if r.IntN(2) == 0 {
		return randFiniteInterval(r)
	}
	m, w := uniform(r, -3, 3), math.Ldexp(r.Float64(), -r.IntN(40))
	return Interval{m - w, m + w}
}

// exactSum returns b + Σ w[j]·v[j] exactly: the precision spans the exponents
// of all products plus their 106-bit significands and the carries.
func exactSum(w, v []float64, b float64) *big.Float {
	lo, hi := math.MaxInt, math.MinInt
	note := func(x float64) {
		if x != 0 {
			_, e := math.Frexp(x)
			lo, hi = min(lo, e), max(hi, e)
		}
	}
	note(b)
	for j := range w {
		if w[j] != 0 && v[j] != 0 {
			_, e1 := math.Frexp(w[j])
			_, e2 := math.Frexp(v[j])
			lo, hi = min(lo, e1+e2-2), max(hi, e1+e2)
		}
	}
	prec := uint(200)
	if lo <= hi {
		prec = uint(hi-lo) + 200
	}
	sum := new(big.Float).SetPrec(prec).SetFloat64(b)
	for j := range w {
		p := new(big.Float).SetPrec(prec).SetFloat64(w[j])
		sum.Add(sum, p.Mul(p, new(big.Float).SetPrec(prec).SetFloat64(v[j])))
	}
	return sum
}

// checkRow checks a dot-product enclosure got of b + Σ w[j]·x[j] (finite x)
// against the exact range: it must contain it and exceed each bound by at
// most the documented 1.01·(2n+8)·2⁻⁵³·Σ|w[j]|·mag(x[j]) + (7n+4)·2⁻¹⁰⁷⁶,
// exactly if b = 0 and after one rounding outward if not.
func checkRow(got Interval, w []float64, x []Interval, b float64) error {
	n := len(x)
	loPts, hiPts, mag := make([]float64, n), make([]float64, n), make([]float64, n)
	for j, xj := range x {
		loPts[j], hiPts[j] = xj.Lo, xj.Hi
		if w[j] < 0 {
			loPts[j], hiPts[j] = xj.Hi, xj.Lo
		}
		mag[j] = xj.Mag()
	}
	lo, hi := exactSum(w, loPts, b), exactSum(w, hiPts, b)
	abs := make([]float64, n)
	for j := range w {
		abs[j] = math.Abs(w[j])
	}
	slack := exactSum(abs, mag, 0)
	slack.Mul(slack, bf(1.01*float64(2*n+8)*0x1p-53))
	slack.Add(slack, newRef().SetMantExp(bf(float64(7*n+4)), -1076)) // (7n+4)η/4, below float64
	if !bigContains(got, lo) || !bigContains(got, hi) {
		return fmt.Errorf("%v (%x, %x) misses [%s, %s]", got, got.Lo, got.Hi, lo.Text('g', 20), hi.Text('g', 20))
	}
	if slack.Cmp(bf(math.MaxFloat64*0x1p-60)) > 0 {
		return nil // partial sums may overflow: dotExact is sound but not tight then
	}
	// Rounded outward at a precision that resolves a bias far above the terms.
	prec := max(lo.Prec(), hi.Prec()) + 64
	loBound := new(big.Float).SetPrec(prec).SetMode(big.ToNegativeInf).Sub(lo, slack)
	hiBound := new(big.Float).SetPrec(prec).SetMode(big.ToPositiveInf).Add(hi, slack)
	wide := bf(got.Lo).Cmp(loBound) < 0 || bf(got.Hi).Cmp(hiBound) > 0
	if b != 0 {
		wide = got.Lo < roundDown(loBound) || got.Hi > roundUp(hiBound)
	}
	if wide {
		return fmt.Errorf("%v (%x, %x) is wider than [%s, %s] ± %s", got, got.Lo, got.Hi, lo.Text('g', 20), hi.Text('g', 20), slack.Text('g', 5))
	}
	return nil
}

// checkAll checks the enclosure of Σ w[j]·x[j] by Dot, MulVec (one row, with
// and without a zero bias) and MulVecTrans (one column) with checkRow, and
// that all of them agree.
func checkAll(w []float64, x []Interval) error {
	d := Dot(w, x)
	if err := checkRow(d, w, x, 0); err != nil {
		return fmt.Errorf("Dot: %v", err)
	}
	for _, b := range [][]float64{nil, {0}} {
		if m := MulVec(nil, w, 1, len(w), x, b)[0]; m != d {
			return fmt.Errorf("MulVec = %v, Dot = %v", m, d)
		}
	}
	if m := MulVecTrans(nil, w, len(w), 1, x)[0]; m != d {
		return fmt.Errorf("MulVecTrans = %v, Dot = %v", m, d)
	}
	return nil
}

// TestMulVecSubnormalBound checks the documented bound where the products
// underflow, at cases near the worst: the lower bound of the first is 4η
// below the exact 7η, beyond the bound of n·η documented before, and the
// upper bound of the second is 2.5η = (3n+2)η/2 above the exact 262.5η.
func TestMulVecSubnormalBound(t *testing.T) {
	for _, tc := range []struct {
		w    []float64
		x    []Interval
		want Interval
	}{
		{[]float64{0.625, -0.125, -0.25}, []Interval{{11 * eta, 12 * eta}, {-3 * eta, -3 * eta}, {-3 * eta, eta}}, Interval{3 * eta, 12 * eta}},
		{[]float64{0.75}, []Interval{{36 * eta, 350 * eta}}, Interval{25 * eta, 265 * eta}},
	} {
		if got := Dot(tc.w, tc.x); got != tc.want {
			t.Errorf("Dot(%v, %v) = %v, want %v", tc.w, tc.x, got, tc.want)
		}
		if err := checkAll(tc.w, tc.x); err != nil {
			t.Errorf("w = %v, x = %v: %v", tc.w, tc.x, err)
		}
	}
}

// TestMulVecSubnormalRandom checks the documented bound against exact
// math/big ranges for inputs in and near the subnormal range: small integer
// multiples of η, where every product underflows, and bounds across the
// normal–subnormal boundary with weights of many magnitudes, where some
// products underflow and others do not.
func TestMulVecSubnormalRandom(t *testing.T) {
	t.Parallel()
	r := newRand(1074)
	for i := range 30000 {
		n := 1 + r.IntN(12)
		w, x := make([]float64, n), make([]Interval, n)
		mixed := i%2 == 1
		for j := range n {
			switch r.IntN(3) {
			case 0:
				w[j] = float64(r.IntN(33)-16) / 16
			case 1:
				w[j] = uniform(r, -1, 1)
			default:
				w[j] = math.Ldexp(uniform(r, -1, 1), r.IntN(61)-30)
			}
			if !mixed {
				k := 1 << r.IntN(12)
				a, b := r.IntN(2*k+1)-k, r.IntN(2*k+1)-k
				x[j] = Interval{float64(min(a, b)) * eta, float64(max(a, b)) * eta}
				continue
			}
			e := -1074 + r.IntN(90) // |bounds| up to 2⁻⁹⁸⁴
			a := math.Ldexp(uniform(r, -1, 1), e)
			switch r.IntN(3) {
			case 0:
				x[j] = Interval{a, a}
			case 1:
				x[j] = Interval{-math.Abs(a), math.Abs(a)}
			default:
				b := a + math.Ldexp(r.Float64(), e-r.IntN(60))
				x[j] = Interval{min(a, b), max(a, b)}
			}
		}
		if err := checkAll(w, x); err != nil {
			t.Fatalf("w = %v, x = %v: %v", w, x, err)
		}
	}
}

// TestMulVecExact compares MulVec, MulVecTrans and Dot on random matrices
// with exact big.Float ranges.
func TestMulVecExact(t *testing.T) {
	t.Parallel()
	r := newRand(80)
	for range 3000 {
		rows, cols := r.IntN(13), r.IntN(13)
		w := make([]float64, rows*cols)
		for i := range w {
			w[i] = randWeight(r)
		}
		x := make([]Interval, cols)
		for j := range x {
			x[j] = randVecInterval(r)
		}
		var b []float64
		if r.IntN(2) == 0 {
			b = make([]float64, rows)
			for i := range b {
				b[i] = randWeight(r)
			}
		}
		got := MulVec(nil, w, rows, cols, x, b)
		for i := range rows {
			var bi float64
			if b != nil {
				bi = b[i]
			}
			if err := checkRow(got[i], w[i*cols:(i+1)*cols], x, bi); err != nil {
				t.Fatalf("MulVec %d×%d row %d: %v", rows, cols, i, err)
			}
			if b == nil {
				if d := Dot(w[i*cols:(i+1)*cols], x); d != got[i] {
					t.Fatalf("Dot = %v, MulVec row = %v", d, got[i])
				}
			}
		}
		// Wᵀ·y for y of length rows equals MulVec of the transposed matrix.
		y := make([]Interval, rows)
		for i := range y {
			y[i] = randVecInterval(r)
		}
		wt := make([]float64, cols*rows)
		for i := range rows {
			for j := range cols {
				wt[j*rows+i] = w[i*cols+j]
			}
		}
		gotT, want := MulVecTrans(nil, w, rows, cols, y), MulVec(nil, wt, cols, rows, y, nil)
		for j := range cols {
			if gotT[j] != want[j] {
				t.Fatalf("MulVecTrans column %d = %v, MulVec of the transpose = %v", j, gotT[j], want[j])
			}
			if err := checkRow(gotT[j], wt[j*rows:(j+1)*rows], y, 0); err != nil {
				t.Fatalf("MulVecTrans %d×%d column %d: %v", rows, cols, j, err)
			}
		}
	}
}

func TestMulVecSpecialCases(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name string
		w    []float64
		x    []Interval
		b    float64
		want Interval
	}{
		{"zero weight on Entire", []float64{1, 0}, []Interval{{1, 2}, Entire()}, 0, Interval{1, 2}},
		{"half-line", []float64{1, 1}, []Interval{{1, 2}, {0, inf}}, 0, Interval{1, inf}},
		{"negative weight", []float64{-1, 2}, []Interval{{ninf, 0}, {1, 1}}, 0, Interval{2, inf}},
		{"empty input", []float64{1, 1}, []Interval{{1, 2}, Empty()}, 0, Empty()},
		{"empty beats NaN weight", []float64{nan, 1}, []Interval{{1, 2}, Empty()}, 0, Empty()},
		{"NaN weight", []float64{nan, 1}, []Interval{{1, 2}, {0, 0}}, 0, Entire()},
		{"Inf weight", []float64{inf, 1}, []Interval{{0, 0}, {0, 0}}, 0, Entire()},
		{"Inf bias", []float64{1, 1}, []Interval{{0, 1}, {0, 1}}, inf, Entire()},
		{"overflow", []float64{maxf, maxf}, []Interval{{1, 1}, {1, 1}}, 0, Interval{maxf, inf}},
		{"exact", []float64{1, 2}, []Interval{{1, 2}, {3, 4}}, 0.5, Interval{7.5, 10.5}},
		{"no columns", []float64{}, []Interval{}, 3, Interval{3, 3}},
	} {
		got := MulVec(nil, tc.w, 1, len(tc.x), tc.x, []float64{tc.b})[0]
		if tc.want == (Interval{7.5, 10.5}) || tc.want == (Interval{3, 3}) {
			// Finite rows carry the error bound 2(n+2)·2⁻⁵³·Σ|w|·mag(x) ≈ 9e-15
			// per side.
			if !Subset(tc.want, got) || got.Width() > tc.want.Width()+2e-14 {
				t.Errorf("%s: got %v, want about %v", tc.name, got, tc.want)
			}
			continue
		}
		if got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
		if tc.b == 0 {
			if d := Dot(tc.w, tc.x); d != tc.want {
				t.Errorf("%s: Dot = %v, want %v", tc.name, d, tc.want)
			}
			if d := MulVecTrans(nil, tc.w, len(tc.x), 1, tc.x)[0]; d != tc.want {
				t.Errorf("%s: MulVecTrans = %v, want %v", tc.name, d, tc.want)
			}
		}
	}
}

func TestMulVecDst(t *testing.T) {
	w := []float64{1, 2, 3, 4, 5, 6} // 2×3
	x := []Interval{{1, 1}, {0, 1}, {-1, 1}}
	dst := make([]Interval, 2)
	if got := MulVec(dst, w, 2, 3, x, nil); &got[0] != &dst[0] {
		t.Error("MulVec did not return dst")
	}
	if got := MulVecTrans(make([]Interval, 3), w, 2, 3, x[:2]); len(got) != 3 {
		t.Errorf("MulVecTrans returned %d elements, want 3", len(got))
	}
	y := make([]Interval, 128)
	for i := range y {
		y[i] = Interval{float64(i), float64(i) + 0.5}
	}
	big := make([]float64, 128*128)
	for i := range big {
		big[i] = float64(i%7) - 3
	}
	out := make([]Interval, 128)
	if a := testing.AllocsPerRun(10, func() { MulVec(out, big, 128, 128, y, big[:128]) }); a != 0 {
		t.Errorf("MulVec allocates %v times per call", a)
	}
	if a := testing.AllocsPerRun(10, func() { MulVecTrans(out, big, 128, 128, y) }); a != 0 {
		t.Errorf("MulVecTrans allocates %v times per call", a)
	}
}

func TestMulVecPanics(t *testing.T) {
	w := make([]float64, 6)
	x2, x3 := make([]Interval, 2), make([]Interval, 3)
	for _, tc := range []struct {
		name string
		f    func()
		msg  string
	}{
		{"MulVec negative rows", func() { MulVec(nil, nil, -1, 0, nil, nil) }, panicShape},
		{"MulVec len(w)", func() { MulVec(nil, w, 2, 2, x2, nil) }, panicLength},
		{"MulVec len(x)", func() { MulVec(nil, w, 2, 3, x2, nil) }, panicLength},
		{"MulVec len(b)", func() { MulVec(nil, w, 2, 3, x3, []float64{1}) }, panicLength},
		{"MulVec len(dst)", func() { MulVec(make([]Interval, 3), w, 2, 3, x3, nil) }, panicLength},
		{"MulVecTrans negative cols", func() { MulVecTrans(nil, nil, 0, -1, nil) }, panicShape},
		{"MulVecTrans len(x)", func() { MulVecTrans(nil, w, 2, 3, x3) }, panicLength},
		{"MulVecTrans len(dst)", func() { MulVecTrans(make([]Interval, 2), w, 2, 3, x2) }, panicLength},
		{"Dot", func() { Dot(w, x2) }, panicLength},
	} {
		func() {
			defer func() {
				if got := recover(); got != tc.msg {
					t.Errorf("%s: panic %v, want %q", tc.name, got, tc.msg)
				}
			}()
			tc.f()
		}()
	}
}
