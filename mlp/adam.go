package mlp

import (
	"fmt"
	"math"
)

// AdamConfig holds the hyper-parameters of the Adam optimiser. A zero field
// takes its default: Beta1 0.9, Beta2 0.999, Eps 1e-8. WeightDecay defaults
// to 0 (off).
type AdamConfig struct {
	// Beta1 and Beta2 are the decay rates of the first and second moment
	// estimates, in [0, 1).
	Beta1, Beta2 float64
	// Eps is added to the square root of the second moment, > 0.
	Eps float64
	// WeightDecay is the decoupled (AdamW) weight decay: each step first
	// shrinks every parameter, biases included, by the factor 1 − lr·WeightDecay.
	WeightDecay float64
}

// withDefaults returns c with zero fields replaced by their defaults, or an
// error if a field is out of range.
func (c AdamConfig) withDefaults() (AdamConfig, error) {
	if c.Beta1 == 0 {
		c.Beta1 = 0.9
	}
	if c.Beta2 == 0 {
		c.Beta2 = 0.999
	}
	if c.Eps == 0 {
		c.Eps = 1e-8
	}
	switch {
	case !(c.Beta1 > 0 && c.Beta1 < 1), !(c.Beta2 > 0 && c.Beta2 < 1):
		return c, fmt.Errorf("mlp: Adam betas %v, %v, want each in (0, 1)", c.Beta1, c.Beta2)
	case !(c.Eps > 0) || math.IsInf(c.Eps, 0):
		return c, fmt.Errorf("mlp: Adam eps %v, want finite and > 0", c.Eps)
	case !(c.WeightDecay >= 0) || math.IsInf(c.WeightDecay, 0):
		return c, fmt.Errorf("mlp: Adam weight decay %v, want finite and ≥ 0", c.WeightDecay)
	}
	return c, nil
}

// Adam is the state of the Adam optimiser (Kingma & Ba) for a parameter
// vector: the moment estimates m, v and the step count.
type Adam struct {
	cfg  AdamConfig
	m, v []float64
	t    int
	kern *trainKernels // runs the update (kernel_train.go)
}

// NewAdam returns an Adam optimiser for nparams parameters with zero moments.
// It returns an error if a field of cfg is out of range (see AdamConfig).
func NewAdam(nparams int, cfg AdamConfig) (*Adam, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Adam{cfg: cfg, m: make([]float64, nparams), v: make([]float64, nparams), kern: trainKernelSets()[0]}, nil
}

// Step applies one Adam update with learning rate lr to params, given the
// loss gradient grad (both laid out like Params.Flat), as PyTorch's AdamW:
//
//	t += 1
//	p  ← p·(1 − lr·WeightDecay)
//	m  ← β1·m + (1−β1)·g,   v ← β2·v + (1−β2)·g²
//	p  ← p − lr · (m/(1−β1ᵗ)) / (√(v/(1−β2ᵗ)) + ε)
//
// Step allocates nothing. It panics if len(params) or len(grad) differs from
// the size the optimiser was made for.
func (a *Adam) Step(params, grad []float64, lr float64) {
	if len(params) != len(a.m) || len(grad) != len(a.m) {
		panic("mlp: Adam.Step: parameter count differs from NewAdam's")
	}
	a.t++
	b1, b2 := a.cfg.Beta1, a.cfg.Beta2
	c := adamCoef{
		b1: b1, b2: b2, cb1: 1 - b1, cb2: 1 - b2,
		c1:    1 / (1 - math.Pow(b1, float64(a.t))),
		c2:    1 / (1 - math.Pow(b2, float64(a.t))),
		eps:   a.cfg.Eps,
		lr:    lr,
		decay: 1 - lr*a.cfg.WeightDecay,
	}
	a.kern.adamUpdate(params, grad, a.m, a.v, &c)
}

// adamCoef holds the coefficients of one Adam step: β1, β2, 1 − β1, 1 − β2,
// the bias corrections c1 = 1/(1 − β1ᵗ), c2 = 1/(1 − β2ᵗ), ε, the learning
// rate and the decay factor 1 − lr·WeightDecay.
type adamCoef struct {
	b1, b2, cb1, cb2, c1, c2, eps, lr, decay float64
}

// adamUpdateGo applies the update of Adam.Step to each i < len(p):
//
//	m[i] = β1·m[i] + (1−β1)·g[i],  v[i] = β2·v[i] + (1−β2)·g[i]·g[i]
//	p[i] = p[i]·decay − lr·(m[i]·c1)/(√(v[i]·c2) + ε)
//
// The assembly kernels (kernel_amd64.go) run the same operations in the same
// order, with the same bits. The conversions float64(x·y) keep the compiler
// from fusing x·y + z into one rounding (as it does on amd64 with
// GOAMD64=v3), which the assembly does not do.
func adamUpdateGo(p, g, m, v []float64, c *adamCoef) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for i, gi := range g {
		mi := float64(c.b1*m[i]) + float64(c.cb1*gi)
		vi := float64(c.b2*v[i]) + float64(c.cb2*gi*gi)
		m[i], v[i] = mi, vi
		p[i] = float64(p[i]*c.decay) - c.lr*(mi*c.c1)/(math.Sqrt(vi*c.c2)+c.eps)
	}
}
