package iasa

import (
	"github.com/sobolev-pruning/sobolev/interval"
	"github.com/sobolev-pruning/sobolev/mlp"
)

// naivePass runs the plain interval forward and adjoint passes (method Naive,
// method.md §5 steps 1–2) on one box at a time, with its own scratch.
type naivePass struct {
	net  *mlp.Network
	kit  kit
	z    [][]interval.Interval // z[l]: pre-activations of hidden layer l
	g, d []interval.Interval   // adjoint and Δ scratch
	wOut []interval.Interval
}

func newNaivePass(net *mlp.Network) *naivePass {
	p := &naivePass{net: net, kit: kit{net.Act}}
	hmax := 0
	for _, h := range net.Hidden() {
		p.z = append(p.z, make([]interval.Interval, h))
		hmax = max(hmax, h)
	}
	p.g, p.d = make([]interval.Interval, hmax), make([]interval.Interval, hmax)
	L := net.Layers()
	p.wOut = make([]interval.Interval, net.Sizes[L])
	for i, w := range net.Params.W[L] {
		p.wOut[i] = interval.Point(w)
	}
	return p
}

// run encloses the values and adjoints of every hidden node on the box of
// normalised inputs x and stores them in out.A and out.G:
//
//	Z_l = W_l·A_{l−1} + b_l,  A_l = σ(Z_l)
//	G_L = W_outᵀ,  Δ_l = σ′(Z_l) ⊙ G_l,  G_{l−1} = W_lᵀ·Δ_l
func (p *naivePass) run(x []interval.Interval, out *Enclosure) {
	net := p.net
	a := x
	for l, z := range p.z {
		interval.MulVec(z, net.Params.W[l], len(z), len(a), a, net.Params.B[l])
		for i, zi := range z {
			out.A[l][i] = p.kit.eval(zi)
		}
		a = out.A[l]
	}
	L := len(p.z)
	copy(out.G[L-1], p.wOut)
	for l := L - 1; l > 0; l-- {
		g, z := out.G[l], p.z[l]
		d := p.d[:len(z)]
		for i, zi := range z {
			d[i] = interval.Mul(p.kit.deriv(zi), g[i])
		}
		interval.MulVecTrans(out.G[l-1], net.Params.W[l], len(z), len(p.z[l-1]), d)
	}
}
