// Package results holds the record of one experiment: the results.json that
// "sobolev run" writes into its output directory (package pipeline) and
// "sobolev report" reads (package report). Run is the file; Read and
// (*Run).Write read and write it, WriteTable prints its summary table.
//
// # The file
//
// results.json is Run as indented JSON (two spaces, a final newline), the
// fields in the order of the Go types, numbers as encoding/json writes a
// float64 (the shortest decimal that reads back to the same bits). Reading a
// file that Write wrote and writing it again gives the same bytes.
//
// # Units
//
// R² is dimensionless (1 is a perfect fit). RMSE and maximum errors are in
// the units of their labels: the value in units of the price, a delta ∂V/∂S_j
// per unit of spot, gamma (1ᵀH1, or ∂²V/∂S₀² for Heston: Run.GammaDirection)
// per unit of spot squared; Heston's other deltas are in the units of
// package heston. Training losses are
// in normalised units (method.md §3, §4). Times are wall-clock seconds.
//
// # Missing figures
//
// A Metric that is NaN or ±Inf (a test set without gamma labels, a net that
// diverged, an over-estimation that is not defined) is written as null and
// reads back as NaN.
package results
