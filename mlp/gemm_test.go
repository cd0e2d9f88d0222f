package mlp

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
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
