package mlp

import (
	"fmt"
	"math"
)

// FitNormalization returns the normalisation of training data with the given
// number of inputs: XMean and XScale are the mean and the (population)
// standard deviation of each input column of x (N, inputs), row-major, YMean
// and YScale those of y (N). A column, or y, with zero spread gets scale 1, so
// it is only shifted. Gradient labels then scale as dydx_n = dydx·XScale/YScale
// (Train does this).
//
// FitNormalization returns an error if inputs < 1, len(y) = 0, len(x) ≠
// len(y)·inputs, or a value is not finite.
func FitNormalization(x, y []float64, inputs int) (Normalization, error) {
	if inputs < 1 {
		return Normalization{}, fmt.Errorf("mlp: FitNormalization: %d inputs, want ≥ 1", inputs)
	}
	n := len(y)
	if n == 0 {
		return Normalization{}, fmt.Errorf("mlp: FitNormalization: no samples")
	}
	if len(x) != n*inputs {
		return Normalization{}, fmt.Errorf("mlp: FitNormalization: x has %d values, want %d (%d samples × %d inputs)",
			len(x), n*inputs, n, inputs)
	}
	if i := firstNonFinite(x); i >= 0 {
		return Normalization{}, fmt.Errorf("mlp: FitNormalization: x[%d, %d] is %v", i/inputs, i%inputs, x[i])
	}
	if i := firstNonFinite(y); i >= 0 {
		return Normalization{}, fmt.Errorf("mlp: FitNormalization: y[%d] is %v", i, y[i])
	}
	norm := Normalization{XMean: make([]float64, inputs), XScale: make([]float64, inputs)}
	for j := range inputs {
		norm.XMean[j], norm.XScale[j] = meanScale(x[j:], inputs, n)
	}
	norm.YMean, norm.YScale = meanScale(y, 1, n)
	return norm, nil
}

// meanScale returns the mean and population standard deviation of the n
// values v[0], v[stride], …, or scale 1 if they are all equal.
func meanScale(v []float64, stride, n int) (mean, scale float64) {
	for i := range n {
		mean += v[i*stride]
	}
	mean /= float64(n)
	ss := 0.0
	for i := range n {
		d := v[i*stride] - mean
		ss += d * d
	}
	scale = math.Sqrt(ss / float64(n))
	if scale == 0 {
		scale = 1
	}
	return mean, scale
}

// firstNonFinite returns the index of the first NaN or ±Inf in v, or −1.
func firstNonFinite(v []float64) int {
	for i, x := range v {
		if !finite(x) {
			return i
		}
	}
	return -1
}
