package iasa

import "math"

// unit is 2⁻⁵², twice the unit roundoff u = 2⁻⁵³ of binary64 round-to-nearest.
// Rounding-error bounds below use it in place of u, which keeps every
// constant 1 + k·unit exactly representable and leaves a factor 2 of slack.
const unit = 0x1p-52

// tiny is the smallest positive subnormal, the absolute error bound of a
// product or quotient that underflows (see doc.go, # Soundness).
const tiny = 0x1p-1074

// gamma returns a bound on γ_k = k·u/(1 − k·u), the relative error factor of
// a dot product or sum of k terms computed in any order (Higham, Accuracy and
// Stability of Numerical Algorithms, §3.1), with or without FMA. It assumes
// k·u < 0.01, which holds for any net that fits in memory.
func gamma(k int) float64 { return float64(k+1) * unit }

// up returns an upper bound of the exact value of a nonnegative quantity x
// that was computed in binary64 from exact nonnegative operands with at most k
// roundings on any path (sums and products of nonnegative terms): such a
// result is at least (1 − u)^k times the exact value, minus k·tiny for
// products that underflow, and up undoes both.
func up(x float64, k int) float64 {
	return x*(1+float64(k+2)*unit) + float64(k+1)*tiny
}

// below returns a number ≤ x − r for the exact difference, and above a
// number ≥ x + r: one rounding to nearest moved one step outward.
func below(x, r float64) float64 { return math.Nextafter(x-r, math.Inf(-1)) }
func above(x, r float64) float64 { return math.Nextafter(x+r, math.Inf(1)) }
