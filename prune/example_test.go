package prune_test

import (
	"encoding/json"
	"fmt"
	"log"

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

// The pruning settings read and write their names, as YAML and JSON files
// and the command-line flags give them; an unknown name lists the valid
// ones.
func ExampleCriterion() {
	var c prune.Criterion
	if err := c.UnmarshalText([]byte("taylor")); err != nil {
		log.Fatal(err)
	}
	fmt.Println(c, c == prune.ByTaylor)
	fmt.Println(c.UnmarshalText([]byte("l1")))

	b, err := json.Marshal(struct {
		Quota prune.Quota `json:"quota"`
		Fold  prune.Fold  `json:"fold"`
	}{prune.QuotaEven, prune.FoldMidpoint})
	fmt.Println(string(b), err)
	// Output:
	// taylor true
	// unknown criterion "l1": want iasa, magnitude, random, taylor, iasa-plain, obd or sobolev-taylor
	// {"quota":"even","fold":"midpoint"} <nil>
}

// A Budget with the even quota splits the nodes kept over the layers as
// EvenSplit does, and keeps the best nodes of each layer.
func ExampleBudget() {
	scores := [][]float64{{0.1, 0.9, 0.5}, {3, 1, 2}, {7, 8}}
	fmt.Println(prune.EvenSplit(5, []int{3, 3, 2}))
	keep, err := prune.Select(scores, prune.Budget{Quota: prune.QuotaEven, Total: 5})
	fmt.Println(keep, err)
	// Output:
	// [2 2 1]
	// [[1 2] [0 2] [1]] <nil>
}
