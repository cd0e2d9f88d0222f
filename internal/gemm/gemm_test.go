package gemm

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// naive is the definition of the result in the package documentation as a
// triple loop: per entry, c·beta (c not read when beta = 0), then for each
// block of kc terms c = fma(alpha, s, c) with s summed over the block by
// fused multiply-adds in increasing p; or, if not fused, the same with each
// product and sum rounded.
func naive(fused bool, transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	at := func(i, p int) float64 {
		if transA {
			return a[p*lda+i]
		}
		return a[i*lda+p]
	}
	bt := func(p, j int) float64 {
		if transB {
			return b[j*ldb+p]
		}
		return b[p*ldb+j]
	}
	for i := range m {
		for j := range n {
			v := 0.0
			if beta != 0 {
				v = beta * c[i*ldc+j]
			}
			if alpha != 0 {
				for p0 := 0; p0 < k; p0 += kc {
					s := 0.0
					for p := p0; p < min(k, p0+kc); p++ {
						if fused {
							s = math.FMA(at(i, p), bt(p, j), s)
						} else {
							s += float64(at(i, p) * bt(p, j))
						}
					}
					if fused {
						v = math.FMA(alpha, s, v)
					} else {
						v += float64(alpha * s)
					}
				}
			}
			c[i*ldc+j] = v
		}
	}
}

// operands returns op(a), op(b) and c for an m×n×k product, filled with
// normal variates, with leading dimensions pad larger than the widths and the
// slices starting off elements into their allocations (so that they are not
// vector-aligned), and c filled with NaN when nanC.
func operands(rng *rand.Rand, transA, transB bool, m, n, k, pad, off int, nanC bool) (a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	fill := func(r, w int) ([]float64, int) {
		ld := w + pad
		x := make([]float64, off+r*ld)[off:]
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		return x, ld
	}
	if transA {
		a, lda = fill(k, m)
	} else {
		a, lda = fill(m, k)
	}
	if transB {
		b, ldb = fill(n, k)
	} else {
		b, ldb = fill(k, n)
	}
	c, ldc = fill(m, n)
	if nanC {
		for i := range c {
			c[i] = math.NaN()
		}
	}
	return
}

// compare runs path kp and naive on the same operands and reports any entry of
// c (or of its padding, which must stay untouched) whose bits differ.
func compare(t *testing.T, kp *kernel, transA, transB bool, m, n, k int, alpha, beta float64, pad, off int, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	a, lda, b, ldb, c, ldc := operands(rng, transA, transB, m, n, k, pad, off, beta == 0)
	want := append([]float64(nil), c...)
	naive(kp.fused, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, want, ldc)
	dgemm(nil, kp, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	bad := 0
	for i := range c {
		if math.Float64bits(c[i]) != math.Float64bits(want[i]) {
			if bad < 3 {
				t.Errorf("%s tA %v tB %v %d×%d×%d alpha %v beta %v ld+%d: c[%d][%d] = %v, want %v",
					kp.name, transA, transB, m, n, k, alpha, beta, pad, i/ldc, i%ldc, c[i], want[i])
			}
			bad++
		}
	}
	if bad > 3 {
		t.Errorf("%s tA %v tB %v %d×%d×%d: %d entries wrong", kp.name, transA, transB, m, n, k, bad)
	}
}

// testPaths returns the paths this CPU runs and both Go paths.
func testPaths() []*kernel {
	ps := paths()
	if ps[len(ps)-1] == goKernel {
		return append(ps, goNoFMAKernel)
	}
	return append(ps, goKernel)
}

var transposes = [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}}

// TestDgemm checks every path this CPU runs, and both Go paths, against naive, bit for bit, for
// every transpose combination and odd sizes in each dimension, with several
// alpha and beta (beta = 0 with NaN in c), leading dimensions larger than
// the widths and slices not aligned to vectors.
func TestDgemm(t *testing.T) {
	sizes := []int{1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 127, 129}
	scalars := [][2]float64{{1, 0}, {1, 1}, {-0.75, 0.5}, {2, 0}, {1.5, -1}}
	for _, kp := range testPaths() {
		t.Run(kp.name, func(t *testing.T) {
			step := 0
			for _, tr := range transposes {
				for _, m := range sizes {
					for _, n := range sizes {
						for _, k := range sizes {
							if testing.Short() && m*n*k > 1<<15 {
								continue
							}
							ab := scalars[step%len(scalars)]
							compare(t, kp, tr[0], tr[1], m, n, k, ab[0], ab[1], step%3, step%2, uint64(step))
							step++
						}
					}
				}
			}
		})
	}
}

// TestDgemmBlocks checks products whose k spans several blocks of kc terms
// and whose n spans several blocks of nc columns.
func TestDgemmBlocks(t *testing.T) {
	for _, kp := range testPaths() {
		for _, tr := range transposes {
			for _, s := range [][3]int{{9, 5, kc + 1}, {17, 19, 2*kc + 3}, {3, nc + 17, 11}, {130, 33, kc}} {
				compare(t, kp, tr[0], tr[1], s[0], s[1], s[2], 1.25, 0.5, 1, 1, 3)
			}
		}
	}
}

// TestDgemmDegenerate checks that zero dimensions and alpha = 0 only scale c
// by beta, and that beta = 0 there still clears NaN.
func TestDgemmDegenerate(t *testing.T) {
	for _, kp := range testPaths() {
		for _, s := range [][3]int{{0, 3, 4}, {3, 0, 4}, {3, 4, 0}} {
			for _, beta := range []float64{0, 1, 3} {
				compare(t, kp, false, true, s[0], s[1], s[2], 1, beta, 1, 0, 5)
			}
		}
		compare(t, kp, true, false, 7, 9, 5, 0, 0, 2, 1, 6)
		compare(t, kp, true, false, 7, 9, 5, 0, 2, 2, 1, 6)
	}
}

// TestDgemmPanics checks that malformed arguments are reported.
func TestDgemmPanics(t *testing.T) {
	x := make([]float64, 12)
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"negative m", func() { Dgemm(nil, false, false, -1, 2, 2, 1, x, 2, x, 2, 0, x, 2) }},
		{"small lda", func() { Dgemm(nil, false, false, 2, 2, 3, 1, x, 2, x, 2, 0, x, 2) }},
		{"short c", func() { Dgemm(nil, false, false, 4, 4, 1, 1, x, 1, x, 4, 0, x[:13-2], 4) }},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tc.name)
				}
			}()
			tc.f()
		}()
	}
}

// TestPath checks that Path names the first path this CPU runs and that a
// Go path is always available.
func TestPath(t *testing.T) {
	ps := paths()
	if Path() != ps[0].name || ps[len(ps)-1] != goPath() {
		t.Errorf("Path() = %q, paths %v", Path(), ps)
	}
}

// TestDgemmChoice checks Dgemm, which picks a kernel and an orientation by
// shape, against naive on thin and square shapes, with one Scratch reused
// across shapes of every size.
func TestDgemmChoice(t *testing.T) {
	var sc Scratch
	for i, s := range [][3]int{{128, 7, 128}, {7, 128, 128}, {130, 3, 40}, {64, 64, 64}, {5, 200, 9}} {
		for _, tr := range transposes {
			rng := rand.New(rand.NewPCG(uint64(i), 9))
			m, n, k := s[0], s[1], s[2]
			a, lda, b, ldb, c, ldc := operands(rng, tr[0], tr[1], m, n, k, 1, 1, false)
			want := append([]float64(nil), c...)
			naive(goPath().fused, tr[0], tr[1], m, n, k, 0.5, a, lda, b, ldb, 2, want, ldc)
			Dgemm(&sc, tr[0], tr[1], m, n, k, 0.5, a, lda, b, ldb, 2, c, ldc)
			for j := range c {
				if math.Float64bits(c[j]) != math.Float64bits(want[j]) {
					t.Errorf("%d×%d×%d tA %v tB %v: c[%d] = %v, want %v", m, n, k, tr[0], tr[1], j, c[j], want[j])
					break
				}
			}
		}
	}
}

// TestDgemmAllocs checks that Dgemm allocates nothing once its Scratch has
// grown to the product.
func TestDgemmAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	a, lda, b, ldb, c, ldc := operands(rng, true, false, 130, 70, 300, 0, 0, false)
	var sc Scratch
	f := func() { Dgemm(&sc, true, false, 130, 70, 300, 1, a, lda, b, ldb, 1, c, ldc) }
	f()
	if n := testing.AllocsPerRun(10, f); n != 0 {
		t.Errorf("Dgemm with a grown Scratch allocates %v times per call", n)
	}
}

// BenchmarkDgemm times the products of a training step of a 7 → 6×128 → 1
// net on a batch of 256 on one thread (256 rows) or on each of two (128
// rows), on each path, with Dgemm's choice of kernel ("Dgemm") and with
// gonum's pure-Go Dgemm, in GFLOP/s.
func BenchmarkDgemm(b *testing.B) {
	for _, s := range []struct {
		name    string
		tA, tB  bool
		m, n, k int
	}{
		{"NT/128x128x128", false, true, 128, 128, 128},
		{"NN/128x128x128", false, false, 128, 128, 128},
		{"TN/128x128x256", true, false, 128, 128, 256},
		{"NT/128x128x7", false, true, 128, 128, 7},
		{"NN/128x7x128", false, false, 128, 7, 128},
		{"TN/128x7x256", true, false, 128, 7, 256},
		{"NT/256x128x128", false, true, 256, 128, 128},
		{"NN/256x128x128", false, false, 256, 128, 128},
		{"TN/128x128x512", true, false, 128, 128, 512},
		{"NN/256x7x128", false, false, 256, 7, 128},
		{"TN/128x7x512", true, false, 128, 7, 512},
	} {
		rng := rand.New(rand.NewPCG(1, 1))
		a, lda, bb, ldb, c, ldc := operands(rng, s.tA, s.tB, s.m, s.n, s.k, 0, 0, false)
		var sc Scratch
		run := func(name string, f func()) {
			b.Run(s.name+"/"+name, func(b *testing.B) {
				for b.Loop() {
					f()
				}
				b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
		for _, kp := range testPaths() {
			run(kp.name, func() { dgemm(&sc, kp, s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 1, c, ldc) })
		}
		run("Dgemm", func() { Dgemm(&sc, s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 1, c, ldc) })
		tr := func(t bool) blas.Transpose {
			if t {
				return blas.Trans
			}
			return blas.NoTrans
		}
		run("gonum", func() {
			gonum.Implementation{}.Dgemm(tr(s.tA), tr(s.tB), s.m, s.n, s.k, 1, a, lda, bb, ldb, 1, c, ldc)
		})
	}
}
