package pipeline

import (
	"math"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/stat"

	"github.com/sobolev-pruning/sobolev/dataset"
	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/results"
)

// Evaluate returns the scores of net on test (see results.Scores for the
// figures): the value against test.Y, every delta against test.DYDX, pooled
// and column by column, and 1ᵀH1 against test.Gamma. It panics if
// test.Dims() differs from net.Inputs().
func Evaluate(net *mlp.Network, test *dataset.Set) results.Scores {
	return EvaluateAlong(net, test, nil)
}

// EvaluateAlong is Evaluate with the net's gamma taken along the raw
// direction dir, vᵀH(x)v with v = dir, the second derivative of the net
// along dir, as the test set's gamma labels are (spec.json's
// gamma_direction; Config.GammaDirection). A nil dir is the all-ones
// vector, and EvaluateAlong(net, test, nil) is Evaluate(net, test), bit for
// bit. It panics if test.Dims() differs from net.Inputs() or a non-nil dir
// from test.Dims().
func EvaluateAlong(net *mlp.Network, test *dataset.Set, dir []float64) results.Scores {
	n, rows := test.Dims(), test.N()
	if dir != nil && len(dir) != n {
		panic("pipeline: EvaluateAlong: len(dir) != test.Dims()")
	}
	value := make([]float64, rows)
	var grad, gamma []float64
	if test.DYDX != nil {
		grad = make([]float64, rows*n)
	}
	if test.Gamma != nil {
		gamma = make([]float64, rows)
	}
	if dir == nil || gamma == nil {
		mlp.EvalParallel(net, value, grad, gamma, test.X, 0)
	} else {
		evalAlong(net, value, grad, gamma, test.X, dir)
	}
	nan := results.Metric(math.NaN())
	s := results.Scores{R2Delta: nan, R2Gamma: nan, RMSEDelta: nan, MaxErrDelta: nan, RMSEGamma: nan, MaxErrGamma: nan}
	s.R2Value = results.Metric(stat.RSquaredFrom(value, test.Y, nil))
	s.RMSEValue, s.MaxErrValue = errStats(value, test.Y)
	if grad != nil {
		s.R2Delta = results.Metric(stat.RSquaredFrom(grad, test.DYDX, nil))
		s.RMSEDelta, s.MaxErrDelta = errStats(grad, test.DYDX)
		s.Deltas = make([]results.Fit, n)
		pred, truth := make([]float64, rows), make([]float64, rows)
		for j := range s.Deltas {
			for r := range rows {
				pred[r], truth[r] = grad[r*n+j], test.DYDX[r*n+j]
			}
			f := results.Fit{R2: results.Metric(stat.RSquaredFrom(pred, truth, nil))}
			f.RMSE, f.MaxErr = errStats(pred, truth)
			s.Deltas[j] = f
		}
	}
	if gamma != nil {
		s.R2Gamma = results.Metric(stat.RSquaredFrom(gamma, test.Gamma, nil))
		s.RMSEGamma, s.MaxErrGamma = errStats(gamma, test.Gamma)
	}
	return s
}

// errStats returns the root mean square and the maximum of |pred − true|.
// A NaN prediction makes both NaN.
func errStats(pred, truth []float64) (rmse, maxErr results.Metric) {
	var ss, m float64
	for i, p := range pred {
		d := math.Abs(p - truth[i])
		ss += d * d
		if d > m || math.IsNaN(d) {
			m = d
		}
	}
	return results.Metric(math.Sqrt(ss / float64(len(pred)))), results.Metric(m)
}

// evalAlong sets, for each row r of x (raw inputs, N × n), value[r] = y(x_r),
// grad[r·n + j] = ∂y/∂x_j (x_r) if grad is not nil, and
//
//	gamma[r] = Σ_i v_i·(H(x_r)·v)_i = vᵀH(x_r)v
//
// for v = dir, with one mlp.Evaluator per core on blocks of rows. Each row's
// figures do not depend on the blocks.
func evalAlong(net *mlp.Network, value, grad, gamma, x, dir []float64) {
	n := len(dir)
	rows := len(x) / n
	const minBlock = 256
	workers := runtime.GOMAXPROCS(0)
	block := max(minBlock, (rows+workers-1)/workers)
	var wg sync.WaitGroup
	for lo := 0; lo < rows; lo += block {
		hi := min(rows, lo+block)
		wg.Go(func() {
			hv := make([]float64, (hi-lo)*n)
			var g []float64
			if grad != nil {
				g = grad[lo*n : hi*n]
			}
			mlp.NewEvaluator(net).EvalHessVec(value[lo:hi], g, hv, x[lo*n:hi*n], dir)
			for r := range hi - lo {
				s := 0.0
				for i, v := range dir {
					s += v * hv[r*n+i]
				}
				gamma[lo+r] = s
			}
		})
	}
	wg.Wait()
}
