//go:build !goexperiment.simd || !amd64

package mlp

// useSIMD reports whether the CPU runs the AVX-512 kernels: never in this build.
func useSIMD() bool { return false }

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
