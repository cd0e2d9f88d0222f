package prune

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// Quota says how many hidden nodes Select keeps. Exactly one of its fields must
// be set.
type Quota struct {
	// Total, if positive, keeps the Total hidden nodes of highest score over
	// all layers together (global ranking, method.md §5 step 4), but always at
	// least the best node of every layer, so that the pruned net stays
	// connected.
	Total int
	// PerLayer, if non-nil, keeps the PerLayer[l] nodes of highest score of
	// hidden layer l+1; every entry must lie in [1, width of the layer].
	PerLayer []int
}

// Select returns, for every hidden layer, the indices of the nodes to keep, in
// increasing order. scores[l][i] is the score of node i of hidden layer l+1; a
// higher score means more significant. Ties are broken deterministically: the
// node in the lower layer, then the node with the lower index, ranks higher.
//
// Select returns an error if a score is NaN, a layer has no nodes, or the quota
// is not met by the shape of scores (Total smaller than the number of layers or
// larger than the number of nodes, PerLayer of the wrong length or with an
// entry outside [1, width]), or if both or neither of the quota's fields are set.
func Select(scores [][]float64, q Quota) ([][]int, error) {
	if len(scores) == 0 {
		return nil, errors.New("prune: no hidden layers to select from")
	}
	total := 0
	for l, s := range scores {
		if len(s) == 0 {
			return nil, fmt.Errorf("prune: hidden layer %d has no nodes", l+1)
		}
		for i, v := range s {
			if math.IsNaN(v) {
				return nil, fmt.Errorf("prune: score of node %d in hidden layer %d is NaN", i, l+1)
			}
		}
		total += len(s)
	}
	switch {
	case q.Total > 0 && q.PerLayer != nil:
		return nil, errors.New("prune: quota sets both Total and PerLayer, want one")
	case q.PerLayer != nil:
		return selectPerLayer(scores, q.PerLayer)
	case q.Total > 0:
		if q.Total < len(scores) || q.Total > total {
			return nil, fmt.Errorf("prune: keep %d nodes in total, want between %d (one per layer) and %d (all)",
				q.Total, len(scores), total)
		}
		return selectTotal(scores, q.Total), nil
	}
	return nil, fmt.Errorf("prune: quota keeps nothing (Total %d, PerLayer nil)", q.Total)
}

// node is a hidden node's position and score.
type node struct {
	layer, index int
	score        float64
}

// better reports whether a ranks above b: higher score, then lower layer, then
// lower index.
func better(a, b node) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	if a.layer != b.layer {
		return a.layer < b.layer
	}
	return a.index < b.index
}

// ranked returns the nodes of layers scores, best first.
func ranked(scores [][]float64, layers ...int) []node {
	var ns []node
	for _, l := range layers {
		for i, v := range scores[l] {
			ns = append(ns, node{l, i, v})
		}
	}
	sort.Slice(ns, func(i, j int) bool { return better(ns[i], ns[j]) })
	return ns
}

func selectPerLayer(scores [][]float64, per []int) ([][]int, error) {
	if len(per) != len(scores) {
		return nil, fmt.Errorf("prune: quota has %d per-layer counts for %d hidden layers", len(per), len(scores))
	}
	keep := make([][]int, len(scores))
	for l, k := range per {
		if k < 1 || k > len(scores[l]) {
			return nil, fmt.Errorf("prune: keep %d nodes of hidden layer %d, want between 1 and %d",
				k, l+1, len(scores[l]))
		}
		for _, n := range ranked(scores, l)[:k] {
			keep[l] = append(keep[l], n.index)
		}
		sort.Ints(keep[l])
	}
	return keep, nil
}

func selectTotal(scores [][]float64, total int) [][]int {
	keep := make([][]int, len(scores))
	taken := make([][]bool, len(scores))
	for l := range scores {
		taken[l] = make([]bool, len(scores[l]))
		best := ranked(scores, l)[0]
		taken[l][best.index] = true
		keep[l] = append(keep[l], best.index)
	}
	all := make([]int, len(scores))
	for l := range all {
		all[l] = l
	}
	left := total - len(scores)
	for _, n := range ranked(scores, all...) {
		if left == 0 {
			break
		}
		if !taken[n.layer][n.index] {
			taken[n.layer][n.index] = true
			keep[n.layer] = append(keep[n.layer], n.index)
			left--
		}
	}
	for l := range keep {
		sort.Ints(keep[l])
	}
	return keep
}
