package mlp

import (
	"errors"
	"fmt"
)

// Params holds every weight and bias of a Network in one slice, Flat, in ONNX
// initializer order: W[0], B[0], W[1], B[1], …, W_out, b_out. W[l] and B[l] are
// views into Flat. W[l] has shape (Sizes[l+1], Sizes[l]), row-major, so that
// z_{l+1} = W[l]·a_l + B[l] (method.md §3); the last pair is W_out, b_out.
type Params struct {
	Flat []float64
	W, B [][]float64
}

// Normalization maps raw inputs and outputs to the units the layers work in
// (method.md §3):
//
//	x_n = (x − XMean) / XScale,   y = YMean + YScale · y_n
//
// so a raw gradient is ∂y/∂x_j = YScale / XScale[j] · ∂y_n/∂x_n,j.
// The identity normalisation has XMean = 0, XScale = 1, YMean = 0, YScale = 1.
type Normalization struct {
	XMean, XScale []float64
	YMean, YScale float64
}

// Network is a dense feed-forward network with scalar output (method.md §3):
//
//	z_l = W_l a_{l−1} + b_l,  a_l = σ(z_l),  l = 1..L,  a_0 = x_n
//	y_n = W_out a_L + b_out
//
// A Network is plain data: it holds no scratch space, so one Network may be
// evaluated from several goroutines at once, each with its own workspace.
type Network struct {
	// Sizes lists the layer widths from input to output:
	// Sizes[0] = number of inputs, Sizes[1..L] hidden widths, Sizes[L+1] = 1.
	Sizes []int
	// Act is the hidden layers' activation.
	Act Activation
	// Params holds the weights and biases.
	Params Params
	// Norm maps raw inputs and outputs to the layers' units.
	Norm Normalization
}

// New returns a Network with the given input count, hidden widths and
// activation, all weights and biases zero and the identity normalisation.
// New panics if inputs < 1 or a hidden width is < 1; use Validate on sizes that
// come from a user.
func New(inputs int, hidden []int, act Activation) *Network {
	sizes := append(append([]int{inputs}, hidden...), 1)
	for _, s := range sizes {
		if s < 1 {
			panic("mlp: layer width < 1")
		}
	}
	n := &Network{Sizes: sizes, Act: act}
	n.Params = NewParams(sizes)
	n.Norm = Normalization{
		XMean:  make([]float64, inputs),
		XScale: make([]float64, inputs),
		YScale: 1,
	}
	for i := range n.Norm.XScale {
		n.Norm.XScale[i] = 1
	}
	return n
}

// NewParams returns zeroed Params for layer widths sizes, with the W and B views
// set up over one Flat slice.
func NewParams(sizes []int) Params {
	total := 0
	for l := 0; l+1 < len(sizes); l++ {
		total += sizes[l+1]*sizes[l] + sizes[l+1]
	}
	p := Params{Flat: make([]float64, total)}
	p.W = make([][]float64, len(sizes)-1)
	p.B = make([][]float64, len(sizes)-1)
	off := 0
	for l := 0; l+1 < len(sizes); l++ {
		nw := sizes[l+1] * sizes[l]
		p.W[l] = p.Flat[off : off+nw : off+nw]
		off += nw
		p.B[l] = p.Flat[off : off+sizes[l+1] : off+sizes[l+1]]
		off += sizes[l+1]
	}
	return p
}

// Inputs returns the number of inputs n.
func (n *Network) Inputs() int { return n.Sizes[0] }

// Layers returns the number of hidden layers L.
func (n *Network) Layers() int { return len(n.Sizes) - 2 }

// Hidden returns the hidden widths Sizes[1..L]. The slice aliases n.Sizes.
func (n *Network) Hidden() []int { return n.Sizes[1 : len(n.Sizes)-1] }

// HiddenNodes returns the total number of hidden nodes, Σ Sizes[1..L].
func (n *Network) HiddenNodes() int {
	s := 0
	for _, w := range n.Hidden() {
		s += w
	}
	return s
}

// NumParams returns the number of weights and biases, len(n.Params.Flat).
func (n *Network) NumParams() int { return len(n.Params.Flat) }

// Clone returns a deep copy of n.
func (n *Network) Clone() *Network {
	c := &Network{Sizes: append([]int(nil), n.Sizes...), Act: n.Act}
	c.Params = NewParams(c.Sizes)
	copy(c.Params.Flat, n.Params.Flat)
	c.Norm = Normalization{
		XMean:  append([]float64(nil), n.Norm.XMean...),
		XScale: append([]float64(nil), n.Norm.XScale...),
		YMean:  n.Norm.YMean,
		YScale: n.Norm.YScale,
	}
	return c
}

// Validate reports whether n is well formed: at least one input, positive
// widths, a scalar output, Params laid out for Sizes, finite parameters and a
// normalisation with finite means and positive finite scales. Loaders call it on
// every model read from a file.
func (n *Network) Validate() error {
	if len(n.Sizes) < 2 {
		return errors.New("mlp: network needs an input and an output layer")
	}
	for l, s := range n.Sizes {
		if s < 1 {
			return fmt.Errorf("mlp: layer %d has width %d, want ≥ 1", l, s)
		}
	}
	if out := n.Sizes[len(n.Sizes)-1]; out != 1 {
		return fmt.Errorf("mlp: output width %d, want 1 (scalar output)", out)
	}
	want := NewParams(n.Sizes)
	if len(n.Params.Flat) != len(want.Flat) || len(n.Params.W) != len(want.W) || len(n.Params.B) != len(want.B) {
		return fmt.Errorf("mlp: %d parameters in %d layers, want %d in %d for sizes %v",
			len(n.Params.Flat), len(n.Params.W), len(want.Flat), len(want.W), n.Sizes)
	}
	for l := range want.W {
		if len(n.Params.W[l]) != len(want.W[l]) || len(n.Params.B[l]) != len(want.B[l]) {
			return fmt.Errorf("mlp: layer %d has %d weights and %d biases, want %d and %d",
				l+1, len(n.Params.W[l]), len(n.Params.B[l]), len(want.W[l]), len(want.B[l]))
		}
	}
	for i, v := range n.Params.Flat {
		if !finite(v) {
			return fmt.Errorf("mlp: parameter %d is %v", i, v)
		}
	}
	if len(n.Norm.XMean) != n.Inputs() || len(n.Norm.XScale) != n.Inputs() {
		return fmt.Errorf("mlp: normalisation has %d means and %d scales, want %d each",
			len(n.Norm.XMean), len(n.Norm.XScale), n.Inputs())
	}
	for j := range n.Norm.XMean {
		if !finite(n.Norm.XMean[j]) || !finite(n.Norm.XScale[j]) || n.Norm.XScale[j] <= 0 {
			return fmt.Errorf("mlp: input %d normalisation mean %v scale %v, want finite mean and positive scale",
				j, n.Norm.XMean[j], n.Norm.XScale[j])
		}
	}
	if !finite(n.Norm.YMean) || !finite(n.Norm.YScale) || n.Norm.YScale <= 0 {
		return fmt.Errorf("mlp: output normalisation mean %v scale %v, want finite mean and positive scale",
			n.Norm.YMean, n.Norm.YScale)
	}
	return nil
}

func finite(v float64) bool { return v-v == 0 }
