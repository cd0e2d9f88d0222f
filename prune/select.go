package prune

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// A Budget says how many hidden nodes Select keeps and how they are shared
// among the hidden layers.
type Budget struct {
	// Quota says how the nodes are shared among the layers.
	Quota Quota
	// Total is the number of nodes kept over all layers (QuotaGlobal,
	// QuotaEven): at least one per layer, at most all of them.
	Total int
	// PerLayer is the number of nodes kept in each hidden layer
	// (QuotaPerLayer); entry l lies in [1, width of hidden layer l+1].
	PerLayer []int
}

// Select returns, for every hidden layer, the indices of the nodes to keep, in
// increasing order. scores[l][i] is the score of node i of hidden layer l+1; a
// higher score means more significant. Ties are broken deterministically: the
// node in the lower layer, then the node with the lower index, ranks higher.
//
// Select returns an error if a score is NaN, a layer has no nodes, or the
// budget does not fit the shape of scores: Total smaller than the number of
// layers or larger than the number of nodes, PerLayer of the wrong length or
// with an entry outside [1, width], or an unknown Quota.
func Select(scores [][]float64, b Budget) ([][]int, error) {
	if len(scores) == 0 {
		return nil, errors.New("prune: no hidden layers to select from")
	}
	total := 0
	widths := make([]int, len(scores))
	for l, s := range scores {
		if len(s) == 0 {
			return nil, fmt.Errorf("prune: hidden layer %d has no nodes", l+1)
		}
		for i, v := range s {
			if math.IsNaN(v) {
				return nil, fmt.Errorf("prune: score of node %d in hidden layer %d is NaN", i, l+1)
			}
		}
		widths[l] = len(s)
		total += len(s)
	}
	switch b.Quota {
	case QuotaPerLayer:
		return selectPerLayer(scores, b.PerLayer)
	case QuotaGlobal, QuotaEven:
		if b.Total < len(scores) || b.Total > total {
			return nil, fmt.Errorf("prune: keep %d nodes in total, want between %d (one per layer) and %d (all)",
				b.Total, len(scores), total)
		}
		if b.Quota == QuotaEven {
			return selectPerLayer(scores, EvenSplit(b.Total, widths))
		}
		return selectTotal(scores, b.Total), nil
	}
	return nil, fmt.Errorf("prune: unknown quota %v", b.Quota)
}

// EvenSplit splits total nodes over hidden layers of the given widths as
// evenly as possible, the first layers taking the remainder, each layer at
// most its width and at least one node: the per-layer counts of QuotaEven.
func EvenSplit(total int, widths []int) []int {
	per := make([]int, len(widths))
	left := total
	for l := range widths {
		share := left / (len(widths) - l)
		if left%(len(widths)-l) != 0 {
			share++
		}
		per[l] = max(1, min(share, widths[l]))
		left -= per[l]
	}
	return per
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
