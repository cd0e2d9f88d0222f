package mlp

import (
	"math"
	"math/rand/v2"
)

// This file holds the naive per-sample reference implementation of the
// batched kernels (forward, reverse, forward-over-reverse and the parameter
// gradient of the Sobolev loss), written with plain loops over one sample at
// a time, and helpers shared by the tests.

// refSample holds one sample's passes in normalised units; index l = 0..L
// follows method.md §3 (a[0] = x), k indexes directions.
type refSample struct {
	z, a, d1, d2, d3 [][]float64 // l = 1..L (a also l = 0)
	g, del           [][]float64 // g: l = 0..L, del: l = 1..L
	zd, ad, gd, deld [][][]float64
	y                float64
}

// refForward runs the forward, reverse and forward-over-reverse passes of one
// sample x with directions v[k].
func refForward(net *Network, x []float64, v [][]float64) *refSample {
	nl := len(net.Sizes) - 1 // L+1
	r := &refSample{}
	mk := func() [][]float64 { return make([][]float64, nl) }
	r.z, r.a, r.d1, r.d2, r.d3, r.g, r.del = mk(), mk(), mk(), mk(), mk(), mk(), mk()
	r.a[0] = append([]float64(nil), x...)
	K := len(v)
	r.zd, r.ad, r.gd, r.deld = make([][][]float64, K), make([][][]float64, K), make([][][]float64, K), make([][][]float64, K)
	for k := range K {
		r.zd[k], r.ad[k], r.gd[k], r.deld[k] = mk(), mk(), mk(), mk()
		r.ad[k][0] = append([]float64(nil), v[k]...)
	}
	for l := 1; l < nl; l++ {
		in, out := net.Sizes[l-1], net.Sizes[l]
		W, B := net.Params.W[l-1], net.Params.B[l-1]
		r.z[l], r.a[l] = make([]float64, out), make([]float64, out)
		r.d1[l], r.d2[l], r.d3[l] = make([]float64, out), make([]float64, out), make([]float64, out)
		for i := range out {
			s := B[i]
			for j := range in {
				s += W[i*in+j] * r.a[l-1][j]
			}
			r.z[l][i] = s
			r.a[l][i], r.d1[l][i], r.d2[l][i], r.d3[l][i] = net.Act.Eval(s)
		}
		for k := range K {
			r.zd[k][l], r.ad[k][l] = make([]float64, out), make([]float64, out)
			for i := range out {
				s := 0.0
				for j := range in {
					s += W[i*in+j] * r.ad[k][l-1][j]
				}
				r.zd[k][l][i] = s
				r.ad[k][l][i] = r.d1[l][i] * s
			}
		}
	}
	L := nl - 1
	wout := net.Params.W[L]
	r.y = net.Params.B[L][0]
	for i, w := range wout {
		r.y += w * r.a[L][i]
	}
	r.g[L] = append([]float64(nil), wout...)
	for k := range K {
		r.gd[k][L] = make([]float64, len(wout))
	}
	for l := L; l >= 1; l-- {
		in, out := net.Sizes[l-1], net.Sizes[l]
		W := net.Params.W[l-1]
		r.del[l] = make([]float64, out)
		for i := range out {
			r.del[l][i] = r.d1[l][i] * r.g[l][i]
		}
		r.g[l-1] = make([]float64, in)
		for j := range in {
			for i := range out {
				r.g[l-1][j] += W[i*in+j] * r.del[l][i]
			}
		}
		for k := range K {
			r.deld[k][l] = make([]float64, out)
			for i := range out {
				r.deld[k][l][i] = r.d2[l][i]*r.zd[k][l][i]*r.g[l][i] + r.d1[l][i]*r.gd[k][l][i]
			}
			r.gd[k][l-1] = make([]float64, in)
			for j := range in {
				for i := range out {
					r.gd[k][l-1][j] += W[i*in+j] * r.deld[k][l][i]
				}
			}
		}
	}
	return r
}

// refLoss returns the loss of bt and its parameter gradient, one sample at a
// time, by the same recursions as the batched kernels.
func refLoss(net *Network, bt Batch, w LossWeights) (Loss, []float64) {
	n := net.Sizes[0]
	B := len(bt.X) / n
	K := 0
	if bt.Dirs != nil {
		K = len(bt.Dirs) / (B * n)
	}
	grad := NewParams(net.Sizes)
	var loss Loss
	for b := range B {
		v := make([][]float64, K)
		for k := range K {
			v[k] = bt.Dirs[(b*K+k)*n : (b*K+k+1)*n]
		}
		r := refForward(net, bt.X[b*n:(b+1)*n], v)
		adj := refSeeds(&loss, net, r, bt, w, b, K)
		adj.upward(net, r, grad)
		abar, adbar := adj.outputLayer(net, r, grad)
		adj.downward(net, r, grad, abar, adbar)
	}
	loss.Total = w.Value*loss.Value + w.Grad*loss.Grad + w.HVP*loss.HVP
	return loss, grad.Flat
}

// refAdjoints holds the adjoints of one sample's quantities in refLoss: of
// the output y, of the gradients g and pre-activations z by layer, and of
// their directional derivatives gd and zd by direction and layer.
type refAdjoints struct {
	K            int  // directions
	full         bool // the loss has gradient or HVP terms: the reverse passes have adjoints
	ybar         float64
	gbar, zbar   [][]float64
	gdbar, zdbar [][][]float64
}

// refWeight returns ws[j], or 1 if ws is nil (the weights of LossWeights).
func refWeight(ws []float64, j int) float64 {
	if ws == nil {
		return 1
	}
	return ws[j]
}

// refSeeds adds the loss terms of sample b of bt, whose passes are r and
// which has K directions, to loss, and returns the adjoints they seed: of
// the output, of the input gradient and of its directional derivatives.
func refSeeds(loss *Loss, net *Network, r *refSample, bt Batch, w LossWeights, b, K int) *refAdjoints {
	n := net.Sizes[0]
	B := len(bt.X) / n
	nl := len(net.Sizes) - 1
	a := &refAdjoints{K: K, full: bt.DYDX != nil || K > 0}
	if bt.Y != nil {
		e := r.y - bt.Y[b]
		loss.Value += e * e / float64(B)
		a.ybar = 2 * w.Value * e / float64(B)
	}
	a.gbar = make([][]float64, nl)
	a.gbar[0] = make([]float64, n)
	if bt.DYDX != nil {
		for j := range n {
			e := r.g[0][j] - bt.DYDX[b*n+j]
			loss.Grad += refWeight(w.Lambda, j) * e * e / float64(B*n)
			a.gbar[0][j] = 2 * w.Grad * refWeight(w.Lambda, j) * e / float64(B*n)
		}
	}
	a.gdbar = make([][][]float64, K)
	for k := range K {
		a.gdbar[k] = make([][]float64, nl)
		a.gdbar[k][0] = make([]float64, n)
		for j := range n {
			e := r.gd[k][0][j] - bt.HV[(b*K+k)*n+j]
			loss.HVP += refWeight(w.Mu, k) * e * e / float64(B*K*n)
			a.gdbar[k][0][j] = 2 * w.HVP * refWeight(w.Mu, k) * e / float64(B*K*n)
		}
	}
	a.zbar = make([][]float64, nl)
	a.zdbar = make([][][]float64, K)
	for k := range K {
		a.zdbar[k] = make([][]float64, nl)
	}
	return a
}

// upward runs the adjoint of the reverse passes of r, from the input
// gradient up to the last hidden layer, if the loss has gradient or HVP
// terms: it adds to grad and sets the adjoints of g, z, gd and zd.
func (a *refAdjoints) upward(net *Network, r *refSample, grad Params) {
	if !a.full {
		return
	}
	L := len(net.Sizes) - 2
	for l := 1; l <= L; l++ {
		in, out := net.Sizes[l-1], net.Sizes[l]
		W, gW := net.Params.W[l-1], grad.W[l-1]
		delbar := make([]float64, out)
		a.zbar[l] = make([]float64, out)
		a.gbar[l] = make([]float64, out)
		for i := range out {
			for j := range in {
				delbar[i] += W[i*in+j] * a.gbar[l-1][j]
				gW[i*in+j] += r.del[l][i] * a.gbar[l-1][j]
			}
			a.zbar[l][i] = r.d2[l][i] * r.g[l][i] * delbar[i]
			a.gbar[l][i] = r.d1[l][i] * delbar[i]
		}
		for k := range a.K {
			deldbar := make([]float64, out)
			a.zdbar[k][l] = make([]float64, out)
			a.gdbar[k][l] = make([]float64, out)
			for i := range out {
				for j := range in {
					deldbar[i] += W[i*in+j] * a.gdbar[k][l-1][j]
					gW[i*in+j] += r.deld[k][l][i] * a.gdbar[k][l-1][j]
				}
				a.zbar[l][i] += (r.d3[l][i]*r.zd[k][l][i]*r.g[l][i] + r.d2[l][i]*r.gd[k][l][i]) * deldbar[i]
				a.zdbar[k][l][i] = r.d2[l][i] * r.g[l][i] * deldbar[i]
				a.gbar[l][i] += r.d2[l][i] * r.zd[k][l][i] * deldbar[i]
				a.gdbar[k][l][i] = r.d1[l][i] * deldbar[i]
			}
		}
	}
}

// outputLayer adds the output layer's parameter gradient to grad and
// returns the adjoints of the last hidden layer's activations and (zero) of
// their directional derivatives.
func (a *refAdjoints) outputLayer(net *Network, r *refSample, grad Params) (abar []float64, adbar [][]float64) {
	L := len(net.Sizes) - 2
	gwout := grad.W[L]
	grad.B[L][0] += a.ybar
	abar = make([]float64, len(gwout))
	for i := range gwout {
		gwout[i] += a.ybar * r.a[L][i]
		if a.full {
			gwout[i] += a.gbar[L][i]
		}
		abar[i] = a.ybar * net.Params.W[L][i]
	}
	adbar = make([][]float64, a.K)
	for k := range a.K {
		adbar[k] = make([]float64, len(gwout))
	}
	return abar, adbar
}

// downward runs the adjoint of the forward passes of r, from the last
// hidden layer down to the input, from the adjoints abar and adbar of the
// last hidden layer's activations and their directional derivatives, and
// adds to grad.
func (a *refAdjoints) downward(net *Network, r *refSample, grad Params, abar []float64, adbar [][]float64) {
	L := len(net.Sizes) - 2
	for l := L; l >= 1; l-- {
		in, out := net.Sizes[l-1], net.Sizes[l]
		W, gW, gB := net.Params.W[l-1], grad.W[l-1], grad.B[l-1]
		if a.zbar[l] == nil {
			a.zbar[l] = make([]float64, out)
		}
		for i := range out {
			a.zbar[l][i] += r.d1[l][i] * abar[i]
			for k := range a.K {
				a.zbar[l][i] += r.d2[l][i] * r.zd[k][l][i] * adbar[k][i]
				a.zdbar[k][l][i] += r.d1[l][i] * adbar[k][i]
			}
			gB[i] += a.zbar[l][i]
		}
		prev := make([]float64, in)
		for i := range out {
			for j := range in {
				gW[i*in+j] += a.zbar[l][i] * r.a[l-1][j]
				prev[j] += W[i*in+j] * a.zbar[l][i]
			}
		}
		abar = prev
		for k := range a.K {
			prevd := make([]float64, in)
			for i := range out {
				for j := range in {
					gW[i*in+j] += a.zdbar[k][l][i] * r.ad[k][l-1][j]
					prevd[j] += W[i*in+j] * a.zdbar[k][l][i]
				}
			}
			adbar[k] = prevd
		}
	}
}

// testNet returns a network of the given sizes and activation with random
// weights of a size that keeps the activations away from saturation, random
// biases and a non-trivial normalisation.
func testNet(sizes []int, act Activation, seed uint64) *Network {
	rng := rand.New(rand.NewPCG(seed, 1))
	net := New(sizes[0], sizes[1:len(sizes)-1], act)
	for l := range net.Params.W {
		in := float64(sizes[l])
		for i := range net.Params.W[l] {
			net.Params.W[l][i] = rng.NormFloat64() * 1.5 / math.Sqrt(in)
		}
		for i := range net.Params.B[l] {
			net.Params.B[l][i] = 0.3 * rng.NormFloat64()
		}
	}
	for j := range net.Norm.XMean {
		net.Norm.XMean[j] = rng.NormFloat64()
		net.Norm.XScale[j] = 0.5 + 1.5*rng.Float64()
	}
	net.Norm.YMean, net.Norm.YScale = 0.3, 1.7
	return net
}

// testBatch returns a batch of b samples with k directions per sample and
// random labels for a network with n inputs.
func testBatch(n, b, k int, seed uint64) Batch {
	rng := rand.New(rand.NewPCG(seed, 2))
	fill := func(m int) []float64 {
		s := make([]float64, m)
		for i := range s {
			s[i] = rng.NormFloat64()
		}
		return s
	}
	bt := Batch{X: fill(b * n), Y: fill(b), DYDX: fill(b * n)}
	if k > 0 {
		bt.Dirs, bt.HV = fill(b*k*n), fill(b*k*n)
	}
	return bt
}
