package onnx

import (
	"fmt"

	"github.com/sobolev-pruning/sobolev/mlp"
)

// assemble returns the network of the stages the walk read from a graph with
// the given number of inputs:
//
//	[Sub] [Div | Mul]  Dense Add*  (Act Dense Add*)*  [Mul [Add]]
//
// The input Sub gives XMean, the Div XScale, a Mul by r instead XScale = 1/r.
// Adds after a dense layer go into its bias. The output Mul gives YScale and
// the Add after it YMean. Absent stages leave the identity normalisation.
func assemble(st []stage, inputs int) (*mlp.Network, error) {
	norm := mlp.New(inputs, nil, mlp.SiLU).Norm
	i := 0
	if i < len(st) && st[i].kind == stageSub {
		norm.XMean = st[i].c
		i++
	}
	if i < len(st) && st[i].kind == stageDiv {
		norm.XScale = st[i].c
		i++
	} else if i < len(st) && st[i].kind == stageMul {
		for j, r := range st[i].c {
			norm.XScale[j] = 1 / r
		}
		i++
	}
	sizes := []int{inputs}
	var dense []stage
	act, actDesc := mlp.SiLU, ""
	for {
		if i == len(st) || st[i].kind != stageDense {
			return nil, fmt.Errorf("%s found where a dense layer (Gemm or MatMul) is expected", found(st, i))
		}
		d := st[i]
		for i++; i < len(st) && st[i].kind == stageAdd; i++ {
			if d.b == nil {
				d.b = st[i].c
				continue
			}
			for o, v := range st[i].c {
				d.b[o] += v
			}
		}
		dense = append(dense, d)
		sizes = append(sizes, d.out)
		if i == len(st) || st[i].kind != stageAct {
			break
		}
		if actDesc != "" && st[i].act != act {
			return nil, fmt.Errorf("%s is %v, but %s is %v; want one activation for all hidden layers (a network has one)",
				st[i].desc, st[i].act, actDesc, act)
		}
		act, actDesc = st[i].act, st[i].desc
		i++
	}
	if i < len(st) && st[i].kind == stageMul {
		norm.YScale = st[i].c[0]
		if i++; i < len(st) && st[i].kind == stageAdd {
			norm.YMean = st[i].c[0]
			i++
		}
	}
	if i != len(st) {
		return nil, fmt.Errorf("%s found after the output layer, want the graph output", found(st, i))
	}
	net := &mlp.Network{Sizes: sizes, Act: act, Params: mlp.NewParams(sizes), Norm: norm}
	for l, d := range dense {
		copy(net.Params.W[l], d.w)
		copy(net.Params.B[l], d.b) // nil: no bias, zero
	}
	return net, nil
}

// found describes stage i, or the graph output if i = len(st).
func found(st []stage, i int) string {
	if i == len(st) {
		return "the graph output"
	}
	return st[i].desc
}
