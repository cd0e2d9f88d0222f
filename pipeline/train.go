package pipeline

import (
	"context"
	"fmt"
	"math"

	"github.com/sobolev-pruning/sobolev/dataset"
	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/results"
)

// TrainOptions are the inputs of TrainModel besides the net and the data.
type TrainOptions struct {
	Recipe TrainRecipe
	// Loss is the training loss: mlp.MSE or mlp.Sobolev.
	Loss mlp.LossKind
	// Teacher, if not nil, is the large net whose derivatives serve as labels
	// for distillation (Sobolev loss only): with Recipe.Teacher its value and
	// gradient replace the data's labels, and with Recipe.HVPWeight > 0 its
	// Hessian-vector products along the all-ones vector and
	// Recipe.HVPDirections random directions become second-order labels.
	Teacher *mlp.Network
	// Seed drives the shuffling and the random directions.
	Seed uint64
	// Direction is the raw direction of the problem's gamma (Config.
	// GammaDirection), the first direction of the teacher's Hessian-vector
	// product labels, scaled to length √n like the others; nil is the
	// all-ones vector (the Bachelier basket's 1ᵀH1).
	Direction []float64
	// Threads is the number of goroutines each batch is split over; 0 means
	// all cores. Results are reproducible bit for bit for a given Threads.
	Threads int
	// FitNorm fits the net's input and output normalisation to the training
	// data before training (for a freshly initialised net). Without it the
	// net keeps its normalisation, as a pruned or imported net must.
	FitNorm bool
	// Labels, if not nil, are the Teacher's labels of the training set made
	// by NewTeacherLabelsAlong with the same teacher, set, recipe, Seed and
	// Direction (NewTeacherLabels for a nil Direction); they
	// are used instead of computing them again (the result is the same, bit
	// for bit), so that several students of one teacher share the work.
	Labels *TeacherLabels
}

// TeacherLabels are the labels a teacher net gives a training set for the
// Sobolev loss: its values and input gradients (raw units), which replace
// the data's with TrainRecipe.Teacher, and its Hessian-vector products HV
// along the directions Dirs (one row of n per direction, the all-ones
// direction or the problem's gamma direction first), the second-order labels
// of TrainRecipe.HVPWeight > 0.
// Fields a recipe does not use are nil.
type TeacherLabels struct {
	Y, DYDX  []float64
	Dirs, HV []float64
}

// NewTeacherLabels returns the labels teacher gives train under recipe, the
// directions drawn from seed as TrainModel draws them for TrainOptions.Seed.
// It evaluates the teacher on all cores.
func NewTeacherLabels(teacher *mlp.Network, train *dataset.Set, recipe TrainRecipe, seed uint64) *TeacherLabels {
	return NewTeacherLabelsAlong(teacher, train, recipe, seed, nil)
}

// NewTeacherLabelsAlong is NewTeacherLabels with the first direction of the
// Hessian-vector products along the raw direction dir, scaled to length √n
// like the other directions, instead of the all-ones vector; a nil dir is
// the all-ones vector. It panics if a non-nil dir does not have
// teacher.Inputs() entries or is 0.
func NewTeacherLabelsAlong(teacher *mlp.Network, train *dataset.Set, recipe TrainRecipe, seed uint64, dir []float64) *TeacherLabels {
	if dir != nil && len(dir) != teacher.Inputs() {
		panic("pipeline: NewTeacherLabelsAlong: len(dir) != teacher.Inputs()")
	}
	var l TeacherLabels
	if recipe.Teacher {
		l.Y = make([]float64, train.N())
		l.DYDX = make([]float64, len(train.X))
		mlp.EvalParallel(teacher, l.Y, l.DYDX, nil, train.X, 0)
	}
	if recipe.HVPWeight > 0 {
		l.Dirs = recipe.HVPKind.Directions(teacher, train.X, recipe.HVPDirections, seed+seedStreamDirections)
		if dir != nil {
			setFirstDirection(l.Dirs, dir)
		}
		l.HV = mlp.HessVecLabels(teacher, train.X, l.Dirs)
	}
	return &l
}

// setFirstDirection sets the first row of dirs (rows of n = len(dir)) to
// dir scaled to length √n. It panics if dir is 0 or len(dirs) < len(dir).
func setFirstDirection(dirs, dir []float64) {
	n := len(dir)
	if len(dirs) < n {
		panic("pipeline: fewer directions than one of len(dir)")
	}
	var ss float64
	for _, v := range dir {
		ss += v * v
	}
	if !(ss > 0) {
		panic("pipeline: the gamma direction is 0")
	}
	s := math.Sqrt(float64(n) / ss)
	for j, v := range dir {
		dirs[j] = s * v
	}
}

// TrainModel trains net on the training set train (raw units) as opts says.
// With opts.FitNorm it first fits net's normalisation to train; an input
// column whose samples are all equal is then an error, because its spread is
// zero and the normalisation cannot scale it (mlp.FitNormalization would
// silently use scale 1, and the net would extrapolate in raw units). The
// second-order term's weight is γ = β·HVPWeight·mean_j λ_j, so HVPWeight is
// relative to the mean gradient weight (method.md §4; mlp.FitSobolevWeights
// computes α, β, λ and γ).
func TrainModel(ctx context.Context, net *mlp.Network, train *dataset.Set, opts TrainOptions, progress func(mlp.Progress)) (mlp.History, error) {
	n := net.Inputs()
	if train.Dims() != n {
		return mlp.History{}, fmt.Errorf("the model has %d inputs but the data have %d columns", n, train.Dims())
	}
	if opts.Teacher != nil && opts.Teacher.Inputs() != n {
		return mlp.History{}, fmt.Errorf("the teacher has %d inputs but the model has %d", opts.Teacher.Inputs(), n)
	}
	if opts.Direction != nil {
		if _, err := mlp.GammaDirection(opts.Direction, n); err != nil {
			return mlp.History{}, fmt.Errorf("gamma direction: %v", err)
		}
	}
	recipe := opts.Recipe
	if err := recipe.validate("training"); err != nil {
		return mlp.History{}, err
	}
	if opts.FitNorm {
		if err := checkSpread(train.X, n); err != nil {
			return mlp.History{}, err
		}
		norm, err := mlp.FitNormalization(train.X, train.Y, n)
		if err != nil {
			return mlp.History{}, err
		}
		net.Norm = norm
	}
	data := mlp.TrainData{X: train.X, Y: train.Y}
	weights := mlp.LossWeights{Value: 1}
	if opts.Loss == mlp.Sobolev {
		data.DYDX = train.DYDX
		labels := opts.Labels
		if opts.Teacher != nil && labels == nil {
			labels = NewTeacherLabelsAlong(opts.Teacher, train, recipe, opts.Seed, opts.Direction)
		}
		if opts.Teacher != nil && recipe.Teacher {
			data.Y, data.DYDX = labels.Y, labels.DYDX
		}
		hvp := 0.0
		if opts.Teacher != nil && recipe.HVPWeight > 0 {
			hvp = recipe.HVPWeight
		}
		var err error
		if weights, err = mlp.FitSobolevWeights(data.DYDX, net.Norm, hvp); err != nil {
			return mlp.History{}, err
		}
		if hvp > 0 {
			data.Dirs, data.HV = labels.Dirs, labels.HV
		}
	}
	cfg := mlp.TrainConfig{
		Epochs:    recipe.Epochs,
		BatchSize: recipe.BatchSize,
		LR:        schedule(recipe),
		Loss:      weights,
		Seed:      opts.Seed + seedStreamTrain,
		Threads:   opts.Threads,

		ValFraction: recipe.ValFraction,
		RestoreBest: recipe.RestoreBest,
	}
	return mlp.Train(ctx, net, data, cfg, progress)
}

// checkSpread returns an error naming the first input column of x (rows of
// n inputs) whose samples are all equal.
func checkSpread(x []float64, n int) error {
	rows := len(x) / n
	if rows == 0 {
		return nil
	}
	for j := range n {
		r := 1
		for r < rows && x[r*n+j] == x[j] {
			r++
		}
		if r == rows {
			return fmt.Errorf("x%d is constant (every sample %v): its spread is zero, so it cannot be normalised; drop the column or vary it",
				j+1, x[j])
		}
	}
	return nil
}

// historyOf converts a training history to the epochs of results.json.
func historyOf(h mlp.History) []results.Epoch {
	var out []results.Epoch
	for _, e := range h.Epochs {
		ep := results.Epoch{Epoch: e.Epoch, LR: e.LR, Loss: e.Train.Total, ValueLoss: e.Train.Value,
			GradLoss: e.Train.Grad, HVPLoss: e.Train.HVP, Validation: results.Metric(math.NaN())}
		if e.HasVal {
			ep.Validation = results.Metric(e.Val.Total)
		}
		out = append(out, ep)
	}
	return out
}

func schedule(t TrainRecipe) mlp.Schedule {
	return mlp.Schedule{Kind: t.Schedule, Max: t.LRMax, Min: t.LRMin}
}
