package iasa

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/sobolev-pruning/sobolev/mlp"
)

// Tracer evaluates, at batches of raw input points, the activation a_{l,i}(x)
// and the adjoint g_{l,i}(x) = ∂y_n/∂a_{l,i}(x) of every hidden node: the
// point values that the enclosures of Analyze contain (method.md §3):
//
//	z_l = W_l·a_{l−1} + b_l,  a_l = σ(z_l),  a_0 = (x − XMean)/XScale
//	g_L = W_outᵀ,  g_{l−1} = W_lᵀ·(σ′(z_l) ⊙ g_l)
//
// y_n is the normalised output. A batch is computed with matrix products
// (gonum blas64); a Tracer holds its scratch, allocated once, so it must not
// be used by several goroutines at once. It reads net's parameters at every
// call, so the net must not change during one.
type Tracer struct {
	net   *mlp.Network
	batch int
	x     []float64   // normalised inputs, batch × n
	z, a  [][]float64 // per hidden layer, batch × h
	d1    [][]float64 // σ′(z), then δ = σ′(z) ⊙ g
	g     [][]float64
	av    [][]float64 // the views Trace returns
	gv    [][]float64
}

// NewTracer returns a Tracer for batches of up to batch points. It panics if
// batch < 1 or net is not well formed (see mlp.Network.Validate).
func NewTracer(net *mlp.Network, batch int) *Tracer {
	if batch < 1 {
		panic(panicBatch)
	}
	if err := net.Validate(); err != nil {
		panic(panicNet)
	}
	L := net.Layers()
	t := &Tracer{net: net, batch: batch, x: make([]float64, batch*net.Inputs()),
		av: make([][]float64, L), gv: make([][]float64, L)}
	for _, h := range net.Hidden() {
		t.z = append(t.z, make([]float64, batch*h))
		t.a = append(t.a, make([]float64, batch*h))
		t.d1 = append(t.d1, make([]float64, batch*h))
		t.g = append(t.g, make([]float64, batch*h))
	}
	return t
}

// Trace evaluates the rows of x, an N × n row-major matrix of raw inputs with
// N ≤ the Tracer's batch, and returns the activations a[l] and, if adjoints
// is true, the adjoints g[l] of hidden layer l+1, each N × h row-major (node i
// of point r at index r·h + i); g is nil if adjoints is false. The returned
// slices are views of the Tracer's scratch, valid until the next call. Trace
// does not allocate. It panics if len(x)
// is not a positive multiple of n or N exceeds the batch.
func (t *Tracer) Trace(x []float64, adjoints bool) (a, g [][]float64) {
	net := t.net
	n := net.Inputs()
	if len(x) == 0 || len(x)%n != 0 || len(x)/n > t.batch {
		panic(panicTraceRows)
	}
	N := len(x) / n
	xn := t.x[:N*n]
	for r := range N {
		for j := range n {
			xn[r*n+j] = (x[r*n+j] - net.Norm.XMean[j]) / net.Norm.XScale[j]
		}
	}
	impl := blas64.Implementation()
	in, cols := xn, n
	a = t.av
	for l := range t.z {
		h := net.Sizes[l+1]
		z, al, d1 := t.z[l][:N*h], t.a[l][:N*h], t.d1[l][:N*h]
		// z = in·Wᵀ + b, in (N × cols), W (h × cols).
		for r := range N {
			copy(z[r*h:(r+1)*h], net.Params.B[l])
		}
		impl.Dgemm(blas.NoTrans, blas.Trans, N, h, cols, 1, in, cols, net.Params.W[l], cols, 1, z, h)
		for i, zi := range z {
			al[i], d1[i], _, _ = net.Act.Eval(zi)
		}
		a[l] = al
		in, cols = al, h
	}
	if !adjoints {
		return a, nil
	}
	L := len(t.z)
	g = t.gv
	hL := net.Sizes[L]
	gL := t.g[L-1][:N*hL]
	for r := range N {
		copy(gL[r*hL:(r+1)*hL], net.Params.W[L])
	}
	g[L-1] = gL
	for l := L - 1; l > 0; l-- {
		h, hp := net.Sizes[l+1], net.Sizes[l]
		// δ = σ′(z) ⊙ g, kept in d1's scratch; g_{l−1} = δ·W (N × hp).
		d := t.d1[l][:N*h]
		for i := range d {
			d[i] *= g[l][i]
		}
		gp := t.g[l-1][:N*hp]
		impl.Dgemm(blas.NoTrans, blas.NoTrans, N, hp, h, 1, d, h, net.Params.W[l], hp, 0, gp, hp)
		g[l-1] = gp
	}
	return a, g
}
