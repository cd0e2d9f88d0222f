package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sobolev-pruning/sobolev/dataset"
	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/onnx"
	"github.com/sobolev-pruning/sobolev/prune"
	"github.com/sobolev-pruning/sobolev/results"
)

// tiny returns a configuration that runs every stage in well under a second.
func tiny() Config {
	c := Quick()
	c.Dims = 3
	c.Train = 256
	c.Test = 128
	c.Large.Hidden = []int{16, 16}
	c.Large.Epochs = 3
	c.Large.BatchSize = 64
	c.Prune.Keep = 8
	c.Prune.Boxes = 8
	c.Finetune.Epochs = 3
	c.Finetune.BatchSize = 64
	c.Prune.Quota = prune.QuotaGlobal // uneven layers, which the control copies
	return c
}

func TestRunWritesEverything(t *testing.T) {
	out := t.TempDir()
	var log strings.Builder
	res, err := Run(context.Background(), tiny(), out, Hooks{Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{StageLargeMSE, StageLargeSobolev, StagePruned, StagePrunedMSE, StagePrunedSobolev, StageScratchSobolev}
	var got []string
	for _, s := range res.Stages {
		got = append(got, s.Stage)
		net, err := onnx.Load(filepath.Join(out, s.Model))
		if err != nil {
			t.Errorf("stage %s: %v", s.Stage, err)
			continue
		}
		if net.HiddenNodes() != s.HiddenNodes || net.NumParams() != s.Parameters {
			t.Errorf("stage %s: model file has %d nodes, %d parameters; results say %d, %d",
				s.Stage, net.HiddenNodes(), net.NumParams(), s.HiddenNodes, s.Parameters)
		}
		test, err := dataset.Load(filepath.Join(out, "data", "test.npz"))
		if err != nil {
			t.Fatal(err)
		}
		if sc := Evaluate(net, test); sc.R2Value != s.R2Value || sc.R2Gamma != s.R2Gamma {
			t.Errorf("stage %s: the saved model scores %v, results say %v", s.Stage, sc, s.Scores)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stages %v, want %v", got, want)
	}
	if p := res.Stages[2]; p.HiddenNodes != tiny().Prune.Keep {
		t.Errorf("pruned net has %d hidden nodes, want %d", p.HiddenNodes, tiny().Prune.Keep)
	}
	if p, s := res.Stages[2], res.Stages[5]; !reflect.DeepEqual(s.Hidden, p.Hidden) {
		t.Errorf("scratch control has hidden widths %v, want the pruned net's %v", s.Hidden, p.Hidden)
	}
	if res.IASA == nil || len(res.IASA.Layers) != 2 {
		t.Fatalf("IASA report %+v, want 2 layers", res.IASA)
	}
	kept := 0
	for _, l := range res.IASA.Layers {
		kept += len(l.Kept)
		if len(l.Significance) != l.Width {
			t.Errorf("layer %d: %d significances for %d nodes", l.Layer, len(l.Significance), l.Width)
		}
	}
	if kept != tiny().Prune.Keep {
		t.Errorf("IASA report keeps %d nodes, want %d", kept, tiny().Prune.Keep)
	}

	// results.json has the keys the issue names, at the top of each stage.
	data, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Stages []map[string]any `json:"stages"`
		Config map[string]any   `json:"config"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"stage", "hidden_nodes", "parameters", "r2_value", "r2_delta", "r2_gamma", "seconds"} {
		if _, ok := raw.Stages[0][key]; !ok {
			t.Errorf("results.json stage lacks key %q", key)
		}
	}
	if raw.Config["dims"] != float64(3) {
		t.Errorf("results.json config.dims = %v, want 3", raw.Config["dims"])
	}
	logged, err := os.ReadFile(filepath.Join(out, "run.log"))
	if err != nil || string(logged) != log.String() {
		t.Errorf("run.log differs from the printed log (%v)", err)
	}
	for _, f := range []string{"data/train.npz", "data/test.npz", "data/spec.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestRunDeterministic(t *testing.T) {
	a, err := Run(context.Background(), tiny(), t.TempDir(), Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Run(context.Background(), tiny(), t.TempDir(), Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*results.Run{a, b} {
		r.Seconds = 0
		r.IASA.Seconds = 0
		for i := range r.Stages {
			r.Stages[i].Seconds = 0
			if c := r.Stages[i].Certificate; c != nil {
				c.Seconds = 0
			}
		}
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Error("two runs with the same seed gave different results")
	}
	c := tiny()
	c.Seed = 1
	r, err := Run(context.Background(), c, t.TempDir(), Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Stages[1].R2Value == a.Stages[1].R2Value {
		t.Error("another seed gave the same large-net score")
	}
}

func TestRunCancelled(t *testing.T) {
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	hooks := Hooks{StageStart: func(stage string, i, total int) {
		if stage == StagePruned {
			cancel()
		}
	}}
	_, err := Run(ctx, tiny(), out, hooks)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v, want context.Canceled", err)
	}
	if _, err := os.Stat(filepath.Join(out, "results.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a cancelled run wrote results.json (%v)", err)
	}
	err = filepath.Walk(out, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if strings.Contains(info.Name(), ".tmp") {
			t.Errorf("temporary file left behind: %s", path)
		}
		// The greeks models (three outputs) are written atomically like the
		// others; Load reads single-output models, so check the others.
		if !info.IsDir() && strings.HasSuffix(path, ".onnx") && !strings.HasSuffix(path, ".greeks.onnx") {
			if _, err := onnx.Load(path); err != nil {
				t.Errorf("partial model: %v", err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTrainModelZeroGradientColumn(t *testing.T) {
	set := dataset.New(4, 2, 0)
	for i := range set.X {
		set.X[i] = float64(i)
	}
	for i := range set.Y {
		set.Y[i] = float64(i)
		set.DYDX[2*i] = 1 // input 2 never moves the labels
	}
	net := mlp.New(2, []int{3}, mlp.SiLU)
	opts := TrainOptions{Recipe: Default().Finetune, Loss: mlp.Sobolev, FitNorm: true}
	_, err := TrainModel(context.Background(), net, set, opts, nil)
	if err == nil || !strings.Contains(err.Error(), "input 2 are all 0") {
		t.Errorf("TrainModel with an all-zero gradient column: error %v, want one naming input 2", err)
	}
}
