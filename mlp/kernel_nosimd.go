//go:build !goexperiment.simd || !amd64

package mlp

// useSIMD reports whether the CPU runs the AVX-512 kernels: never in this build.
func useSIMD() bool { return false }

// EvalKernel returns the name of the kernel new Evaluators run: "go" (plain Go)
// in this build; amd64 builds with GOEXPERIMENT=simd run "avx512" on CPUs with
// AVX-512.
func EvalKernel() string { return "go" }

// group evaluates the m ≤ lanes samples in the lanes of the scratch; see
// groupGo and rawGo.
func (e *Evaluator) group(m int, zd1 []float64, mode evalMode) {
	e.groupGo(m, zd1, mode)
	e.rawGo(m, mode)
}

// point evaluates the one sample in lane 0 of the scratch in modeHVP; see
// groupGo and rawGo.
func (e *Evaluator) point(zd1 []float64) {
	e.groupGo(1, zd1, modeHVP)
	e.rawGo(1, modeHVP)
}
