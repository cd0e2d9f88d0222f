package onnx

import (
	"fmt"
	"slices"

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
// in either orientation (transA, transB), and cur may arrive transposed. A
// MatMul may also take a weight vector [in] as B' (or A'): a layer with one
// output, which MatMul gives as a vector [batch].
func (w *walker) dense(i int, a, b, c string, transA, transB bool, alpha, beta float64) error {
	nd := w.nodes[i]
	desc := describe(i, nd)
	dataFirst, wName, err := w.denseOperands(desc, a, b, c, transA, transB)
	if err != nil {
		return err
	}
	k, err := w.constant(desc, wName, w.dtype)
	if err != nil {
		return err
	}
	in := w.width
	matmul := nd.GetOpType() == "MatMul"
	if d := k.dims; matmul && len(d) == 1 && d[0] == in {
		w.stages = append(w.stages, stage{kind: stageDense, desc: desc, w: slices.Clone(k.f), out: 1})
		w.form = vector
		w.advance(nd.GetOutput()[0], 1, i)
		return nil
	}
	rowsOut := !transA // the stored matrix has one row per output
	if dataFirst {
		rowsOut = transB
	}
	wt, out, err := denseWeights(desc, wName, k, in, rowsOut, matmul, alpha)
	if err != nil {
		return err
	}
	outForm := rows
	if !dataFirst {
		outForm = cols
	}
	var bias []float64
	if c != "" {
		if bias, err = w.denseBias(desc, c, out, outForm, beta); err != nil {
			return err
		}
	}
	w.stages = append(w.stages, stage{kind: stageDense, desc: desc, w: wt, b: bias, out: out})
	w.form = outForm
	w.advance(nd.GetOutput()[0], out, i)
	return nil
}

// denseOperands returns whether the data, cur, is the operand A of the dense
// node desc (rather than B), and the name of the other operand, the weights.
// It returns an error if the data is C, is both A and B, is a vector, or does
// not arrive in the orientation the node reads it in (transA, transB): one
// row per sample as A', one column per sample as B'.
func (w *walker) denseOperands(desc, a, b, c string, transA, transB bool) (dataFirst bool, wName string, err error) {
	switch {
	case c == w.cur:
		return false, "", fmt.Errorf("%s reads the data %q as C, want it as A or B (the bias is a constant)", desc, w.cur)
	case a == w.cur && b == w.cur:
		return false, "", fmt.Errorf("%s reads the data %q as A and B, want a constant weight matrix as one of them", desc, w.cur)
	case a == w.cur:
		dataFirst, wName = true, b
	default:
		dataFirst, wName = false, a
	}
	if w.form == vector {
		return false, "", fmt.Errorf("%s multiplies the data %q of shape [batch], want %s or %s (a dense layer takes a matrix)",
			desc, w.cur, layout(w.width, rows), layout(w.width, cols))
	}
	transposed := w.form == cols
	if dataFirst && transposed != transA {
		return false, "", fmt.Errorf("%s multiplies the data %q as A' of shape %s, want %s (one row per sample, the weights as B)",
			desc, w.cur, layout(w.width, cols), layout(w.width, rows))
	}
	if !dataFirst && transposed == transB {
		return false, "", fmt.Errorf("%s multiplies the data %q as B' of shape %s, want %s (one column per sample, the weights as A)",
			desc, w.cur, layout(w.width, rows), layout(w.width, cols))
	}
	return dataFirst, wName, nil
}

// denseWeights returns W = alpha·k as an out × in row-major matrix, and out,
// from the weight constant k (named wName) of the dense node desc, which
// stores one row per output if rowsOut and one column per output if not. It
// returns an error if k's shape does not have in on the input side; the
// message also offers [in] if the node is a MatMul.
func denseWeights(desc, wName string, k *constTensor, in int, rowsOut, matmul bool, alpha float64) ([]float64, int, error) {
	if d := k.dims; len(d) != 2 || d[0] < 1 || d[1] < 1 || rowsOut && d[1] != in || !rowsOut && d[0] != in {
		want := fmt.Sprintf("[out %d] (out × in as this node reads it; the layer input has width %d)", in, in)
		if !rowsOut {
			want = fmt.Sprintf("[%d out] (in × out as this node reads it; the layer input has width %d)", in, in)
		}
		if matmul {
			want += fmt.Sprintf(", or [%d] for one output", in)
		}
		return nil, 0, fmt.Errorf("%s: weight %q has shape %v, want %s", desc, wName, k.dims, want)
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
	return wt, out, nil
}

// denseBias returns b = beta·C, the bias of the dense node desc with out
// outputs, from the constant named c broadcast to the node's output, which
// has the given form, or an error if it does not broadcast.
func (w *walker) denseBias(desc, c string, out int, outForm form, beta float64) ([]float64, error) {
	kc, err := w.constant(desc, c, w.dtype)
	if err != nil {
		return nil, err
	}
	bias, ok := expand(kc, out, outForm)
	if !ok {
		return nil, fmt.Errorf("%s: bias %q has shape %v, want %s", desc, c, kc.dims, broadcastShapes(out, outForm))
	}
	for o := range bias {
		bias[o] *= beta
	}
	return bias, nil
}

// silu reads SiLU, z·sigmoid(z), that starts at node si, a Sigmoid or a Neg
// reading z = cur; cons are the nodes reading z. It is written
//
//	Mul(z, Sigmoid(z))                        or Mul(Sigmoid(z), z)
//	Mul(z, Reciprocal(Add(Exp(Neg(z)), 1)))   Reciprocal or Div(1, ·), operands in either order
//	Div(z, Add(Exp(Neg(z)), 1))               as Save writes it
func (w *walker) silu(si int, cons []int) error {
	head := describe(si, w.nodes[si])
	if err := w.plain(si, 1); err != nil {
		return err
	}
	s := w.nodes[si].GetOutput()[0] // the sigmoid of z, or its inverse 1 + e⁻ᶻ
	chain := []int{si}
	div := -1 // the node Div(z, 1 + e⁻ᶻ), if the pattern ends so
	if w.nodes[si].GetOpType() == "Neg" {
		const want = "want Neg → Exp → Add(·, 1), then Div of z by it or Reciprocal and Mul by z: SiLU = z/(1 + exp(−z))"
		ei, err := w.reader(s, head, want, "Exp")
		if err != nil {
			return err
		}
		if err := w.plain(ei, 1); err != nil {
			return err
		}
		e := w.nodes[ei].GetOutput()[0]
		ai, err := w.reader(e, head, want, "Add")
		if err != nil {
			return err
		}
		if err := w.addOne(ai, e, siluOne); err != nil {
			return err
		}
		d := w.nodes[ai].GetOutput()[0]
		ri, err := w.reader(d, head, want, "Reciprocal", "Div")
		if err != nil {
			return err
		}
		chain = append(chain, ei, ai, ri)
		s = w.nodes[ri].GetOutput()[0]
		if w.nodes[ri].GetOpType() == "Reciprocal" {
			err = w.plain(ri, 1)
		} else if err = w.plain(ri, 2); err == nil {
			switch in := w.nodes[ri].GetInput(); {
			case in[1] != d:
				err = fmt.Errorf("%s divides by %q, want by %q, 1 + exp(−z) of SiLU", describe(ri, w.nodes[ri]), in[1], d)
			case in[0] == w.cur:
				div = ri
			default:
				err = w.isConst(ri, in[0], 1, "one", siluOne)
			}
		}
		if err != nil {
			return err
		}
	}
	if div >= 0 {
		if len(cons) != 2 { // cons holds si and div
			return fmt.Errorf("%s: %q has %d readers, want 2, the Neg and the Div of SiLU", head, w.cur, len(cons))
		}
		w.stages = append(w.stages, stage{kind: stageAct, desc: head + " … " + describe(div, w.nodes[div]), act: mlp.SiLU})
		w.advance(s, w.width, chain...)
		return nil
	}
	want := fmt.Sprintf("want %q and %q, its sigmoid, read only by one Mul of the two (SiLU)", w.cur, s)
	if len(cons) != 2 {
		return fmt.Errorf("%s: %q has %d readers, %s", head, w.cur, len(cons), want)
	}
	mi := cons[0]
	if mi == si {
		mi = cons[1]
	}
	mul := w.nodes[mi]
	in := mul.GetInput()
	if sc := w.consumers[s]; len(sc) != 1 || sc[0] != mi || mul.GetOpType() != "Mul" || len(in) != 2 ||
		!(in[0] == w.cur && in[1] == s || in[0] == s && in[1] == w.cur) {
		return fmt.Errorf("%s: %s reads %q, %s", head, describe(mi, mul), w.cur, want)
	}
	if _, err := attributes(describe(mi, mul), mul); err != nil {
		return err
	}
	w.stages = append(w.stages, stage{kind: stageAct, desc: head + " … " + describe(mi, mul), act: mlp.SiLU})
	w.advance(mul.GetOutput()[0], w.width, append(chain, mi)...)
	return nil
}

// reader returns the one node reading value v, which must have one of the
// given op types. head (the pattern's first node) and want (the pattern)
// are for error messages.
func (w *walker) reader(v, head, want string, ops ...string) (int, error) {
	cons := w.consumers[v]
	if len(cons) != 1 {
		return 0, fmt.Errorf("%s: %q has %d readers, %s", head, v, len(cons), want)
	}
	i := cons[0]
	if err := w.checkNode(i); err != nil {
		return 0, err
	}
	if !slices.Contains(ops, w.nodes[i].GetOpType()) {
		return 0, fmt.Errorf("%s: %s reads %q, %s", head, describe(i, w.nodes[i]), v, want)
	}
	return i, nil
}

// siluOne is what the constant 1 of SiLU is, for error messages.
const siluOne = "1 (the sigmoid of SiLU is 1/(1 + exp(−z)))"

// addOne checks that node i is Add(v, 1) or Add(1, v); want says what the 1
// is, for error messages.
func (w *walker) addOne(i int, v, want string) error {
	if err := w.plain(i, 2); err != nil {
		return err
	}
	return w.isConst(i, w.other(i, v), 1, "one", want)
}

// other returns the operand of node i, of two, that is not v: the second
// unless the second is v.
func (w *walker) other(i int, v string) string {
	in := w.nodes[i].GetInput()
	if in[1] == v {
		return in[0]
	}
	return in[1]
}

// isConst checks that name, an operand of node i, is a constant that equals
// v everywhere and broadcasts to the shape of cur. what names v and want
// says what the pattern wants, for error messages.
func (w *walker) isConst(i int, name string, v float64, what, want string) error {
	desc := describe(i, w.nodes[i])
	k, err := w.constant(desc, name, w.dtype)
	if err != nil {
		return err
	}
	c, ok := expand(k, w.width, w.form)
	for _, x := range c {
		ok = ok && x == v
	}
	if !ok {
		return fmt.Errorf("%s: operand %q of shape %v is not %s, want %s", desc, name, k.dims, what, want)
	}
	return nil
}
