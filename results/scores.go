package results

import (
	"encoding/json"
	"math"
)

// Scores are the accuracy figures of one model on a test set with exact
// labels (pipeline.Evaluate computes them). R² is the standard coefficient of
// determination
//
//	R² = 1 − Σ(pred − true)² / Σ(true − mean(true))²
//
// over all entries together (R2Delta pools every delta of every point), not the
// variant of the paper's code that divides a mean by a sum (method.md §6).
// RMSE is sqrt(mean (pred − true)²) and MaxErr is max |pred − true|, over the
// same entries, in the units of the labels. Gamma is the second derivative
// vᵀHv along the run's gamma direction (Run.GammaDirection): 1ᵀH1 for the
// Bachelier basket, ∂²V/∂S₀² for Heston. Figures whose labels the test set
// lacks are NaN.
type Scores struct {
	// R2Value, R2Delta and R2Gamma are R² of the value, of all deltas
	// pooled and of gamma.
	R2Value Metric `json:"r2_value"`
	R2Delta Metric `json:"r2_delta"`
	R2Gamma Metric `json:"r2_gamma"`
	// RMSE and MaxErr of the value.
	RMSEValue   Metric `json:"rmse_value"`
	MaxErrValue Metric `json:"max_err_value"`
	// RMSE and MaxErr of all deltas pooled, and of gamma.
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

// Metric is a figure that may be NaN (no labels, or a model that diverged);
// it is written to JSON as null when it is not finite, and null reads back as
// NaN.
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
