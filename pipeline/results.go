package pipeline

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/sobolev-pruning/sobolev/internal/atomicfile"
)

// Results is everything a run measured; it is written as OUT/results.json.
type Results struct {
	// Stages lists the models in the order they were made.
	Stages []Stage `json:"stages"`
	// IASA describes the pruning step; nil if the run did not prune.
	IASA *PruneReport `json:"iasa,omitempty"`
	// Config is the full configuration of the run.
	Config Config `json:"config"`
	// Backend names the BLAS and evaluation kernels that ran.
	Backend Backend `json:"backend"`
	// Seconds is the wall time of the whole run.
	Seconds float64 `json:"seconds"`
}

// Backend names the kernels a run used; timings depend on them, results only
// in the last bits.
type Backend struct {
	BLAS string `json:"blas"`
	Eval string `json:"eval"`
}

// Stage is one model of the run with its test scores.
type Stage struct {
	// Stage is the stage's name, e.g. "large-sobolev" or "pruned-sobolev-ft".
	Stage       string `json:"stage"`
	HiddenNodes int    `json:"hidden_nodes"`
	Parameters  int    `json:"parameters"`
	// Hidden lists the hidden widths.
	Hidden []int `json:"hidden"`
	Scores
	// Seconds is the wall time the stage took (training or pruning), without
	// evaluation.
	Seconds float64 `json:"seconds"`
	// Model is the stage's ONNX file, relative to the output directory.
	Model string `json:"model"`
	// History is the training curve; empty for stages without training.
	History []Epoch `json:"history,omitempty"`
}

// Epoch is one point of a training curve, losses in normalised units.
type Epoch struct {
	Epoch      int     `json:"epoch"`
	LR         float64 `json:"lr"`
	Loss       float64 `json:"loss"`
	ValueLoss  float64 `json:"value_loss"`
	GradLoss   float64 `json:"grad_loss"`
	HVPLoss    float64 `json:"hvp_loss"`
	Validation Metric  `json:"validation_loss"`
}

// PruneReport describes one IASA pruning: per hidden layer, the nodes kept,
// the significance of every node and the over-estimation of the enclosures.
type PruneReport struct {
	Method  string       `json:"method"`
	Boxes   int          `json:"boxes"`
	Fold    string       `json:"fold"`
	Seconds float64      `json:"seconds"`
	Layers  []LayerPrune `json:"layers"`
}

// LayerPrune is the pruning record of one hidden layer.
type LayerPrune struct {
	Layer int `json:"layer"`
	Width int `json:"width"`
	// Kept lists the indices of the kept nodes, ascending.
	Kept []int `json:"kept"`
	// Significance holds S = width(A)·max|G| per node (method.md §5).
	Significance []float64 `json:"significance"`
	// OverValue and OverAdjoint are the median over the layer's nodes of
	// enclosure width ÷ sampled range, for values and adjoints.
	OverValue   Metric `json:"overestimation_value"`
	OverAdjoint Metric `json:"overestimation_adjoint"`
	// NaiveOverValue is the same ratio for plain intervals, for comparison.
	NaiveOverValue Metric `json:"naive_overestimation_value"`
}

// WriteJSON writes r as indented JSON to path, atomically.
func (r *Results) WriteJSON(path string) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	})
}

// ReadResults reads a results.json written by WriteJSON.
func ReadResults(path string) (*Results, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	var r Results
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("results: %s: %v", path, err)
	}
	if len(r.Stages) == 0 {
		return nil, fmt.Errorf("results: %s holds no stages; is it a sobolev results.json?", path)
	}
	return &r, nil
}
