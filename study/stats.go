package study

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Level is the confidence level of every interval of a study's summaries.
const Level = 0.95

// Interval is a mean over N observations (seeds) with its two-sided Student t
// confidence interval [Lo, Hi] at confidence Level, in the units of the
// observations. With N = 1 the interval is NaN (no spread to measure); with
// N = 0 every figure is NaN.
type Interval struct {
	N        int
	Mean, SD float64 // SD is the sample standard deviation (divisor N−1)
	Lo, Hi   float64
}

// MeanCI returns the mean of x with its t interval at confidence level (for
// example 0.95): mean ± t(1−(1−level)/2; N−1)·SD/√N.
func MeanCI(x []float64, level float64) Interval {
	nan := math.NaN()
	iv := Interval{N: len(x), Mean: nan, SD: nan, Lo: nan, Hi: nan}
	if len(x) == 0 {
		return iv
	}
	iv.Mean = stat.Mean(x, nil)
	if len(x) == 1 {
		return iv
	}
	iv.SD = stat.StdDev(x, nil)
	half := tQuantile(1-(1-level)/2, len(x)-1) * iv.SD / math.Sqrt(float64(len(x)))
	iv.Lo, iv.Hi = iv.Mean-half, iv.Mean+half
	return iv
}

// tQuantile returns the p-quantile of Student's t distribution with dof
// degrees of freedom.
func tQuantile(p float64, dof int) float64 {
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(dof)}.Quantile(p)
}

// SignTest returns the two-sided p-value of the sign test of the paired
// differences d against a median of zero: zeros (ties of a pair) are dropped,
// and with n+ positive and n− negative differences of N = n+ + n− the p-value
// is min(1, 2·P(X ≤ min(n+, n−))) for X ~ Binomial(N, ½). It is 1 when every
// difference is zero, and NaN differences are dropped like zeros.
func SignTest(d []float64) float64 {
	pos, neg := 0, 0
	for _, v := range d {
		switch {
		case v > 0:
			pos++
		case v < 0:
			neg++
		}
	}
	n := pos + neg
	if n == 0 {
		return 1
	}
	b := distuv.Binomial{N: float64(n), P: 0.5}
	return min(1, 2*b.CDF(float64(min(pos, neg))))
}

// Wilcoxon returns the statistic W+ (the sum of the ranks of the positive
// differences) and the exact two-sided p-value of the Wilcoxon signed-rank
// test of the paired differences d against a distribution symmetric about
// zero.
//
// Zero differences are dropped (Wilcoxon's convention, as R's wilcox.test
// does), and so are NaN ones; the remaining n differences are ranked by
// absolute value, tied absolute values sharing the mean of their ranks
// (midranks). The null distribution is the exact conditional one given these
// ranks: each of the 2ⁿ sign patterns equally likely. The p-value is the
// probability of a W+ at least as far from its mean, n(n+1)/4, as the observed
// one, counted exactly over the 2ⁿ patterns by the subset-sum recursion (a
// count per attainable sum of doubled ranks, so O(n³) work rather than 2ⁿ; the
// tests check it against an explicit enumeration). With no non-zero
// difference W+ is 0 and the p-value 1.
func Wilcoxon(d []float64) (w, p float64) {
	var abs []float64
	var pos []bool
	for _, v := range d {
		if v != 0 && !math.IsNaN(v) {
			abs = append(abs, math.Abs(v))
			pos = append(pos, v > 0)
		}
	}
	n := len(abs)
	if n == 0 {
		return 0, 1
	}
	r2 := doubledRanks(abs)
	// Doubled midranks are integers; total is their sum, n(n+1).
	total, obs := 0, 0
	for i, r := range r2 {
		total += r
		if pos[i] {
			obs += r
		}
	}
	// prob[s] = P(doubled W+ = s) when each sign is + with probability ½.
	prob := make([]float64, total+1)
	prob[0] = 1
	hi := 0
	for _, r := range r2 {
		hi += r
		for s := hi; s >= 0; s-- {
			q := prob[s] / 2
			if s >= r {
				q += prob[s-r] / 2
			}
			prob[s] = q
		}
	}
	// Two-sided: |2·W+ − total/2·2| compared in doubled units, exactly.
	dev := abs2(2*obs - total)
	for s, q := range prob {
		if abs2(2*s-total) >= dev {
			p += q
		}
	}
	return float64(obs) / 2, min(1, p)
}

// abs2 returns |k|.
func abs2(k int) int {
	if k < 0 {
		return -k
	}
	return k
}

// doubledRanks returns twice the midranks of x (ranks from 1, ties sharing the
// mean of their ranks), which are integers.
func doubledRanks(x []float64) []int {
	order := make([]int, len(x))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case x[a] < x[b]:
			return -1
		case x[a] > x[b]:
			return 1
		}
		return 0
	})
	r := make([]int, len(x))
	for i := 0; i < len(order); {
		j := i
		for j+1 < len(order) && x[order[j+1]] == x[order[i]] {
			j++
		}
		// Positions i…j (0-based) hold ranks i+1 … j+1; twice their mean is
		// i+j+2.
		for k := i; k <= j; k++ {
			r[order[k]] = i + j + 2
		}
		i = j + 1
	}
	return r
}

// Paired is the comparison of two methods over the same seeds: the
// differences d = a − b per seed, their mean with its t interval, and the
// two-sided p-values of the exact Wilcoxon signed-rank test and the sign test.
type Paired struct {
	Diff Interval
	// Wins and Losses count the seeds where a − b is positive and
	// negative.
	Wins, Losses int
	W            float64 // Wilcoxon's W+
	Wilcoxon     float64 // p-value
	Sign         float64 // p-value
}

// ComparePaired returns the paired comparison of a and b, observations of the
// same seeds in the same order. Pairs where either is NaN are left out (Diff.N
// counts the others). It panics if a and b differ in length.
func ComparePaired(a, b []float64, level float64) Paired {
	if len(a) != len(b) {
		panic("study: ComparePaired of samples of different lengths")
	}
	var d []float64
	wins, losses := 0, 0
	for i := range a {
		v := a[i] - b[i]
		switch {
		case math.IsNaN(v):
			continue
		case v > 0:
			wins++
		case v < 0:
			losses++
		}
		d = append(d, v)
	}
	w, p := Wilcoxon(d)
	return Paired{Diff: MeanCI(d, level), Wins: wins, Losses: losses, W: w, Wilcoxon: p, Sign: SignTest(d)}
}
