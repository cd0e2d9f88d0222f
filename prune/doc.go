// Package prune removes hidden nodes from an mlp.Network: it selects the nodes
// to keep from per-node scores (IASA significances from package iasa, the
// baseline criteria of method.md §7 — Magnitude, Random, Taylor — the Optimal
// Brain Damage saliency OBD, or SobolevTaylor, the first-order change of the
// Sobolev training loss) and builds the smaller dense network,
// folding the constant output of every removed node into the next layer's bias
// (method.md §5 step 4).
//
// # Conventions
//
// Hidden layers are indexed from 0 in slices: scores[l], keep[l] and fill[l]
// refer to hidden layer l+1 of method.md, whose weights are net.Params.W[l].
// Node indices are those of the unpruned network. Scores are "higher is more
// significant"; Select breaks ties by layer, then index.
//
// # Folding
//
// A removed node's output a_{k,i} is replaced by a constant c, so the next
// pre-activation becomes z_{k+1} = Σ_{j kept} W_{k+1}[:, j]·a_{k,j} + (b_{k+1} +
// W_{k+1}[:, i]·c). Which constant to fold is the caller's choice: the mean
// activation over the training data, the midpoint of the node's IASA value
// enclosure, or zero (plain deletion); method.md §5 reports that midpoints of
// loose enclosures can destroy a net while the data mean does not.
package prune
