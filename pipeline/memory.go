package pipeline

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"

	"github.com/sobolev-pruning/sobolev/dataset"
	"github.com/sobolev-pruning/sobolev/iasa"
	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/prune"
)

// floatBytes is the size of a float64.
const floatBytes = 8

// epochBytes is about the memory of one epoch of a training history: an
// mlp.EpochStats and an Epoch of results.json.
const epochBytes = 200

// MemoryPart is one part of a memory estimate.
type MemoryPart struct {
	// What says what the memory holds, e.g. "the test set".
	What string
	// Key is the YAML key of the setting the part grows with (see
	// setting.Error.Key), "train" for the number of training samples also
	// where they come from a data file, and Value that setting's value.
	Key   string
	Value any
	// Bytes is the part's estimated size in bytes.
	Bytes float64
}

// MemoryEstimate is an estimate of the peak memory of a computation: the sum
// of its parts. It counts the large arrays the computation allocates, not
// the Go runtime's overhead (the garbage collector lets the heap grow past
// the live data), so a process needs somewhat more.
type MemoryEstimate []MemoryPart

// Bytes returns the sum of the parts, in bytes.
func (m MemoryEstimate) Bytes() float64 {
	var b float64
	for _, p := range m {
		b += p.Bytes
	}
	return b
}

// Largest returns the largest part (the zero MemoryPart if m is empty).
func (m MemoryEstimate) Largest() MemoryPart {
	var big MemoryPart
	for _, p := range m {
		if p.Bytes > big.Bytes {
			big = p
		}
	}
	return big
}

// add appends a part with bytes > 0.
func (m *MemoryEstimate) add(what, key string, value any, bytes float64) {
	if bytes > 0 {
		*m = append(*m, MemoryPart{What: what, Key: key, Value: value, Bytes: bytes})
	}
}

// Memory estimates the peak memory of Run(ctx, c, …) in bytes: the
// training and test sets, held throughout, and the largest of the phases
// that follow one another — the Bachelier model while it is built (O(n²);
// the Heston model is small), the training of the large nets, IASA, and the
// fine-tuning of the small nets (two of which hold the teacher's
// Hessian-vector products, Train·(1 + hvp_directions)·n numbers each, n =
// Inputs()). Stages that train concurrently count together,
// runtime.GOMAXPROCS(0) of them at a time, as Run runs them.
// c should be valid (see Validate).
func (c Config) Memory() MemoryEstimate {
	return c.memory(runtime.GOMAXPROCS(0))
}

// memory is Memory with procs stages training at once.
func (c Config) memory(procs int) MemoryEstimate {
	n := c.Inputs()
	var m MemoryEstimate
	trainFloats := float64(c.Train) * float64(2*n+1)
	gamma := c.Smoothing > 0
	if c.Pricer == PricerHeston {
		gamma = c.Heston.Arrays() == dataset.WithGamma
	}
	if gamma {
		trainFloats += float64(c.Train) // gamma
	}
	m.add("the training set", "train", c.Train, trainFloats*floatBytes)
	m.add("the test set", "test", c.Test, float64(c.Test)*float64(2*n+2)*floatBytes)

	large := netSizes(n, c.Large.Hidden)
	var phases []MemoryEstimate
	if c.Pricer != PricerHeston {
		phases = append(phases, MemoryEstimate{BachelierMemory(n)})
	}
	phases = append(phases, concurrent(procs, "large net",
		c.stageMemory(large, c.LargeMSE, mlp.MSE, nil, "large_mse"),
		c.stageMemory(large, c.Large.TrainRecipe, mlp.Sobolev, nil, "large")))
	phases = append(phases, c.pruneMemory(large, procs))
	var pruned []int
	switch c.Prune.Quota {
	case prune.QuotaEven:
		pruned = prune.EvenSplit(c.Prune.Keep, c.Large.Hidden)
	case prune.QuotaPerLayer:
		pruned = c.Prune.KeepPerLayer
	default:
		pruned = c.Large.Hidden // at most
	}
	scratch := c.Scratch
	if len(scratch) == 0 {
		scratch = pruned // the control has the pruned net's shape
	}
	phases = append(phases, concurrent(procs, "small net",
		c.stageMemory(netSizes(n, pruned), c.Finetune, mlp.MSE, nil, "finetune"),
		c.stageMemory(netSizes(n, pruned), c.Finetune, mlp.Sobolev, large, "finetune"),
		c.stageMemory(netSizes(n, scratch), c.Finetune, mlp.Sobolev, large, "finetune")))
	peak := slices.MaxFunc(phases, func(a, b MemoryEstimate) int { return cmp.Compare(a.Bytes(), b.Bytes()) })
	return append(m, peak...)
}

// stageMemory is the memory of one training stage of a run: the training
// and the evaluation on the test set.
func (c Config) stageMemory(sizes []int, r TrainRecipe, loss mlp.LossKind, teacher []int, section string) MemoryEstimate {
	m := trainMemory(sizes, c.Train, r, loss, teacher, 1, section)
	m.add("the evaluation on the test set", "test", c.Test, evaluateBytes(sizes[0], c.Test, true))
	return m
}

// concurrent returns the memory of stages that run at most procs at a time:
// the procs largest together, part by part. Parts are merged by What; what
// names one stage ("large net").
func concurrent(procs int, what string, stages ...MemoryEstimate) MemoryEstimate {
	slices.SortStableFunc(stages, func(a, b MemoryEstimate) int { return cmp.Compare(b.Bytes(), a.Bytes()) })
	stages = stages[:min(max(procs, 1), len(stages))]
	var m MemoryEstimate
	for _, s := range stages {
		for _, p := range s {
			i := slices.IndexFunc(m, func(q MemoryPart) bool { return q.What == p.What })
			if i < 0 {
				m = append(m, p)
				continue
			}
			m[i].Bytes += p.Bytes
		}
	}
	count := "one " + what
	if len(stages) > 1 {
		count = fmt.Sprintf("%d %ss", len(stages), what)
	}
	for i := range m {
		m[i].What = fmt.Sprintf("%s (%s at once)", m[i].What, count)
	}
	return m
}

// pruneMemory is the memory of the pruning stage of a run.
func (c Config) pruneMemory(large []int, procs int) MemoryEstimate {
	if !c.Prune.Criterion.IASA() {
		return nil // a few traces of a batch of rows
	}
	return pruneMemory(large, min(c.Prune.Boxes, c.Train), iasaMethod(c.Prune), procs, "prune.")
}

// pruneMemory is the memory PruneModel allocates besides the net and the
// data for a net of the given sizes on boxes boxes: IASA with the chosen
// method and, in the same call, the over-estimation of its enclosures and of
// plain intervals on a few boxes.
func pruneMemory(sizes []int, boxes int, method iasa.Method, workers int, prefix string) MemoryEstimate {
	all := iasa.MemoryEstimate(sizes, boxes, iasa.Options{Method: method, Workers: workers,
		Samples: overSamples, SampleBoxes: overSampleBoxes, CompareNaive: true})
	nodes := 0
	for _, h := range sizes[1 : len(sizes)-1] {
		nodes += h
	}
	// The boxes (an interval of 16 bytes per input), which the IASA
	// estimate leaves out, and two intervals per node and box.
	boxBytes := float64(boxes) * float64(sizes[0]) * 16
	enclosures := float64(boxes) * float64(nodes) * 2 * 16
	var m MemoryEstimate
	what := fmt.Sprintf("the IASA work arrays (%s enclosures of %d inputs, %d workers)", method, sizes[0], workers)
	m.add(what, prefix+"method", method.String(), all-enclosures)
	m.add("the IASA boxes and their enclosures", prefix+"boxes", boxes, boxBytes+enclosures)
	return m
}

// PruneMemory estimates the memory PruneModel allocates to prune net with
// opts around rows data points (or opts.Config.Boxes points of a domain),
// besides the net and the data: the IASA work arrays of every worker and
// the enclosures of every box (see iasa.MemoryEstimate). The keys of the
// parts are those of PruneConfig ("method", "boxes").
func PruneMemory(net *mlp.Network, rows int, opts PruneOptions) MemoryEstimate {
	method := iasaMethod(opts.Config)
	if !method.Valid() || !opts.Config.Criterion.IASA() {
		return nil
	}
	boxes := opts.Config.Boxes
	if opts.Domain == nil && rows > 0 {
		boxes = min(boxes, rows)
	}
	return pruneMemory(net.Sizes, boxes, method, runtime.GOMAXPROCS(0), "")
}

// TrainMemory estimates the memory TrainModel allocates to train net on rows
// samples with opts, besides the training set and the nets themselves: the
// normalised copy of the data, the teacher's labels and Hessian-vector
// products, the optimiser state, the workspaces and the training history.
// The parts that grow with the samples have the key "train", the others the
// keys of TrainRecipe ("batch_size", "epochs").
func TrainMemory(net *mlp.Network, rows int, opts TrainOptions) MemoryEstimate {
	var teacher []int
	if opts.Teacher != nil {
		teacher = opts.Teacher.Sizes
	}
	threads := opts.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	return trainMemory(net.Sizes, rows, opts.Recipe, opts.Loss, teacher, threads, "")
}

// trainMemory is TrainMemory for a net of the given sizes, with the recipe's
// keys in the section.
func trainMemory(sizes []int, rows int, r TrainRecipe, loss mlp.LossKind, teacher []int, threads int, section string) MemoryEstimate {
	n, N := float64(sizes[0]), float64(rows)
	var m MemoryEstimate
	// mlp.Train's normalised copy: x, y, and dydx for the Sobolev loss.
	data := N * (n + 1)
	if loss == mlp.Sobolev {
		data += N * n
	}
	k := 0 // second-order directions per sample
	var hvp float64
	if loss == mlp.Sobolev && teacher != nil {
		if r.Teacher {
			data += N * (n + 1) // the teacher's labels
		}
		if r.HVPWeight > 0 {
			k = 1 + r.HVPDirections
			if r.HVPKind == mlp.PrincipalDirections {
				k = 1 + min(r.HVPDirections, sizes[0])
				hvp += N*n + 4*n*n // the teacher's gradients, their covariance and eigenvectors
			}
			// The raw and the normalised products, and teacherHVP's rows.
			hvp += 2*N*float64(k)*n + N*n + 2*float64(k)*n
		}
	}
	m.add("the normalised training data", "train", rows, data*floatBytes+N*8) // and the sample order
	m.add("the teacher's Hessian-vector products", "train", rows, hvp*floatBytes)

	// Optimiser state, gradients and workspaces.
	params := 0.0
	for l := range len(sizes) - 1 {
		params += float64(sizes[l]+1) * float64(sizes[l+1])
	}
	batch := max(1, min(r.BatchSize, rows))
	threads = max(1, min(threads, batch))
	per := (batch + threads - 1) / threads
	work := 4*params + float64(threads-1)*params + float64(threads)*partFloats(sizes, per, k) +
		float64(batch)*(n*float64(2+2*k)+1)
	m.add("the training workspaces and optimiser state", joinKey(section, "batch_size"), r.BatchSize, work*floatBytes)
	m.add("the training history", joinKey(section, "epochs"), r.Epochs, float64(r.Epochs)*epochBytes)
	return m
}

// partFloats is the number of float64 of the scratch of one thread of an
// mlp.Workspace for batch samples with k directions each (mlp's newPart).
func partFloats(sizes []int, batch, k int) float64 {
	r := float64(batch * (1 + k))
	b := float64(batch)
	nl := len(sizes) - 1
	var f float64
	widest := 0
	for l := range nl {
		w := float64(sizes[l])
		widest = max(widest, sizes[l])
		f += 2 * r * w // q
		if l > 0 {
			f += 3*r*w + 2*b*w // p, z, d1, d2
			if k > 0 {
				f += b * w // d3
			}
		}
		if l < max(nl-1, 1) {
			f += r * w // g
		}
	}
	return f + r*float64(widest) + 2*b
}

// EvaluateMemory estimates the memory Evaluate allocates for a test set of
// rows points with n inputs: the predicted values, gradients and gammas,
// and two columns.
func EvaluateMemory(n, rows int) MemoryEstimate {
	var m MemoryEstimate
	m.add("the predictions", "test", rows, evaluateBytes(n, rows, true))
	return m
}

// evaluateBytes is the memory of Evaluate.
func evaluateBytes(n, rows int, gamma bool) float64 {
	f := float64(rows) * float64(n+3)
	if gamma {
		f += float64(rows)
	}
	return f * floatBytes
}

// BachelierMemory estimates the peak memory of bachelier.New for n assets:
// about nine n × n matrices (the factor D, DᵀD, the correlation, the
// covariance twice, the Cholesky factor three times).
func BachelierMemory(n int) MemoryPart {
	return MemoryPart{What: "the Bachelier model's matrices", Key: "dims", Value: n,
		Bytes: 9 * float64(n) * float64(n) * floatBytes}
}

// netSizes returns the layer sizes of a net with n inputs, the hidden
// widths and one output.
func netSizes(n int, hidden []int) []int {
	return append(append([]int{n}, hidden...), 1)
}
