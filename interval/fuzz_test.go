package interval

import (
	"math"
	"math/big"
	"testing"
)

// The fuzz targets build intervals from arbitrary float64 pairs (NaN, ±Inf,
// reversed bounds and all: New turns the bad ones into Empty) and check that
// results are well-formed, contain the exact result at points chosen by the
// fuzzer, and, for the tightest operations on finite bounds, equal the
// outward rounding of the exact range. Run one with, for example,
//
//	go test -run='^$' -fuzz=FuzzDiv -fuzztime=20s ./interval/
//
// Without -fuzz they run their seed corpus as ordinary tests.

// fuzzInterval returns New(min(p, q), max(p, q)).
func fuzzInterval(p, q float64) Interval { return New(math.Min(p, q), math.Max(p, q)) }

// fuzzPoint returns a real number in the nonempty interval a chosen by s: s
// itself if it lies in a, otherwise the point at fraction s mod 1 of a finite
// a, or an endpoint, or the midpoint.
func fuzzPoint(a Interval, s float64) float64 {
	if a.Contains(s) {
		return s
	}
	f := s - math.Floor(s)
	if !(f >= 0 && f <= 1) {
		f = 0.5
	}
	switch {
	case isFinite(a.Lo) && isFinite(a.Hi):
		x := a.Lo*(1-f) + a.Hi*f
		if !isFinite(x) {
			x = a.Lo*0.5 + a.Hi*0.5
		}
		return math.Min(math.Max(x, a.Lo), a.Hi)
	case isFinite(a.Lo) && f < 0.5:
		return a.Lo
	case isFinite(a.Hi):
		return a.Hi
	}
	return a.Mid()
}

// seeds are interval bounds from the ITF1788 vectors and the hard cases of
// round.go (overflow, subnormals, signed zeros, infinities, NaN).
var seeds = [][4]float64{
	{1, 2, 3, 4},
	{negZero, 3, 15, 30},
	{math.Inf(-1), 2, -1, 1},
	{0, 0, math.Inf(-1), math.Inf(1)},
	{math.MaxFloat64, math.MaxFloat64, -0x1.3b8384a6d11b8p+1019, 0},
	{0x0.00000000007e8p-1022, 0x0.00000000007e8p-1022, 0x1p-537, 3},
	{0x1p-1074, 0x1p-1073, -2, 0.5},
	{math.NaN(), 1, 2, 3},
	{-0x1.99999a0000000p-4, 0x1.99999a0000000p-4, -0x1.99999a0000000p-4, 0x1.99999a0000000p-4},
}

func fuzzBinary(f *testing.F, op string, fn func(a, b Interval) Interval) {
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2], s[3], 0.25, 0.75)
	}
	f.Fuzz(func(t *testing.T, p, q, r, s, u, v float64) {
		checkBinary(t, op, fn, fuzzInterval(p, q), fuzzInterval(r, s), u, v)
	})
}

// checkBinary checks fn(a, b) for the fuzz targets.
func checkBinary(t *testing.T, op string, fn func(a, b Interval) Interval, a, b Interval, u, v float64) {
	got := fn(a, b)
	if !wellFormed(got) {
		t.Fatalf("%v %s %v = %v (%x, %x) is not well-formed", a, op, b, got, got.Lo, got.Hi)
	}
	if a.IsEmpty() || b.IsEmpty() {
		if !got.IsEmpty() {
			t.Fatalf("%v %s %v = %v, want empty", a, op, b, got)
		}
		return
	}
	if err := checkPointSound(op, got, fuzzPoint(a, u), fuzzPoint(b, v)); err != nil {
		t.Fatalf("%v %s %v: %v", a, op, b, err)
	}
	if isFinite(a.Lo) && isFinite(a.Hi) && isFinite(b.Lo) && isFinite(b.Hi) {
		if lo, hi, ok := exactRange(op, a, b); ok {
			if want := (Interval{roundDown(lo), roundUp(hi)}); got != want {
				t.Fatalf("%v %s %v = %v (%x, %x), want the tightest %v (%x, %x)", a, op, b, got, got.Lo, got.Hi, want, want.Lo, want.Hi)
			}
		}
	}
}

func FuzzAdd(f *testing.F) { fuzzBinary(f, "+", Add) }
func FuzzSub(f *testing.F) { fuzzBinary(f, "-", Sub) }
func FuzzMul(f *testing.F) { fuzzBinary(f, "*", Mul) }
func FuzzDiv(f *testing.F) { fuzzBinary(f, "/", Div) }

// FuzzRecip checks Recip(b) with the checks of division by b of [1, 1].
func FuzzRecip(f *testing.F) {
	for _, s := range seeds {
		f.Add(s[0], s[1], 0.5)
	}
	f.Fuzz(func(t *testing.T, r, s, v float64) {
		checkBinary(t, "/", func(_, b Interval) Interval { return Recip(b) }, Interval{1, 1}, fuzzInterval(r, s), 0, v)
	})
}

// fuzzUnary checks a unary operation: well-formed results, the exact result
// (exactOp for sqr and sqrt, a math/big reference otherwise) at a point, and
// for sqr and sqrt the tightest result on finite bounds.
func fuzzUnary(f *testing.F, name string, fn func(Interval) Interval, ref func(float64) *big.Float) {
	for _, s := range seeds {
		f.Add(s[0], s[1], 0.5)
		f.Add(s[2], s[3], 0.125)
	}
	f.Fuzz(func(t *testing.T, p, q, u float64) {
		a := fuzzInterval(p, q)
		got := fn(a)
		if !wellFormed(got) {
			t.Fatalf("%s(%v) = %v (%x, %x) is not well-formed", name, a, got, got.Lo, got.Hi)
		}
		if a.IsEmpty() {
			if !got.IsEmpty() {
				t.Fatalf("%s(%v) = %v, want empty", name, a, got)
			}
			return
		}
		x := fuzzPoint(a, u)
		switch name {
		case "sqr", "sqrt":
			if err := checkPointSound(name, got, x, 0); err != nil {
				t.Fatalf("%s(%v): %v", name, a, err)
			}
			if lo, hi, ok := exactRange(name, a, Interval{}); ok && isFinite(a.Lo) && isFinite(a.Hi) {
				if want := (Interval{roundDown(lo), roundUp(hi)}); got != want {
					t.Fatalf("%s(%v) = %v, want the tightest %v", name, a, got, want)
				}
			}
		default:
			if math.Abs(x) < 1e5 && (name != "Log" || x > 0) {
				if r := ref(x); !bigContains(got, r) {
					t.Fatalf("%s(%v) = %v (%x, %x) misses %s(%x) = %s", name, a, got, got.Lo, got.Hi, name, x, r.Text('g', 20))
				}
			}
		}
	})
}

func FuzzSqr(f *testing.F)  { fuzzUnary(f, "sqr", Sqr, nil) }
func FuzzSqrt(f *testing.F) { fuzzUnary(f, "sqrt", Sqrt, nil) }
func FuzzExp(f *testing.F) {
	fuzzUnary(f, "Exp", Exp, func(x float64) *big.Float { return refExp(refArg(x)) })
}
func FuzzLog(f *testing.F) {
	fuzzUnary(f, "Log", Log, func(x float64) *big.Float { return refLog(bf(x)) })
}
func FuzzTanh(f *testing.F) {
	fuzzUnary(f, "Tanh", Tanh, func(x float64) *big.Float { return refTanh(refArg(x)) })
}

// FuzzActivations checks every activation function on one interval at one
// point against its reference, and its accuracy at that point.
func FuzzActivations(f *testing.F) {
	for _, s := range seeds {
		f.Add(s[0], s[1], 0.5)
	}
	f.Add(siluArgMinLo, siluArgMinHi, 0.5)
	f.Add(-siluPrimeArgHi, siluPrimeArgLo, 0.3)
	f.Fuzz(func(t *testing.T, p, q, u float64) {
		a := fuzzInterval(p, q)
		for _, fn := range actFuncs {
			got := fn.f(a)
			if !wellFormed(got) || got.IsEmpty() != a.IsEmpty() {
				t.Fatalf("%s(%v) = %v", fn.name, a, got)
			}
			if a.IsEmpty() {
				continue
			}
			x := fuzzPoint(a, u)
			if math.Abs(x) >= 1e4 {
				continue
			}
			if ref := fn.ref(refArg(x)); !bigContains(got, ref) {
				t.Fatalf("%s(%v) = %v (%x, %x) misses %s(%x) = %s", fn.name, a, got, got.Lo, got.Hi, fn.name, x, ref.Text('g', 20))
			}
			if err := checkActPoint(fn, x); err != nil {
				t.Fatal(err)
			}
		}
	})
}
