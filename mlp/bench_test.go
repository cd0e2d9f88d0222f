package mlp

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
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
