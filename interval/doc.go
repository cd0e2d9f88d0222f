// Package interval implements sound interval arithmetic on float64: the bare
// intervals of IEEE Std 1788-2015 with set-based semantics, enclosures of the
// activation functions of method.md §3 and their derivatives, and interval
// matrix–vector products. It is what the interval forward and adjoint passes
// of IASA (method.md §5) stand on.
//
// # Representation
//
// An Interval is a pair {Lo, Hi} of float64 bounds meaning the closed set of
// reals [Lo, Hi]. Lo = −Inf or Hi = +Inf make it unbounded; the infinities are
// never members (Contains(±Inf) is false). The empty set is {+Inf, −Inf}, so
// that Hull and Intersection need no special case and == compares intervals
// as sets: −0 and +0 are the same bound. New and Point build intervals from
// untrusted numbers (NaN, reversed or infinite bounds give Empty()); a
// composite literal must be well-formed. No operation returns a NaN bound;
// only the numeric queries Width, Mid, Mag and Mig return NaN, for Empty().
//
// # Set-based semantics
//
// Each operation returns an enclosure of the image of its arguments' points
// where the function is defined (the set-based flavor, IEEE 1788 clause 10):
// Sqrt and Log clip their argument to the domain, so Sqrt([−1, 4]) = [0, 2]
// and Log([−Inf, 0]) = Empty(); a zero factor gives zero even against an
// unbounded one, so Mul([0, 0], Entire()) = [0, 0]; Div(a, [0, 0]) = Empty(),
// and a divisor containing 0 gives the hull of the quotient set, for example
// Div([1, 2], [0, 1]) = [1, +Inf] and Div([1, 2], [−1, 1]) = Entire(). Any empty
// argument gives Empty().
//
// # Rounding and accuracy
//
// Go has no rounding-mode control. Every bound is computed in round-to-nearest
// and moved one ulp outward (math.Nextafter) only when an exact error term
// shows that rounding went inward: Fast2Sum for Add and Sub, the math.FMA
// residual x·y − p for Mul and Sqr, a − q·b for Div and Recip, and s² − a for
// Sqrt, with the operands rescaled by powers of two where a residual could
// underflow. Pos, Neg, Add, Sub, Mul, Div, Recip, Sqr, Sqrt, Intersection and
// Hull therefore return the tightest float64 enclosure, bit for bit the
// result of IEEE 1788 with directed rounding; a finite result beyond
// MaxFloat64 becomes [MaxFloat64, +Inf]. Width rounds up; Mid rounds to
// nearest.
//
// Exp, Log and Tanh are built from math.Expm1 and math.Log1p (ports of
// FreeBSD msun, with an error analysis showing less than 1 ulp), widened by
// one ulp, two at a power of two, and combined with exact argument
// reduction and the tightest operations. They are sound given that error
// bound, and exact at the special points (Exp([0, 0]) = [1, 1],
// Log([1, 1]) = [0, 0], Tanh([0, 0]) = [0, 0], Tanh saturates to exactly 1). In
// every test (tens of thousands of random arguments compared with math/big
// references, and the ITF1788 vectors) each bound of Exp and Log is at most 2 ulp, and of
// Tanh 3 ulp, outside the tightest one. math.Exp and math.Tanh are not used:
// on amd64 math.Exp has measured errors above 1.5 ulp and overflows to +Inf
// below ln(MaxFloat64).
//
// Results are reproducible bit for bit: products that are then added are
// converted with float64(…), so the compiler cannot fuse them into FMAs on
// any platform.
//
// # Soundness of the activation functions
//
// Sigmoid, SiLU, SiLUPrime, SiLUPrime2, Softplus, SoftplusPrime,
// SoftplusPrime2, TanhPrime and TanhPrime2 evaluate their formulas at the
// endpoints with the sound operations above (so every endpoint value is
// enclosed, not approximated) and add the value at each critical point the
// argument reaches. Critical points and values are constants bracketed by two
// adjacent float64s, which the tests check against 320-bit evaluations,
// together with a sign change of the derivative across each argument bracket
// and a scan showing no other sign change. Each bound is at most 10 ulp
// outside the tightest one; SiLUPrime and SiLUPrime2 may also be 2⁻⁵² off
// near their zeros, where their formulas cancel, and results below about
// 2⁻¹⁰²² carry an absolute error up to 2⁻¹⁰⁶⁰. Measured worst cases: Sigmoid,
// SoftplusPrime and Softplus 3 ulp, SiLU 5, SoftplusPrime2 and TanhPrime 7,
// TanhPrime2 9.
//
// The critical points, from method.md §5 and computed here:
//
//	SiLU      min −0.27846454276107380 at −1.27846454276107380
//	SiLU′     min −0.09983932012886692 at −2.39935728051546767,
//	          max  1.09983932012886692 at +2.39935728051546767
//	SiLU″     max 1/2 at 0, min −0.03691437319989319 at ±3.43584099353511069
//	softplus″ max 1/4 at 0;  tanh′ max 1 at 0
//	tanh″     max ±0.76980035891950102 (4/(3√3)) at ∓0.65847894846240835
//
// The third and fourth derivatives (SiLUPrime3, SiLUPrime4, SoftplusPrime3,
// SoftplusPrime4, TanhPrime3, TanhPrime4), which bound the remainders of
// IASA's second-order forms, are natural interval extensions instead: each
// evaluates its closed form on the whole argument with the operations above,
// its factors s(1 − s), tanh(z/2) and 1 − tanh² being the tight enclosures of
// this file. They are sound for every interval and need no critical points.
// On a point interval each bound is at most 24 ulp plus 2⁻⁴⁵ outside the
// tightest one (measured: at most 40·2⁻⁵² where the sums cancel near the
// zeros, 15 ulp elsewhere). On a wider interval the factors vary
// independently, so the enclosure is wider than the range: for intervals of
// width up to 1/4 by a median factor of 1 to 1.5, for widths 1/4 to 16 of 1.2
// to 3. Tighter enclosures (from critical points, like the others) would
// change every IASA score computed with them.
//
// # Matrix–vector products
//
// MulVec (W·x + b), MulVecTrans (Wᵀ·x) and Dot multiply a point matrix by an
// interval vector in midpoint–radius form with a rigorous bound on the
// round-to-nearest error (Rump's method; the derivation is in matvec.go).
// Each bound is at most 1.01·(2n+8)·2⁻⁵³·Σⱼ|wⱼ|·mag(xⱼ) + (7n+4)·2⁻¹⁰⁷⁶
// outside the exact range for n terms (plus one rounding when a bias is
// added), that is about 2n ulp of the largest term; the second term, a few
// subnormals, covers products that underflow. Rows
// with infinite bounds, empty inputs, non-finite weights or overflow fall back
// to term-by-term Mul and Add.
//
// MulVec and MulVecTrans write only dst and read w, x and b. dst is
// returned; a nil dst is allocated, a non-nil one must have the right length
// (they panic otherwise) and must not overlap x, because dst is written while
// x is still being read. With a non-nil dst they do not allocate.
package interval
