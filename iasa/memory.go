package iasa

import (
	"runtime"
	"slices"
)

// Bytes of the elements of the arrays MemoryEstimate counts.
const (
	floatBytes    = 8
	intBytes      = 8
	intervalBytes = 16
)

// MemoryEstimate returns an estimate, in bytes, of the memory AnalyzeContext
// allocates to analyse boxes boxes of a net whose layer sizes are sizes (as
// mlp.Network.Sizes: the inputs, the hidden widths, the outputs) with opt:
// the scratch of every worker goroutine, the enclosures of every box and the
// result, and, with opt.Samples > 0, the sampling of the over-estimation. It
// does not count the net and the boxes passed in, nor the Go runtime's own
// overhead.
//
// The form methods keep, per worker, a form matrix with one row per input
// and per hidden node of every layer; Quadratic forms have 1 + 2n + n(n−1)/2
// columns for n inputs plus the error symbols, per box of a chunk, so the
// estimate grows as n²·(n + hidden nodes): about 8.2 GB per worker for 1000
// inputs and a 6 × 128 net, against 1.5 MB for 7 inputs. Naive needs a few
// intervals per node and worker. The enclosures grow with boxes times the
// hidden nodes.
//
// MemoryEstimate returns 0 if sizes has no hidden layer or boxes < 1.
func MemoryEstimate(sizes []int, boxes int, opt Options) float64 {
	if len(sizes) < 3 || boxes < 1 {
		return 0
	}
	n, hidden := sizes[0], sizes[1:len(sizes)-1]
	nodes := 0
	for _, h := range hidden {
		nodes += h
	}
	// The normalised input boxes, their centres and radii.
	b := float64(boxes) * float64(n) * (intervalBytes + 2*floatBytes)
	// The enclosures of every box and their hull (A and G of every node),
	// and the significances.
	b += float64(boxes+1)*float64(nodes)*2*intervalBytes + float64(nodes)*floatBytes

	chunk := 1
	var perWorker float64
	if opt.Method == Naive {
		perWorker = naivePassBytes(sizes)
	} else {
		kf, ka := symbols(opt)
		chunk = newFormLayout(sizes, order(opt.Method), kf, ka).chunk()
		perWorker = formPassBytes(sizes, order(opt.Method), kf, ka, chunk)
	}
	workers := analyzeWorkers(opt.Workers, (boxes+chunk-1)/chunk)
	b += float64(workers) * perWorker

	if opt.Samples > 0 {
		b += overestimateBytes(sizes, boxes, opt)
	}
	return b
}

// overestimateBytes returns the bytes of the over-estimation measurement on
// the sampled boxes (Options.SampleBoxes of boxes): per worker an mlp.Trace
// (a_0, g_0 and the sample points, n columns each; z, a, σ′ and g of every
// hidden node; δ of the widest layer) and up to three ratios per node and box,
// in slices grown by append; with CompareNaive twice the ratios, the plain
// interval enclosures of the sampled boxes and, unless the method is Naive, a
// plain interval pass per worker.
func overestimateBytes(sizes []int, boxes int, opt Options) float64 {
	n, hidden := sizes[0], sizes[1:len(sizes)-1]
	nodes := 0
	for _, h := range hidden {
		nodes += h
	}
	k := boxes
	if opt.SampleBoxes > 0 {
		k = min(k, opt.SampleBoxes)
	}
	s := float64(opt.Samples)
	w := float64(analyzeWorkers(opt.Workers, k))
	b := w * s * float64(3*n+4*nodes+slices.Max(hidden)) * floatBytes
	ratios := 1.5 * float64(k) * 3 * float64(nodes) * floatBytes
	if opt.CompareNaive {
		b += ratios + float64(k)*float64(nodes)*2*intervalBytes
		if opt.Method != Naive {
			b += w * naivePassBytes(sizes)
		}
	}
	return b + ratios
}

// analyzeWorkers returns the number of goroutines parallel runs for tasks
// tasks with the requested number of workers.
func analyzeWorkers(workers, tasks int) int {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return max(1, min(workers, tasks))
}

// formPassBytes returns the bytes of the arrays of newFormPass for a net of
// the given sizes and chunks of nb boxes.
func formPassBytes(sizes []int, order, keep, keepA, nb int) float64 {
	lay := newFormLayout(sizes, order, keep, keepA)
	n, hidden := sizes[0], sizes[1:len(sizes)-1]
	L := len(hidden)
	var floats float64
	for l := range len(sizes) - 1 { // |W[l]|
		floats += float64(sizes[l]) * float64(sizes[l+1])
	}
	maxA, maxR, maxG := float64(n*nb)*float64(1+lay.nm), float64(n*nb), 0.0
	for l, h := range hidden {
		symOut := lay.sym[l]
		if l+1 < L {
			symOut = lay.sym[l+1]
		}
		floats += float64(h*nb)*float64(1+lay.sym[l]) + float64(h*nb) // zf, zr
		maxA = max(maxA, float64(h*nb)*float64(1+symOut))
		maxR = max(maxR, float64(h*nb))
		maxG = max(maxG, float64(h*nb)*float64(1+lay.madj))
	}
	floats += maxA + 4*maxR + 2*maxG + float64(1+lay.madj) // af; ar, t, gr, dr; gf, df; s
	ints := float64(slices.Max(hidden))                    // rank
	if order == 2 {
		ints += float64(n) * float64(n-1) // pairs, two ints each
	}
	return floats*floatBytes + ints*intBytes
}

// naivePassBytes returns the bytes of the arrays of newNaivePass for a net of
// the given sizes.
func naivePassBytes(sizes []int) float64 {
	hidden := sizes[1 : len(sizes)-1]
	ivs := 3 * slices.Max(hidden) // g, d and the output weights (one output)
	for _, h := range hidden {
		ivs += h
	}
	return float64(ivs) * intervalBytes
}
