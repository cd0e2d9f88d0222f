package mlp

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// The point evaluations below take and return raw units. They run the batched
// kernels on a batch of one and allocate their scratch memory per call; use
// SobolevLoss or an Evaluator in loops.

// evalPoint normalises x, runs forward (and backward if back) on it with the
// k raw directions in dirs (k, n), and returns the scratch holding the
// results.
func (net *Network) evalPoint(x, dirs []float64, k int, back bool) *part {
	n := net.Inputs()
	if len(x) != n || len(dirs) != k*n {
		panic(badLen)
	}
	ws := newPart(net.Sizes, 1, k)
	xn := make([]float64, n*(1+k))
	vn := xn[n:]
	for j, v := range x {
		xn[j] = (v - net.Norm.XMean[j]) / net.Norm.XScale[j]
	}
	// A raw direction v moves x_n by v/XScale.
	for i, v := range dirs {
		vn[i] = v / net.Norm.XScale[i%n]
	}
	ws.forward(net, xn[:n], vn, 1, k, false)
	if back {
		ws.backward(net, 1, k)
	}
	return ws
}

// Value returns the network's output y(x) = YMean + YScale·y_n(x_n) at the raw
// input x. It panics if len(x) != net.Inputs().
func (net *Network) Value(x []float64) float64 {
	ws := net.evalPoint(x, nil, 0, false)
	return net.Norm.YMean + net.Norm.YScale*ws.y[0]
}

// InputGradient sets dst to ∇ₓy(x), the gradient of the output with respect to
// the raw input x, in raw units (∂y/∂x_j = YScale/XScale_j · ∂y_n/∂x_n,j), and
// returns dst. If dst is nil a slice of length net.Inputs() is allocated.
// InputGradient panics if len(x) or a non-nil len(dst) differs from
// net.Inputs().
func (net *Network) InputGradient(dst, x []float64) []float64 {
	dst = net.dst(dst)
	ws := net.evalPoint(x, nil, 0, true)
	for j, g := range ws.g[0][:len(dst)] {
		dst[j] = net.Norm.YScale / net.Norm.XScale[j] * g
	}
	return dst
}

// HessVec sets dst to H(x)·v, the product of the Hessian of the output with
// respect to the raw input at x with the raw direction v, and returns dst. It
// runs the reverse pass differentiated forward along v (method.md §3), so it
// costs about two gradients, and in raw units it is
//
//	H·v = YScale · diag(1/XScale) · H_n · diag(1/XScale) · v.
//
// If dst is nil a slice of length net.Inputs() is allocated. HessVec panics if
// len(x), len(v) or a non-nil len(dst) differs from net.Inputs().
func (net *Network) HessVec(dst, x, v []float64) []float64 {
	dst = net.dst(dst)
	ws := net.evalPoint(x, v, 1, true)
	n := len(dst)
	for j, h := range ws.g[0][n : 2*n] {
		dst[j] = net.Norm.YScale / net.Norm.XScale[j] * h
	}
	return dst
}

// Gamma returns 1ᵀH(x)1, the sum of all entries of the Hessian of the output
// with respect to the raw input at x (the gamma metric of method.md §2),
// computed with one Hessian-vector product along the all-ones vector. It
// panics if len(x) != net.Inputs().
func (net *Network) Gamma(x []float64) float64 {
	ones := make([]float64, net.Inputs())
	for j := range ones {
		ones[j] = 1
	}
	sum := 0.0
	for _, h := range net.HessVec(nil, x, ones) {
		sum += h
	}
	return sum
}

// Hessian sets dst to the Hessian H(x) of the output with respect to the raw
// input x, computed column by column with net.Inputs() Hessian-vector products
// along the unit vectors (so for small input counts), and returns dst. The
// products are symmetric only up to rounding; dst holds the mean
// (H_ij + H_ji)/2. If dst is nil or empty it is allocated or resized; Hessian
// panics if dst is neither and its size differs from net.Inputs(), or if
// len(x) != net.Inputs().
func (net *Network) Hessian(dst *mat.SymDense, x []float64) *mat.SymDense {
	n := net.Inputs()
	switch {
	case dst == nil:
		dst = mat.NewSymDense(n, nil)
	case dst.IsEmpty():
		dst.ReuseAsSym(n)
	case dst.SymmetricDim() != n:
		panic(badDims)
	}
	dirs := make([]float64, n*n)
	for j := range n {
		dirs[j*n+j] = 1
	}
	ws := net.evalPoint(x, dirs, n, true)
	h := ws.g[0][n : n+n*n] // row j is H_n·(e_j/XScale_j)
	c := net.Norm.YScale
	for i := range n {
		for j := i; j < n; j++ {
			hij := c / net.Norm.XScale[i] * h[j*n+i]
			hji := c / net.Norm.XScale[j] * h[i*n+j]
			dst.SetSym(i, j, (hij+hji)/2)
		}
	}
	return dst
}

// dst returns dst, or a new slice of length net.Inputs() if dst is nil. It
// panics if a non-nil dst has another length.
func (net *Network) dst(dst []float64) []float64 {
	if dst == nil {
		return make([]float64, net.Inputs())
	}
	if len(dst) != net.Inputs() {
		panic(badLen)
	}
	return dst
}

// GammaDirection returns the direction v of gamma = vᵀ·H·v for a network of n
// inputs: v itself, or the all-ones vector if v is nil (then gamma = 1ᵀH1,
// the second derivative along a parallel move of all inputs). It returns an
// error if v does not have n finite entries.
func GammaDirection(v []float64, n int) ([]float64, error) {
	if v == nil {
		v = make([]float64, n)
		for j := range v {
			v[j] = 1
		}
	}
	if len(v) != n {
		return nil, fmt.Errorf("direction has %d entries for a model of %d inputs", len(v), n)
	}
	for j, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("direction entry %d is %v, want a finite number", j, x)
		}
	}
	return v, nil
}
