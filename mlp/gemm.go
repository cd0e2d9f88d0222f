package mlp

import (
	"gonum.org/v1/gonum/blas"

	gemmpkg "github.com/sobolev-pruning/sobolev/internal/gemm"
)

// gemm sets c to alpha·op(a)·op(b) + beta·c, with the arguments of blas64's
// Dgemm: op(a) is m×k, op(b) is k×n, c is m×n, all row-major with leading
// dimensions lda, ldb, ldc. sc holds internal/gemm's packing buffers; each
// goroutine passes its own.
//
// Products of fewer than smallGemm multiply-adds, or with a single row or
// column, run in the plain loops of gemmSmall, where packing the operands for
// a blocked product costs more than it saves (measured by BenchmarkGemm and
// a sweep of small shapes: the crossover is near 8×8×8); others run in
// internal/gemm.
func gemm(sc *gemmpkg.Scratch, tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	switch {
	case m*n*k < smallGemm || m == 1 || n == 1:
		gemmSmall(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	default:
		gemmpkg.Dgemm(sc, tA == blas.Trans, tB == blas.Trans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	}
}

// gemmSmall is gemm as plain loops, ordered for contiguous access in each
// orientation. Each entry of c is accumulated over p in increasing order, so
// the result depends only on the inputs. beta = 0 sets c without reading it,
// as Dgemm does.
func gemmSmall(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	for i := 0; i < m; i++ {
		ci := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(ci)
		} else if beta != 1 {
			for j := range ci {
				ci[j] *= beta
			}
		}
	}
	switch {
	case tA == blas.NoTrans && tB == blas.Trans: // c[i][j] += alpha·a[i]·b[j]
		for i := 0; i < m; i++ {
			ai := a[i*lda : i*lda+k]
			ci := c[i*ldc : i*ldc+n]
			for j := range ci {
				bj := b[j*ldb : j*ldb+k]
				var s float64
				for p, v := range ai {
					s += v * bj[p]
				}
				ci[j] += alpha * s
			}
		}
	case tA == blas.NoTrans: // c[i] += alpha·a[i][p]·b[p]
		for i := 0; i < m; i++ {
			ai := a[i*lda : i*lda+k]
			ci := c[i*ldc : i*ldc+n]
			for p, v := range ai {
				axpy(ci, alpha*v, b[p*ldb:p*ldb+n])
			}
		}
	case tB == blas.NoTrans: // c[i] += alpha·a[p][i]·b[p]
		for p := 0; p < k; p++ {
			ap := a[p*lda : p*lda+m]
			bp := b[p*ldb : p*ldb+n]
			for i, v := range ap {
				axpy(c[i*ldc:i*ldc+n], alpha*v, bp)
			}
		}
	default: // both transposed: c[i][j] += alpha·Σ_p a[p][i]·b[j][p]
		for i := 0; i < m; i++ {
			ci := c[i*ldc : i*ldc+n]
			for j := range ci {
				bj := b[j*ldb : j*ldb+k]
				var s float64
				for p, v := range bj {
					s += a[p*lda+i] * v
				}
				ci[j] += alpha * s
			}
		}
	}
}

// axpy adds s·x to dst; len(x) ≥ len(dst).
func axpy(dst []float64, s float64, x []float64) {
	x = x[:len(dst)]
	for j, v := range x {
		dst[j] += s * v
	}
}
