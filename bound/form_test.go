package bound

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/sobolev-pruning/sobolev/interval"
)

// exact is a real number held exactly enough: big.Float of exactPrec bits,
// enough for sums of products of float64s of any exponents.
const exactPrec = 2300

func exactOf(x float64) *big.Float { return new(big.Float).SetPrec(exactPrec).SetFloat64(x) }

func exactAdd(x, y *big.Float) *big.Float { return new(big.Float).SetPrec(exactPrec).Add(x, y) }

func exactMul(x, y *big.Float) *big.Float { return new(big.Float).SetPrec(exactPrec).Mul(x, y) }

// inside reports whether the exact x lies in iv.
func inside(iv interval.Interval, x *big.Float) bool {
	return !iv.IsEmpty() && exactOf(iv.Lo).Cmp(x) <= 0 && x.Cmp(exactOf(iv.Hi)) <= 0
}

// randomForm returns a form over act symbols with random coefficients and
// constant, of magnitudes spread over many binades (some zero, some
// subnormal, some below the rounding error of 1); a third of the constants are small integers, whose products
// are exact, so that no rounding of theirs hides an error of the
// coefficients'.
func randomForm(rng *rand.Rand, act int) (interval.Interval, []float64) {
	mag := func() float64 {
		switch rng.IntN(8) {
		case 0:
			return 0
		case 1:
			return math.Ldexp(rng.NormFloat64(), -1060) // subnormal
		case 2:
			return math.Ldexp(rng.NormFloat64(), -55) // below the rounding of 1
		}
		return math.Ldexp(rng.NormFloat64(), rng.IntN(70)-35)
	}
	a := make([]float64, act)
	for k := range a {
		a[k] = mag()
	}
	switch lo := mag(); rng.IntN(3) {
	case 0:
		return interval.New(lo, lo+math.Abs(mag())), a
	case 1:
		return interval.Point(lo), a
	}
	return interval.Point(float64(rng.IntN(7) - 3)), a
}

// point draws a value of the form (c, a): e ∈ c and the symbols σ, a vertex
// of [−1, 1]^act half of the time; it returns the exact value.
func point(rng *rand.Rand, c interval.Interval, a, sigma []float64) *big.Float {
	t := rng.Float64()
	if rng.IntN(2) == 0 {
		t = float64(rng.IntN(2))
	}
	e := exactAdd(exactOf(c.Lo), exactMul(exactOf(t), exactAdd(exactOf(c.Hi), exactOf(-c.Lo))))
	for k, x := range a {
		e = exactAdd(e, exactMul(exactOf(x), exactOf(sigma[k])))
	}
	return e
}

// drawSymbols sets sigma to random symbols in [−1, 1], a vertex half of the
// time.
func drawSymbols(rng *rand.Rand, sigma []float64) {
	vertex := rng.IntN(2) == 0
	for k := range sigma {
		if vertex {
			sigma[k] = float64(2*rng.IntN(2) - 1)
		} else {
			sigma[k] = 2*rng.Float64() - 1
		}
	}
}

// TestFormOps checks each operation on forms against exact arithmetic: at
// random symbols and constants of its operands, the exact result lies in the
// result form evaluated at the same symbols (its constant an interval), and
// the returned bounds of Σ|a_k| hold.
func TestFormOps(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	check := func(op string, dc interval.Interval, da []float64, dn float64, want *big.Float, sigma []float64) {
		t.Helper()
		lin := exactOf(0)
		sum := exactOf(0)
		for k, x := range da {
			lin = exactAdd(lin, exactMul(exactOf(x), exactOf(sigma[k])))
			sum = exactAdd(sum, exactOf(math.Abs(x)))
		}
		// want − lin must lie in dc.
		if rest := exactAdd(want, new(big.Float).Neg(lin)); !inside(dc, rest) {
			t.Fatalf("%s: exact %v − linear part %v = %v outside the constant %v", op, want, lin, rest, dc)
		}
		if sum.Cmp(exactOf(dn)) > 0 {
			t.Fatalf("%s: Σ|a_k| = %v above its bound %v", op, sum, dn)
		}
	}
	sigma := make([]float64, 12)
	for range 3000 {
		m1, m2 := rng.IntN(6), rng.IntN(6)
		c1, a1 := randomForm(rng, m1)
		c2, a2 := randomForm(rng, m2)
		n1, n2 := norm1(a1), norm1(a2)
		da := make([]float64, max(m1, m2)+rng.IntN(2))
		var dc interval.Interval
		mn := mulNode(&dc, da, c1, a1, n1, c2, a2, n2)
		sc := interval.Interval{}
		sa := make([]float64, m1)
		sn := sqrNode(&sc, sa, c1, a1, n1)
		ac, aa := c1, append(make([]float64, 0, max(m1, m2)), a1...)
		aa = aa[:max(m1, m2)]
		an := addNode(&ac, aa, n1, c2, a2, n2)
		for range 20 {
			drawSymbols(rng, sigma)
			q1, q2 := point(rng, c1, a1, sigma), point(rng, c2, a2, sigma)
			check("mulNode", dc, da, mn, exactMul(q1, q2), sigma)
			check("sqrNode", sc, sa, sn, exactMul(q1, q1), sigma)
			check("addNode", ac, aa, an, exactAdd(q1, q2), sigma)
		}
	}
	// linear and linearT, and a sum of many forms.
	for range 300 {
		rows, cols, m := 1+rng.IntN(5), 1+rng.IntN(5), rng.IntN(6)
		src := newFvec(cols, m)
		src.act = m
		for j := range cols {
			src.c[j], _ = randomForm(rng, 0)
			c, a := randomForm(rng, m)
			src.c[j] = c
			copy(src.row(j), a)
			src.nrm[j] = norm1(a)
		}
		w := make([]float64, rows*cols)
		b := make([]float64, rows)
		for i := range w {
			w[i] = math.Ldexp(rng.NormFloat64(), rng.IntN(20)-10)
		}
		for i := range b {
			b[i] = rng.NormFloat64()
		}
		dst, dstT := newFvec(rows, m), newFvec(cols, m)
		linear(dst, src, w, b)
		srcT := newFvec(rows, m)
		srcT.act = m
		for i := range rows {
			c, a := randomForm(rng, m)
			srcT.c[i] = c
			copy(srcT.row(i), a)
			srcT.nrm[i] = norm1(a)
		}
		linearT(dstT, srcT, w)
		acc := newFvec(1, m)
		var s sum
		s.reset(acc)
		for j := range cols {
			s.add(src.c[j], src.row(j), src.nrm[j])
		}
		s.finish()
		for range 20 {
			drawSymbols(rng, sigma)
			x := make([]*big.Float, cols)
			total := exactOf(0)
			for j := range cols {
				x[j] = point(rng, src.c[j], src.row(j), sigma)
				total = exactAdd(total, x[j])
			}
			for i := range rows {
				want := exactOf(b[i])
				for j := range cols {
					want = exactAdd(want, exactMul(exactOf(w[i*cols+j]), x[j]))
				}
				check("linear", dst.c[i], dst.row(i), dst.nrm[i], want, sigma)
			}
			check("sum", acc.c[0], acc.row(0), acc.nrm[0], total, sigma)
			y := make([]*big.Float, rows)
			for i := range rows {
				y[i] = point(rng, srcT.c[i], srcT.row(i), sigma)
			}
			for j := range cols {
				want := exactOf(0)
				for i := range rows {
					want = exactAdd(want, exactMul(exactOf(w[i*cols+j]), y[i]))
				}
				check("linearT", dstT.c[j], dstT.row(j), dstT.nrm[j], want, sigma)
			}
		}
	}
}

// TestFormPlain checks that forms without symbols are plain intervals: the
// operations give Mul, Sqr, Add, MulVec and MulVecTrans bit for bit.
func TestFormPlain(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for range 1000 {
		c1, _ := randomForm(rng, 0)
		c2, _ := randomForm(rng, 0)
		var r interval.Interval
		if mulNode(&r, nil, c1, nil, 0, c2, nil, 0); r != interval.Mul(c1, c2) {
			t.Fatalf("mulNode(%v, %v) = %v, Mul %v", c1, c2, r, interval.Mul(c1, c2))
		}
		if sqrNode(&r, nil, c1, nil, 0); r != interval.Sqr(c1) {
			t.Fatalf("sqrNode(%v) = %v, Sqr %v", c1, r, interval.Sqr(c1))
		}
		r = c1
		if addNode(&r, nil, 0, c2, nil, 0); r != interval.Add(c1, c2) {
			t.Fatalf("addNode(%v, %v) = %v, Add %v", c1, c2, r, interval.Add(c1, c2))
		}
	}
	src, dst, dstT := newFvec(3, 0), newFvec(2, 0), newFvec(3, 0)
	for j := range src.c {
		src.c[j], _ = randomForm(rng, 0)
	}
	w := []float64{1, -2, 0.5, 3, 0.25, -1}
	linear(dst, src, w, []float64{1, 2})
	if want := interval.MulVec(nil, w, 2, 3, src.c, []float64{1, 2}); dst.c[0] != want[0] || dst.c[1] != want[1] {
		t.Errorf("linear %v, MulVec %v", dst.c, want)
	}
	linearT(dstT, dst, w)
	if want := interval.MulVecTrans(nil, w, 2, 3, dst.c); dstT.c[0] != want[0] || dstT.c[2] != want[2] {
		t.Errorf("linearT %v, MulVecTrans %v", dstT.c, want)
	}
}

// TestTaylor checks the centred form of second order on q(x) = x₀·x₁ +
// 3x₀² − x₁ over a box: its derivatives are affine, so their forms are
// exact, and the bound must contain q's range and be close to it.
func TestTaylor(t *testing.T) {
	c, rad := []float64{0.3, -0.2}, []float64{0.1, 0.05}
	q := func(x0, x1 float64) float64 { return x0*x1 + 3*x0*x0 - x1 }
	// ∂q/∂x₀ = x₁ + 6x₀ = (c₁ + 6c₀) + 6r₀σ₀ + r₁σ₁, ∂q/∂x₁ = x₀ − 1 = (c₀ − 1) + r₀σ₀.
	d := []*fvec{newFvec(1, 2), newFvec(1, 2)}
	for _, f := range d {
		f.act = 2
	}
	d[0].c[0] = interval.Add(interval.Point(c[1]), interval.Mul(interval.Point(6), interval.Point(c[0])))
	d[0].a[0], d[0].a[1] = 6*rad[0], rad[1]
	d[1].c[0] = interval.Sub(interval.Point(c[0]), interval.Point(1))
	d[1].a[0] = rad[0]
	got := taylor(interval.Point(q(c[0], c[1])), d, rad)
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range 101 {
		for j := range 101 {
			v := q(c[0]+rad[0]*(float64(i)/50-1), c[1]+rad[1]*(float64(j)/50-1))
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if !(got.Lo <= lo && hi <= got.Hi) || got.Width() > 1.5*(hi-lo) {
		t.Errorf("taylor %v, range [%v, %v]: want an enclosure at most 1.5 times as wide", got, lo, hi)
	}
}
