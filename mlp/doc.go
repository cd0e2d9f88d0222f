// Package mlp implements the dense multilayer perceptron of method.md §3 with
// exact first and second derivatives, and its Sobolev training (§4).
//
// # Conventions
//
// A Network maps a raw input x ∈ ℝⁿ to a raw scalar y. Internally the layers
// work in normalised units (see Normalization):
//
//	x_n = (x − XMean)/XScale,   y = YMean + YScale·y_n,
//
// so derivatives scale as
//
//	∂y/∂x_j = YScale/XScale_j · ∂y_n/∂x_n,j
//	H = YScale · diag(1/XScale) · H_n · diag(1/XScale)
//
// and a raw direction v is v_n = v/XScale in normalised units. Methods of
// Network whose names do not say otherwise (Value, InputGradient, HessVec,
// Gamma, Hessian) take and return raw units; SobolevLoss and its Batch work
// in normalised units, and Train converts its raw TrainData once.
//
// Weights are row-major: W[l] has shape (Sizes[l+1], Sizes[l]). Batches are
// batch-major: a batch of B inputs is a (B, n) row-major matrix, so a layer
// is the matrix product Z = A·Wᵀ + b.
//
// # Derivatives
//
// With the names of method.md §3, for hidden layers l = 1..L,
//
//	z_l = W_l a_{l−1} + b_l,  a_l = σ(z_l),  a_0 = x_n,  y_n = W_out a_L + b_out.
//
// The input gradient is the reverse pass
//
//	g_L = W_outᵀ,  δ_l = σ′(z_l) ⊙ g_l,  g_{l−1} = W_lᵀ δ_l,  ∇y_n = g_0,
//
// and a Hessian-vector product H_n·v differentiates it forward along v
// (forward-over-reverse):
//
//	ȧ_0 = v,  ż_l = W_l ȧ_{l−1},  ȧ_l = σ′(z_l) ⊙ ż_l,
//	ġ_L = 0,  δ̇_l = σ″(z_l) ⊙ ż_l ⊙ g_l + σ′(z_l) ⊙ ġ_l,  ġ_{l−1} = W_lᵀ δ̇_l,  H_n·v = ġ_0.
//
// Gamma is 1ᵀH1, one such product along the all-ones vector. Activation.Eval
// gives σ, σ′, σ″ and σ‴ of each activation in one place. A Trace keeps every
// z_l, a_l, σ′(z_l) and g_l of the forward and reverse passes at a batch of
// points (Network.TraceForward, Network.TraceReverse): the point values that
// interval analyses enclose and pruning averages.
//
// # The Sobolev loss and its parameter gradient
//
// SobolevLoss evaluates, in normalised units (method.md §4),
//
//	L = α·mean_b (ŷ_b − y_b)² + β·mean_b mean_j λ_j (∂ŷ_b/∂x_j − dydx_bj)²
//	    + γ·mean_b mean_k mean_j μ_k ((H_b v_bk)_j − hv_bkj)²
//
// with α = 1/(1+n), β = n/(1+n), λ_j = 1/mean(dydx_j²) by default
// (SobolevWeights, Train) and an optional second-order term on Hessian-vector
// products along per-sample directions v_bk. Its exact parameter gradient is
// the adjoint of all the passes above, by hand: with the seeds
// ȳ = ∂L/∂ŷ, ḡ_0 = ∂L/∂g_0 and ġ̄_0 = ∂L/∂ġ_0, first from the input layer up
// (the adjoint of the reverse passes)
//
//	δ̄_l = W_l ḡ_{l−1},  δ̇̄_l = W_l ġ̄_{l−1}
//	z̄_l = σ″ ⊙ g_l ⊙ δ̄_l + Σ_k (σ‴ ⊙ ż_l ⊙ g_l + σ″ ⊙ ġ_l) ⊙ δ̇̄_l,  ż̄_l = σ″ ⊙ g_l ⊙ δ̇̄_l
//	ḡ_l = σ′ ⊙ δ̄_l + Σ_k σ″ ⊙ ż_l ⊙ δ̇̄_l,  ġ̄_l = σ′ ⊙ δ̇̄_l,   W̄_out += Σ_b ḡ_L
//
// then from the output layer down (the adjoint of the forward passes)
//
//	ā_L = W_outᵀ ȳ,  ǡ_L = 0,  ā_{l−1} = W_lᵀ z̄_l,  ǡ_{l−1} = W_lᵀ ż̄_l
//	z̄_l += σ′ ⊙ ā_l + Σ_k σ″ ⊙ ż_l ⊙ ǡ_l,  ż̄_l += σ′ ⊙ ǡ_l
//	W̄_l += z̄_l a_{l−1}ᵀ + ż̄_l ȧ_{l−1}ᵀ + δ_l ḡ_{l−1}ᵀ + δ̇_l ġ̄_{l−1}ᵀ,  b̄_l += z̄_l
//
// summed over the batch. The gradient term brings in σ″, the second-order term
// σ‴. Over a batch every product with a weight matrix is one GEMM: values and
// their tangents are stacked in one matrix, and the four outer products of
// W̄_l are one GEMM with inner dimension 2·B·(1+K). Without directions a step
// costs six GEMMs per layer (forward, reverse, and three for the adjoints
// counting W̄_l's double inner dimension twice), about 12 flops per weight and
// sample; plain MSE (no gradient labels) costs three.
//
// # Training
//
// Train runs Adam (NewAdam, Adam.Step) over mini-batches reshuffled every
// epoch, with a learning-rate Schedule (constant, cosine, exponential or
// one-cycle), optional validation on a held-out fraction or set, best-epoch
// restore and early stopping. Init draws Xavier weights; FitNormalization
// fits the normalisation to training data.
//
// # Determinism
//
// Every random choice (Init's weights, Train's validation split and shuffles)
// comes from a PCG generator seeded by the caller. The kernels run in a fixed
// order: a Workspace splits a batch into a fixed number of contiguous parts
// (threads), each run on its own goroutine, and sums their losses and
// gradients in part order. So a run is bit-for-bit reproducible for a given
// seed, thread count and build (GOARCH; on amd64, whether the CPU has
// fused multiply-add at all). A different thread count changes only
// rounding. On amd64 the assembly kernels (AVX-512 or AVX2+FMA, chosen at run
// time) and the plain-Go fallback (the purego tag, other architectures) give
// the same bits, so results do not depend on the CPU's vector extensions; so
// do the Evaluator's kernels (Evaluator, EvalKernel).
//
// # Backends and allocation
//
// The matrix products run in internal/gemm: blocked products with Go
// assembly micro-kernels (AVX-512 8×16 or AVX2+FMA 6×8 tiles) and a plain-Go
// fallback, on the calling goroutine; products of a few hundred multiply-adds
// run in plain loops. BLASBackend names the path. The elementwise passes
// between the products (activations and their derivatives, the products with
// them, bias gradients), the update of Adam.Step and the Evaluator's kernels
// are Go assembly on amd64 CPUs with AVX-512 or AVX2+FMA and plain Go
// elsewhere, with the same operations in the same order (fused multiply-adds
// in the same places, the same polynomial exponential) on every path.
// SobolevLoss and Adam.Step allocate nothing once the Workspace has served
// its first batch (each of its goroutines owns its packing buffers for
// internal/gemm); the point evaluations (Value, InputGradient, HessVec, Gamma,
// Hessian) allocate their scratch per call.
package mlp
