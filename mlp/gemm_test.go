package mlp

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	gemmpkg "github.com/sobolev-pruning/sobolev/internal/gemm"
)

// TestGemmSmall checks the plain-loop product against the BLAS for every
// orientation, leading dimensions larger than the widths, and beta 0 (c not
// read: it starts as NaN), 1 and 0.5.
func TestGemmSmall(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		return v
	}
	const m, n, k, pad = 5, 3, 4, 2
	for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
		for _, tB := range []blas.Transpose{blas.NoTrans, blas.Trans} {
			for _, beta := range []float64{0, 1, 0.5} {
				ar, ac := m, k
				if tA == blas.Trans {
					ar, ac = k, m
				}
				br, bc := k, n
				if tB == blas.Trans {
					br, bc = n, k
				}
				lda, ldb, ldc := ac+pad, bc+pad, n+pad
				a, b := fill(ar*lda), fill(br*ldb)
				want, got := fill(m*ldc), make([]float64, m*ldc)
				copy(got, want)
				if beta == 0 {
					for i := range want {
						want[i], got[i] = math.NaN(), math.NaN()
					}
				}
				blas64.Implementation().Dgemm(tA, tB, m, n, k, 1.5, a, lda, b, ldb, beta, want, ldc)
				gemmSmall(tA, tB, m, n, k, 1.5, a, lda, b, ldb, beta, got, ldc)
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						w, g := want[i*ldc+j], got[i*ldc+j]
						if math.Abs(g-w) > 1e-14*(1+math.Abs(w)) {
							t.Errorf("tA %c tB %c beta %v: c[%d][%d] = %v, want %v", tA, tB, beta, i, j, g, w)
						}
					}
				}
			}
		}
	}
}

// TestGemmRoutes checks gemm against gonum's Dgemm on shapes on both sides of
// the choice between gemmSmall and the blocked product, in every
// orientation, with beta 0 (c starts as NaN) and 0.5.
func TestGemmRoutes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var sc gemmpkg.Scratch
	fill := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		return v
	}
	for _, s := range [][3]int{{1, 9, 40}, {9, 1, 40}, {7, 8, 9}, {8, 8, 8}, {4, 4, 4}, {33, 17, 70}, {130, 7, 300}} {
		m, n, k := s[0], s[1], s[2]
		for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
			for _, tB := range []blas.Transpose{blas.NoTrans, blas.Trans} {
				for _, beta := range []float64{0, 0.5} {
					ar, ac := m, k
					if tA == blas.Trans {
						ar, ac = k, m
					}
					br, bc := k, n
					if tB == blas.Trans {
						br, bc = n, k
					}
					a, b := fill(ar*ac), fill(br*bc)
					want, got := fill(m*n), make([]float64, m*n)
					copy(got, want)
					if beta == 0 {
						for i := range want {
							want[i], got[i] = math.NaN(), math.NaN()
						}
					}
					blas64.Implementation().Dgemm(tA, tB, m, n, k, -0.5, a, ac, b, bc, beta, want, n)
					gemm(&sc, tA, tB, m, n, k, -0.5, a, ac, b, bc, beta, got, n)
					for i, w := range want {
						if math.Abs(got[i]-w) > 1e-13*(1+math.Abs(w)) {
							t.Errorf("%d×%d×%d tA %c tB %c beta %v: c[%d] = %v, want %v", m, n, k, tA, tB, beta, i, got[i], w)
							break
						}
					}
				}
			}
		}
	}
}
