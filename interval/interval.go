package interval

import (
	"math"
	"strconv"
)

// Interval is a closed interval [Lo, Hi] of real numbers with float64 bounds,
// a bare interval of IEEE Std 1788-2015 (binary64 inf-sup type).
//
// A well-formed Interval is either Empty() = {+Inf, −Inf} or has
// Lo ≤ Hi, Lo < +Inf and Hi > −Inf; Lo = −Inf or Hi = +Inf mean the interval is
// unbounded on that side. The zero value is [0, 0]. Values built with a
// composite literal must be well-formed; use New for bounds that may not be.
// −0 and +0 are the same bound, so == on two well-formed Intervals is set
// equality.
type Interval struct {
	Lo, Hi float64
}

// Empty returns the empty interval ∅, represented as {+Inf, −Inf}.
func Empty() Interval { return Interval{math.Inf(1), math.Inf(-1)} }

// Entire returns the interval [−Inf, +Inf], the whole real line.
func Entire() Interval { return Interval{math.Inf(-1), math.Inf(1)} }

// Point returns the singleton [x, x]. It returns Empty() if x is ±Inf or NaN,
// which are not real numbers.
func Point(x float64) Interval { return New(x, x) }

// New returns [lo, hi], the numsToInterval constructor of IEEE 1788 (§10.5.8).
//
// Special cases are:
//
//	New(lo, hi) = Empty() if lo > hi
//	New(lo, hi) = Empty() if lo or hi is NaN
//	New(+Inf, hi) = Empty(), New(lo, −Inf) = Empty()
func New(lo, hi float64) Interval {
	if !(lo <= hi) || lo == math.Inf(1) || hi == math.Inf(-1) {
		return Empty()
	}
	return Interval{lo, hi}
}

// IsEmpty reports whether a is the empty interval (isEmpty of IEEE 1788 Table
// 9.3). A value with a NaN bound also counts as empty.
func (a Interval) IsEmpty() bool { return !(a.Lo <= a.Hi) }

// IsEntire reports whether a is [−Inf, +Inf] (isEntire of IEEE 1788 Table 9.3).
func (a Interval) IsEntire() bool { return a.Lo == math.Inf(-1) && a.Hi == math.Inf(1) }

// Contains reports whether the real number x lies in a (isMember of IEEE 1788
// §10.6.3). It is false for NaN and ±Inf, which are not real numbers, and for
// the empty interval.
func (a Interval) Contains(x float64) bool { return a.Lo <= x && x <= a.Hi && isFinite(x) }

// Width returns Hi − Lo rounded toward +Inf (wid of IEEE 1788 Table 9.2).
//
// Special cases are:
//
//	Width(Empty()) = NaN
//	Width(a) = +Inf if a is unbounded
func (a Interval) Width() float64 {
	if a.IsEmpty() {
		return math.NaN()
	}
	return subUp(a.Hi, a.Lo)
}

// Mid returns the midpoint (Lo+Hi)/2 rounded to nearest (mid of IEEE 1788
// Table 9.2). It is exact when the midpoint is a float64 and never overflows.
//
// Special cases are:
//
//	Mid(Empty()) = NaN
//	Mid(Entire()) = 0
//	Mid([−Inf, hi]) = −MaxFloat64
//	Mid([lo, +Inf]) = +MaxFloat64
func (a Interval) Mid() float64 {
	switch {
	case a.IsEmpty():
		return math.NaN()
	case a.IsEntire():
		return 0
	case a.Lo == math.Inf(-1):
		return -math.MaxFloat64
	case a.Hi == math.Inf(1):
		return math.MaxFloat64
	}
	if m := (a.Lo + a.Hi) * 0.5; isFinite(m) {
		// One rounding at most: a sum below 2⁻¹⁰²¹ is exact, and halving a
		// larger one is exact.
		return m
	}
	// The sum overflowed, so |Lo|, |Hi| > 2⁹⁷⁰ and both halvings are exact.
	return a.Lo*0.5 + a.Hi*0.5
}

// Mag returns max{|x| : x ∈ a}, the magnitude (mag of IEEE 1788 Table 9.2).
// Mag(Empty()) is NaN.
func (a Interval) Mag() float64 {
	if a.IsEmpty() {
		return math.NaN()
	}
	return math.Max(math.Abs(a.Lo), math.Abs(a.Hi))
}

// Mig returns min{|x| : x ∈ a}, the mignitude (mig of IEEE 1788 Table 9.2):
// 0 if a contains 0. Mig(Empty()) is NaN.
func (a Interval) Mig() float64 {
	switch {
	case a.IsEmpty():
		return math.NaN()
	case a.Lo > 0:
		return a.Lo
	case a.Hi < 0:
		return -a.Hi
	}
	return 0
}

// String formats a as "[lo, hi]" with the shortest decimal that reads back to
// each bound (strconv 'g' format), or as "[empty]" or "[entire]" like IEEE
// 1788 interval literals. A zero bound prints as 0.
func (a Interval) String() string {
	switch {
	case a.IsEmpty():
		return "[empty]"
	case a.IsEntire():
		return "[entire]"
	}
	return "[" + formatBound(a.Lo) + ", " + formatBound(a.Hi) + "]"
}

func formatBound(x float64) string {
	if x == 0 {
		return "0"
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// Intersection returns a ∩ b (intersection of IEEE 1788 §9.3).
func Intersection(a, b Interval) Interval {
	return New(math.Max(a.Lo, b.Lo), math.Min(a.Hi, b.Hi))
}

// Hull returns the smallest interval containing a and b, the convexHull of
// IEEE 1788 §9.3. Hull(a, Empty()) = a.
func Hull(a, b Interval) Interval {
	switch {
	case a.IsEmpty():
		return b
	case b.IsEmpty():
		return a
	}
	return Interval{math.Min(a.Lo, b.Lo), math.Max(a.Hi, b.Hi)}
}

// Subset reports whether a ⊆ b (subset of IEEE 1788 Table 9.3). The empty set
// is a subset of every interval.
func Subset(a, b Interval) bool {
	return a.IsEmpty() || (b.Lo <= a.Lo && a.Hi <= b.Hi)
}
