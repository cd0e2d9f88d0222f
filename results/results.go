package results

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/sobolev-pruning/sobolev/internal/atomicfile"
)

// Run is everything one run of the experiment measured; it is written as
// OUT/results.json.
type Run struct {
	// Stages lists the models in the order they were made.
	Stages []Stage `json:"stages"`
	// IASA describes the pruning step; nil if the run did not prune.
	IASA *PruneReport `json:"iasa,omitempty"`
	// Config is the full configuration of the run as compact JSON: the
	// encoding of pipeline.Config, whose documentation gives the keys and
	// their units. Read returns it compacted.
	Config json.RawMessage `json:"config"`
	// Inputs names the inputs of the models in column order, e.g. spot, v0,
	// maturity, strike for the Heston pricer; the table then shows the R²
	// of each delta. It is nil (and left out) for the Bachelier pricer,
	// whose inputs are the spots x1…xn.
	Inputs []string `json:"inputs,omitempty"`
	// GammaDirection is the raw direction v of the gamma scores, vᵀHv:
	// (1, 0, 0, 0) for Heston, whose gamma is ∂²V/∂S₀². Nil (and left out)
	// means the all-ones vector, the Bachelier basket's 1ᵀH1.
	GammaDirection []float64 `json:"gamma_direction,omitempty"`
	// Backend names the BLAS and evaluation kernels that ran.
	Backend Backend `json:"backend"`
	// Seconds is the wall time of the whole run.
	Seconds float64 `json:"seconds"`
}

// Backend names the kernels a run used; timings depend on them, results only
// in the last bits.
type Backend struct {
	// BLAS names the matrix-product library of training, e.g.
	// "gonum (pure Go)".
	BLAS string `json:"blas"`
	// Eval names the kernel of the batched evaluator, e.g. "go".
	Eval string `json:"eval"`
}

// Stage is one model of the run with its test scores.
type Stage struct {
	// Stage is the stage's name, e.g. "large-sobolev" or "pruned-sobolev-ft".
	Stage string `json:"stage"`
	// HiddenNodes is the number of hidden nodes, the sum of Hidden.
	HiddenNodes int `json:"hidden_nodes"`
	// Parameters is the number of weights and biases.
	Parameters int `json:"parameters"`
	// Hidden lists the hidden widths, first layer first.
	Hidden []int `json:"hidden"`
	// Scores are the model's figures on the analytic test set.
	Scores
	// Seconds is the wall time the stage took (training or pruning), without
	// evaluation.
	Seconds float64 `json:"seconds"`
	// Model is the stage's ONNX file, relative to the output directory.
	Model string `json:"model"`
	// GreeksModel is the stage's ONNX file with the greeks as outputs
	// (onnx.SaveGreeks: y, dydx and gamma = vᵀHv along GammaDirection,
	// 1ᵀH1 by default), relative to the output
	// directory; empty in runs before it was written.
	GreeksModel string `json:"greeks_model,omitempty"`
	// History is the training curve; empty for stages without training.
	History []Epoch `json:"history,omitempty"`
	// Certificate is the shape check of the model over the test box
	// (package bound's Check): where it is proved increasing and convex,
	// as a call's price is, and where it is not. Nil (and left out) if the
	// run did not certify its models.
	Certificate *Certificate `json:"certificate,omitempty"`
}

// Certificate is the outcome of the shape check of a model over a box of
// inputs (bound.Check): the box is bisected until each piece is proved to
// meet the conditions by its certified enclosures, or refuted by a point
// that violates them, or left undecided at the depth limit. Where a piece is
// refuted, the surrogate's price admits arbitrage (a negative delta or
// gamma); where it is undecided, nothing is known.
type Certificate struct {
	// Check names the conditions, e.g. "delta>=0,gamma>=0" for every
	// delta, or "delta[spot]>=0,gamma>=0" for one input's.
	Check string `json:"check"`
	// Proved, Refuted and Undecided are fractions of the box's volume,
	// summing to 1: proved by the enclosures (guaranteed), refuted (pieces
	// holding a point that violates the conditions, checked in float64: the
	// midpoint or, at the depth limit, one of Probes random points) and
	// undecided at the depth limit.
	Proved    float64 `json:"proved"`
	Refuted   float64 `json:"refuted"`
	Undecided float64 `json:"undecided"`
	// Counterexamples is the number of refuted pieces, one violating point
	// each.
	Counterexamples int `json:"counterexamples"`
	// Boxes is the number of pieces enclosed; Depth the number of halvings
	// after which a piece is left undecided.
	Boxes int `json:"boxes"`
	Depth int `json:"depth"`
	// Probes is the number of random points evaluated in each piece at the
	// depth limit.
	Probes int `json:"probes"`
	// Seconds is the wall time of the check.
	Seconds float64 `json:"seconds"`
}

// Epoch is one point of a training curve, losses in normalised units
// (method.md §4; see mlp.Loss for the parts).
type Epoch struct {
	// Epoch counts the passes over the training data from 1.
	Epoch int `json:"epoch"`
	// LR is the learning rate of the epoch's last optimiser step.
	LR float64 `json:"lr"`
	// Loss is the weighted total α·ValueLoss + β·GradLoss + γ·HVPLoss, the
	// mean over the epoch's batches.
	Loss float64 `json:"loss"`
	// ValueLoss, GradLoss and HVPLoss are the unweighted parts: mean squared
	// error of the value, of the λ-weighted gradient and of the
	// Hessian-vector products; 0 for a part the loss does not have.
	ValueLoss float64 `json:"value_loss"`
	GradLoss  float64 `json:"grad_loss"`
	HVPLoss   float64 `json:"hvp_loss"`
	// Validation is the total loss on held-out data after the epoch, NaN
	// (null) without validation data.
	Validation Metric `json:"validation_loss"`
}

// PruneReport describes one pruning (method.md §5): per hidden layer, the
// nodes kept, the score of every node and, for IASA, the over-estimation of
// the enclosures.
type PruneReport struct {
	// Criterion names how the nodes were scored: "iasa" (the significance
	// of method.md §5), "magnitude", "random" or "taylor" (§7).
	Criterion string `json:"criterion"`
	// Method names the enclosure of the IASA analysis, e.g. "quadratic";
	// empty for the other criteria.
	Method string `json:"method,omitempty"`
	// Boxes is the number of boxes the input domain was covered by (IASA;
	// 0 for the other criteria).
	Boxes int `json:"boxes"`
	// Fold names the constant a removed node is replaced by, folded into the
	// next layer's bias: "mean" (its mean activation over the training
	// data), "midpoint" (of its enclosure) or "zero".
	Fold string `json:"fold"`
	// Seconds is the wall time of the analysis, the pruning and the
	// measurement of the over-estimation.
	Seconds float64 `json:"seconds"`
	// Layers holds one record per hidden layer, first layer first.
	Layers []LayerPrune `json:"layers"`
}

// LayerPrune is the pruning record of one hidden layer.
type LayerPrune struct {
	// Layer numbers the hidden layer from 1.
	Layer int `json:"layer"`
	// Width is the number of nodes of the layer before pruning.
	Width int `json:"width"`
	// Kept lists the indices of the kept nodes, ascending.
	Kept []int `json:"kept"`
	// Significance holds per node its score: for IASA S = width(A)·max|G|
	// (method.md §5), in normalised output units, combined over the boxes
	// as the run's configuration says (prune.combine: max or mean).
	Significance []float64 `json:"significance"`
	// OverValue and OverAdjoint are the median over the layer's nodes of
	// enclosure width ÷ sampled range (dimensionless, ≥ 1 for a sound
	// enclosure), for values and adjoints; NaN where it is not defined (the
	// adjoints of the last hidden layer are constant) or was not measured.
	OverValue   Metric `json:"overestimation_value"`
	OverAdjoint Metric `json:"overestimation_adjoint"`
	// NaiveOverValue is the same ratio for plain intervals, for comparison.
	NaiveOverValue Metric `json:"naive_overestimation_value"`
}

// Write writes r to path as indented JSON, atomically: a reader of path
// sees the old file or the whole new one.
func (r *Run) Write(path string) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	})
}

// Read reads the results.json at path. It returns an error naming path if
// the file cannot be read, is not JSON of the shape of Run, or holds no
// stages (another JSON file, such as data/spec.json).
func Read(path string) (*Run, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	var r Run
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("results: %s is not a sobolev results.json: %v", path, err)
	}
	if len(r.Stages) == 0 {
		return nil, fmt.Errorf("results: %s holds no stages; is it a sobolev results.json?", path)
	}
	if r.Config != nil {
		var buf bytes.Buffer
		if err := json.Compact(&buf, r.Config); err != nil {
			return nil, fmt.Errorf("results: %s: config: %v", path, err)
		}
		r.Config = buf.Bytes()
	}
	return &r, nil
}
