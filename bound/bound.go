// Package bound computes certified enclosures of a network's value and
// greeks over a box of inputs: intervals that contain, with outward rounding,
// every value, every delta ∂y/∂x_j, gamma = vᵀ·H·v and every diagonal entry
// of the Hessian H that the network takes at any point of the box.
//
// # Method
//
// The box is cut into Options.Boxes pieces by bisection, always along the
// widest input (in units of the input's scale), and each piece is enclosed
// with the recursions of method.md §3 in normalised units: the forward pass
// Z_l, A_l = σ(Z_l), the reverse pass G_l = ∂y_n/∂A_l of the deltas, the
// tangents Ż_l(u) along directions u, and the second derivatives
//
//	∂²y_n/∂u∂u′ = Σ_l ⟨G_l ⊙ σ″(Z_l), Ż_l(u) ⊙ Ż_l(u′)⟩
//
// (the tangent of the adjoint, summed layer by layer). They run three times
// per piece, and every enclosure is the intersection of what they give,
// each sound.
//
// First in plain interval arithmetic (package interval) on the piece, with
// enclosures of σ, σ′, σ″ on each pre-activation's range; gamma and the
// Hessian diagonal also from the reverse tangent of the adjoint,
// Ġ_{l−1} = W_lᵀ·(σ′ ⊙ Ġ_l + σ″ ⊙ Ż_l ⊙ G_l). Plain intervals forget that
// the nodes of a layer move together (the wrapping effect): on a 6 × 8 net
// their enclosures are 10²–10⁴ times too wide even on small pieces, and
// shrink only linearly with the pieces.
//
// Then on affine forms q ∈ C + Σ_k a_k·σ_k (form.go), whose symbols σ_k are
// the inputs, σ_j = (x_j − c_j)/r_j for the piece's centre c and radii r,
// and the widest remainders of σ, σ′ and σ″ on each layer: the linear
// dependence on the inputs and those remainders go through the layers with
// their signs. σ, σ′ and σ″ are expanded to second order around each form's
// centre, σ″, σ‴ and σ⁗ of package interval bounding the remainders. What
// is lost is of second order in the piece's radius.
//
// Last in plain intervals at the centre c, for the centred forms of second
// order of the value and the deltas: with the forms C_j + Σ_k a_jk·σ_k of
// the deltas (of the Hessian's rows, for the deltas) on the piece, the
// integral of the derivative along the segment from c to x gives
//
//	y(x) ∈ y(c) + Σ_j r_j·σ_j·C_j + ½·Σ_jk r_j·a_jk·σ_j·σ_k.
//
// Measured on random 6 × 8 nets (SiLU, Softplus, tanh; 3 and 7 inputs) over
// boxes of ±0.05 input scales cut into 64 pieces, against 10⁵ sampled points
// (TestGreeksTight): the enclosures of the value are at most 1.3 times the
// sampled range wide, the deltas' 2.3, gamma's 1.6 and the Hessian
// diagonal's 1.8, where the plain interval recursions of method.md §3 alone
// (forward, reverse and its tangent) give 19–101, 102–1363, 328–2351 and
// 484–1375.
//
// Check proves shape conditions piece by piece with the same enclosures,
// trying the forms only where plain intervals fail and the piece is small
// enough for them.
package bound

import (
	"context"
	"fmt"
	"math"

	"github.com/sobolev-pruning/sobolev/interval"
	"github.com/sobolev-pruning/sobolev/mlp"
)

// Options configures Greeks and Check.
type Options struct {
	// Direction is the v of gamma = vᵀ·H·v in raw units; nil means the
	// all-ones vector.
	Direction []float64
	// Boxes is the number of pieces the box is cut into by bisection, ≥ 1;
	// 0 means 1.
	Boxes int
	// Probes, for Check only, is the number of random points at which the
	// network is evaluated in each piece left at the depth limit, to find a
	// counterexample there; 0 means none. Seed draws them.
	Probes int
	Seed   uint64
}

// Result holds the enclosures of Greeks, in raw units.
type Result struct {
	// Value encloses y, Delta[j] encloses ∂y/∂x_j, Gamma encloses vᵀ·H·v and
	// HessianDiag[j] encloses ∂²y/∂x_j².
	Value       interval.Interval
	Delta       []interval.Interval
	Gamma       interval.Interval
	HessianDiag []interval.Interval
	// Boxes is the number of pieces the enclosures join.
	Boxes int
}

// Greeks returns enclosures of the value, the deltas, gamma along
// opts.Direction and the Hessian diagonal of net over box (one interval per
// input, raw units). Every enclosure contains the exact value at every point
// of the box, rounding included. The box is cut into opts.Boxes pieces, each
// enclosed with plain intervals, forms and centred forms (see the package
// documentation), and the enclosures are the hulls of the pieces'.
//
// Greeks returns an error if the box does not have one finite, non-empty
// interval per input, opts.Direction does not have one finite entry per
// input, opts.Boxes or opts.Probes is negative, net.Validate fails or
// net.Act is ReLU, whose second derivative is not a function. If ctx is
// cancelled it returns ctx.Err().
func Greeks(ctx context.Context, net *mlp.Network, box []interval.Interval, opts Options) (*Result, error) {
	dir, err := check(net, box, opts)
	if err != nil {
		return nil, err
	}
	n := net.Inputs()
	pieces := bisect(box, net.Norm.XScale, max(opts.Boxes, 1))
	e := newEncloser(net, directions(net, dir, true))
	r := &Result{Delta: make([]interval.Interval, n), HessianDiag: make([]interval.Interval, n)}
	var res *Result
	for _, b := range pieces {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		e.greeks(r, b)
		if res == nil {
			res = &Result{Value: r.Value, Gamma: r.Gamma,
				Delta: append([]interval.Interval(nil), r.Delta...), HessianDiag: append([]interval.Interval(nil), r.HessianDiag...)}
			continue
		}
		res.Value = interval.Hull(res.Value, r.Value)
		res.Gamma = interval.Hull(res.Gamma, r.Gamma)
		for j := range n {
			res.Delta[j] = interval.Hull(res.Delta[j], r.Delta[j])
			res.HessianDiag[j] = interval.Hull(res.HessianDiag[j], r.HessianDiag[j])
		}
	}
	res.Boxes = len(pieces)
	return res, nil
}

// check reports what Greeks refuses and returns the direction of gamma,
// the all-ones vector if opts.Direction is nil.
func check(net *mlp.Network, box []interval.Interval, opts Options) ([]float64, error) {
	if err := net.Validate(); err != nil {
		return nil, err
	}
	n := net.Inputs()
	switch {
	case net.Act != mlp.SiLU && net.Act != mlp.Softplus && net.Act != mlp.Tanh:
		return nil, fmt.Errorf("bound: activation %v, want silu, softplus or tanh (a twice differentiable one)", net.Act)
	case len(box) != n:
		return nil, fmt.Errorf("bound: the box has %d intervals, the model has %d inputs", len(box), n)
	case opts.Boxes < 0:
		return nil, fmt.Errorf("bound: %d boxes, want at least 1", opts.Boxes)
	case opts.Probes < 0:
		return nil, fmt.Errorf("bound: %d probe points, want ≥ 0", opts.Probes)
	}
	for j, iv := range box {
		if iv.IsEmpty() || math.IsInf(iv.Lo, 0) || math.IsInf(iv.Hi, 0) {
			return nil, fmt.Errorf("bound: input %d ranges over %v, want a finite non-empty interval", j, iv)
		}
	}
	dir, err := mlp.GammaDirection(opts.Direction, n)
	if err != nil {
		return nil, fmt.Errorf("bound: %w", err)
	}
	return dir, nil
}

// bisect cuts box into count pieces, each time halving the piece whose
// widest input (width over scale) is widest, along that input.
func bisect(box []interval.Interval, scale []float64, count int) [][]interval.Interval {
	pieces := [][]interval.Interval{box}
	widest := func(b []interval.Interval) (int, float64) {
		j, w := 0, -1.0
		for i, iv := range b {
			if d := (iv.Hi - iv.Lo) / scale[i]; d > w {
				j, w = i, d
			}
		}
		return j, w
	}
	for len(pieces) < count {
		k, kw := 0, -1.0
		for i, b := range pieces {
			if _, w := widest(b); w > kw {
				k, kw = i, w
			}
		}
		b := pieces[k]
		j, _ := widest(b)
		mid := b[j].Lo + (b[j].Hi-b[j].Lo)/2
		lo, hi := append([]interval.Interval(nil), b...), append([]interval.Interval(nil), b...)
		lo[j].Hi, hi[j].Lo = mid, mid
		pieces[k] = lo
		pieces = append(pieces, hi)
	}
	return pieces
}
