// Package iasa implements interval adjoint significance analysis (method.md
// §5): it encloses, over boxes of inputs, the value a_{l,i} and the adjoint
// G_{l,i} = ∂y_n/∂a_{l,i} of every hidden node of an mlp.Network, and scores
// every node by its significance
//
//	S_{l,i} = width(A_{l,i}) · max|G_{l,i}|
//
// — how far the node's output can move over the box, times how strongly the
// (normalised) output can react to it. Package prune turns the scores into a
// smaller network.
//
// # Methods
//
// Plain interval arithmetic (Naive) over-estimates by about 5× per layer even
// on tiny boxes, because every product with W forgets that the inputs of a
// layer move together; at layer 6 of a 6 × 128 net the widths are 10⁴–10⁵
// times too large and the ranking is noise. The other methods keep those
// correlations by carrying every quantity on a box as a form
//
//	q = c + Σ_k a_k·μ_k + e,   |e| ≤ r,
//
// a polynomial in the noise symbols ε ∈ [−1, 1]ⁿ of the box (x_n,j = c_j +
// r_j·ε_j), plus a remainder e of the node's own. A product with W acts on c
// and a exactly and on the remainders as |W|·r; the remainders are what
// compounds from layer to layer (by about |W|'s row sums, 5× per layer in the
// trained nets measured), so the methods differ in how small they keep them:
//
//   - Affine: monomials ε_k only; σ and σ′ replaced by sound linear
//     relaxations (secant slope, offset and radius from interval
//     enclosures), products keep their linear part. Remainders are of second
//     order in the box radius δ, and compound: cheap, but loose in deep nets.
//   - Zonotope: Affine where every error of every node gets a noise symbol
//     of its own (full affine arithmetic, the adjoint pass included), so
//     errors travel with their signs and nothing compounds. Near exact on
//     small boxes, but the forms grow by one column per node and layer: the
//     reference, many times slower.
//   - Quadratic (the default): monomials up to second order in ε (ε_k,
//     2ε_k² − 1 and ε_jε_k), σ and σ′ expanded to second order around each
//     form's centre with a rigorous third-order remainder, products keeping
//     their quadratic part, so remainders are of third order in δ; besides,
//     the largest remainders per layer and box (Options.Symbols of σ's
//     expansion, Options.AdjointSymbols of the adjoint products) get noise
//     symbols of their own, as in Zonotope. Measured on a trained 6 × 128
//     net with boxes of ±0.05 std and 64 samples per box (floor about 1.7):
//     median over-estimation of values 1.7–2.8, of adjoints 2.4–5.4, of
//     significances 1.9–2.8 per layer (Zonotope: 1.7–2.3 throughout; Naive:
//     values up to 2·10⁴, significances 10⁴–10⁵), at less than half of
//     Zonotope's cost per box.
//
// All of this is about small boxes. On a box over the whole training domain
// every method compounds (method.md §5), and the form methods' adjoint
// products, whose quadratic remainders grow with the square of the ranges,
// become far looser than Naive's (measured on a trained 6 × 128 net: layer-1
// adjoint over-estimation 10²⁰ for Quadratic, 10¹² for Zonotope, 5·10⁴ for
// Naive), so wide boxes call for Naive or, better, subdivision.
//
// The adjoint pass carries σ′(z) and the adjoint as forms over the same
// symbols as the forward pass (an affine adjoint, method.md §5). Where a
// pre-activation range is wide, the linear relaxation is used if it is
// tighter than the expansion; a value's enclosure is also intersected with
// the interval σ(Z) of its pre-activation's range.
//
// Boxes are processed in chunks: the forms of all boxes of a chunk sit side
// by side in one matrix, so a layer is one matrix product (gonum blas64).
// Boxes around training points (AroundPoints) or a grid (Grid) cover the
// domain; Combine merges the per-box significances (maximum or mean).
//
// # Conventions
//
// Boxes are in raw input units. Enclosures and significances are in the
// layers' units: values a in the units of the hidden layers, adjoints as
// derivatives of the normalised output y_n. Slices indexed by layer count
// hidden layers from 0: index l is hidden layer l+1 of method.md, whose
// weights are net.Params.W[l].
//
// # Over-estimation
//
// With Options.Samples > 0, Analyze also runs sampled points of each box (or
// of the first Options.SampleBoxes) through the net (mlp.Trace) and reports,
// per layer, the median ratios of enclosure width to sampled range and of
// enclosed to sampled significance (Overestimation), so every score comes with
// a measure of how far its enclosures could be trusted to be tight. With
// Options.CompareNaive it measures plain interval enclosures of the same boxes
// at the same points too, in the same call.
//
// # Soundness
//
// Every enclosure contains every value the exact (real-arithmetic) network
// takes on the box, in spite of rounding; tightness is not guaranteed and is
// what Overestimation measures. The argument:
//
//   - Normalisation, (x − XMean)/XScale, and every scalar operation on
//     intervals use package interval, which rounds outward. A normalised input
//     interval is written as c ± r with r rounded up, so x_n = c + r·ε exactly.
//   - A form (c, a, r) is an invariant: for every x in the box there are
//     ε ∈ [−1, 1]ⁿ and error symbols η ∈ [−1, 1] (shared by all quantities of
//     the box) and e ∈ [−r, r] (the quantity's own) with q(x) = c + Σ a_k·μ_k +
//     e, where c and a are the floating-point numbers stored and every
//     monomial μ_k (ε_k, 2ε_k² − 1, ε_jε_k or η) lies in [−1, 1]. Whatever
//     rounding does to c and a, the invariant holds if the difference between
//     exact and stored coefficients is added to r, since |μ_k| ≤ 1.
//   - A product W·F of a form matrix (one BLAS GEMM, any summation order, with
//     or without FMA) has each entry within γ_{k+1}·Σ|terms| of the exact sum,
//     k the inner dimension, γ_k = k·u/(1−k·u), u = 2⁻⁵³ (Higham, Accuracy and
//     Stability of Numerical Algorithms, §3.1), plus half a subnormal per
//     product that underflows. Summed over a row's coefficients this is at
//     most γ_{k+1}·|W|·(|c| + ‖a‖₁), so the new remainder is
//     |W|·(r + γ_{k+1}(|c| + ‖a‖₁)) + γ_{k+1}·|b|, which one more GEMM with |W|
//     computes. This needs a BLAS that sums products (gonum's does; a
//     Strassen-type one would not qualify).
//   - Every remainder, ℓ1 norm and rounding bound is a sum or product of
//     nonnegative numbers, evaluated in binary64 with round to nearest; such a
//     result is at least (1 − u)^k times the exact value after k roundings, so
//     it is multiplied by 1 + (k+2)·2⁻⁵² and a few subnormals are added. All
//     constants use 2⁻⁵² for u, a factor 2 of slack. New coefficients are
//     sums of at most four products each; their rounding errors are bounded
//     by γ of that length times the magnitudes involved.
//   - The bounds of a form's range, c ± (‖a‖₁ + r), are rounded outward with
//     one Nextafter each.
//   - The linear relaxation of σ (and σ′) on [l, u] is sound for any slope α:
//     on each piece [t_k, t_{k+1}] of [l, u], d(z) = σ(z) − αz equals its
//     linear interpolant plus −σ″(ξ)·w²/2·s(1 − s) with s ∈ [0, 1], bounded
//     with the enclosure of σ″ on the piece; the minimum and maximum of the
//     resulting quadratics in s are evaluated in interval arithmetic. For σ′
//     the same uses σ‴. ReLU is relaxed exactly (its remainder is piecewise
//     linear).
//   - The second-order step writes f(q) = f(c) + f′(c)u + f″(c)u²/2 +
//     f‴(ξ)u³/6 with u = q − c, ξ in the range of q; f(c), f′(c), f″(c) are
//     point enclosures (their widths go into the remainder) and f‴ is enclosed
//     on the whole range, so |f‴(ξ)u³/6| ≤ max|f‴|·max|u|³/6. Of u² only the
//     square of u's part linear in ε is kept (as ε_j², rewritten as
//     (1 + (2ε_j² − 1))/2, and ε_jε_k); the rest is bounded by
//     2‖ℓ‖₁‖w‖ + ‖w‖² with ‖w‖ ≤ ‖a_nonlinear‖₁ + r. The enclosures of σ‴
//     and σ⁗ are package interval's (SiLUPrime3, SiLUPrime4, …): the closed
//     forms in interval arithmetic, composed from tight enclosures of
//     s(1 − s) = Softplus″ and 1 − 2s = −tanh(z/2).
//   - The product of two forms keeps c₁c₂ + c₁(a₂·μ) + c₂(a₁·μ) and, for
//     second order, the product of the linear parts, and bounds every other
//     term by products of ℓ1 norms and remainders (see product in forms.go).
//   - A remainder given its own error symbol is exact: e ∈ [−r, r] is r·η for
//     a fresh η ∈ [−1, 1].
//   - The enclosure of a value is the intersection of its form's range with
//     the interval σ(Z) of its pre-activation's range; both are sound.
//
// If an enclosure overflows to ±Inf or NaN (weights or boxes near the
// floating-point range), Analyze reports an error rather than a score.
package iasa
