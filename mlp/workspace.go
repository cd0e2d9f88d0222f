package mlp

import (
	"runtime"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	gemmpkg "github.com/sobolev-pruning/sobolev/internal/gemm"
)

// Panic messages of the package's kernels; each is a caller bug.
const (
	badActivation = "mlp: unknown activation"
	badWorkspace  = "mlp: workspace was made for another network shape"
	badBatch      = "mlp: batch larger than the workspace"
	badDirs       = "mlp: more directions than the workspace holds"
	badLen        = "mlp: slice length does not match the network"
	badGradLen    = "mlp: len(grad) != NumParams()"
	badLabels     = "mlp: HVP directions without HVP labels, or the reverse"
	badWeights    = "mlp: loss weight needs labels the batch does not have"
	badDims       = "mlp: Hessian dst has the wrong size"
)

// Workspace is the scratch memory of SobolevLoss for one network shape, up to
// a maximum batch size and number of Hessian-vector directions per sample,
// split over a fixed number of threads. Allocate it once with NewWorkspace and
// reuse it for every batch; SobolevLoss then allocates nothing itself. A
// Workspace is not safe for concurrent use; the Network it serves is only
// read.
//
// With threads > 1 the batch is cut into that many contiguous parts of
// (nearly) equal size, each run by its own goroutine with its own scratch;
// their losses and parameter gradients are summed in part order. Results are
// bit-for-bit reproducible for a given thread count (and build); the CPU's
// instruction set does not matter as long as it has FMA (the elementwise
// kernels, AVX-512, AVX2 or plain Go, give the same bits, and so do those of
// internal/gemm). Different thread counts round differently (the gradient's
// sums are split differently), agreeing to about 1e-13 relative.
type Workspace struct {
	sizes       []int
	batch, dirs int

	parts []*part
	grads [][]float64 // grads[p] receives part p's gradient, p ≥ 1
	jobs  []chan job  // jobs[p] feeds the goroutine of part p ≥ 1
	done  []chan Loss // done[p] returns its loss
}

// job is one part's share of a SobolevLoss call.
type job struct {
	net   *Network
	bt    Batch
	w     LossWeights
	grad  []float64
	total int // samples in the whole batch
}

// part is the scratch memory of the batched kernels for one thread: the
// passes of method.md §3 over up to batch samples with up to dirs directions.
//
// Layout (B samples, K directions, R = B·(1+K) rows, every block row-major
// with one row per sample or per (sample, direction) pair, sample-major, so
// tangent row B + b·K + k belongs to sample b, direction k):
//
//	q[l]  (2R, n_l)  [a_l; ȧ_l; ḡ_l; ġ̄_l]   activations, tangents and their adjoints, l = 0..L
//	p[l]  (2R, n_l)  [z̄_l; ż̄_l; δ_l; δ̇_l]   l = 1..L
//	z[l]  (R, n_l)   [z_l; ż_l]
//	g[l]  (R, n_l)   [g_l; ġ_l]              l = 0..L−1 (g_L = W_outᵀ, ġ_L = 0)
//	d1[l], d2[l], d3[l]  (B, n_l)  σ′, σ″, σ‴ at z_l
//
// The stacking lets one GEMM serve a value and its tangents together, and one
// GEMM accumulate every contribution to a weight gradient:
//
//	W̄_l += [z̄_l; ż̄_l; δ_l; δ̇_l]ᵀ · [a_{l−1}; ȧ_{l−1}; ḡ_{l−1}; ġ̄_{l−1}]
type part struct {
	sizes      []int
	q, p, z, g [][]float64
	d1, d2, d3 [][]float64
	t          []float64       // (R, max n_l) GEMM result before an elementwise pass
	y, ybar    []float64       // (B) network output y_n and its adjoint
	wOff, bOff []int           // offsets of W[l], B[l] in Params.Flat
	kern       *trainKernels   // the elementwise kernels (kernel_train.go)
	sc         gemmpkg.Scratch // internal/gemm's packing buffers
}

// NewWorkspace returns a Workspace for networks shaped like net, batches of
// at most batch samples and at most dirs Hessian-vector directions per sample
// (0 if the loss has no second-order term), run on threads goroutines (at
// most batch are used). The goroutines of parts after the first live as long
// as the Workspace is reachable. NewWorkspace panics if batch < 1, dirs < 0 or
// threads < 1.
func NewWorkspace(net *Network, batch, dirs, threads int) *Workspace {
	if batch < 1 || dirs < 0 || threads < 1 {
		panic("mlp: NewWorkspace needs batch ≥ 1, dirs ≥ 0 and threads ≥ 1")
	}
	threads = min(threads, batch)
	ws := &Workspace{sizes: append([]int(nil), net.Sizes...), batch: batch, dirs: dirs}
	per := (batch + threads - 1) / threads
	ws.parts = make([]*part, threads)
	ws.grads = make([][]float64, threads)
	ws.jobs = make([]chan job, threads)
	ws.done = make([]chan Loss, threads)
	for i := range threads {
		ws.parts[i] = newPart(net.Sizes, per, dirs)
		if i == 0 {
			continue
		}
		ws.grads[i] = make([]float64, len(net.Params.Flat))
		ws.jobs[i] = make(chan job)
		ws.done[i] = make(chan Loss)
		go ws.parts[i].serve(ws.jobs[i], ws.done[i])
	}
	// The goroutines hold their parts and channels, not ws: once ws is
	// unreachable, closing the job channels ends them.
	runtime.AddCleanup(ws, func(jobs []chan job) {
		for _, c := range jobs[1:] {
			close(c)
		}
	}, ws.jobs)
	return ws
}

// serve runs the jobs sent to this part until jobs is closed.
func (pt *part) serve(jobs <-chan job, done chan<- Loss) {
	for j := range jobs {
		clear(j.grad)
		done <- pt.loss(j.grad, j.net, j.bt, j.w, j.total)
	}
}

// newPart returns the scratch memory of one thread; see part.
func newPart(sizes []int, batch, dirs int) *part {
	sizes = append([]int(nil), sizes...)
	nl := len(sizes) - 1 // index of the output layer; hidden layers are 1..nl−1
	ws := &part{sizes: sizes, kern: trainKernelSets()[0]}
	r := batch * (1 + dirs)
	ws.q = make([][]float64, nl)
	ws.p = make([][]float64, nl)
	ws.z = make([][]float64, nl)
	ws.g = make([][]float64, nl)
	ws.d1 = make([][]float64, nl)
	ws.d2 = make([][]float64, nl)
	ws.d3 = make([][]float64, nl)
	widest := 0
	for l := range nl {
		w := sizes[l]
		widest = max(widest, w)
		ws.q[l] = make([]float64, 2*r*w)
		if l > 0 {
			ws.p[l] = make([]float64, 2*r*w)
			ws.z[l] = make([]float64, r*w)
			ws.d1[l] = make([]float64, batch*w)
			ws.d2[l] = make([]float64, batch*w)
			if dirs > 0 {
				ws.d3[l] = make([]float64, batch*w)
			}
		}
		if l < max(nl-1, 1) {
			ws.g[l] = make([]float64, r*w)
		}
	}
	ws.t = make([]float64, r*widest)
	ws.y = make([]float64, batch)
	ws.ybar = make([]float64, batch)
	ws.wOff = make([]int, nl)
	ws.bOff = make([]int, nl)
	off := 0
	for l := range nl {
		ws.wOff[l] = off
		off += sizes[l+1] * sizes[l]
		ws.bOff[l] = off
		off += sizes[l+1]
	}
	return ws
}

// check panics unless ws was made for net's shape and holds b samples with k
// directions each.
func (ws *Workspace) check(net *Network, b, k int) {
	if len(net.Sizes) != len(ws.sizes) {
		panic(badWorkspace)
	}
	for i, s := range net.Sizes {
		if s != ws.sizes[i] {
			panic(badWorkspace)
		}
	}
	if b > ws.batch {
		panic(badBatch)
	}
	if k > ws.dirs {
		panic(badDirs)
	}
}

// forward evaluates the network on b samples x (b, n_0), normalised units, and,
// when k > 0, the tangents along the directions dirs (b, k, n_0):
//
//	z_l = W_l a_{l−1} + b_l,  a_l = σ(z_l),  y = W_out a_L + b_out
//	ż_l = W_l ȧ_{l−1},  ȧ_l = σ′(z_l) ⊙ ż_l,  ȧ_0 = v
//
// It leaves y in ws.y and σ′, σ″ and, if third, σ‴ at z_l in ws.d1, ws.d2,
// ws.d3.
func (ws *part) forward(net *Network, x, dirs []float64, b, k int, third bool) {
	nl := len(ws.sizes) - 1
	r := b * (1 + k)
	copy(ws.q[0], x[:b*ws.sizes[0]])
	copy(ws.q[0][b*ws.sizes[0]:], dirs[:b*k*ws.sizes[0]])
	for l := 1; l < nl; l++ {
		in, out := ws.sizes[l-1], ws.sizes[l]
		z := ws.z[l][:r*out]
		gemm(&ws.sc, blas.NoTrans, blas.Trans, r, out, in,
			1, ws.q[l-1][:r*in], in, net.Params.W[l-1], in, 0, z, out)
		var d3 []float64
		if third {
			d3 = ws.d3[l]
		}
		ws.kern.activate(net.Act, ws.q[l], ws.d1[l], ws.d2[l], d3, z[:b*out], net.Params.B[l-1])
		if k == 0 || l == nl-1 {
			continue // ȧ_L is not needed: ġ_L = 0.
		}
		for s := range b {
			d1 := ws.d1[l][s*out : (s+1)*out]
			for j := range k {
				o := (b + s*k + j) * out
				ws.kern.mulTo(ws.q[l][o:o+out], d1, z[o:o+out], false)
			}
		}
	}
	in := ws.sizes[nl-1]
	y := ws.y[:b]
	blas64.Implementation().Dgemv(blas.NoTrans, b, in, 1, ws.q[nl-1][:b*in], in, net.Params.W[nl-1], 1, 0, y, 1)
	bout := net.Params.B[nl-1][0]
	for s := range y {
		y[s] += bout
	}
}

// backward runs the reverse pass for the input gradient and, when k > 0, its
// forward-over-reverse tangent for the Hessian-vector products (method.md §3):
//
//	g_L = W_outᵀ,  δ_l = σ′(z_l) ⊙ g_l,  g_{l−1} = W_lᵀ δ_l
//	ġ_L = 0,  δ̇_l = σ″(z_l) ⊙ ż_l ⊙ g_l + σ′(z_l) ⊙ ġ_l,  ġ_{l−1} = W_lᵀ δ̇_l
//
// It leaves [∇y; H v] = [g_0; ġ_0] in ws.g[0][:r·n_0] and [δ_l; δ̇_l] in the
// lower half of ws.p[l]. It needs a preceding forward with the same b and k.
func (ws *part) backward(net *Network, b, k int) {
	nl := len(ws.sizes) - 1
	r := b * (1 + k)
	wout := net.Params.W[nl-1]
	if nl == 1 { // no hidden layer: ∇y = W_outᵀ, H = 0
		g := ws.g[0][:r*len(wout)]
		for s := range b {
			copy(g[s*len(wout):], wout)
		}
		clear(g[b*len(wout):])
		return
	}
	for l := nl - 1; l >= 1; l-- {
		in, out := ws.sizes[l-1], ws.sizes[l]
		p := ws.p[l][r*out : 2*r*out]
		z := ws.z[l]
		last := l == nl-1
		if last {
			for s := range b {
				ws.kern.mulTo(p[s*out:(s+1)*out], ws.d1[l][s*out:], wout, false)
			}
		} else {
			ws.kern.mulTo(p[:b*out], ws.d1[l], ws.g[l], false)
		}
		for s := range b { // the tangent rows
			lo := s * out
			g := wout
			if !last {
				g = ws.g[l][lo:]
			}
			for j := range k {
				o := (b + s*k + j) * out
				var gd []float64 // ġ_L = 0
				if !last {
					gd = ws.g[l][o:]
				}
				ws.kern.backTan(p[o:o+out], ws.d1[l][lo:], ws.d2[l][lo:], z[o:], g, gd)
			}
		}
		gemm(&ws.sc, blas.NoTrans, blas.NoTrans, r, in, out,
			1, p, out, net.Params.W[l-1], in, 0, ws.g[l-1][:r*in], in)
	}
}
