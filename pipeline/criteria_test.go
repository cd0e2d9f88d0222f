package pipeline

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/sobolev-pruning/sobolev/bachelier"
	"github.com/sobolev-pruning/sobolev/dataset"
	"github.com/sobolev-pruning/sobolev/iasa"
	"github.com/sobolev-pruning/sobolev/interval"
	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/prune"
	"github.com/sobolev-pruning/sobolev/results"
)

// criteriaNet returns a 3-input net with hidden layers 12 and 10, Xavier
// weights and the normalisation of a Bachelier training set of 300 rows,
// which it also returns.
func criteriaNet(t *testing.T) (*mlp.Network, *dataset.Set) {
	t.Helper()
	m, err := bachelier.New(3, 1)
	if err != nil {
		t.Fatal(err)
	}
	set := m.TrainingSet(300, bachelier.TrainOptions{})
	net := mlp.New(3, []int{12, 10}, mlp.SiLU)
	net.Init(mlp.XavierUniform, 3)
	if net.Norm, err = mlp.FitNormalization(set.X, set.Y, 3); err != nil {
		t.Fatal(err)
	}
	return net, set
}

// keptNodes returns the kept nodes of every layer of a pruning report.
func keptNodes(layers []results.LayerPrune) [][]int {
	var keep [][]int
	for _, l := range layers {
		keep = append(keep, l.Kept)
	}
	return keep
}

// TestPruneModelNewCriteria prunes with iasa-plain, obd and sobolev-taylor
// and checks the size of the pruned net, the report, and that the kept nodes
// are the best of the criterion's scores: iasa-plain is iasa with plain
// intervals whatever Method says, and obd and sobolev-taylor keep the best of
// prune.OBD and prune.SobolevTaylor.
func TestPruneModelNewCriteria(t *testing.T) {
	net, set := criteriaNet(t)
	ctx := context.Background()
	for _, c := range []prune.Criterion{prune.ByIASAPlain, prune.ByOBD, prune.BySobolevTaylor} {
		cfg := Default().Prune
		cfg.Criterion, cfg.Keep, cfg.Boxes, cfg.Method = c, 9, 8, iasa.Quadratic
		opts := PruneOptions{Config: cfg, Y: set.Y, DYDX: set.DYDX, Seed: 5}
		pruned, rep, err := PruneModel(ctx, net, set.X, opts)
		if err != nil {
			t.Errorf("%s: %v", c, err)
			continue
		}
		if got := pruned.Hidden(); !reflect.DeepEqual(got, []int{5, 4}) {
			t.Errorf("%s: pruned hidden widths %v, want [5 4] (9 nodes split evenly)", c, got)
		}
		if rep.Criterion != c.String() {
			t.Errorf("%s: report names criterion %q", c, rep.Criterion)
		}
		keep := keptNodes(rep.Layers)
		var want [][]int
		switch c {
		case prune.ByIASAPlain:
			if rep.Method != "naive" {
				t.Errorf("iasa-plain with method quadratic: report names method %q, want naive", rep.Method)
			}
			ref := opts
			ref.Config.Criterion, ref.Config.Method = prune.ByIASA, iasa.Naive
			refNet, refRep, err := PruneModel(ctx, net, set.X, ref)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(pruned.Params.Flat, refNet.Params.Flat) {
				t.Error("iasa-plain prunes another net than iasa with method naive")
			}
			want = keptNodes(refRep.Layers)
			quad := opts
			quad.Config.Criterion = prune.ByIASA
			_, quadRep, err := PruneModel(ctx, net, set.X, quad)
			if err != nil {
				t.Fatal(err)
			}
			if reflect.DeepEqual(rep.Layers[0].Significance, quadRep.Layers[0].Significance) {
				t.Error("iasa-plain and iasa with quadratic forms give the same significances; the method is not plain intervals")
			}
		case prune.ByOBD:
			scores, err := prune.OBD(net, set.X)
			if err != nil {
				t.Fatal(err)
			}
			want, _ = prune.Select(scores, prune.Budget{Quota: cfg.Quota, Total: 9})
		case prune.BySobolevTaylor:
			scores, err := prune.SobolevTaylor(net, set.X, set.Y, set.DYDX)
			if err != nil {
				t.Fatal(err)
			}
			want, _ = prune.Select(scores, prune.Budget{Quota: cfg.Quota, Total: 9})
		}
		if !reflect.DeepEqual(keep, want) {
			t.Errorf("%s: kept %v, want %v", c, keep, want)
		}
		if c != prune.ByIASAPlain && rep.Method != "" {
			t.Errorf("%s: report names enclosure method %q, want none", c, rep.Method)
		}
	}
}

// TestPruneModelNewCriteriaInputs checks that obd and iasa-plain score in a
// domain box without data, and that sobolev-taylor refuses to prune without
// the labels or with labels that do not fit the data.
func TestPruneModelNewCriteriaInputs(t *testing.T) {
	net, set := criteriaNet(t)
	ctx := context.Background()
	box := []interval.Interval{{Lo: 0.5, Hi: 1.5}, {Lo: 0.5, Hi: 1.5}, {Lo: 0.5, Hi: 1.5}}
	for _, c := range []prune.Criterion{prune.ByOBD, prune.ByIASAPlain} {
		cfg := Default().Prune
		cfg.Criterion, cfg.Keep, cfg.Boxes, cfg.Fold = c, 6, 8, prune.FoldZero
		pruned, _, err := PruneModel(ctx, net, nil, PruneOptions{Config: cfg, Domain: box})
		if err != nil || pruned.HiddenNodes() != 6 {
			t.Errorf("%s in a domain box: %v", c, err)
		}
		if _, _, err := PruneModel(ctx, net, nil, PruneOptions{Config: cfg}); err == nil ||
			!strings.Contains(err.Error(), "needs data points or a domain box") {
			t.Errorf("%s without points: error %v", c, err)
		}
	}
	cfg := Default().Prune
	cfg.Criterion, cfg.Keep = prune.BySobolevTaylor, 6
	for _, tc := range []struct {
		opts PruneOptions
		x    []float64
		want string
	}{
		{PruneOptions{Config: cfg}, set.X, "pruning by sobolev-taylor needs the training data with their value labels y and gradient labels dydx"},
		{PruneOptions{Config: cfg, Y: set.Y}, set.X, "gradient labels dydx"},
		{PruneOptions{Config: cfg, Y: set.Y, DYDX: set.DYDX, Domain: box}, nil, "needs the training data"},
		{PruneOptions{Config: cfg, Y: set.Y[1:], DYDX: set.DYDX}, set.X, "299 value labels for 300 rows"},
	} {
		if _, _, err := PruneModel(ctx, net, tc.x, tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("sobolev-taylor: error %v, want one containing %q", err, tc.want)
		}
	}
}

// TestRunSobolevTaylor checks that a run passes its training labels to the
// sobolev-taylor criterion.
func TestRunSobolevTaylor(t *testing.T) {
	c := tiny()
	c.Prune.Criterion = prune.BySobolevTaylor
	res, err := Run(context.Background(), c, t.TempDir(), Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if res.IASA == nil || res.IASA.Criterion != "sobolev-taylor" {
		t.Fatalf("run with criterion sobolev-taylor: pruning report %+v", res.IASA)
	}
	nodes := 0
	for _, l := range res.IASA.Layers {
		nodes += len(l.Kept)
	}
	if nodes != c.Prune.Keep {
		t.Errorf("run kept %d nodes, want %d", nodes, c.Prune.Keep)
	}
}
