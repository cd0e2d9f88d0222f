package interval

// The jets below enclose σ and its first three derivatives at one point
// together, from one enclosure of the sigmoid or of tanh: the coefficients
// the quadratic forms of package iasa expand σ and σ′ around. They follow the
// formulas of method.md §3 in interval arithmetic, so each enclosure is a few
// ulp wide; where an enclosure of one derivative over a range is wanted, use
// SiLUPrime2 and its kin, which are tighter at the extremes.

// SiLUJet returns enclosures of σ(c), σ′(c), σ″(c) and σ‴(c) for σ = SiLU at
// the point c:
//
//	σ = c·s,  σ′ = s(1 + c(1−s)),  σ″ = p(2 + c·m),  σ‴ = p(3m + c(1 − 6p)),
//
// with s = s(c) the logistic sigmoid, p = s(1−s) and m = 1 − 2s.
func SiLUJet(c float64) [4]Interval {
	pc, one := Point(c), Point(1)
	s := Sigmoid(pc)
	q := Sub(one, s)
	p := Mul(s, q) // s(1−s)
	m := Sub(q, s) // 1 − 2s
	return [4]Interval{
		Mul(pc, s),
		Mul(s, Add(one, Mul(pc, q))),
		Mul(p, Add(Point(2), Mul(pc, m))),
		Mul(p, Add(Mul(Point(3), m), Mul(pc, Sub(one, Mul(Point(6), p))))),
	}
}

// SoftplusJet returns enclosures of σ(c), σ′(c), σ″(c) and σ‴(c) for
// σ = Softplus at the point c: σ′ = s, σ″ = p = s(1−s), σ‴ = p(1 − 2s), with
// s = s(c) the logistic sigmoid.
func SoftplusJet(c float64) [4]Interval {
	pc := Point(c)
	s := Sigmoid(pc)
	q := Sub(Point(1), s)
	p := Mul(s, q)
	return [4]Interval{Softplus(pc), s, p, Mul(p, Sub(q, s))}
}

// TanhJet returns enclosures of σ(c), σ′(c), σ″(c) and σ‴(c) for σ = tanh at
// the point c: σ′ = q = 1 − t², σ″ = −2t·q, σ‴ = q(4 − 6q), with t = tanh(c).
func TanhJet(c float64) [4]Interval {
	pc := Point(c)
	t, q := Tanh(pc), TanhPrime(pc)
	return [4]Interval{t, q, Mul(Point(-2), Mul(t, q)), Mul(q, Sub(Point(4), Mul(Point(6), q)))}
}
