package mlp

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// InitKind selects the distribution Init draws the weights from. Each is a
// Xavier (Glorot) initialisation: the variance of a weight of layer l is
// 2/(fan_in + fan_out) = 2/(Sizes[l] + Sizes[l+1]).
type InitKind int

const (
	// XavierUniform draws from U(−r, r) with r = √(6/(fan_in + fan_out)).
	XavierUniform InitKind = iota
	// XavierNormal draws from N(0, 2/(fan_in + fan_out)).
	XavierNormal
	// XavierTruncNormal draws from a normal truncated (by redrawing) to two
	// standard deviations and scaled to the Xavier variance, as Keras's
	// glorot_normal: s·t with t ~ N(0, 1) conditioned on |t| ≤ 2 and
	// s = √(2/(fan_in + fan_out)) / 0.87962566103423978, the divisor being the
	// standard deviation of N(0, 1) truncated to [−2, 2].
	XavierTruncNormal
)

// String returns the initialisation's name as written in configuration files.
func (k InitKind) String() string {
	switch k {
	case XavierUniform:
		return "xavier-uniform"
	case XavierNormal:
		return "xavier-normal"
	case XavierTruncNormal:
		return "xavier-truncnormal"
	}
	return fmt.Sprintf("InitKind(%d)", int(k))
}

// ParseInitKind returns the InitKind named s ("xavier-uniform",
// "xavier-normal", "xavier-truncnormal").
func ParseInitKind(s string) (InitKind, error) {
	for _, k := range []InitKind{XavierUniform, XavierNormal, XavierTruncNormal} {
		if k.String() == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("mlp: unknown initialisation %q (want xavier-uniform, xavier-normal or xavier-truncnormal)", s)
}

// truncStd is the standard deviation of N(0, 1) truncated to [−2, 2].
const truncStd = 0.87962566103423978

// Init sets every weight of net from the distribution kind, layer by layer in
// Params.Flat order from one PCG stream seeded by seed, and every bias to 0.
// The normalisation is left alone. The same seed gives the same parameters on
// every platform. Init panics if kind is not one of the declared kinds.
func (net *Network) Init(kind InitKind, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x1f1a7))
	for l, w := range net.Params.W {
		fans := float64(net.Sizes[l] + net.Sizes[l+1])
		switch kind {
		case XavierUniform:
			r := math.Sqrt(6 / fans)
			for i := range w {
				w[i] = r * (2*rng.Float64() - 1)
			}
		case XavierNormal:
			s := math.Sqrt(2 / fans)
			for i := range w {
				w[i] = s * rng.NormFloat64()
			}
		case XavierTruncNormal:
			s := math.Sqrt(2/fans) / truncStd
			for i := range w {
				t := rng.NormFloat64()
				for math.Abs(t) > 2 {
					t = rng.NormFloat64()
				}
				w[i] = s * t
			}
		default:
			panic("mlp: unknown InitKind")
		}
		clear(net.Params.B[l])
	}
}
