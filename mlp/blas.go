package mlp

import (
	"strings"

	gemmpkg "github.com/sobolev-pruning/sobolev/internal/gemm"
)

// BLASBackend returns the name of the matrix-product implementation the
// batched kernels run on. In the default build it is internal/gemm, named
// with the micro-kernel it runs on this CPU: "Go+AVX-512 (internal/gemm)",
// "Go+AVX2+FMA (internal/gemm)", or, on other CPUs and architectures and in
// purego builds, "Go (internal/gemm)" ("Go without FMA (internal/gemm)" where
// the CPU has no fused multiply-add).
func BLASBackend() string {
	p := gemmpkg.Path()
	if !strings.HasPrefix(p, "Go") {
		p = "Go+" + p
	}
	return p + " (internal/gemm)"
}

// smallGemm is the number of multiply-adds m·n·k below which gemm runs a
// product in gemmSmall rather than internal/gemm.
const smallGemm = 512
