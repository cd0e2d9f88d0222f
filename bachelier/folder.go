package bachelier

import (
	"context"
	"math"
	"path/filepath"

	"github.com/sobolev-pruning/sobolev/dataset"
	"github.com/sobolev-pruning/sobolev/setting"
)

// BlockBytes is about the memory of one block of samples while WriteData
// draws and writes them.
const BlockBytes = 4 << 20

// DataFiles names the three files of a data folder.
type DataFiles struct {
	// Train is the .npz archive of the training set, Test that of the test
	// set, Spec the JSON description of the model (Spec.Write).
	Train, Test, Spec string
}

// FolderFiles returns the files of the data folder dir: dir/train.npz,
// dir/test.npz and dir/spec.json.
func FolderFiles(dir string) DataFiles {
	return DataFiles{Train: filepath.Join(dir, "train.npz"), Test: filepath.Join(dir, "test.npz"), Spec: filepath.Join(dir, "spec.json")}
}

// DataConfig describes a data folder: the model and its two sets.
type DataConfig struct {
	// Dims is the number of assets n of the basket, Seed draws the model
	// and both sets (New).
	Dims int
	Seed uint64
	// Baskets is the number k of basket calls of the portfolio priced
	// (NewPortfolio); 0 and 1 both mean the one call of New.
	Baskets int
	// Train is the number of training samples (one Monte Carlo path each),
	// Test the number of analytic test points; 0 writes an empty set.
	Train, Test int
	// Smoothing is the width h of the smoothed payoff of the training
	// labels (TrainOptions.Smoothing; 0 keeps the call payoff).
	Smoothing float64
	// Hessian writes full Hessians: exact ones in the test set, pathwise
	// ones in the training set if Smoothing > 0.
	Hessian bool
}

// Validate reports the first impossible value in c as a *setting.Error
// keyed "dims", "baskets", "train", "test" or "smoothing".
func (c DataConfig) Validate() error {
	bad := func(key string, v any, want string) error { return &setting.Error{Key: key, Value: v, Want: want} }
	switch {
	case c.Dims < 1:
		return bad("dims", c.Dims, "at least 1 asset")
	case c.Baskets < 0:
		return bad("baskets", c.Baskets, "a number of basket calls ≥ 1 (0 also means 1)")
	case c.Train < 0:
		return bad("train", c.Train, "a number of samples ≥ 0")
	case c.Test < 0:
		return bad("test", c.Test, "a number of points ≥ 0")
	case !(c.Smoothing >= 0) || math.IsInf(c.Smoothing, 0):
		return bad("smoothing", c.Smoothing, "a finite width ≥ 0 (0 keeps the call payoff)")
	}
	return nil
}

// trainOptions returns the options of c's training labels.
func (c DataConfig) trainOptions() TrainOptions {
	return TrainOptions{Smoothing: c.Smoothing, Hessian: c.Hessian && c.Smoothing > 0}
}

// WriteData draws the model of c (NewPortfolio of c.Dims assets and
// c.Baskets baskets, which is New's for one basket) and writes its data
// folder to files: the training set (c.Train samples of TrainingSampler), the
// test set (c.Test points of TestSampler) and the model's Spec. The samples
// are drawn and written in blocks of about BlockBytes, so the memory does not
// grow with their number; they are those of TrainingSet and TestSet, bit for
// bit. The "data" command and a run of package pipeline write their folders
// with it. progress, if not nil, is called after every block with the base
// name of the file ("train.npz"), the samples written and their number; after
// the call with done = total the archive is closed, which takes a while for
// large sets.
//
// WriteData returns the *setting.Error of c.Validate for an impossible
// setting. If ctx is cancelled, it stops at the next block and returns
// ctx.Err(); the archive being written is then removed (dataset.Writer's
// Abort), archives already complete are left to the caller, who writes the
// folder in a staging place and renames it.
func WriteData(ctx context.Context, files DataFiles, c DataConfig, progress func(file string, done, total int)) (*Model, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	m, err := NewPortfolio(c.Dims, max(c.Baskets, 1), c.Seed)
	if err != nil {
		return nil, err
	}
	sets := []struct {
		path    string
		sampler *Sampler
		rows    int
	}{
		{files.Train, m.TrainingSampler(c.trainOptions()), c.Train},
		{files.Test, m.TestSampler(c.Hessian), c.Test},
	}
	for _, s := range sets {
		if err := writeSet(ctx, s.path, s.sampler, s.rows, progress); err != nil {
			return nil, err
		}
	}
	if err := m.Spec(c.Train, c.Test, c.trainOptions(), c.Hessian).Write(files.Spec); err != nil {
		return nil, err
	}
	return m, nil
}

// BlockBytes returns a bound of the memory of the largest block of samples
// WriteData holds for c: BlockBytes, or one row if a row is larger.
func (c DataConfig) BlockBytes() float64 {
	return max(BlockBytes, 8*float64(rowFloats(c.Dims, c.Hessian)))
}

// rowFloats is the number of float64 of one sample of n inputs: x, y, dydx,
// gamma, and the n × n Hessian with hessian.
func rowFloats(n int, hessian bool) int {
	f := 2*n + 2
	if hessian {
		f += n * n
	}
	return f
}

// blockRows is the number of samples WriteData draws and writes at once.
func blockRows(n int, hessian bool) int { return max(1, BlockBytes/(8*rowFloats(n, hessian))) }

// writeSet streams rows samples of s into the .npz archive at path, in
// blocks of about BlockBytes.
func writeSet(ctx context.Context, path string, s *Sampler, rows int, progress func(string, int, int)) error {
	n := len(s.z)
	w, err := dataset.CreateNPZ(path, n, s.Arrays())
	if err != nil {
		return err
	}
	defer w.Abort()
	name := filepath.Base(path)
	err = s.Stream(ctx, rows, blockRows(n, s.Arrays()&dataset.WithHessian != 0), func(b *dataset.Set) error {
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
