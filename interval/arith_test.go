package interval

import (
	"fmt"
	"math"
	"math/big"
	"testing"
)

var (
	inf  = math.Inf(1)
	ninf = math.Inf(-1)
	maxf = math.MaxFloat64
	eta  = math.SmallestNonzeroFloat64
	// negZero is −0 (the constant -0.0 is +0 in Go).
	negZero = math.Copysign(0, -1)
)

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		want   Interval
	}{
		{1, 2, Interval{1, 2}},
		{2, 1, Empty()},
		{math.NaN(), 1, Empty()},
		{1, math.NaN(), Empty()},
		{inf, inf, Empty()},
		{ninf, ninf, Empty()},
		{ninf, inf, Entire()},
		{negZero, 0, Interval{0, 0}},
	} {
		if got := New(tc.lo, tc.hi); got != tc.want {
			t.Errorf("New(%v, %v) = %v, want %v", tc.lo, tc.hi, got, tc.want)
		}
	}
	for _, x := range []float64{inf, ninf, math.NaN()} {
		if got := Point(x); !got.IsEmpty() {
			t.Errorf("Point(%v) = %v, want empty", x, got)
		}
	}
	var zero Interval
	if zero != Point(0) || zero.IsEmpty() {
		t.Errorf("zero value %v, want [0, 0]", zero)
	}
}

// TestSpecialCases checks set-based results on empty, entire, zero and
// half-infinite operands, and that no operation produces a NaN bound.
func TestSpecialCases(t *testing.T) {
	e, all := Empty(), Entire()
	for _, tc := range []struct {
		name      string
		got, want Interval
	}{
		{"Add(Entire, Entire)", Add(all, all), all},
		{"Sub(Entire, Entire)", Sub(all, all), all},
		{"Sub([1,+Inf], [1,+Inf])", Sub(Interval{1, inf}, Interval{1, inf}), all},
		{"Add(Empty, Entire)", Add(e, all), e},
		{"Add(max, max)", Add(Interval{0, maxf}, Interval{0, maxf}), Interval{0, inf}},
		{"Add(-max, -max)", Add(Interval{-maxf, -maxf}, Interval{-maxf, -maxf}), Interval{ninf, -maxf}},
		{"Mul([0,0], Entire)", Mul(Interval{0, 0}, all), Interval{0, 0}},
		{"Mul(Entire, [-0,-0])", Mul(all, Interval{negZero, negZero}), Interval{0, 0}},
		{"Mul([0,+Inf], [0,+Inf])", Mul(Interval{0, inf}, Interval{0, inf}), Interval{0, inf}},
		{"Mul([-Inf,0], [0,+Inf])", Mul(Interval{ninf, 0}, Interval{0, inf}), Interval{ninf, 0}},
		{"Mul(Entire, Entire)", Mul(all, all), all},
		{"Mul(max, 2)", Mul(Interval{maxf, maxf}, Interval{2, 2}), Interval{maxf, inf}},
		{"Mul(eta, 0.5)", Mul(Interval{eta, eta}, Interval{0.5, 0.5}), Interval{0, eta}},
		{"Mul(-eta, eta)", Mul(Interval{-eta, -eta}, Interval{eta, eta}), Interval{-eta, 0}},
		{"Div(Entire, Entire)", Div(all, all), all},
		{"Div(x, [0,0])", Div(Interval{1, 2}, Interval{0, 0}), e},
		{"Div([0,0], [0,0])", Div(Interval{0, 0}, Interval{0, 0}), e},
		{"Div([0,0], Entire)", Div(Interval{0, 0}, all), Interval{0, 0}},
		{"Div([1,2], [-1,1])", Div(Interval{1, 2}, Interval{-1, 1}), all},
		{"Div([1,2], [0,1])", Div(Interval{1, 2}, Interval{0, 1}), Interval{1, inf}},
		{"Div([1,2], [-0,1])", Div(Interval{1, 2}, Interval{negZero, 1}), Interval{1, inf}},
		{"Div([0,1], [0,1])", Div(Interval{0, 1}, Interval{0, 1}), Interval{0, inf}},
		{"Div([-2,-1], [-1,0])", Div(Interval{-2, -1}, Interval{-1, 0}), Interval{1, inf}},
		{"Div([1,+Inf], [1,+Inf])", Div(Interval{1, inf}, Interval{1, inf}), Interval{0, inf}},
		{"Div(max, 0.5)", Div(Interval{maxf, maxf}, Interval{0.5, 0.5}), Interval{maxf, inf}},
		{"Div(eta, 2)", Div(Interval{eta, eta}, Interval{2, 2}), Interval{0, eta}},
		{"Div(eta, 3)", Div(Interval{eta, eta}, Interval{3, 3}), Interval{0, eta}},
		{"Div(1, 3)", Div(Interval{1, 1}, Interval{3, 3}), Interval{0x1.5555555555555p-2, 0x1.5555555555556p-2}},
		{"Recip([0,10])", Recip(Interval{0, 10}), Interval{0x1.9999999999999p-4, inf}},
		{"Recip([-0,-0])", Recip(Interval{negZero, negZero}), e},
		{"Recip(Entire)", Recip(all), all},
		{"Sqr(Entire)", Sqr(all), Interval{0, inf}},
		{"Sqr([-1,2])", Sqr(Interval{-1, 2}), Interval{0, 4}},
		{"Sqr(eta)", Sqr(Interval{eta, eta}), Interval{0, eta}},
		{"Sqrt(Entire)", Sqrt(all), Interval{0, inf}},
		{"Sqrt([-Inf,-eta])", Sqrt(Interval{ninf, -eta}), e},
		{"Sqrt([-1,4])", Sqrt(Interval{-1, 4}), Interval{0, 2}},
		{"Sqrt([2,2])", Sqrt(Interval{2, 2}), Interval{0x1.6a09e667f3bccp+0, 0x1.6a09e667f3bcdp+0}},
		{"Sqrt(eta)", Sqrt(Interval{eta, eta}), Interval{0x1p-537, 0x1p-537}},
		{"Sqrt(2eta)", Sqrt(Interval{2 * eta, 2 * eta}), Interval{0x1.6a09e667f3bccp-537, 0x1.6a09e667f3bcdp-537}},
		{"Sub near overflow", Sub(Interval{-0x1.3b8384a6d11b8p+1019, 0}, Interval{-maxf, -maxf}), Interval{0x1.ec47c7b592ee3p+1023, maxf}},
		{"Exp(Entire)", Exp(all), Interval{0, inf}},
		{"Exp([0,0])", Exp(Interval{0, 0}), Interval{1, 1}},
		{"Exp([-Inf,0])", Exp(Interval{ninf, 0}), Interval{0, 1}},
		{"Exp([710,710])", Exp(Interval{710, 710}), Interval{maxf, inf}},
		{"Exp([-746,-746])", Exp(Interval{-746, -746}), Interval{0, eta}},
		{"Log(Entire)", Log(all), all},
		{"Log([-Inf,0])", Log(Interval{ninf, 0}), e},
		{"Log([0,1])", Log(Interval{0, 1}), Interval{ninf, 0}},
		{"Log([1,1])", Log(Interval{1, 1}), Interval{0, 0}},
		{"Log([1,+Inf])", Log(Interval{1, inf}), Interval{0, inf}},
		{"Tanh(Entire)", Tanh(all), Interval{-1, 1}},
		{"Tanh([0,0])", Tanh(Interval{0, 0}), Interval{0, 0}},
		{"Tanh([20,20])", Tanh(Interval{20, 20}), Interval{1 - 0x1p-53, 1}},
		{"Tanh([-eta,eta])", Tanh(Interval{-eta, eta}), Interval{-eta, eta}},
		{"Intersection([1,2], [3,4])", Intersection(Interval{1, 2}, Interval{3, 4}), e},
		{"Intersection([1,3], [2,4])", Intersection(Interval{1, 3}, Interval{2, 4}), Interval{2, 3}},
		{"Intersection(Empty, Entire)", Intersection(e, all), e},
		{"Hull([1,2], [3,4])", Hull(Interval{1, 2}, Interval{3, 4}), Interval{1, 4}},
		{"Hull(Empty, [3,4])", Hull(e, Interval{3, 4}), Interval{3, 4}},
		{"Hull(Empty, Empty)", Hull(e, e), e},
		{"Neg(Empty)", Neg(e), e},
		{"Neg([1,+Inf])", Neg(Interval{1, inf}), Interval{ninf, -1}},
	} {
		if tc.got != tc.want || !wellFormed(tc.got) {
			t.Errorf("%s = %v (%x, %x), want %v", tc.name, tc.got, tc.got.Lo, tc.got.Hi, tc.want)
		}
	}
}

func TestPredicatesAndNumbers(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		a                     Interval
		empty, entire         bool
		width, mid, mag, mig  float64
		contains, notContains []float64
	}{
		{Empty(), true, false, nan, nan, nan, nan, nil, []float64{0, inf, nan}},
		{Entire(), false, true, inf, 0, inf, 0, []float64{0, -maxf, maxf}, []float64{inf, ninf, nan}},
		{Interval{ninf, 2}, false, false, inf, -maxf, inf, 0, []float64{-maxf, 2}, []float64{ninf, nextUp(2)}},
		{Interval{1, inf}, false, false, inf, maxf, inf, 1, []float64{1, maxf}, []float64{inf, nextDown(1)}},
		{Interval{-3, -1}, false, false, 2, -2, 3, 1, []float64{-3, -1}, []float64{0}},
		{Interval{-maxf, maxf}, false, false, inf, 0, maxf, 0, []float64{0}, []float64{inf}},
		{Interval{maxf / 2, maxf}, false, false, 0x1.fffffffffffffp+1022, 0x1.7ffffffffffffp+1023, maxf, maxf / 2, nil, nil},
		{Interval{0, eta}, false, false, eta, 0, eta, 0, []float64{0, negZero, eta}, []float64{2 * eta}},
		{Interval{1, nextUp(1)}, false, false, 0x1p-52, 1, nextUp(1), 1, nil, nil},
		{Interval{0.1, 0.3}, false, false, 0x1.9999999999999p-3, 0.2, 0.3, 0.1, nil, nil},
	} {
		a := tc.a
		if a.IsEmpty() != tc.empty || a.IsEntire() != tc.entire {
			t.Errorf("%v: IsEmpty %v IsEntire %v", a, a.IsEmpty(), a.IsEntire())
		}
		for _, q := range []struct {
			name      string
			got, want float64
		}{{"Width", a.Width(), tc.width}, {"Mid", a.Mid(), tc.mid}, {"Mag", a.Mag(), tc.mag}, {"Mig", a.Mig(), tc.mig}} {
			if !(q.got == q.want || math.IsNaN(q.got) && math.IsNaN(q.want)) {
				t.Errorf("%v.%s() = %x, want %x", a, q.name, q.got, q.want)
			}
		}
		for _, x := range tc.contains {
			if !a.Contains(x) {
				t.Errorf("%v.Contains(%v) = false", a, x)
			}
		}
		for _, x := range tc.notContains {
			if a.Contains(x) {
				t.Errorf("%v.Contains(%v) = true", a, x)
			}
		}
	}
}

func TestString(t *testing.T) {
	for _, tc := range []struct {
		a    Interval
		want string
	}{
		{Empty(), "[empty]"},
		{Entire(), "[entire]"},
		{Interval{negZero, 1.5}, "[0, 1.5]"},
		{Interval{ninf, 0.1}, "[-Inf, 0.1]"},
		{Interval{1e300, inf}, "[1e+300, +Inf]"},
	} {
		if got := tc.a.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

// exactOp returns x∘y for op in "+-*/", and √x for "sqrt" and x² for "sqr",
// as a big.Float: exact for + − × (2200 bits hold any sum of two float64s),
// rounded to 320 bits for ÷ and √. A quotient or root of float64s that is not
// itself a float64 is farther than 2⁻¹¹⁰ relative from every float64, so its
// 320-bit rounding lies between the same two float64s and compares with
// float64 bounds exactly like the real value.
func exactOp(op string, x, y float64) *big.Float {
	z := new(big.Float).SetPrec(2200)
	switch op {
	case "+":
		return z.Add(bf(x), bf(y))
	case "-":
		return z.Sub(bf(x), bf(y))
	case "*":
		return z.Mul(bf(x), bf(y))
	case "sqr":
		return z.Mul(bf(x), bf(x))
	case "/":
		return newRef().Quo(bf(x), bf(y))
	case "sqrt":
		return newRef().Sqrt(bf(x))
	}
	panic("exactOp: unknown op " + op)
}

// binaryOps are the tightest binary operations and their exactOp symbols.
var binaryOps = []struct {
	op string
	f  func(Interval, Interval) Interval
}{{"+", Add}, {"-", Sub}, {"*", Mul}, {"/", Div}}

// unaryOps are the tightest unary operations.
var unaryOps = []struct {
	op string
	f  func(Interval) Interval
}{{"sqr", Sqr}, {"sqrt", Sqrt}}

// checkPointSound reports an error unless x∘y ∈ r for x ∈ a, y ∈ b (y is
// ignored by unary ops; points outside the operation's domain are skipped).
func checkPointSound(op string, r Interval, x, y float64) error {
	if (op == "/" && y == 0) || (op == "sqrt" && x < 0) {
		return nil
	}
	if z := exactOp(op, x, y); !bigContains(r, z) {
		return fmt.Errorf("%x %s %x = %s not in %v (%x, %x)", x, op, y, z.Text('g', 25), r, r.Lo, r.Hi)
	}
	return nil
}

// TestArithSound draws random intervals and points in them and checks that
// the exact result of each operation at the points lies in the result.
func TestArithSound(t *testing.T) {
	t.Parallel()
	r := newRand(1)
	const n = 100000
	for range n {
		a, b := randInterval(r), randInterval(r)
		for _, o := range binaryOps {
			c := o.f(a, b)
			if !wellFormed(c) {
				t.Fatalf("%v %s %v = %v, not well-formed", a, o.op, b, c)
			}
			if a.IsEmpty() || b.IsEmpty() {
				if !c.IsEmpty() {
					t.Fatalf("%v %s %v = %v, want empty", a, o.op, b, c)
				}
				continue
			}
			for range 3 {
				if err := checkPointSound(o.op, c, randPoint(r, a), randPoint(r, b)); err != nil {
					t.Fatalf("%v %s %v: %v", a, o.op, b, err)
				}
			}
		}
		for _, o := range unaryOps {
			c := o.f(a)
			if !wellFormed(c) {
				t.Fatalf("%s(%v) = %v, not well-formed", o.op, a, c)
			}
			if a.IsEmpty() {
				continue
			}
			for range 3 {
				if err := checkPointSound(o.op, c, randPoint(r, a), 0); err != nil {
					t.Fatalf("%s(%v): %v", o.op, a, err)
				}
			}
		}
	}
}

// exactRange returns the exact minimum and maximum of x∘y over a × b (or of
// the unary op over a) for finite a, b, taken over the endpoints (and 0 for
// sqr), and ok = false where that does not apply (b ∋ 0 for ÷, a < 0 for √).
func exactRange(op string, a, b Interval) (lo, hi *big.Float, ok bool) {
	var cands []*big.Float
	switch op {
	case "+", "-", "*", "/":
		if op == "/" && b.Lo <= 0 && b.Hi >= 0 {
			return nil, nil, false
		}
		for _, x := range []float64{a.Lo, a.Hi} {
			for _, y := range []float64{b.Lo, b.Hi} {
				cands = append(cands, exactOp(op, x, y))
			}
		}
	case "sqr":
		cands = []*big.Float{exactOp(op, a.Lo, 0), exactOp(op, a.Hi, 0)}
		if a.Lo < 0 && a.Hi > 0 {
			cands = append(cands, bf(0))
		}
	case "sqrt":
		if a.Hi < 0 {
			return nil, nil, false
		}
		cands = []*big.Float{exactOp(op, math.Max(a.Lo, 0), 0), exactOp(op, a.Hi, 0)}
	}
	lo, hi = cands[0], cands[0]
	for _, c := range cands[1:] {
		if c.Cmp(lo) < 0 {
			lo = c
		}
		if c.Cmp(hi) > 0 {
			hi = c
		}
	}
	return lo, hi, true
}

// TestArithTight checks that on intervals with finite bounds every tightest
// operation returns exactly the downward and upward roundings of the exact
// range (the infinite and empty cases are covered by TestSpecialCases and the
// ITF1788 vectors).
func TestArithTight(t *testing.T) {
	t.Parallel()
	r := newRand(2)
	const n = 100000
	check := func(op string, a, b, got Interval) {
		lo, hi, ok := exactRange(op, a, b)
		if !ok {
			return
		}
		want := Interval{roundDown(lo), roundUp(hi)}
		if got != want {
			t.Fatalf("%v %s %v = %v (%x, %x), want %v (%x, %x)", a, op, b, got, got.Lo, got.Hi, want, want.Lo, want.Hi)
		}
	}
	for range n {
		a, b := randFiniteInterval(r), randFiniteInterval(r)
		for _, o := range binaryOps {
			check(o.op, a, b, o.f(a, b))
		}
		x, y := Point(randExtreme(r)), Point(randExtreme(r))
		for _, o := range binaryOps {
			check(o.op, x, y, o.f(x, y))
		}
		check("sqrt", Interval{0, math.Abs(x.Lo)}, Interval{}, Sqrt(Interval{0, math.Abs(x.Lo)}))
		for _, o := range unaryOps {
			check(o.op, a, Interval{}, o.f(a))
		}
	}
}

func TestNumbersProperties(t *testing.T) {
	t.Parallel()
	r := newRand(3)
	for range 200000 {
		a := randFiniteInterval(r)
		// Width is the upward rounding of Hi − Lo.
		if w, want := a.Width(), roundUp(exactOp("-", a.Hi, a.Lo)); w != want {
			t.Fatalf("%v.Width() = %x, want %x", a, w, want)
		}
		// Mid is the nearest float64 to (Lo+Hi)/2 (ties to even).
		m := exactOp("+", a.Lo, a.Hi)
		m.SetMantExp(m, -1)
		if got, _ := m.Float64(); a.Mid() != got {
			t.Fatalf("%v.Mid() = %x, want %x", a, a.Mid(), got)
		}
		if !a.Contains(a.Mid()) {
			t.Fatalf("%v does not contain its Mid %x", a, a.Mid())
		}
	}
}
