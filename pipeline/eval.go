package pipeline

import (
	"encoding/json"
	"math"

	"gonum.org/v1/gonum/stat"

	"github.com/sobolev-pruning/sobolev/dataset"
	"github.com/sobolev-pruning/sobolev/mlp"
)

// Scores are the accuracy figures of one model on a test set with exact
// labels. R² is the standard coefficient of determination
//
//	R² = 1 − Σ(pred − true)² / Σ(true − mean(true))²
//
// over all entries together (R2Delta pools every delta of every point), not the
// variant of the paper's code that divides a mean by a sum (method.md §6).
// RMSE is sqrt(mean (pred − true)²) and MaxErr is max |pred − true|, over the
// same entries, in the units of the labels. Figures whose labels the test set
// lacks are NaN.
type Scores struct {
	R2Value Metric `json:"r2_value"`
	R2Delta Metric `json:"r2_delta"`
	R2Gamma Metric `json:"r2_gamma"`
	// RMSE and MaxErr of the value.
	RMSEValue   Metric `json:"rmse_value"`
	MaxErrValue Metric `json:"max_err_value"`
	// RMSE and MaxErr of all deltas pooled, and of gamma (1ᵀH1).
	RMSEDelta   Metric `json:"rmse_delta"`
	MaxErrDelta Metric `json:"max_err_delta"`
	RMSEGamma   Metric `json:"rmse_gamma"`
	MaxErrGamma Metric `json:"max_err_gamma"`
	// Deltas holds the figures of each delta ∂y/∂x_j alone, over the test
	// points, in input order; nil if the test set has no gradient labels.
	Deltas []Fit `json:"deltas,omitempty"`
}

// Fit is the accuracy of one quantity over the test points: R², RMSE and
// maximum absolute error, as in Scores.
type Fit struct {
	R2     Metric `json:"r2"`
	RMSE   Metric `json:"rmse"`
	MaxErr Metric `json:"max_err"`
}

// Metric is a score that may be NaN (no labels, or a model that diverged); it
// is written to JSON as null when it is not finite, and null reads back as NaN.
type Metric float64

// MarshalJSON writes m as a JSON number, or null if m is NaN or ±Inf.
func (m Metric) MarshalJSON() ([]byte, error) {
	f := float64(m)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(f)
}

// UnmarshalJSON reads a JSON number, or null as NaN.
func (m *Metric) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*m = Metric(math.NaN())
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*m = Metric(f)
	return nil
}

// Evaluate returns the Scores of net on test: the value against test.Y, every
// delta against test.DYDX, pooled and column by column, and 1ᵀH1 against
// test.Gamma. It panics if test.Dims() differs from net.Inputs().
func Evaluate(net *mlp.Network, test *dataset.Set) Scores {
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
	nan := Metric(math.NaN())
	s := Scores{R2Delta: nan, R2Gamma: nan, RMSEDelta: nan, MaxErrDelta: nan, RMSEGamma: nan, MaxErrGamma: nan}
	s.R2Value = Metric(stat.RSquaredFrom(value, test.Y, nil))
	s.RMSEValue, s.MaxErrValue = errStats(value, test.Y)
	if grad != nil {
		s.R2Delta = Metric(stat.RSquaredFrom(grad, test.DYDX, nil))
		s.RMSEDelta, s.MaxErrDelta = errStats(grad, test.DYDX)
		s.Deltas = make([]Fit, n)
		pred, truth := make([]float64, rows), make([]float64, rows)
		for j := range s.Deltas {
			for r := range rows {
				pred[r], truth[r] = grad[r*n+j], test.DYDX[r*n+j]
			}
			f := Fit{R2: Metric(stat.RSquaredFrom(pred, truth, nil))}
			f.RMSE, f.MaxErr = errStats(pred, truth)
			s.Deltas[j] = f
		}
	}
	if gamma != nil {
		s.R2Gamma = Metric(stat.RSquaredFrom(gamma, test.Gamma, nil))
		s.RMSEGamma, s.MaxErrGamma = errStats(gamma, test.Gamma)
	}
	return s
}

// errStats returns the root mean square and the maximum of |pred − true|.
// A NaN prediction makes both NaN.
func errStats(pred, truth []float64) (rmse, maxErr Metric) {
	var ss, m float64
	for i, p := range pred {
		d := math.Abs(p - truth[i])
		ss += d * d
		if d > m || math.IsNaN(d) {
			m = d
		}
	}
	return Metric(math.Sqrt(ss / float64(len(pred)))), Metric(m)
}
