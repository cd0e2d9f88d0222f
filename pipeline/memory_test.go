package pipeline

import (
	"context"
	"runtime"
	"testing"

	"github.com/sobolev-pruning/sobolev/bachelier"
	"github.com/sobolev-pruning/sobolev/iasa"
	"github.com/sobolev-pruning/sobolev/mlp"
)

// part returns the bytes of the part of m about what.
func part(m MemoryEstimate, what string) float64 {
	for _, p := range m {
		if p.What == what {
			return p.Bytes
		}
	}
	return 0
}

func TestConfigMemoryScaling(t *testing.T) {
	if b := Default().memory(2).Bytes(); b < 50e6 || b > 500e6 {
		t.Errorf("the default run needs %.3g bytes, want a few hundred MB at most", b)
	}
	c := Default()
	c.Train = 8192 // the figures below are for the size of the authors' training set
	base := c.memory(2)
	if got, want := part(base, "the test set"), float64(c.Test*(2*c.Dims+2)*8); got != want {
		t.Errorf("test set of %d points: %g bytes, want %g (x, y, dydx, gamma)", c.Test, got, want)
	}
	if got, want := part(base, "the training set"), float64(c.Train*(2*c.Dims+2)*8); got != want {
		t.Errorf("training set of %d samples with smoothing: %g bytes, want %g (x, y, dydx, gamma)", c.Train, got, want)
	}
	d := c
	d.Test *= 2
	if got := part(d.memory(2), "the test set"); got != 2*part(base, "the test set") {
		t.Errorf("doubling test gives a test set of %g bytes, want twice %g", got, part(base, "the test set"))
	}
	d = c
	d.Train *= 2
	if got := part(d.memory(2), "the training set"); got != 2*part(base, "the training set") {
		t.Errorf("doubling train gives a training set of %g bytes, want twice %g", got, part(base, "the training set"))
	}
	if b := base.Bytes(); b < 10e6 || b > 100e6 {
		t.Errorf("the default run needs %.3g bytes, want tens of MB", b)
	}

	huge := c
	huge.Test = 1_000_000_000_000
	m := huge.memory(2)
	if b := m.Bytes(); b < 1.28e14 {
		t.Errorf("test = 1e12: %.3g bytes, want at least the test set's 1.28e14", b)
	}
	if big := m.Largest(); big.Key != "test" || big.Value != huge.Test {
		t.Errorf("test = 1e12: the largest part is %+v, want one of key test", big)
	}

	wide := c
	wide.Dims = 1000
	m = wide.memory(2)
	big := m.Largest()
	if big.Key != "prune.method" || big.Bytes < 14e9 || big.Bytes > 19e9 {
		t.Errorf("dims = 1000: the largest part is %+v, want the quadratic IASA forms of two workers, about 16 GB", big)
	}
	if one := wide.memory(1).Largest(); one.Bytes > 0.55*big.Bytes {
		t.Errorf("dims = 1000 on one core: IASA %.3g bytes, want about half of two workers' %.3g", one.Bytes, big.Bytes)
	}
	wide.Prune.Method = iasa.Affine
	if m := wide.memory(2); m.Bytes() > 2e9 || m.Largest().Key == "prune.method" {
		t.Errorf("dims = 1000 with affine forms: %.3g bytes, largest part %+v; want far less than with quadratic ones, mostly fine-tuning",
			m.Bytes(), m.Largest())
	}

	hvp := c
	hvp.Train = 1_000_000
	m = hvp.memory(2)
	// Two small nets at once hold the teacher's products along 1 + 2
	// directions: raw and normalised, N·3·n numbers each.
	if got, min := part(m, "the teacher's Hessian-vector products (2 small nets at once)"), 2*2*float64(hvp.Train*3*hvp.Dims*8); got < min {
		t.Errorf("train = 1e6: the teacher's products take %.3g bytes, want at least %.3g", got, min)
	}
	if big := m.Largest(); big.Key != "train" {
		t.Errorf("train = 1e6: the largest part is %+v, want one of key train", big)
	}
}

// allocated returns the bytes f allocates.
func allocated(f func()) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return float64(after.TotalAlloc - before.TotalAlloc)
}

// TestTrainMemoryMeasured checks TrainMemory against what TrainModel
// allocates (runtime.MemStats.TotalAlloc), within a factor 2.
func TestTrainMemoryMeasured(t *testing.T) {
	m, err := bachelier.New(5, 1)
	if err != nil {
		t.Fatal(err)
	}
	train := m.TrainingSet(20000, bachelier.TrainOptions{})
	teacher := mlp.New(5, []int{24, 24}, mlp.SiLU)
	teacher.Init(mlp.XavierUniform, 1)
	if _, err := TrainModel(context.Background(), teacher, train, TrainOptions{Recipe: Default().Large.TrainRecipe, FitNorm: true, Threads: 1,
		Loss: mlp.Sobolev}, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		loss    mlp.LossKind
		recipe  TrainRecipe
		teacher *mlp.Network
		threads int
	}{
		{"mse", mlp.MSE, TrainRecipe{Epochs: 1, BatchSize: 256, LRMax: 1e-3, LRMin: 1e-5, Schedule: mlp.Cosine}, nil, 1},
		{"sobolev", mlp.Sobolev, TrainRecipe{Epochs: 1, BatchSize: 64, LRMax: 1e-3, LRMin: 1e-5, Schedule: mlp.Cosine}, nil, 2},
		{"sobolev+hvp", mlp.Sobolev, Default().Finetune, teacher, 1},
		{"teacher labels, principal", mlp.Sobolev, TrainRecipe{Epochs: 1, BatchSize: 256, LRMax: 1e-3, LRMin: 1e-5, Schedule: mlp.Cosine,
			Teacher: true, HVPDirections: 3, HVPKind: mlp.PrincipalDirections, HVPWeight: 0.5}, teacher, 1},
	} {
		tc.recipe.Epochs = 1
		net := mlp.New(5, []int{8, 8, 8}, mlp.SiLU)
		net.Init(mlp.XavierUniform, 2)
		opts := TrainOptions{Recipe: tc.recipe, Loss: tc.loss, Teacher: tc.teacher, Threads: tc.threads, FitNorm: true}
		var err error
		alloc := allocated(func() { _, err = TrainModel(context.Background(), net, train, opts, nil) })
		if err != nil {
			t.Fatal(err)
		}
		est := TrainMemory(net, train.N(), opts).Bytes()
		if r := est / alloc; r < 0.5 || r > 2 {
			t.Errorf("%s: estimate %.0f bytes, TrainModel allocated %.0f (ratio %.2f), want within a factor 2", tc.name, est, alloc, r)
		}
	}
}

// TestBachelierMemoryMeasured checks BachelierMemory against what
// bachelier.New allocates, within a factor 2.
func TestBachelierMemoryMeasured(t *testing.T) {
	const n = 300
	var err error
	alloc := allocated(func() { _, err = bachelier.New(n, 1) })
	if err != nil {
		t.Fatal(err)
	}
	if r := BachelierMemory(n).Bytes / alloc; r < 0.5 || r > 2 {
		t.Errorf("bachelier.New(%d): estimate %.0f bytes, allocated %.0f (ratio %.2f), want within a factor 2", n, BachelierMemory(n).Bytes, alloc, r)
	}
}

func TestEstimateParts(t *testing.T) {
	m := MemoryEstimate{{What: "a", Bytes: 1}, {What: "b", Bytes: 5}, {What: "c", Bytes: 2}}
	if m.Bytes() != 8 || m.Largest().What != "b" {
		t.Errorf("Bytes %g, Largest %+v; want 8 and b", m.Bytes(), m.Largest())
	}
	if (MemoryEstimate{}).Largest() != (MemoryPart{}) {
		t.Error("the largest part of no parts is not the zero part")
	}
}
