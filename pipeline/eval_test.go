package pipeline

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/sobolev-pruning/sobolev/bachelier"
	"github.com/sobolev-pruning/sobolev/dataset"
	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/results"
)

// linearNet returns y = 1.5·x₁ + 2·x₂ + 0.5, a net without hidden layers, so
// that its deltas are the constants 1.5 and 2 and its gamma is 0.
func linearNet() *mlp.Network {
	net := mlp.New(2, nil, mlp.SiLU)
	copy(net.Params.W[0], []float64{1.5, 2})
	net.Params.B[0][0] = 0.5
	return net
}

// linearSet returns four points (0,0), (1,0), (0,1), (1,1) with labels chosen
// so that every figure of linearNet has a value worked out by hand.
func linearSet() *dataset.Set {
	s := dataset.New(4, 2, dataset.WithGamma)
	copy(s.X, []float64{0, 0, 1, 0, 0, 1, 1, 1})
	copy(s.Y, []float64{0.5, 2, 2.5, 5})            // predictions 0.5, 2, 2.5, 4
	copy(s.DYDX, []float64{0, 2, 1, 2, 2, 2, 3, 4}) // delta₁ labels 0…3, delta₂ labels 2, 2, 2, 4
	copy(s.Gamma, []float64{0, 0, 0, 1})
	return s
}

func TestEvaluateByHand(t *testing.T) {
	s := Evaluate(linearNet(), linearSet())
	for _, tc := range []struct {
		name      string
		got, want results.Metric
	}{ // tol 1e-15 relative: the sums are exact, the quotients round
		// value: residuals 0, 0, 0, −1; labels mean 2.5, Σ(y − ȳ)² = 10.5
		{"R² value", s.R2Value, 1 - 1/10.5},
		{"RMSE value", s.RMSEValue, 0.5},
		{"max error value", s.MaxErrValue, 1},
		// delta₁: prediction 1.5 against 0, 1, 2, 3, the mean: R² = 0
		{"R² delta 1", s.Deltas[0].R2, 0},
		{"RMSE delta 1", s.Deltas[0].RMSE, results.Metric(math.Sqrt(5.0 / 4))},
		{"max error delta 1", s.Deltas[0].MaxErr, 1.5},
		// delta₂: prediction 2 against 2, 2, 2, 4: Σ res² = 4, Σ(t − t̄)² = 3
		{"R² delta 2", s.Deltas[1].R2, results.Metric(1 - 4.0/3)},
		{"RMSE delta 2", s.Deltas[1].RMSE, 1},
		{"max error delta 2", s.Deltas[1].MaxErr, 2},
		// pooled: labels 0, 1, 2, 3, 2, 2, 2, 4 (mean 2, Σ(t − t̄)² = 10), Σ res² = 5 + 4
		{"R² deltas pooled", s.R2Delta, 1 - 9.0/10},
		{"RMSE deltas pooled", s.RMSEDelta, results.Metric(math.Sqrt(9.0 / 8))},
		{"max error deltas pooled", s.MaxErrDelta, 2},
		// gamma: prediction 0 against 0, 0, 0, 1: Σ res² = 1, Σ(t − t̄)² = 0.75
		{"R² gamma", s.R2Gamma, results.Metric(1 - 1/0.75)},
		{"RMSE gamma", s.RMSEGamma, 0.5},
		{"max error gamma", s.MaxErrGamma, 1},
	} {
		if d := math.Abs(float64(tc.got - tc.want)); !(d <= 1e-15*math.Max(1, math.Abs(float64(tc.want)))) {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if len(s.Deltas) != 2 {
		t.Errorf("%d per-delta scores, want 2 (one per input)", len(s.Deltas))
	}
}

func TestEvaluateMissingLabels(t *testing.T) {
	set := linearSet()
	set.DYDX, set.Gamma = nil, nil
	s := Evaluate(linearNet(), set)
	if s.Deltas != nil {
		t.Errorf("per-delta scores %v without gradient labels, want nil", s.Deltas)
	}
	for name, m := range map[string]results.Metric{"R2Delta": s.R2Delta, "RMSEDelta": s.RMSEDelta, "MaxErrDelta": s.MaxErrDelta,
		"R2Gamma": s.R2Gamma, "RMSEGamma": s.RMSEGamma, "MaxErrGamma": s.MaxErrGamma} {
		if !math.IsNaN(float64(m)) {
			t.Errorf("%s = %v without its labels, want NaN", name, m)
		}
	}
	if s.R2Value != 1-1/10.5 {
		t.Errorf("R² value %v, want %v whatever other labels are missing", s.R2Value, 1-1/10.5)
	}
}

// TestEvaluatePooledAgreesWithColumns checks, on a nonlinear net and the
// Bachelier test set, that the pooled error figures combine the columns':
// the pooled RMSE² is the mean of the columns' RMSE², the pooled maximum error
// their maximum. (Pooled R² is no such combination of the columns' R².)
func TestEvaluatePooledAgreesWithColumns(t *testing.T) {
	m, err := bachelier.New(3, 1)
	if err != nil {
		t.Fatal(err)
	}
	test := m.TestSet(200, false)
	net := mlp.New(3, []int{5, 4}, mlp.SiLU)
	net.Init(mlp.XavierUniform, 7)
	s := Evaluate(net, test)
	if len(s.Deltas) != 3 {
		t.Fatalf("%d per-delta scores, want 3", len(s.Deltas))
	}
	var ms, maxErr float64
	for _, f := range s.Deltas {
		ms += float64(f.RMSE*f.RMSE) / 3
		maxErr = math.Max(maxErr, float64(f.MaxErr))
	}
	if d := math.Abs(math.Sqrt(ms) - float64(s.RMSEDelta)); d > 1e-14*float64(s.RMSEDelta) {
		t.Errorf("pooled delta RMSE %v, want sqrt(mean of the columns' RMSE²) = %v", s.RMSEDelta, math.Sqrt(ms))
	}
	if results.Metric(maxErr) != s.MaxErrDelta {
		t.Errorf("pooled delta max error %v, want the columns' maximum %v", s.MaxErrDelta, maxErr)
	}
	if math.IsNaN(float64(s.R2Gamma)) || math.IsNaN(float64(s.MaxErrGamma)) {
		t.Errorf("R² gamma %v, max error %v on a test set with gamma labels, want numbers", s.R2Gamma, s.MaxErrGamma)
	}
}

func TestScoresJSON(t *testing.T) {
	set := linearSet()
	set.Gamma = nil
	want := Evaluate(linearNet(), set)
	js, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(js, &raw); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"r2_value", "r2_delta", "rmse_delta", "max_err_delta", "max_err_value"} {
		if _, ok := raw[key].(float64); !ok {
			t.Errorf("%s is %v, want a number:\n%s", key, raw[key], js)
		}
	}
	for _, key := range []string{"r2_gamma", "rmse_gamma", "max_err_gamma"} {
		if v, ok := raw[key]; !ok || v != nil {
			t.Errorf("%s is %v (present %v), want null without gamma labels:\n%s", key, v, ok, js)
		}
	}
	deltas, ok := raw["deltas"].([]any)
	if !ok || len(deltas) != 2 {
		t.Fatalf("deltas is %v, want a list of 2:\n%s", raw["deltas"], js)
	}
	var back results.Scores
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Deltas) != 2 || back.Deltas[0] != want.Deltas[0] || back.Deltas[1] != want.Deltas[1] || back.RMSEDelta != want.RMSEDelta {
		t.Errorf("scores read back as %+v, want %+v", back, want)
	}
}
