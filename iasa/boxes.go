package iasa

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/sobolev-pruning/sobolev/interval"
)

// AroundPoints returns small boxes around data points (method.md §5): for each
// chosen row r of x, an N × n row-major matrix of raw inputs, the box
//
//	[x_rj − δ·std_j, x_rj + δ·std_j],  j = 1..n
//
// where std_j is the standard deviation of column j over all N rows. If
// 0 < count < N, count rows are chosen at random without replacement from a
// PCG generator seeded with seed and taken in increasing order; otherwise all
// rows are used in order. The default δ of IASA is 0.05.
//
// AroundPoints returns an error if n < 1, len(x) is not a positive multiple of
// n, δ is negative or not finite, or x holds a value that is not finite.
func AroundPoints(x []float64, n int, delta float64, count int, seed uint64) ([]Box, error) {
	if n < 1 || len(x) == 0 || len(x)%n != 0 {
		return nil, fmt.Errorf("iasa: %d values do not form rows of %d inputs", len(x), n)
	}
	if !(delta >= 0) || math.IsInf(delta, 0) {
		return nil, fmt.Errorf("iasa: box half-width δ = %v, want finite and ≥ 0", delta)
	}
	N := len(x) / n
	mean, std := make([]float64, n), make([]float64, n)
	for r := range N {
		for j := range n {
			v := x[r*n+j]
			if v-v != 0 {
				return nil, fmt.Errorf("iasa: input %d of row %d is %v", j, r, v)
			}
			mean[j] += v
		}
	}
	for j := range n {
		mean[j] /= float64(N)
	}
	for r := range N {
		for j := range n {
			d := x[r*n+j] - mean[j]
			std[j] += d * d
		}
	}
	for j := range n {
		std[j] = delta * math.Sqrt(std[j]/float64(N))
	}
	rows := make([]int, N)
	for r := range rows {
		rows[r] = r
	}
	if count > 0 && count < N {
		rng := rand.New(rand.NewPCG(seed, 0x2545f4914f6cdd1d))
		rows = rng.Perm(N)[:count]
		slices.Sort(rows)
	}
	boxes := make([]Box, len(rows))
	for k, r := range rows {
		boxes[k] = make(Box, n)
		for j := range n {
			v := x[r*n+j]
			boxes[k][j] = interval.Interval{Lo: v - std[j], Hi: v + std[j]}
		}
	}
	return boxes, nil
}

// ParseBox reads a box of n inputs written "lo:hi" (the same range for all
// inputs) or "lo:hi,lo:hi,…" (n ranges, one per input), as the --box flag
// gives it. A range that is not two numbers, or that Validate refuses, is an
// error naming it.
func ParseBox(s string, n int) (Box, error) {
	fields := strings.Split(s, ",")
	if len(fields) != 1 && len(fields) != n {
		return nil, fmt.Errorf("%d ranges for a model of %d inputs, want one lo:hi for all inputs or %d", len(fields), n, n)
	}
	box := make(Box, n)
	for i, field := range fields {
		lo, hi, ok := strings.Cut(field, ":")
		a, errLo := strconv.ParseFloat(strings.TrimSpace(lo), 64)
		b, errHi := strconv.ParseFloat(strings.TrimSpace(hi), 64)
		if !ok || errLo != nil || errHi != nil {
			return nil, fmt.Errorf("range %d is %q, want lo:hi with two numbers, e.g. 0.5:1.5", i+1, field)
		}
		box[i] = interval.Interval{Lo: a, Hi: b}
		if err := checkRange(box[i]); err != nil {
			return nil, fmt.Errorf("range %d is %q: %v", i+1, field, err)
		}
	}
	if len(fields) == 1 {
		for i := range box {
			box[i] = box[0]
		}
	}
	return box, nil
}

// Validate reports the first range of b whose bounds are not finite or not
// increasing (lo < hi): a domain box must have a positive width in every
// input.
func (b Box) Validate() error {
	for j, iv := range b {
		if err := checkRange(iv); err != nil {
			return fmt.Errorf("iasa: range of input %d: %v", j, err)
		}
	}
	return nil
}

// checkRange reports a range whose bounds are not finite or not increasing.
func checkRange(iv interval.Interval) error {
	switch {
	case math.IsNaN(iv.Lo) || math.IsNaN(iv.Hi) || math.IsInf(iv.Lo, 0) || math.IsInf(iv.Hi, 0):
		return fmt.Errorf("want finite bounds, not [%v, %v]", iv.Lo, iv.Hi)
	case iv.Lo >= iv.Hi:
		return fmt.Errorf("lo %v ≥ hi %v, want lo < hi", iv.Lo, iv.Hi)
	}
	return nil
}

// Sample fills dst, rows of len(b) inputs (row-major), with points drawn
// uniformly from the box b by rng, in row order:
//
//	dst[r·n + j] = min(hi_j, lo_j + (hi_j − lo_j)·u_rj),   u_rj uniform in [0, 1)
//
// (the min keeps a point inside when the product rounds up). Sample panics
// if len(dst) is not a multiple of len(b).
func (b Box) Sample(dst []float64, rng *rand.Rand) {
	n := len(b)
	if n == 0 || len(dst)%n != 0 {
		panic("iasa: Sample: len(dst) is not a multiple of the box's inputs")
	}
	for r := 0; r < len(dst); r += n {
		for j, iv := range b {
			dst[r+j] = min(iv.Hi, iv.Lo+(iv.Hi-iv.Lo)*rng.Float64())
		}
	}
}

// Grid returns the boxes of a regular grid over [lo, hi] with k[j] equal
// cells along input j, Π_j k[j] boxes in all, input 0 varying slowest. The
// cell edges are lo_j + (hi_j − lo_j)·c/k_j; adjacent cells share them, so the
// boxes cover [lo, hi].
//
// Grid returns an error if the slices differ in length or are empty, a bound
// is not finite or lo_j > hi_j, a count is < 1, or the grid would have more
// than 2²⁴ boxes.
func Grid(lo, hi []float64, k []int) ([]Box, error) {
	if len(lo) == 0 || len(lo) != len(hi) || len(lo) != len(k) {
		return nil, fmt.Errorf("iasa: grid with %d lower bounds, %d upper bounds and %d counts", len(lo), len(hi), len(k))
	}
	total := 1
	for j := range lo {
		if !(lo[j] <= hi[j]) || math.IsInf(lo[j], 0) || math.IsInf(hi[j], 0) {
			return nil, fmt.Errorf("iasa: grid input %d is [%v, %v], want finite bounds lo ≤ hi", j, lo[j], hi[j])
		}
		if k[j] < 1 {
			return nil, fmt.Errorf("iasa: grid input %d has %d cells, want ≥ 1", j, k[j])
		}
		if total *= k[j]; total > 1<<24 {
			return nil, errors.New("iasa: grid has more than 2^24 boxes")
		}
	}
	edge := func(j, c int) float64 {
		if c == k[j] {
			return hi[j]
		}
		return min(hi[j], lo[j]+(hi[j]-lo[j])*float64(c)/float64(k[j]))
	}
	boxes := make([]Box, total)
	idx := make([]int, len(k))
	for b := range boxes {
		box := make(Box, len(k))
		for j, c := range idx {
			box[j] = interval.Interval{Lo: edge(j, c), Hi: edge(j, c+1)}
		}
		boxes[b] = box
		for j := len(idx) - 1; j >= 0; j-- {
			if idx[j]++; idx[j] < k[j] {
				break
			}
			idx[j] = 0
		}
	}
	return boxes, nil
}

// Bounds returns the smallest box that contains every row of x, an N × n
// row-major matrix: lo_j and hi_j are the minimum and maximum of column j.
// It panics if n < 1 or len(x) is not a positive multiple of n.
func Bounds(x []float64, n int) (lo, hi []float64) {
	if n < 1 || len(x) == 0 || len(x)%n != 0 {
		panic(panicRows)
	}
	lo, hi = slices.Clone(x[:n]), slices.Clone(x[:n])
	for r := n; r < len(x); r += n {
		for j := range n {
			lo[j], hi[j] = min(lo[j], x[r+j]), max(hi[j], x[r+j])
		}
	}
	return lo, hi
}
