package prune_test

import (
	"fmt"

	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/prune"
)

func ExampleSelect() {
	// Scores of a net with hidden layers of 4 and 3 nodes (higher = more
	// significant). Keep 3 nodes in total, at least one per layer.
	scores := [][]float64{{0.9, 0.1, 0.8, 0.7}, {0.2, 0.05, 0.01}}
	keep, err := prune.Select(scores, prune.Budget{Quota: prune.QuotaGlobal, Total: 3})
	fmt.Println(keep, err)
	// Output: [[0 2] [0]] <nil>
}

func ExampleApply() {
	net := mlp.New(7, []int{128, 128}, mlp.SiLU)
	net.Init(mlp.XavierNormal, 1)
	keep, err := prune.Select(prune.Magnitude(net), prune.Budget{Quota: prune.QuotaPerLayer, PerLayer: []int{8, 8}})
	if err != nil {
		fmt.Println(err)
		return
	}
	// A nil fill deletes the removed nodes; MeanActivations gives the
	// data-mean constants instead.
	small, err := prune.Apply(net, keep, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(small.Sizes, small.NumParams(), small.Validate())
	// Output: [7 8 8 1] 145 <nil>
}
