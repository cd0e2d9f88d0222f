package iasa

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sobolev-pruning/sobolev/interval"
	"github.com/sobolev-pruning/sobolev/mlp"
)

// randomRange returns a random interval [lo, hi] with centre in [−8, 8] and
// width from 1e-4 to 30, log-uniform.
func randomRange(rng *rand.Rand) (lo, hi float64) {
	c := 16*rng.Float64() - 8
	w := math.Pow(10, -4+5.5*rng.Float64())
	return c - w/2, c + w/2
}

// TestRelaxSound checks the linear relaxations of σ and σ′ against dense
// sampling on random ranges, small and wide, for every activation, and that
// on small ranges they are tight: μ is at most 10% above half the sampled
// range of σ(z) − αz in the median, and at most 4× above it anywhere (near
// an inflection point of the relaxed function, where the curvature changes
// sign, the remainder bound is loosest).
func TestRelaxSound(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const points = 400
	for _, act := range []mlp.Activation{mlp.SiLU, mlp.Softplus, mlp.Tanh, mlp.ReLU} {
		k := kit{act}
		var ratios []float64
		for range 300 {
			lo, hi := randomRange(rng)
			v, vr := k.value(lo, hi)
			s := k.slope(lo, hi)
			var dmin, dmax [2]float64
			for i := range dmin {
				dmin[i], dmax[i] = math.Inf(1), math.Inf(-1)
			}
			for p := range points + 1 {
				z := lo + (hi-lo)*float64(p)/points
				f, d1, _, _ := act.Eval(z)
				for i, c := range []struct {
					rel linear
					y   float64
				}{{v, f}, {s, d1}} {
					d := c.y - c.rel.a*z
					dmin[i], dmax[i] = min(dmin[i], d), max(dmax[i], d)
					tol := 1e-14 * (1 + math.Abs(c.y) + math.Abs(c.rel.a*z))
					if math.Abs(d-c.rel.b) > c.rel.mu+tol {
						t.Fatalf("%v on [%v, %v]: relaxation %d %+v misses f(%v) = %v by %g",
							act, lo, hi, i, c.rel, z, c.y, math.Abs(d-c.rel.b)-c.rel.mu)
					}
				}
				if !near(vr, f) {
					t.Fatalf("%v on [%v, %v]: σ(%v) = %v ∉ %v", act, lo, hi, z, f, vr)
				}
			}
			if hi-lo < 0.1 && act != mlp.ReLU {
				for i, rel := range []linear{v, s} {
					sampled := (dmax[i] - dmin[i]) / 2
					if rel.mu > 4*sampled+1e-15 {
						t.Errorf("%v on [%v, %v]: relaxation %d has μ = %g, sampled half-range %g", act, lo, hi, i, rel.mu, sampled)
					}
					if sampled > 1e-13 {
						ratios = append(ratios, rel.mu/sampled)
					}
				}
			}
		}
		if m := median(ratios); act != mlp.ReLU && !(m < 1.1) {
			t.Errorf("%v: median μ / sampled half-range on small ranges = %v over %d relaxations, want < 1.1", act, m, len(ratios))
		}
	}
}

// TestDerivativeEnclosures checks the kit's enclosures of σ‴ and σ⁗ (package
// interval's, tested there against 320-bit references) and its point
// enclosures of σ…σ‴: at points against mlp's values and central
// differences of σ‴ (and that point enclosures are a few ulp wide), and on
// random ranges against samples.
func TestDerivativeEnclosures(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, act := range []mlp.Activation{mlp.SiLU, mlp.Softplus, mlp.Tanh} {
		k := kit{act}
		d3 := func(z float64) float64 { _, _, _, d := act.Eval(z); return d }
		for range 300 {
			z := 16*rng.Float64() - 8
			pz := interval.Point(z)
			if got, want := k.deriv3(pz), d3(z); !near(got, want) {
				t.Errorf("%v‴(%v) = %v ∉ %v", act, z, want, got)
			}
			f0, f1, f2, f3 := act.Eval(z)
			for i, want := range []float64{f0, f1, f2, f3} {
				if got := k.point(z)[i]; !near(got, want) || got.Width() > 1e-14*(1+math.Abs(want)) {
					t.Errorf("%v derivative %d at %v = %v, point enclosure %v", act, i, z, want, got)
				}
			}
			const h = 1e-5
			fd := (d3(z+h) - d3(z-h)) / (2 * h)
			if got := k.deriv4(pz); math.Abs(got.Mid()-fd) > 1e-8 || got.Width() > 1e-12 {
				t.Errorf("%v⁗(%v) ≈ %v (central difference), enclosure %v", act, z, fd, got)
			}
			lo, hi := randomRange(rng)
			D3, D4 := k.deriv3(interval.Interval{Lo: lo, Hi: hi}), k.deriv4(interval.Interval{Lo: lo, Hi: hi})
			for p := range 201 {
				x := lo + (hi-lo)*float64(p)/200
				if !near(D3, d3(x)) {
					t.Fatalf("%v‴(%v) = %v ∉ %v on [%v, %v]", act, x, d3(x), D3, lo, hi)
				}
				if fd := (d3(x+h) - d3(x-h)) / (2 * h); !(D4.Lo-1e-7 <= fd && fd <= D4.Hi+1e-7) {
					t.Fatalf("%v⁗(%v) ≈ %v ∉ %v on [%v, %v]", act, x, fd, D4, lo, hi)
				}
			}
		}
	}
}
