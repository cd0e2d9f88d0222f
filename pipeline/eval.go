package pipeline

import (
	"math"

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
	n, rows := test.Dims(), test.N()
	value := make([]float64, rows)
	var grad, gamma []float64
	if test.DYDX != nil {
		grad = make([]float64, rows*n)
	}
	if test.Gamma != nil {
		gamma = make([]float64, rows)
	}
	mlp.EvalParallel(net, value, grad, gamma, test.X, 0)
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
