package onnx

import (
	"fmt"

	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/onnx/internal/onnxpb"
)

// gemm reads node i, Gemm(A, B, C) = alpha·A'·B' + beta·C with A' = Aᵀ if
// transA and B' = Bᵀ if transB: a dense layer (see dense). C is optional.
func (w *walker) gemm(i int) error {
	nd := w.nodes[i]
	desc := describe(i, nd)
	in := nd.GetInput()
	if len(in) != 2 && len(in) != 3 {
		return fmt.Errorf("%s has %d inputs, want 3 (A, B, C) or 2 (A, B)", desc, len(in))
	}
	attrs, err := attributes(desc, nd, "alpha", "beta", "transA", "transB")
	if err != nil {
		return err
	}
	for _, a := range nd.GetAttribute() {
		want := onnxpb.AttributeProto_INT
		if a.GetName() == "alpha" || a.GetName() == "beta" {
			want = onnxpb.AttributeProto_FLOAT
		}
		if a.GetType() != want {
			return fmt.Errorf("%s has attribute %s of type %v, want %v", desc, a.GetName(), a.GetType(), want)
		}
	}
	alpha, beta, transA, transB := float32(1), float32(1), int64(0), int64(0) // the defaults
	if a, ok := attrs["alpha"]; ok {
		alpha = a.GetF()
	}
	if a, ok := attrs["beta"]; ok {
		beta = a.GetF()
	}
	if a, ok := attrs["transA"]; ok {
		transA = a.GetI()
	}
	if a, ok := attrs["transB"]; ok {
		transB = a.GetI()
	}
	c := ""
	if len(in) == 3 {
		c = in[2] // "" if omitted
	}
	return w.dense(i, in[0], in[1], c, transA != 0, transB != 0, float64(alpha), float64(beta))
}

// matmul reads node i, MatMul(A, B): a dense layer without bias (see dense).
// The bias comes from the Add after it.
func (w *walker) matmul(i int) error {
	if err := w.plain(i, 2); err != nil {
		return err
	}
	in := w.nodes[i].GetInput()
	return w.dense(i, in[0], in[1], "", false, false, 1, 1)
}

// dense reads node i, which computes alpha·A'·B' + beta·C: a dense layer
// with the weights in the constant operand and the bias in C ("" for none).
// The data, cur, is one of A and B:
//
//	cur as A:  A' = [batch in], B' = [in out]:  output [batch out], W = alpha·B'ᵀ
//	cur as B:  A' = [out in],  B' = [in batch]: output [out batch], W = alpha·A'
//
// with b = beta·C broadcast to the output. The weight matrix may be stored
// in either orientation (transA, transB), and cur may arrive transposed.
func (w *walker) dense(i int, a, b, c string, transA, transB bool, alpha, beta float64) error {
	nd := w.nodes[i]
	desc := describe(i, nd)
	var dataFirst bool
	var wName string
	switch {
	case c == w.cur:
		return fmt.Errorf("%s reads the data %q as C, want it as A or B (the bias is a constant)", desc, w.cur)
	case a == w.cur && b == w.cur:
		return fmt.Errorf("%s reads the data %q as A and B, want a constant weight matrix as one of them", desc, w.cur)
	case a == w.cur:
		dataFirst, wName = true, b
	default:
		dataFirst, wName = false, a
	}
	if dataFirst && w.transposed != transA {
		return fmt.Errorf("%s multiplies the data %q as A' of shape %s, want %s (one row per sample, the weights as B)",
			desc, w.cur, layout(w.width, !w.transposed), layout(w.width, false))
	}
	if !dataFirst && w.transposed == transB {
		return fmt.Errorf("%s multiplies the data %q as B' of shape %s, want %s (one column per sample, the weights as A)",
			desc, w.cur, layout(w.width, w.transposed != transB), layout(w.width, true))
	}
	k, err := w.constant(desc, wName, w.dtype)
	if err != nil {
		return err
	}
	rowsOut := !transA // the stored matrix has one row per output
	if dataFirst {
		rowsOut = transB
	}
	in := w.width
	if d := k.dims; len(d) != 2 || d[0] < 1 || d[1] < 1 || rowsOut && d[1] != in || !rowsOut && d[0] != in {
		want := fmt.Sprintf("[out %d] (out × in as this node reads it; the layer input has width %d)", in, in)
		if !rowsOut {
			want = fmt.Sprintf("[%d out] (in × out as this node reads it; the layer input has width %d)", in, in)
		}
		return fmt.Errorf("%s: weight %q has shape %v, want %s", desc, wName, k.dims, want)
	}
	out := k.dims[0]
	if !rowsOut {
		out = k.dims[1]
	}
	wt := make([]float64, out*in) // (out, in) row-major
	for o := range out {
		for j := range in {
			v := k.f[j*out+o]
			if rowsOut {
				v = k.f[o*in+j]
			}
			wt[o*in+j] = alpha * v
		}
	}
	var bias []float64
	if c != "" {
		kc, err := w.constant(desc, c, w.dtype)
		if err != nil {
			return err
		}
		var ok bool
		if bias, ok = expand(kc, out, !dataFirst); !ok {
			return fmt.Errorf("%s: bias %q has shape %v, want %s", desc, c, kc.dims, broadcastShapes(out, !dataFirst))
		}
		for o := range bias {
			bias[o] *= beta
		}
	}
	w.stages = append(w.stages, stage{kind: stageDense, desc: desc, w: wt, b: bias, out: out})
	w.transposed = !dataFirst
	w.advance(nd.GetOutput()[0], out, i)
	return nil
}

// silu reads SiLU, z·sigmoid(z), written as s = Sigmoid(z) or as
// s = Reciprocal(Add(Exp(Neg(z)), 1)), then Mul(z, s) or Mul(s, z); node
// si is the Sigmoid or the Neg, and cons are the nodes reading z = cur.
func (w *walker) silu(si int, cons []int) error {
	desc := describe(si, w.nodes[si])
	s, chain, err := w.sigmoid(si)
	if err != nil {
		return err
	}
	want := fmt.Sprintf("want %q and %q, its sigmoid, read only by one Mul of the two (SiLU)", w.cur, s)
	if len(cons) != 2 {
		return fmt.Errorf("%s: %q has %d readers, %s", desc, w.cur, len(cons), want)
	}
	mi := cons[0]
	if mi == si {
		mi = cons[1]
	}
	mul := w.nodes[mi]
	in := mul.GetInput()
	if sc := w.consumers[s]; len(sc) != 1 || sc[0] != mi || mul.GetOpType() != "Mul" || len(in) != 2 ||
		!(in[0] == w.cur && in[1] == s || in[0] == s && in[1] == w.cur) {
		return fmt.Errorf("%s: %s reads %q, %s", desc, describe(mi, mul), w.cur, want)
	}
	if _, err := attributes(describe(mi, mul), mul); err != nil {
		return err
	}
	w.stages = append(w.stages, stage{kind: stageAct, desc: desc + " … " + describe(mi, mul), act: mlp.SiLU})
	w.advance(mul.GetOutput()[0], w.width, append(chain, mi)...)
	return nil
}

// sigmoid reads the sigmoid of cur that starts at node si: Sigmoid, or
// Neg → Exp → Add(·, 1) → Reciprocal (or Div(1, ·)), 1/(1 + e⁻ᶻ) written
// out. It returns the value holding the sigmoid and the nodes read.
func (w *walker) sigmoid(si int) (string, []int, error) {
	nd := w.nodes[si]
	if err := w.plain(si, 1); err != nil {
		return "", nil, err
	}
	if nd.GetOpType() == "Sigmoid" {
		return nd.GetOutput()[0], []int{si}, nil
	}
	const want = "want Neg → Exp → Add(·, 1) → Reciprocal, the sigmoid 1/(1 + exp(−z)) of SiLU"
	chain := []int{si}
	v := nd.GetOutput()[0]
	next := func(ops ...string) (int, error) { // the one reader of v, of one of the given op types
		cons := w.consumers[v]
		if len(cons) != 1 {
			return 0, fmt.Errorf("%s: %q has %d readers, %s", describe(si, nd), v, len(cons), want)
		}
		i := cons[0]
		if err := w.checkNode(i); err != nil {
			return 0, err
		}
		for _, op := range ops {
			if w.nodes[i].GetOpType() == op {
				chain = append(chain, i)
				v = w.nodes[i].GetOutput()[0]
				return i, nil
			}
		}
		return 0, fmt.Errorf("%s: %s reads %q, %s", describe(si, nd), describe(i, w.nodes[i]), v, want)
	}
	ei, err := next("Exp")
	if err != nil {
		return "", nil, err
	}
	if err := w.plain(ei, 1); err != nil {
		return "", nil, err
	}
	e := v
	ai, err := next("Add")
	if err != nil {
		return "", nil, err
	}
	if err := w.plain(ai, 2); err != nil {
		return "", nil, err
	}
	in := w.nodes[ai].GetInput()
	one := in[1]
	if one == e {
		one = in[0]
	}
	if err := w.ones(ai, one); err != nil {
		return "", nil, err
	}
	d := v
	ri, err := next("Reciprocal", "Div")
	if err != nil {
		return "", nil, err
	}
	if w.nodes[ri].GetOpType() == "Reciprocal" {
		return v, chain, w.plain(ri, 1)
	}
	if err := w.plain(ri, 2); err != nil {
		return "", nil, err
	}
	if in := w.nodes[ri].GetInput(); in[1] != d {
		return "", nil, fmt.Errorf("%s divides by %q, want 1 divided by %q (the sigmoid of SiLU)", describe(ri, w.nodes[ri]), in[1], d)
	}
	return v, chain, w.ones(ri, w.nodes[ri].GetInput()[0])
}

// ones checks that name, an operand of node i, is a constant of ones that
// broadcasts to the shape of cur.
func (w *walker) ones(i int, name string) error {
	desc := describe(i, w.nodes[i])
	k, err := w.constant(desc, name, w.dtype)
	if err != nil {
		return err
	}
	c, ok := expand(k, w.width, w.transposed)
	for _, v := range c {
		ok = ok && v == 1
	}
	if !ok {
		return fmt.Errorf("%s: operand %q of shape %v is not one, want 1 (the sigmoid of SiLU is 1/(1 + exp(−z)))", desc, name, k.dims)
	}
	return nil
}
