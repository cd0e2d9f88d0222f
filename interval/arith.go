package interval

import "math"

// Pos returns a, the pos operation of IEEE 1788 Table 9.1.
func Pos(a Interval) Interval { return a }

// Neg returns {−x : x ∈ a}, the neg operation of IEEE 1788 Table 9.1. It is
// exact. Neg(Empty()) = Empty().
func Neg(a Interval) Interval { return Interval{-a.Hi, -a.Lo} }

// Add returns the tightest enclosure of {x+y : x ∈ a, y ∈ b}, the add
// operation of IEEE 1788 Table 9.1. Each bound is the exact sum of two input
// bounds rounded outward (TwoSum shows when round-to-nearest went inward).
//
// Special cases are:
//
//	Add(Empty(), b) = Add(a, Empty()) = Empty()
//	Add([1, 2], [3, 4]) = [4, 6]
//	Add([0, MaxFloat64], [0, MaxFloat64]) = [0, +Inf]
func Add(a, b Interval) Interval {
	if a.IsEmpty() || b.IsEmpty() {
		return Empty()
	}
	return Interval{addDown(a.Lo, b.Lo), addUp(a.Hi, b.Hi)}
}

// Sub returns the tightest enclosure of {x−y : x ∈ a, y ∈ b}, the sub
// operation of IEEE 1788 Table 9.1, rounded like Add.
//
// Special cases are:
//
//	Sub(Empty(), b) = Sub(a, Empty()) = Empty()
//	Sub(Entire(), Entire()) = Entire()
func Sub(a, b Interval) Interval {
	if a.IsEmpty() || b.IsEmpty() {
		return Empty()
	}
	return Interval{subDown(a.Lo, b.Hi), subUp(a.Hi, b.Lo)}
}

// Mul returns the tightest enclosure of {x·y : x ∈ a, y ∈ b}, the mul
// operation of IEEE 1788 Table 9.1 with set-based semantics: a zero factor
// makes the product zero even when the other factor is unbounded. A bound
// moves one ulp outward only when math.FMA shows the product was inexact.
//
// Special cases are:
//
//	Mul(Empty(), b) = Mul(a, Empty()) = Empty()
//	Mul([0, 0], Entire()) = [0, 0]
//	Mul([1, +Inf], [-1, 1]) = Entire()
func Mul(a, b Interval) Interval {
	if a.IsEmpty() || b.IsEmpty() {
		return Empty()
	}
	// Nine sign cases (a and b each nonnegative, nonpositive or straddling 0);
	// each bound is one product of two input bounds except when both straddle.
	switch {
	case a.Lo >= 0:
		switch {
		case b.Lo >= 0:
			return Interval{mulDown(a.Lo, b.Lo), mulUp(a.Hi, b.Hi)}
		case b.Hi <= 0:
			return Interval{mulDown(a.Hi, b.Lo), mulUp(a.Lo, b.Hi)}
		default:
			return Interval{mulDown(a.Hi, b.Lo), mulUp(a.Hi, b.Hi)}
		}
	case a.Hi <= 0:
		switch {
		case b.Lo >= 0:
			return Interval{mulDown(a.Lo, b.Hi), mulUp(a.Hi, b.Lo)}
		case b.Hi <= 0:
			return Interval{mulDown(a.Hi, b.Hi), mulUp(a.Lo, b.Lo)}
		default:
			return Interval{mulDown(a.Lo, b.Hi), mulUp(a.Lo, b.Lo)}
		}
	default:
		switch {
		case b.Lo >= 0:
			return Interval{mulDown(a.Lo, b.Hi), mulUp(a.Hi, b.Hi)}
		case b.Hi <= 0:
			return Interval{mulDown(a.Hi, b.Lo), mulUp(a.Lo, b.Lo)}
		default:
			return Interval{
				math.Min(mulDown(a.Lo, b.Hi), mulDown(a.Hi, b.Lo)),
				math.Max(mulUp(a.Lo, b.Lo), mulUp(a.Hi, b.Hi)),
			}
		}
	}
}

// Div returns the tightest enclosure of {x/y : x ∈ a, y ∈ b, y ≠ 0}, the div
// operation of IEEE 1788 Table 9.1 with set-based semantics. When b contains
// 0 the set may be unbounded or, for b straddling 0, a union of two
// half-lines; Div returns its hull. A bound moves one ulp outward only when
// the math.FMA residual a − q·b shows the quotient q was inexact.
//
// Special cases are:
//
//	Div(Empty(), b) = Div(a, Empty()) = Empty()
//	Div(a, [0, 0]) = Empty()
//	Div([0, 0], b) = [0, 0] if b ≠ [0, 0]
//	Div([1, 2], [-1, 1]) = Entire()
//	Div([1, 2], [0, 1]) = [1, +Inf]
func Div(a, b Interval) Interval {
	if a.IsEmpty() || b.IsEmpty() || (b.Lo == 0 && b.Hi == 0) {
		return Empty()
	}
	switch {
	case b.Lo > 0:
		switch {
		case a.Lo >= 0:
			return Interval{divDown(a.Lo, b.Hi), divUp(a.Hi, b.Lo)}
		case a.Hi <= 0:
			return Interval{divDown(a.Lo, b.Lo), divUp(a.Hi, b.Hi)}
		default:
			return Interval{divDown(a.Lo, b.Lo), divUp(a.Hi, b.Lo)}
		}
	case b.Hi < 0:
		switch {
		case a.Lo >= 0:
			return Interval{divDown(a.Hi, b.Hi), divUp(a.Lo, b.Lo)}
		case a.Hi <= 0:
			return Interval{divDown(a.Hi, b.Lo), divUp(a.Lo, b.Hi)}
		default:
			return Interval{divDown(a.Hi, b.Hi), divUp(a.Lo, b.Hi)}
		}
	case a.Lo == 0 && a.Hi == 0:
		return Interval{0, 0}
	case b.Lo == 0: // b = [0, b.Hi], b.Hi > 0
		switch {
		case a.Lo >= 0:
			return Interval{divDown(a.Lo, b.Hi), math.Inf(1)}
		case a.Hi <= 0:
			return Interval{math.Inf(-1), divUp(a.Hi, b.Hi)}
		}
	case b.Hi == 0: // b = [b.Lo, 0], b.Lo < 0
		switch {
		case a.Lo >= 0:
			return Interval{math.Inf(-1), divUp(a.Lo, b.Lo)}
		case a.Hi <= 0:
			return Interval{divDown(a.Hi, b.Lo), math.Inf(1)}
		}
	}
	return Entire()
}

// Recip returns the tightest enclosure of {1/y : y ∈ b, y ≠ 0}, the recip
// operation of IEEE 1788 Table 9.1; it equals Div(Point(1), b).
//
// Special cases are:
//
//	Recip([0, 0]) = Empty()
//	Recip([0, 10]) = [0.1↓, +Inf]
//	Recip([-1, 1]) = Entire()
func Recip(b Interval) Interval { return Div(Interval{1, 1}, b) }

// Sqr returns the tightest enclosure of {x² : x ∈ a}, the sqr operation of
// IEEE 1788 Table 9.1. Unlike Mul(a, a) it knows both factors are equal, so
// Sqr([-1, 2]) = [0, 4], not [-2, 4].
func Sqr(a Interval) Interval {
	switch {
	case a.IsEmpty():
		return Empty()
	case a.Lo >= 0:
		return Interval{mulDown(a.Lo, a.Lo), mulUp(a.Hi, a.Hi)}
	case a.Hi <= 0:
		return Interval{mulDown(a.Hi, a.Hi), mulUp(a.Lo, a.Lo)}
	}
	m := math.Max(-a.Lo, a.Hi)
	return Interval{0, mulUp(m, m)}
}

// Sqrt returns the tightest enclosure of {√x : x ∈ a, x ≥ 0}, the sqrt
// operation of IEEE 1788 Table 9.1: a is first clipped to the domain [0, +Inf].
// A bound moves one ulp outward only when the math.FMA residual s² − x shows
// the root s was inexact.
//
// Special cases are:
//
//	Sqrt([-Inf, -tiny]) = Empty()
//	Sqrt([-1, 4]) = [0, 2]
func Sqrt(a Interval) Interval {
	if a.IsEmpty() || a.Hi < 0 {
		return Empty()
	}
	return Interval{sqrtDown(math.Max(a.Lo, 0)), sqrtUp(a.Hi)}
}
