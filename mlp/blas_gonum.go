//go:build !openblas

package mlp

// BLASBackend returns the name of the BLAS implementation the batched kernels
// run on: "gonum (pure Go)" in the default build, "OpenBLAS" in builds with
// the openblas tag.
func BLASBackend() string { return "gonum (pure Go)" }

// smallGemm is the largest dimension gemm treats as small: gonum's Dgemm is
// slow on the thin products of small nets.
const smallGemm = 32
