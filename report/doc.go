// Package report writes the results of a "sobolev run" as a web page.
//
// # Input
//
// Write reads the output directory OUT of a run (see package pipeline):
//
//	OUT/results.json     stages, test scores, training curves, IASA record (results.Run)
//	OUT/models/*.onnx    one model per stage, the path named by its results entry
//	OUT/data/test.npz    the analytic test set: spots, exact price, deltas and gamma (1ᵀH1)
//	OUT/data/spec.json   the Bachelier model (bachelier.Model as JSON; only the
//	                     basket weights are required), or the Heston spec
//	                     (heston.Spec, "pricer": "heston")
//
// A missing or inconsistent piece is an error that names the file; a run
// without pruning (Results.IASA nil) or without training curves simply has no
// section for them.
//
// # Output
//
// Write writes the single file OUT/report/index.html. The page is
// self-contained, so it can be mailed or attached to a ticket: its plots are
// PNG images embedded as data: URLs, its style sheet is inline, it has no
// scripts and loads no fonts, and its only links are anchors within the page.
// It opens in any browser. It shows
//
//   - the configuration of the run, the test model and the kernels that ran;
//   - the results table: for every stage its hidden widths, hidden nodes,
//     parameters, R² of value, deltas and gamma, their RMSEs and its wall time;
//     the best R² of each column is highlighted;
//   - for every stage, the exact and predicted price, delta₁ and gamma (1ᵀH1)
//     against the basket B = w·S of the test points; for a Heston run the
//     price, ∂V/∂S₀ and ∂²V/∂S₀² against the spot S₀ (the exact labels as
//     dots too, since they also depend on v₀, T and K), and a column of the
//     results table per input's delta;
//   - the training curves (loss per epoch, log scale, with the validation loss
//     where it was measured);
//   - the IASA record: significance of every node per layer with the kept
//     nodes marked, kept nodes per layer, and the over-estimation of the
//     tight and the naive interval enclosures per layer.
//
// Plots against the basket use at most MaxPoints test points, evenly spaced
// rows ⌊k·N/m⌋, k = 0…m−1, of the test set, so the same run always gives the
// same plots. In the Bachelier model the exact price, deltas and gamma depend
// on the spots only through B, so the exact labels are drawn as a curve and
// the predictions as dots around it.
//
// # Atomicity and other files
//
// index.html is written to a temporary file in OUT/report (created if
// missing) and renamed over an earlier page only when complete. A failure or
// a cancelled context leaves OUT as it was, without a partial page or
// temporary files. Write touches nothing else in OUT/report: files kept
// there, such as notes, stay as they are. The one exception is the PNG plots
// that versions before the plots were embedded wrote beside the page
// (loss.png, significance.png, kept.png, overestimation.png and
// stageN-value.png, stageN-delta.png, stageN-gamma.png for N ≥ 1): they are
// removed once the new page is in place.
package report
