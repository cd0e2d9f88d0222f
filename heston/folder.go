package heston

import (
	"context"
	"encoding/json"
	"io"
	"path/filepath"

	"github.com/sobolev-pruning/sobolev/bachelier"
	"github.com/sobolev-pruning/sobolev/dataset"
	"github.com/sobolev-pruning/sobolev/internal/atomicfile"
	"github.com/sobolev-pruning/sobolev/setting"
)

// testBlockRows is the number of test points WriteData labels between two
// checks of its context: about 0.1 s of Pricer.Call.
const testBlockRows = 1024

// DataConfig describes a data folder of the Heston pricer: the model, the
// training options and the sizes of the two sets.
type DataConfig struct {
	// Params are the model's parameters, Box its test domain.
	Params
	Box Box
	// TrainOptions choose the scheme and labels of the training samples.
	TrainOptions
	// Seed draws both sets.
	Seed uint64
	// Train is the number of training samples (one path, or antithetic
	// pair, each), Test the number of semi-analytic test points; 0 writes
	// an empty set.
	Train, Test int
}

// DefaultDataConfig returns DefaultParams, DefaultBox and
// DefaultTrainOptions with seed 0 and empty sets.
func DefaultDataConfig() DataConfig {
	return DataConfig{Params: DefaultParams(), Box: DefaultBox(), TrainOptions: DefaultTrainOptions()}
}

// Model returns the model of c.
func (c DataConfig) Model() *Model { return &Model{Params: c.Params, Box: c.Box, Seed: c.Seed} }

// Validate reports the first impossible value in c as a *setting.Error
// keyed "train", "test", or as Model.Validate, TrainOptions.Validate and
// Model.TrainBox do.
func (c DataConfig) Validate() error {
	switch {
	case c.Train < 0:
		return &setting.Error{Key: "train", Value: c.Train, Want: "a number of samples ≥ 0"}
	case c.Test < 0:
		return &setting.Error{Key: "test", Value: c.Test, Want: "a number of points ≥ 0"}
	}
	m := c.Model()
	if err := m.Validate(); err != nil {
		return err
	}
	if err := c.TrainOptions.Validate(); err != nil {
		return err
	}
	_, err := m.TrainBox(c.TrainOptions)
	return err
}

// Spec is the description of a generated data set written as spec.json next
// to train.npz and test.npz.
type Spec struct {
	// Pricer names the reference pricer, "heston".
	Pricer string `json:"pricer"`
	// Inputs names the columns of x: spot, v0, maturity, strike.
	Inputs []string `json:"inputs"`
	// Model gives kappa, theta, xi, rho, the test box and the seed.
	Model
	// TrainBox is the box the training inputs are drawn from.
	TrainBox Box `json:"train_box"`
	// Feller reports whether 2κθ ≥ ξ².
	Feller bool `json:"feller"`
	// Scheme describes the Monte Carlo scheme and labels (Labels.Scheme);
	// TrainOptions give the labels, the steps, the payoff smoothing, the
	// widening and whether pairs are antithetic.
	Scheme string `json:"scheme"`
	TrainOptions
	// GammaDirection is the direction v of the gamma arrays, vᵀHv: the
	// spot's, so gamma is ∂²V/∂S₀².
	GammaDirection []float64 `json:"gamma_direction"`
	// Train and Test are the numbers of training samples and test points.
	Train int `json:"train_samples"`
	Test  int `json:"test_points"`
	// TrainArrays and TestArrays name the arrays of train.npz and test.npz.
	TrainArrays []string `json:"train_arrays"`
	TestArrays  []string `json:"test_arrays"`
}

// Spec returns the description of the data sets of c. It does not
// validate c.
func (c DataConfig) Spec() Spec {
	m := c.Model()
	return Spec{
		Pricer:         "heston",
		Inputs:         InputNames(),
		Model:          *m,
		TrainBox:       c.Box.Widen(c.Widening),
		Feller:         c.Params.Feller() == "",
		Scheme:         c.Labels.Scheme(),
		TrainOptions:   c.TrainOptions,
		GammaDirection: []float64{1, 0, 0, 0},
		Train:          c.Train,
		Test:           c.Test,
		TrainArrays:    c.Arrays().Names(),
		TestArrays:     dataset.WithGamma.Names(),
	}
}

// Write writes s as indented JSON to path (spec.json), atomically.
func (s Spec) Write(path string) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	})
}

// WriteData writes the data folder of c to files (bachelier.FolderFiles
// names them): the training set (c.Train samples of TrainingSampler), the
// test set (c.Test points of TestSampler, with gamma) and c.Spec(). The
// training samples are drawn and written in blocks of about
// bachelier.BlockBytes, the test points in blocks of 1024, so the memory
// does not grow with their number. progress, if not nil, is called after
// every block with the base name of the file ("train.npz"), the samples
// written and their number; after the call with done = total the archive is
// closed.
//
// WriteData returns the *setting.Error of c.Validate for an impossible
// setting. If ctx is cancelled, it stops at the next block and returns
// ctx.Err(); the archive being written is then removed, archives already
// complete are left to the caller, who writes the folder in a staging place
// and renames it. The same c gives the same files, bit for bit.
func WriteData(ctx context.Context, files bachelier.DataFiles, c DataConfig, progress func(file string, done, total int)) error {
	if err := c.Validate(); err != nil {
		return err
	}
	m := c.Model()
	train, err := m.TrainingSampler(c.TrainOptions)
	if err != nil {
		return err
	}
	test, err := m.TestSampler()
	if err != nil {
		return err
	}
	trainRows := max(1, bachelier.BlockBytes/(8*(2*Inputs+2)))
	if err := writeSet(ctx, files.Train, train, c.Train, trainRows, progress); err != nil {
		return err
	}
	if err := writeSet(ctx, files.Test, test, c.Test, testBlockRows, progress); err != nil {
		return err
	}
	return c.Spec().Write(files.Spec)
}

// writeSet streams rows samples of s into the .npz archive at path, in
// blocks of blockRows.
func writeSet(ctx context.Context, path string, s *Sampler, rows, blockRows int, progress func(string, int, int)) error {
	w, err := dataset.CreateNPZ(path, Inputs, s.Arrays())
	if err != nil {
		return err
	}
	defer w.Abort()
	name := filepath.Base(path)
	err = s.Stream(ctx, rows, blockRows, func(b *dataset.Set) error {
		if err := w.Write(b); err != nil {
			return err
		}
		if progress != nil {
			progress(name, w.Rows(), rows)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return w.CloseContext(ctx)
}
