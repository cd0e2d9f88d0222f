package mlp

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// Trace is the point trace of a Network at a batch of N raw inputs: every
// quantity of the forward and reverse passes of method.md §3, at every layer
// and point, in normalised units (see the package documentation):
//
//	a_0 = x_n = (x − XMean)/XScale
//	z_l = W_l a_{l−1} + b_l,  a_l = σ(z_l)                      l = 1..L
//	g_L = W_outᵀ,  δ_l = σ′(z_l) ⊙ g_l,  g_{l−1} = W_lᵀ δ_l      l = L..1
//
// g_l = ∂y_n/∂a_l is the adjoint of a_l, the sensitivity of the normalised
// output y_n to it, and g_0 = ∇y_n; the raw gradient is ∂y/∂x_j =
// YScale/XScale_j · g_0,j. These are the point values that IASA's enclosures
// contain (method.md §5) and the activations that a pruned node's constant is
// averaged from.
//
// The slices are indexed by the layer number l of method.md, and each is an
// (N, Sizes[l]) row-major matrix with one row per point: node i of point r is
// at index r·Sizes[l] + i. Network.TraceForward sets N, A[0..L], Z[1..L] and
// D1[1..L]; Network.TraceReverse sets G[0..L]. Z[0] and D1[0] are nil, and
// so is every G[l] before the first TraceReverse. The slices are views of the
// Trace's memory, valid until its next use.
//
// Make a Trace once with NewTrace; the passes then allocate nothing. A Trace is not
// safe for concurrent use; the Network it traces is only read.
type Trace struct {
	// N is the number of points of the last TraceForward.
	N int
	// A[l] holds the activations a_l; A[0] = x_n, the normalised inputs.
	A [][]float64
	// Z[l] holds the pre-activations z_l of hidden layer l.
	Z [][]float64
	// D1[l] holds σ′(z_l), the slopes of hidden layer l.
	D1 [][]float64
	// G[l] holds the adjoints g_l = ∂y_n/∂a_l; G[L] repeats W_outᵀ in
	// every row, G[0] = ∇y_n.
	G [][]float64

	batch       int
	sizes       []int
	a, z, d1, g [][]float64 // the memory behind A, Z, D1, G: (batch, Sizes[l]) each
	delta       []float64   // δ_l of one layer; σ″ of one layer in the forward pass
}

// NewTrace returns a Trace for networks shaped like net and batches of at
// most batch points. It panics if batch < 1.
func NewTrace(net *Network, batch int) *Trace {
	if batch < 1 {
		panic("mlp: NewTrace needs batch ≥ 1")
	}
	L := net.Layers()
	t := &Trace{batch: batch, sizes: append([]int(nil), net.Sizes...)}
	t.A, t.Z, t.D1, t.G = make([][]float64, L+1), make([][]float64, L+1), make([][]float64, L+1), make([][]float64, L+1)
	t.a, t.z, t.d1, t.g = make([][]float64, L+1), make([][]float64, L+1), make([][]float64, L+1), make([][]float64, L+1)
	widest := 0
	for l := range L + 1 {
		w := net.Sizes[l]
		t.a[l], t.g[l] = make([]float64, batch*w), make([]float64, batch*w)
		if l > 0 {
			t.z[l], t.d1[l] = make([]float64, batch*w), make([]float64, batch*w)
			widest = max(widest, w)
		}
	}
	t.delta = make([]float64, batch*widest)
	return t
}

// check panics unless t was made for net's shape.
func (t *Trace) check(net *Network) {
	if len(net.Sizes) != len(t.sizes) {
		panic(badWorkspace)
	}
	for i, s := range net.Sizes {
		if s != t.sizes[i] {
			panic(badWorkspace)
		}
	}
}

// TraceForward runs the forward pass of method.md §3 at the rows of x, an
// (N, n) row-major matrix of raw inputs, and stores N, a_0 = x_n and, for
// every hidden layer, z_l, a_l = σ(z_l) and σ′(z_l) in t (see Trace). Each
// z_l is computed as one GEMM that starts every sum from b_l. It clears the
// adjoints of an earlier TraceReverse. net must be well formed (Validate).
//
// TraceForward panics if t was made for another network shape, or len(x) is
// not a positive multiple of n or N exceeds t's batch.
func (net *Network) TraceForward(t *Trace, x []float64) {
	t.check(net)
	n := net.Inputs()
	if len(x) == 0 || len(x)%n != 0 {
		panic(badLen)
	}
	N := len(x) / n
	if N > t.batch {
		panic(badBatch)
	}
	t.N = N
	clear(t.G)
	xn := t.a[0][:N*n]
	for r := range N {
		for j := range n {
			xn[r*n+j] = (x[r*n+j] - net.Norm.XMean[j]) / net.Norm.XScale[j]
		}
	}
	t.A[0] = xn
	impl := blas64.Implementation()
	for l := 1; l < len(t.sizes)-1; l++ {
		in, out := t.sizes[l-1], t.sizes[l]
		z, a, d1 := t.z[l][:N*out], t.a[l][:N*out], t.d1[l][:N*out]
		// z_l = a_{l−1}·W_lᵀ + b_l: (N, in) times (in, out), onto rows of b_l.
		for r := range N {
			copy(z[r*out:(r+1)*out], net.Params.B[l-1])
		}
		impl.Dgemm(blas.NoTrans, blas.Trans, N, out, in, 1, t.A[l-1], in, net.Params.W[l-1], in, 1, z, out)
		net.Act.eval(a, d1, t.delta, nil, z)
		t.A[l], t.Z[l], t.D1[l] = a, z, d1
	}
}

// TraceReverse runs the reverse pass of method.md §3 at the points of the
// preceding TraceForward and stores the adjoints g_L = W_outᵀ, …, g_0 = ∇y_n
// in t.G (see Trace). Each g_{l−1} is one GEMM, δ_l·W_l.
//
// TraceReverse panics if t was made for another network shape or has not run
// TraceForward.
func (net *Network) TraceReverse(t *Trace) {
	t.check(net)
	N := t.N
	if N == 0 {
		panic("mlp: TraceReverse before TraceForward")
	}
	L := len(t.sizes) - 2
	wout := net.Params.W[L]
	hL := t.sizes[L]
	gL := t.g[L][:N*hL]
	for r := range N {
		copy(gL[r*hL:(r+1)*hL], wout)
	}
	t.G[L] = gL
	impl := blas64.Implementation()
	for l := L; l > 0; l-- {
		out, in := t.sizes[l], t.sizes[l-1]
		d := t.delta[:N*out]
		for i, s := range t.D1[l] {
			d[i] = s * t.G[l][i]
		}
		// g_{l−1} = δ_l·W_l: (N, out) times (out, in).
		gp := t.g[l-1][:N*in]
		impl.Dgemm(blas.NoTrans, blas.NoTrans, N, in, out, 1, d, out, net.Params.W[l-1], in, 0, gp, in)
		t.G[l-1] = gp
	}
}
