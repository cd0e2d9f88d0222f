package interval

import "math"

// This file holds Exp, Log and Tanh and the point bounds they and the
// activation functions are built from.
//
// Every bound rests on math.Expm1 and math.Log1p, Go's ports of the FreeBSD
// msun (fdlibm) routines, whose error analyses (quoted in their source) show
// an error below 1 ulp. widenDown and widenUp turn such a result into sound
// bounds; everything else is exact or uses the directed rounding of round.go.
//
// math.Exp and math.Tanh are not used: on amd64 math.Exp is an assembly
// routine with no error bound (errors above 1.5 ulp measured) that returns
// +Inf for some arguments below ln(MaxFloat64), and math.Tanh has measured
// errors above 1.2 ulp.

const (
	// ln2Hi is fdlibm's leading part of ln 2: 32 significant bits, so k·ln2Hi
	// is exact for |k| < 2²¹.
	ln2Hi = 0x1.62e42feep-1
	// ln2RestLo and ln2RestHi are adjacent float64s with
	// ln2RestLo < ln 2 − ln2Hi < ln2RestHi.
	ln2RestLo = 0x1.a39ef35793c76p-33
	ln2RestHi = 0x1.a39ef35793c77p-33

	// expOverflow exceeds ln(MaxFloat64) ≈ 709.7827, so e^x > MaxFloat64
	// for x > expOverflow.
	expOverflow = 709.79
	// expUnderflow is below ln(2⁻¹⁰⁷⁴) ≈ −744.44, so 0 < e^x < 2⁻¹⁰⁷⁴ for
	// x < expUnderflow.
	expUnderflow = -745.2
	// tanhSaturate is where tanh rounds to 1: for x ≥ 20,
	// 0 < 1 − tanh x < 2e⁻⁴⁰ < 2⁻⁵³, so tanh x ∈ (1 − 2⁻⁵³, 1).
	tanhSaturate = 20
)

// widenDown returns a lower bound of a real number f from its approximation
// y with |y − f| < 1 ulp, whether the ulp is taken at y or at f.
//
// One step down, to y − gap, suffices unless a power of two is involved. With
// the ulp taken at y, the gap below y is ulp(y) except when y > 0 is a power
// of two, where it is ulp(y)/2. With the ulp taken at f < y, ulp(f) exceeds
// the gap only when f lies in the binade of larger magnitude, which needs
// nextDown(y) to be minus a power of two. A second step is taken in both
// cases.
func widenDown(y float64) float64 {
	d := nextDown(y)
	if isPow2(y) || isPow2(d) {
		d = nextDown(d)
	}
	return d
}

// widenUp returns an upper bound of f from y with |y − f| < 1 ulp.
func widenUp(y float64) float64 { return -widenDown(-y) }

// isPow2 reports whether |x| is a power of two in the normal range, or 0 or
// Inf (a zero significand field).
func isPow2(x float64) bool { return math.Float64bits(x)&(1<<52-1) == 0 }

// expm1Down returns a lower bound of eˣ − 1 for finite x, exact at 0.
// It uses eˣ − 1 ≥ max(x, −1).
func expm1Down(x float64) float64 {
	return math.Max(widenDown(math.Expm1(x)), math.Max(x, -1))
}

// expm1Up returns an upper bound of eˣ − 1 for finite x, exact at 0.
// It uses eˣ − 1 ≤ 0 for x ≤ 0.
func expm1Up(x float64) float64 {
	y := widenUp(math.Expm1(x))
	if x <= 0 {
		y = math.Min(y, 0)
	}
	return y
}

// log1pDown returns a lower bound of ln(1+x) for x > −1, exact at 0.
// It uses ln(1+x) ≥ 0 for x ≥ 0.
func log1pDown(x float64) float64 {
	y := widenDown(math.Log1p(x))
	if x >= 0 {
		y = math.Max(y, 0)
	}
	return y
}

// log1pUp returns an upper bound of ln(1+x) for x > −1, exact at 0.
// It uses ln(1+x) ≤ x.
func log1pUp(x float64) float64 { return math.Min(widenUp(math.Log1p(x)), x) }

// expReduce splits x = k·ln 2 + r with k = round(x/ln 2) and |r| ≤ 0.35,
// returning k and bounds rLo ≤ r ≤ rHi (two roundings apart at most), for
// expUnderflow ≤ x ≤ expOverflow. Since |k| ≤ 1075, k·ln2Hi is exact.
func expReduce(x float64) (k int, rLo, rHi float64) {
	kf := math.Round(x * math.Log2E)
	rest := Mul(Interval{kf, kf}, Interval{ln2RestLo, ln2RestHi})
	h := float64(kf * ln2Hi)
	return int(kf), subDown(subDown(x, h), rest.Hi), subUp(subUp(x, h), rest.Lo)
}

// scaleDown and scaleUp return v·2ᵏ rounded down and up. When 2ᵏ is not a
// normal float64 (|k| ≤ 2044) it is applied in two halves, and the first
// product must be exact, as it is for the v ∈ [½, 2] of expScaledDown.
func scaleDown(v float64, k int) float64 {
	if k < -1022 || k > 1023 {
		v = v * math.Ldexp(1, k/2)
		k -= k / 2
	}
	return mulDown(v, math.Ldexp(1, k))
}

func scaleUp(v float64, k int) float64 {
	if k < -1022 || k > 1023 {
		v = v * math.Ldexp(1, k/2)
		k -= k / 2
	}
	return mulUp(v, math.Ldexp(1, k))
}

// expDown returns a lower bound of eˣ, exact at x = 0 and x = ±Inf.
func expDown(x float64) float64 { return expScaledDown(x, 0) }

// expUp returns an upper bound of eˣ, exact at x = 0 and x = ±Inf.
func expUp(x float64) float64 { return expScaledUp(x, 0) }

// expScaledDown returns a lower bound of eˣ·2ʲ for 0 ≤ j ≤ 1000, computed as
// 2^{k+j}·(1 + expm1(r)) with x = k·ln 2 + r (see expReduce), so that a
// large j keeps a tiny eˣ out of the subnormal range.
func expScaledDown(x float64, j int) float64 {
	switch {
	case x > expOverflow:
		if x == math.Inf(1) {
			return x
		}
		return math.MaxFloat64
	case x < expUnderflow:
		return 0
	}
	k, rLo, _ := expReduce(x)
	y := scaleDown(addDown(1, expm1Down(rLo)), k+j)
	if x > 0 {
		y = math.Max(y, math.Ldexp(1, j))
	}
	return y
}

// expScaledUp returns an upper bound of eˣ·2ʲ for 0 ≤ j ≤ 1000.
func expScaledUp(x float64, j int) float64 {
	switch {
	case x > expOverflow:
		return math.Inf(1)
	case x < expUnderflow:
		if x == math.Inf(-1) {
			return 0
		}
		return math.Ldexp(math.SmallestNonzeroFloat64, j)
	}
	k, _, rHi := expReduce(x)
	y := scaleUp(addUp(1, expm1Up(rHi)), k+j)
	if x < 0 {
		y = math.Min(y, math.Ldexp(1, j))
	}
	return y
}

// logReduce splits a finite x > 0 as x = 2ᵏ·(1 + f) with 1 + f ∈ [√½, √2);
// f is exact (Sterbenz).
func logReduce(x float64) (k int, f float64) {
	m, k := math.Frexp(x)
	if m < math.Sqrt2/2 {
		m *= 2
		k--
	}
	return k, m - 1
}

// logDown returns a lower bound of ln x for x ≥ 0, exact at x = 1, 0 and +Inf:
// ln x = k·ln2Hi + k·(ln 2 − ln2Hi) + ln(1+f) (see logReduce).
func logDown(x float64) float64 {
	switch x {
	case 0:
		return math.Inf(-1)
	case math.Inf(1):
		return x
	}
	k, f := logReduce(x)
	if k == 0 {
		return log1pDown(f)
	}
	kf := float64(k)
	rest := Mul(Interval{kf, kf}, Interval{ln2RestLo, ln2RestHi})
	return addDown(addDown(float64(kf*ln2Hi), log1pDown(f)), rest.Lo)
}

// logUp returns an upper bound of ln x for x ≥ 0, exact at x = 1, 0 and +Inf.
func logUp(x float64) float64 {
	switch x {
	case 0:
		return math.Inf(-1)
	case math.Inf(1):
		return x
	}
	k, f := logReduce(x)
	if k == 0 {
		return log1pUp(f)
	}
	kf := float64(k)
	rest := Mul(Interval{kf, kf}, Interval{ln2RestLo, ln2RestHi})
	return addUp(addUp(float64(kf*ln2Hi), log1pUp(f)), rest.Hi)
}

// tanhDown returns a lower bound of tanh x, exact at 0 and ±Inf. For x > 0,
//
//	tanh x = m/(m+2) = −n/(2+n),  m = e^{2x} − 1 > 0,  n = e^{−2x} − 1 ∈ (−1, 0),
//
// the first increasing in m, the second decreasing in n. Both are evaluated
// and the better bound is kept: their rounding errors differ, and together
// they stay within 3 ulp where either alone reaches 5. tanh is odd.
func tanhDown(x float64) float64 {
	switch {
	case x < 0:
		return -tanhUp(-x)
	case x == 0:
		return 0
	case x >= tanhSaturate:
		if x == math.Inf(1) {
			return 1
		}
		return 1 - 0x1p-53
	}
	m, n := expm1Down(2*x), expm1Up(-2*x)
	return math.Max(divDown(m, addUp(m, 2)), divDown(-n, addUp(2, n)))
}

// tanhUp returns an upper bound of tanh x, exact at 0 and ±Inf, like
// tanhDown. It also uses tanh x < min(x, 1) for x > 0.
func tanhUp(x float64) float64 {
	switch {
	case x < 0:
		return -tanhDown(-x)
	case x == 0:
		return 0
	case x >= tanhSaturate:
		return 1
	}
	m, n := expm1Up(2*x), expm1Down(-2*x)
	return math.Min(math.Min(divUp(m, addDown(m, 2)), divUp(-n, addDown(2, n))), math.Min(x, 1))
}

// Exp returns an enclosure of {eˣ : x ∈ a}, the exp operation of IEEE 1788
// Table 9.1. Each bound is at most 2 ulp outside the tightest one in every
// test (the error analysis allows 5); Exp([0, 0]) = [1, 1] exactly.
//
// Special cases are:
//
//	Exp(Empty()) = Empty()
//	Exp([-Inf, 0]) = [0, 1]
//	Exp([x, +Inf]) = [·, +Inf]
//	Exp([710, 710]) = [MaxFloat64, +Inf]
func Exp(a Interval) Interval {
	if a.IsEmpty() {
		return Empty()
	}
	return Interval{expDown(a.Lo), expUp(a.Hi)}
}

// Log returns an enclosure of {ln x : x ∈ a, x > 0}, the log operation of IEEE
// 1788 Table 9.1: a is clipped to the domain (0, +Inf]. Each bound is at
// most 2 ulp outside the tightest one in every test (the error analysis
// allows 5); Log([1, 1]) = [0, 0] exactly.
//
// Special cases are:
//
//	Log([-Inf, 0]) = Empty()
//	Log([0, 1]) = [-Inf, 0]
//	Log([1, +Inf]) = [0, +Inf]
func Log(a Interval) Interval {
	if a.IsEmpty() || a.Hi <= 0 {
		return Empty()
	}
	return Interval{logDown(math.Max(a.Lo, 0)), logUp(a.Hi)}
}

// Tanh returns an enclosure of {tanh x : x ∈ a}, the tanh operation of IEEE
// 1788 Table 9.1. Each bound is at most 3 ulp outside the tightest one in
// every test (the error analysis allows 6) and never leaves [-1, 1];
// Tanh([0, 0]) = [0, 0] exactly.
//
// Special cases are:
//
//	Tanh(Entire()) = [-1, 1]
//	Tanh([20, 20]) = [1 − 2⁻⁵³, 1]
func Tanh(a Interval) Interval {
	if a.IsEmpty() {
		return Empty()
	}
	return Interval{tanhDown(a.Lo), tanhUp(a.Hi)}
}
