// Package pipeline runs the Sobolev pruning experiment of method.md §1 and
// offers its steps to the commands that work on any model and data file.
//
// # The experiment
//
// Run generates the data of the configured pricer (Config.Pricer: the
// Bachelier basket of package bachelier, or the Heston call of package
// heston), trains a large MLP
// with MSE and with the Sobolev loss (TrainModel, package mlp), prunes the
// Sobolev net with IASA (PruneModel, packages iasa and prune), fine-tunes the
// pruned net with MSE and with the Sobolev loss plus the large net's
// Hessian-vector products as second-order labels, trains the small control
// net from scratch with the same loss, and scores every model on the analytic
// test set (Evaluate). Config holds every setting; Default is the experiment
// of method.md, Quick a smaller one.
//
// # Scores
//
// R² is the standard 1 − Σ(pred − true)² / Σ(true − mean)² over all entries;
// the deltas of all points are pooled and gamma is 1ᵀH1 (method.md §2, §6)
// for the Bachelier basket, ∂²V/∂S₀² for Heston (Config.GammaDirection,
// EvaluateAlong); each delta's R² is also given alone.
//
// # Determinism
//
// Every random choice derives from Config.Seed through fixed stream offsets.
// Training stages run concurrently, each on one thread, so that a run gives the
// same results.Run (timings aside) and the same model files on any number of
// cores for a given build.
//
// # Files
//
// Every file is written to a temporary file and renamed (internal/atomicfile),
// so an interrupted run leaves only complete files.
package pipeline
