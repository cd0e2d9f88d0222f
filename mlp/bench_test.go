package mlp

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	gemmpkg "github.com/sobolev-pruning/sobolev/internal/gemm"
)

// lossSink keeps benchmark results live.
var lossSink Loss

// BenchmarkSobolevStep times one training step on a batch of 256 — forward
// pass, input gradient, loss, full parameter gradient and Adam update — and
// reports samples/s. The sub-benchmark names carry the BLAS backend and the
// Workspace thread count. The
// default case is the large net of method.md §4 (7 → 6×128 SiLU → 1) with the
// Sobolev loss; the others are plain MSE, the Sobolev loss with three
// Hessian-vector directions per sample, and a pruned-size 7 → 6×8 net.
func BenchmarkSobolevStep(b *testing.B) {
	backend := strings.Fields(BLASBackend())[0]
	six := func(w int) []int { return []int{w, w, w, w, w, w} }
	for _, bc := range []struct {
		name   string
		hidden []int
		k      int
		w      LossWeights
	}{
		{"6x128/sobolev", six(128), 0, SobolevWeights(7)},
		{"6x128/mse", six(128), 0, LossWeights{Value: 1}},
		{"6x128/sobolev+hvp3", six(128), 3, LossWeights{Value: 0.125, Grad: 0.875, HVP: 0.1}},
		{"6x8/sobolev", six(8), 0, SobolevWeights(7)},
	} {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("blas=%s/%s/threads=%d", backend, bc.name, threads), func(b *testing.B) {
				const batch = 256
				net := New(7, bc.hidden, SiLU)
				net.Init(XavierUniform, 1)
				bt := testBatch(7, batch, bc.k, 2)
				if bc.w.Grad == 0 {
					bt.DYDX = nil
				}
				if bc.w.HVP == 0 {
					bt.Dirs, bt.HV = nil, nil
				}
				rng := rand.New(rand.NewPCG(3, 0))
				for i := range bt.Y {
					bt.Y[i] = 0.1 * rng.NormFloat64()
				}
				ws := NewWorkspace(net, batch, bc.k, threads)
				grad := make([]float64, net.NumParams())
				adam, err := NewAdam(net.NumParams(), AdamConfig{})
				if err != nil {
					b.Fatal(err)
				}
				for b.Loop() {
					clear(grad)
					lossSink = net.SobolevLoss(grad, ws, bt, bc.w)
					adam.Step(net.Params.Flat, grad, 1e-4)
				}
				b.ReportMetric(float64(batch)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
			})
		}
	}
}

// BenchmarkGemm times the matrix products of a training step on one of two
// threads (128 rows of a batch of 256) for the large (width 128) and the
// pruned-size (width 8) net of BenchmarkSobolevStep, with 7 inputs, and
// reports GFLOP/s. Each runs in gemmSmall, internal/gemm, gonum's pure-Go
// Dgemm.
func BenchmarkGemm(b *testing.B) {
	type impl struct {
		name string
		f    func(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int)
	}
	var sc gemmpkg.Scratch
	impls := []impl{
		{"small", gemmSmall},
		{"internal-" + strings.ReplaceAll(gemmpkg.Path(), "+", ""), func(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
			gemmpkg.Dgemm(&sc, tA == blas.Trans, tB == blas.Trans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		}},
		{"gonum", gonum.Implementation{}.Dgemm},
	}
	const r = 128
	for _, w := range []int{128, 8} {
		for _, s := range []struct {
			name    string
			tA, tB  blas.Transpose
			m, n, k int
		}{
			{"forward", blas.NoTrans, blas.Trans, r, w, w},
			{"forward-in", blas.NoTrans, blas.Trans, r, w, 7},
			{"backward", blas.NoTrans, blas.NoTrans, r, w, w},
			{"backward-in", blas.NoTrans, blas.NoTrans, r, 7, w},
			{"weights", blas.Trans, blas.NoTrans, w, w, 2 * r},
			{"weights-in", blas.Trans, blas.NoTrans, w, 7, 2 * r},
		} {
			rng := rand.New(rand.NewPCG(1, 1))
			fill := func(n int) []float64 {
				v := make([]float64, n)
				for i := range v {
					v[i] = rng.NormFloat64()
				}
				return v
			}
			lda, ldb := s.k, s.n
			if s.tA == blas.Trans {
				lda = s.m
			}
			if s.tB == blas.Trans {
				ldb = s.k
			}
			x, y, z := fill(s.m*s.k), fill(s.k*s.n), fill(s.m*s.n)
			for _, im := range impls {
				b.Run(fmt.Sprintf("%s/%dx%dx%d/%s", s.name, s.m, s.n, s.k, im.name), func(b *testing.B) {
					for b.Loop() {
						im.f(s.tA, s.tB, s.m, s.n, s.k, 1, x, lda, y, ldb, 1, z, s.n)
					}
					b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}
