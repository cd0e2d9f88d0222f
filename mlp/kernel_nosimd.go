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

// activate is activateGo; this build has no AVX-512 kernels.
func activate(_ bool, act Activation, f, d1, d2, d3, z, bias []float64) {
	activateGo(act, f, d1, d2, d3, z, bias)
}

// mulTo is mulToGo.
func mulTo(_ bool, dst, x, y []float64, add bool) { mulToGo(dst, x, y, add) }

// upwardTo is upwardToGo.
func upwardTo(_ bool, zbar, gbar, d1, d2, g, dbar []float64) {
	upwardToGo(zbar, gbar, d1, d2, g, dbar)
}

// colSums is colSumsGo.
func colSums(_ bool, dst, x []float64) { colSumsGo(dst, x) }

// adamUpdate is adamUpdateGo.
func adamUpdate(_ bool, p, g, m, v []float64, c *adamCoef) { adamUpdateGo(p, g, m, v, c) }

// addTo is addToGo.
func addTo(_ bool, dst, x []float64) { addToGo(dst, x) }

// backTan is backTanGo.
func backTan(_ bool, dd, d1, d2, zd, g, gd []float64) { backTanGo(dd, d1, d2, zd, g, gd) }

// upTan is upTanGo.
func upTan(_ bool, zbar, zdbar, gbar, gdbar, d1, d2, d3, zd, g, gd, ddbar []float64) {
	upTanGo(zbar, zdbar, gbar, gdbar, d1, d2, d3, zd, g, gd, ddbar)
}

// downTan is downTanGo.
func downTan(_ bool, zbar, zdbar, d1, d2, zd, ad []float64) { downTanGo(zbar, zdbar, d1, d2, zd, ad) }
