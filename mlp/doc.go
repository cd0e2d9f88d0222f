// Package mlp implements the dense multilayer perceptron of method.md §3 with
// exact first and second derivatives, and its Sobolev training (§4).
//
// # Conventions
//
// A Network maps a raw input x ∈ ℝⁿ to a raw scalar y. Internally the layers
// work in normalised units (see Normalization); methods whose names do not say
// otherwise take and return raw units.
//
// Weights are row-major: W[l] has shape (Sizes[l+1], Sizes[l]).
package mlp
