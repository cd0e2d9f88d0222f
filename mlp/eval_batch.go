package mlp

import (
	"runtime"
	"sync"
)

// lanes is the number of samples one group kernel evaluates together: the width
// of a float64 AVX-512 register, or of two AVX2 registers. The Evaluator's
// scratch is a structure of arrays, one [lanes]float64 per node holding that
// node in each sample.
const lanes = 8

// Panic messages of the Evaluator.
const (
	errEvalX     = "mlp: len(x) is not a multiple of the number of inputs"
	errEvalValue = "mlp: len(value) != rows of x"
	errEvalGrad  = "mlp: len(grad) != len(x)"
	errEvalGamma = "mlp: len(gamma) != rows of x"
	errEvalHV    = "mlp: len(hv) != len(x)"
	errEvalV     = "mlp: len(v) != number of inputs"
	errEvalPoint = "mlp: len(x) or len(grad) != number of inputs"
	errEvalNet   = "mlp: NewEvaluator of an invalid network"
	errEvalAct   = "mlp: NewEvaluator of an unknown activation"
)

// evalKernel is one implementation of the Evaluator's group kernels.
type evalKernel struct {
	name string // as EvalKernel reports it
	// tile is the number of nodes per weight tile of the assembly kernels (the
	// layout of layer.wTile and layer.wtTile), 0 if the kernel needs no tiles.
	tile int
	// vec is the number of nodes per vector register of the assembly Point
	// kernels (the layout of layer.wVec and layer.wtVec), 0 if none.
	vec int
	// group evaluates the m ≤ lanes samples in the lanes of the scratch, as
	// groupGo followed by rawGo; point the one sample in lane 0 in modeHVP.
	group func(e *Evaluator, m int, zd1 []float64, mode evalMode)
	point func(e *Evaluator, zd1 []float64)
}

// goKernel is the plain-Go kernel, on every build and CPU. Package-level
// kernels are never modified.
var goKernel = &evalKernel{
	name: "go",
	group: func(e *Evaluator, m int, zd1 []float64, mode evalMode) {
		e.groupGo(m, zd1, mode)
		e.rawGo(m, mode)
	},
	point: func(e *Evaluator, zd1 []float64) {
		e.groupGo(1, zd1, modeHVP)
		e.rawGo(1, modeHVP)
	},
}

// evalKernels returns the kernels this build and CPU can run, the default
// (fastest) first: the assembly kernels (amd64 without the purego build tag:
// "avx512" on CPUs with AVX-512F, "avx2" on CPUs with AVX2 and FMA), then the
// plain-Go "go".
func evalKernels() []*evalKernel { return append(asmKernels(), goKernel) }

// EvalKernel returns the name of the kernel new Evaluators run on this CPU:
// "avx512" or "avx2" (Go assembly, on amd64 CPUs with AVX-512F, or with AVX2
// and FMA, unless built with the purego tag) or "go" (plain Go).
func EvalKernel() string { return evalKernels()[0].name }

// evalMode says how much of the derivative recursions a kernel runs.
type evalMode int

const (
	modeValue evalMode = iota // forward pass only
	modeGrad                  // forward and reverse pass: value and g_0
	modeHVP                   // also the tangent passes: ġ_0 = H_n·ȧ_0
)

// Evaluator evaluates a Network's value, input gradient and Hessian-vector
// products in raw units (method.md §3) on batches of inputs, without allocating.
//
// NewEvaluator copies and repacks the weights, so an Evaluator is a snapshot:
// later changes to the Network do not reach it. An Evaluator holds scratch
// space, so it must not be used by several goroutines at once; create one per
// goroutine (they are cheap) or use EvalParallel.
//
// On amd64 CPUs with AVX2 and FMA or with AVX-512, the kernels are Go
// assembly that evaluates 8 samples at once in the vector lanes; otherwise
// (and with the purego build tag) they are plain Go (see EvalKernel). Either
// way, each row's result depends only on that row and the Network, bit for
// bit: not on the batch size, the row's position in the batch, the chunking of
// EvalParallel or the number of workers. Point returns the same bits as Eval
// on a one-row batch. The AVX-512, AVX2 and plain-Go kernels give the same
// bits: they perform the same operations in the same order, with fused
// multiply-adds in the same places and the same polynomial exponential.
//
// Rows holding NaN or ±Inf give unspecified (usually NaN) results; other rows
// are unaffected.
type Evaluator struct {
	act    Activation
	n      int       // inputs
	layers []layer   // hidden layers 1..L
	wOut   []float64 // W_out, zero padded to a multiple of lanes
	bOut   float64
	last   int // width of the layer feeding the output, Sizes[L]

	xMean, xScale []float64
	yMean, yScale float64
	gScale        []float64 // YScale / XScale[j]: normalised to raw gradient
	zd1Ones       []float64 // ż_1 = W_1·u, u_j = 1/XScale[j]: the tangent of the all-ones raw direction
	zd1           []float64 // ż_1 of EvalHessVec's direction (scratch)

	kern *evalKernel // the kernel that runs

	// For the assembly kernels (nil otherwise): the output layer as one tile
	// of kern.tile nodes (node 0 real, the others zero), and zeros to start
	// the sums of the reverse pass from.
	wOutTile, bOutTile, zeros []float64
	yTile                     [][lanes]float64 // the output tile's nodes (scratch)

	// Scratch, one [lanes]float64 per node holding its value in each lane.
	// The kernels read raw inputs from x0 and leave raw outputs in y, g0, h0
	// and gam.
	x0     [][lanes]float64 // inputs x, normalised in place to a_0 (n)
	y      [lanes]float64   // y_n, then y
	g0, h0 [][lanes]float64 // g_0 = ∇y_n and ġ_0 = H_n·ȧ_0, then ∇y and H·v (n rounded up to a multiple of lanes)
	gam    [lanes]float64   // Σ_j (H·v)_j
	gs, hs [][lanes]float64 // g_l and ġ_l of a hidden layer during the reverse pass
}

// layer is one hidden layer z = W·a + b, a' = σ(z), repacked for the kernels,
// with the scratch that holds its nodes' state.
type layer struct {
	in, out       int
	inPad, outPad int       // in and out rounded up to a multiple of lanes
	w, wt         []float64 // W (out × in) and Wᵀ (in × out), row-major: w[i·in + j] = wt[j·out + i] = W_ij
	b             []float64 // b, zero padded to outPad

	// W in tiles of T = kern.tile nodes, zero padded, for the assembly
	// kernels (nil unless they run):
	//	wTile[(p·in + j)·T + k] = W_{Tp+k, j},   wtTile[(q·out + i)·T + k] = W_{i, Tq+k}
	wTile, wtTile []float64
	// The same in tiles of kern.vec nodes for Point (the same slices where
	// kern.vec = kern.tile).
	wVec, wtVec []float64

	// Node state, outPad entries each. The group kernels keep node i of lane
	// k at [i][k]; the assembly Point kernels keep node i at [i/lanes][i%lanes].
	a, ad [][lanes]float64 // forward: a = σ(z), ȧ = σ′(z)·ż
	d1, t [][lanes]float64 // σ′(z) and σ″(z)·ż; the reverse pass overwrites them with δ and δ̇
}

// NewEvaluator returns an Evaluator for net. It panics if net is not well formed
// (see Network.Validate) or its activation is not one of the declared ones.
func NewEvaluator(net *Network) *Evaluator { return newEvaluator(net, evalKernels()[0]) }

// newEvaluator is NewEvaluator running the kernel k.
func newEvaluator(net *Network, k *evalKernel) *Evaluator {
	if err := net.Validate(); err != nil {
		panic(errEvalNet)
	}
	switch net.Act {
	case SiLU, Softplus, Tanh, ReLU:
	default:
		panic(errEvalAct)
	}
	n := net.Inputs()
	L := net.Layers()
	e := &Evaluator{
		act:     net.Act,
		n:       n,
		layers:  make([]layer, L),
		bOut:    net.Params.B[L][0],
		last:    net.Sizes[L],
		xMean:   append([]float64(nil), net.Norm.XMean...),
		xScale:  append([]float64(nil), net.Norm.XScale...),
		yMean:   net.Norm.YMean,
		yScale:  net.Norm.YScale,
		gScale:  make([]float64, n),
		kern:    k,
		wOut:    make([]float64, padLanes(net.Sizes[L])),
		zd1Ones: make([]float64, padLanes(net.Sizes[1])),
	}
	copy(e.wOut, net.Params.W[L])
	for l := range e.layers {
		in, out := net.Sizes[l], net.Sizes[l+1]
		ly := layer{
			in: in, out: out, inPad: padLanes(in), outPad: padLanes(out),
			w: append([]float64(nil), net.Params.W[l]...),
		}
		ly.wt = make([]float64, in*out)
		ly.b = make([]float64, ly.outPad)
		copy(ly.b, net.Params.B[l])
		for i := range out {
			for j := range in {
				ly.wt[j*out+i] = ly.w[i*in+j]
			}
		}
		if T := k.tile; T > 0 {
			ly.wTile, ly.wtTile = tilesOf(ly.w, out, in, T), tilesOf(ly.wt, in, out, T)
		}
		if V := k.vec; V == k.tile {
			ly.wVec, ly.wtVec = ly.wTile, ly.wtTile
		} else if V > 0 {
			ly.wVec, ly.wtVec = tilesOf(ly.w, out, in, V), tilesOf(ly.wt, in, out, V)
		}
		e.layers[l] = ly
	}
	if T := k.tile; T > 0 {
		e.wOutTile = make([]float64, e.last*T)
		for j := range e.last {
			e.wOutTile[j*T] = e.wOut[j]
		}
		e.bOutTile = make([]float64, T)
		e.bOutTile[0] = e.bOut
		widest := padLanes(n)
		for _, ly := range e.layers {
			widest = max(widest, ly.inPad)
		}
		e.zeros = make([]float64, widest)
	}
	e.allocScratch()
	for j := range n {
		e.gScale[j] = e.yScale / e.xScale[j]
	}
	ones := make([]float64, n)
	for j := range ones {
		ones[j] = 1
	}
	e.tangent1(e.zd1Ones, ones)
	return e
}

// tilesOf returns the rows × cols row-major matrix w in tiles of T rows,
// zero padded to a multiple of lanes rows: t[(p·cols + j)·T + k] = w_{Tp+k, j}.
func tilesOf(w []float64, rows, cols, T int) []float64 {
	t := make([]float64, padLanes(rows)*cols)
	for i := range rows {
		for j := range cols {
			t[(i/T*cols+j)*T+i%T] = w[i*cols+j]
		}
	}
	return t
}

// allocScratch gives e scratch space of its own.
func (e *Evaluator) allocScratch() {
	n, widest := e.n, padLanes(e.n) // the point kernels' reverse pass of layer 1 ends in gs
	for l := range e.layers {
		ly := &e.layers[l]
		widest = max(widest, ly.outPad)
		for _, s := range []*[][lanes]float64{&ly.a, &ly.ad, &ly.d1, &ly.t} {
			*s = make([][lanes]float64, ly.outPad)
		}
	}
	e.x0 = make([][lanes]float64, n)
	e.g0 = make([][lanes]float64, padLanes(n))
	e.h0 = make([][lanes]float64, padLanes(n))
	e.gs = make([][lanes]float64, widest)
	e.hs = make([][lanes]float64, widest)
	e.zd1 = make([]float64, len(e.zd1Ones))
	if e.kern.tile > 0 {
		e.yTile = make([][lanes]float64, e.kern.tile)
	}
}

// fork returns an Evaluator that shares e's weights, which no method writes,
// and has scratch space of its own, for another goroutine.
func (e *Evaluator) fork() *Evaluator {
	f := *e
	f.layers = append([]layer(nil), e.layers...)
	f.allocScratch()
	return &f
}

// padLanes returns n rounded up to a multiple of lanes.
func padLanes(n int) int { return (n + lanes - 1) / lanes * lanes }

// tangent1 sets dst to ż_1 = W_1·ȧ_0 for the raw direction v, ȧ_0,j = v_j/XScale[j].
// Without hidden layers, ż_1 is the output tangent, which no kernel needs.
// The sums are unfused on every architecture (the conversion float64(·)), as
// they feed the kernels of every path.
func (e *Evaluator) tangent1(dst, v []float64) {
	if len(e.layers) == 0 {
		return
	}
	ly := &e.layers[0]
	for i := range ly.out {
		s := 0.0
		for j, w := range ly.w[i*ly.in : (i+1)*ly.in] {
			s += float64(w * (v[j] / e.xScale[j]))
		}
		dst[i] = s
	}
}

// Inputs returns the number of inputs n of the evaluated network.
func (e *Evaluator) Inputs() int { return e.n }

// Eval evaluates the network on the rows of x, an N × n row-major matrix of raw
// inputs, and sets, for each row r,
//
//	value[r]         = y(x_r)
//	grad[r·n + j]    = ∂y/∂x_j (x_r)
//	gamma[r]         = 1ᵀ·H(x_r)·1 = Σ_ij ∂²y/∂x_i∂x_j (x_r)
//
// all in raw units; gamma takes one Hessian-vector product along the all-ones
// vector (method.md §2, §3). Each of value, grad and gamma may be nil to skip it:
// value alone runs only the forward pass, grad the reverse pass too, and gamma
// the tangent passes as well (about twice the work of grad).
//
// Eval does not allocate. It panics if len(x) is not a multiple of n, or if a
// non-nil value or gamma has length other than N, or a non-nil grad other than N·n.
func (e *Evaluator) Eval(value, grad, gamma, x []float64) {
	rows := e.rows(x)
	e.checkEval(rows, value, grad, gamma, x)
	mode := modeValue
	switch {
	case gamma != nil:
		mode = modeHVP
	case grad != nil:
		mode = modeGrad
	case value == nil:
		return
	}
	n := e.n
	for r0 := 0; r0 < rows; r0 += lanes {
		m := min(lanes, rows-r0)
		e.loadGroup(x[r0*n:(r0+m)*n], m)
		e.kern.group(e, m, e.zd1Ones, mode)
		for k := range m {
			r := r0 + k
			if value != nil {
				value[r] = e.y[k]
			}
			if grad != nil {
				for j := range n {
					grad[r*n+j] = e.g0[j][k]
				}
			}
			if gamma != nil {
				gamma[r] = e.gam[k]
			}
		}
	}
}

// EvalHessVec evaluates the network on the rows of x, an N × n row-major matrix
// of raw inputs, and sets, for each row r,
//
//	value[r]      = y(x_r)
//	grad[r·n + j] = ∂y/∂x_j (x_r)
//	hv[r·n + i]   = Σ_j ∂²y/∂x_i∂x_j (x_r) · v_j
//
// all in raw units: hv holds the Hessian-vector products H(x_r)·v along one raw
// direction v of length n (method.md §3, forward-over-reverse). value and grad
// may be nil to skip them; hv must not be nil. With v the all-ones vector,
// Σ_i hv[r·n + i] equals Eval's gamma[r] bit for bit.
//
// EvalHessVec does not allocate. It panics if len(x) is not a multiple of n,
// len(v) != n, len(hv) != len(x), or a non-nil value or grad has the wrong length.
func (e *Evaluator) EvalHessVec(value, grad, hv, x, v []float64) {
	rows := e.rows(x)
	if len(v) != e.n {
		panic(errEvalV)
	}
	if len(hv) != len(x) {
		panic(errEvalHV)
	}
	if value != nil && len(value) != rows {
		panic(errEvalValue)
	}
	if grad != nil && len(grad) != len(x) {
		panic(errEvalGrad)
	}
	e.tangent1(e.zd1, v)
	n := e.n
	for r0 := 0; r0 < rows; r0 += lanes {
		m := min(lanes, rows-r0)
		e.loadGroup(x[r0*n:(r0+m)*n], m)
		e.kern.group(e, m, e.zd1, modeHVP)
		for k := range m {
			r := r0 + k
			if value != nil {
				value[r] = e.y[k]
			}
			for j := range n {
				if grad != nil {
					grad[r*n+j] = e.g0[j][k]
				}
				hv[r*n+j] = e.h0[j][k]
			}
		}
	}
}

// Point evaluates the network at one raw input x of length n and returns the
// value y(x) and gamma 1ᵀ·H(x)·1, and sets grad[j] = ∂y/∂x_j (x) if grad is not
// nil, all in raw units; the results equal those of Eval on the one-row batch x,
// bit for bit. Point does not allocate. It panics if len(x) != n or a non-nil
// grad has len(grad) != n.
func (e *Evaluator) Point(grad, x []float64) (value, gamma float64) {
	n := e.n
	if len(x) != n || (grad != nil && len(grad) != n) {
		panic(errEvalPoint)
	}
	for j, xj := range x {
		e.x0[j] = [lanes]float64{xj} // the other lanes are evaluated and ignored
	}
	e.kern.point(e, e.zd1Ones)
	for j := range grad { // a nil grad has no entries
		grad[j] = e.g0[j][0]
	}
	return e.y[0], e.gam[0]
}

// rows returns the number of rows of the N × n matrix x, panicking if len(x) is
// not a multiple of n.
func (e *Evaluator) rows(x []float64) int {
	if len(x)%e.n != 0 {
		panic(errEvalX)
	}
	return len(x) / e.n
}

// checkEval panics unless the non-nil outputs of Eval fit rows rows of x.
func (e *Evaluator) checkEval(rows int, value, grad, gamma, x []float64) {
	if value != nil && len(value) != rows {
		panic(errEvalValue)
	}
	if grad != nil && len(grad) != len(x) {
		panic(errEvalGrad)
	}
	if gamma != nil && len(gamma) != rows {
		panic(errEvalGamma)
	}
}

// loadGroup copies the m ≤ lanes rows of x (m × n, row-major) into the lanes
// of x0 and fills the unused lanes with zeros, which are evaluated and
// discarded. The kernels normalise x0 in place.
func (e *Evaluator) loadGroup(x []float64, m int) {
	n := e.n
	for j := range e.x0 {
		col := &e.x0[j]
		for k := range m {
			col[k] = x[k*n+j]
		}
		clear(col[m:])
	}
}

// EvalParallel evaluates net on the rows of x like Evaluator.Eval, splitting the
// rows into contiguous chunks evaluated by up to workers goroutines, each with
// its own scratch space; workers ≤ 0 means runtime.GOMAXPROCS(0). The results
// are the same bits for every number of workers. EvalParallel allocates an
// Evaluator and the scratch space of each further worker; hold one Evaluator
// per goroutine instead where the allocation matters. It panics like
// NewEvaluator and Evaluator.Eval.
func EvalParallel(net *Network, value, grad, gamma, x []float64, workers int) {
	e := NewEvaluator(net)
	rows := e.rows(x)
	e.checkEval(rows, value, grad, gamma, x)
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// Chunks of whole groups, at least minChunk rows each so that starting a
	// goroutine and its scratch space is paid for.
	const minChunk = 256
	chunk := max(minChunk, padLanes((rows+workers-1)/workers))
	n := e.n
	part := func(s []float64, lo, hi, width int) []float64 {
		if s == nil {
			return nil
		}
		return s[lo*width : hi*width]
	}
	var wg sync.WaitGroup
	for lo := chunk; lo < rows; lo += chunk {
		hi := min(rows, lo+chunk)
		f := e.fork()
		wg.Go(func() {
			f.Eval(part(value, lo, hi, 1), part(grad, lo, hi, n), part(gamma, lo, hi, 1), x[lo*n:hi*n])
		})
	}
	hi := min(rows, chunk)
	e.Eval(part(value, 0, hi, 1), part(grad, 0, hi, n), part(gamma, 0, hi, 1), x[:hi*n])
	wg.Wait()
}
