package interval

import (
	"math"
	"math/big"
	"math/rand/v2"
)

// This file holds the random generators of the property tests. All draws come
// from a PCG seeded by the test, so every run sees the same values.

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x1788)) }

// randFloat returns a finite float64 from a mix of families chosen to hit the
// hard cases: small integers and halves, moderate magnitudes, values near 1,
// huge values up to MaxFloat64, tiny and subnormal values, signed zeros and
// arbitrary bit patterns.
func randFloat(r *rand.Rand) float64 {
	sign := 1.0
	if r.IntN(2) == 0 {
		sign = -1
	}
	switch r.IntN(9) {
	case 0:
		return sign * float64(r.IntN(17)) / 2
	case 1:
		return sign * math.Ldexp(1+r.Float64(), r.IntN(61)-30)
	case 2:
		return sign * math.Ldexp(r.Float64(), r.IntN(7)-3)
	case 3: // a few ulp from 1 or 2
		x := 1.0 + float64(r.IntN(2))
		for range r.IntN(5) {
			x = nextUp(x)
		}
		for range r.IntN(3) {
			x = nextDown(x)
		}
		return sign * x
	case 4: // huge
		if r.IntN(8) == 0 {
			return sign * math.MaxFloat64
		}
		return sign * math.Ldexp(1+r.Float64(), 900+r.IntN(124))
	case 5: // tiny, often subnormal
		if r.IntN(4) == 0 {
			return sign * math.Float64frombits(r.Uint64N(1<<52))
		}
		return sign * math.Ldexp(1+r.Float64(), -1074+r.IntN(120))
	case 6:
		return sign * 0
	case 7: // short significands, so that exact results are common
		return sign * math.Ldexp(float64(r.IntN(1<<12)), r.IntN(41)-20)
	default:
		for {
			x := math.Float64frombits(r.Uint64())
			if isFinite(x) {
				return x
			}
		}
	}
}

// randExtreme returns a float64 near the edges of the format: near
// ±MaxFloat64, subnormal, or near 2^±500 (whose products and quotients
// overflow or underflow), with a full or a short significand.
func randExtreme(r *rand.Rand) float64 {
	m := 1 + r.Float64()
	if r.IntN(2) == 0 {
		m = 1 + float64(r.IntN(16))/16
	}
	if r.IntN(2) == 0 {
		m = -m
	}
	switch r.IntN(4) {
	case 0:
		return math.Ldexp(m, 1015+r.IntN(9))
	case 1:
		return math.Ldexp(m, -1074+r.IntN(60))
	case 2:
		return math.Ldexp(m, -540+r.IntN(60))
	}
	return math.Ldexp(m, 480+r.IntN(60))
}

// randInterval returns a well-formed interval: mostly two sorted random
// floats, sometimes a point, a half-line, Entire or Empty.
func randInterval(r *rand.Rand) Interval {
	x, y := randFloat(r), randFloat(r)
	if x > y {
		x, y = y, x
	}
	switch r.IntN(20) {
	case 0:
		return Empty()
	case 1:
		return Entire()
	case 2:
		return Interval{math.Inf(-1), y}
	case 3:
		return Interval{x, math.Inf(1)}
	case 4, 5:
		return Interval{x, x}
	case 6: // narrow
		return Interval{x, nextUp(nextUp(x))}
	}
	return Interval{x, y}
}

// randFiniteInterval returns a nonempty interval with finite bounds.
func randFiniteInterval(r *rand.Rand) Interval {
	for {
		a := randInterval(r)
		if !a.IsEmpty() && isFinite(a.Lo) && isFinite(a.Hi) {
			return a
		}
	}
}

// randPoint returns a real number in the nonempty interval a: often an
// endpoint, otherwise a random point between them.
func randPoint(r *rand.Rand, a Interval) float64 {
	switch r.IntN(4) {
	case 0:
		if isFinite(a.Lo) {
			return a.Lo
		}
	case 1:
		if isFinite(a.Hi) {
			return a.Hi
		}
	}
	if isFinite(a.Lo) && isFinite(a.Hi) {
		t := r.Float64()
		x := a.Lo*(1-t) + a.Hi*t
		if !isFinite(x) { // the sum overflowed
			x = a.Lo*0.5 + a.Hi*0.5
		}
		return math.Min(math.Max(x, a.Lo), a.Hi)
	}
	for range 16 {
		if x := randFloat(r); a.Contains(x) {
			return x
		}
	}
	return a.Mid()
}

// bigContains reports whether a contains the real number x (a may have
// infinite bounds).
func bigContains(a Interval, x *big.Float) bool {
	return !a.IsEmpty() && bf(a.Lo).Cmp(x) <= 0 && x.Cmp(bf(a.Hi)) <= 0
}
