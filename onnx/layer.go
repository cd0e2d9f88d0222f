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
	if w.form == vector {
		return fmt.Errorf("%s multiplies the data %q of shape [batch], want %s or %s (a dense layer takes a matrix)",
			desc, w.cur, layout(w.width, rows), layout(w.width, cols))
	}
	transposed := w.form == cols
	if dataFirst && transposed != transA {
		return fmt.Errorf("%s multiplies the data %q as A' of shape %s, want %s (one row per sample, the weights as B)",
			desc, w.cur, layout(w.width, cols), layout(w.width, rows))
	}
	if !dataFirst && transposed == transB {
		return fmt.Errorf("%s multiplies the data %q as B' of shape %s, want %s (one column per sample, the weights as A)",
			desc, w.cur, layout(w.width, rows), layout(w.width, cols))
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
	if d := k.dims; len(d) != 2 || d[0] < 1 || d[1] < 1 || rowsOut && d[1] != in || !rowsOut && d[0] != in {
		want := fmt.Sprintf("[out %d] (out × in as this node reads it; the layer input has width %d)", in, in)
		if !rowsOut {
			want = fmt.Sprintf("[%d out] (in × out as this node reads it; the layer input has width %d)", in, in)
		}
		if matmul {
			want += fmt.Sprintf(", or [%d] for one output", in)
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
		outForm := rows
		if !dataFirst {
			outForm = cols
		}
		if bias, ok = expand(kc, out, outForm); !ok {
			return fmt.Errorf("%s: bias %q has shape %v, want %s", desc, c, kc.dims, broadcastShapes(out, outForm))
		}
		for o := range bias {
			bias[o] *= beta
		}
	}
	w.stages = append(w.stages, stage{kind: stageDense, desc: desc, w: wt, b: bias, out: out})
	w.form = rows
	if !dataFirst {
		w.form = cols
	}
	w.advance(nd.GetOutput()[0], out, i)
	return nil
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

// softplusWant describes Softplus written out, for error messages.
const softplusWant = "want Add(Relu(z), Log(Add(Exp(Neg(Abs(z))), 1))), Softplus written out " +
	"(or Max(z, 0) for Relu, Abs(Sub(z, 0)), and JAX's Where(IsNaN(z), Add(z, 0), ·) around the sum)"

// guardForm describes the NaN guard of jnp.logaddexp, for error messages.
const guardForm = "Where(IsNaN(z), Add(z, 0), sum) around the sum, as jax2tf writes jnp.logaddexp(z, 0); " +
	"IsNaN may read Sub(z, 0), and the Where z in place of Add(z, 0)"

// softplusReaders reports whether nodes of the given op types, the readers
// of a value, begin Softplus written out (see softplus): an Abs, or a Relu or
// Max with a Sub, IsNaN or Where.
func softplusReaders(ops []string) bool {
	relu, other := false, false
	for _, op := range ops {
		switch op {
		case "Abs":
			return true
		case "Relu", "Max":
			relu = true
		case "Sub", "IsNaN", "Where":
			other = true
		}
	}
	return relu && other
}

// ops returns the op types of the given nodes.
func (w *walker) ops(nodes []int) []string {
	ops := make([]string, len(nodes))
	for k, i := range nodes {
		ops[k] = w.nodes[i].GetOpType()
	}
	return ops
}

// softplus reads Softplus, log(1 + eᶻ) = max(z, 0) + log(1 + e⁻|ᶻ|), written
// out as Save writes it, which onnxruntime runs in float64 (it has no
// float64 Softplus), or as jax2tf and tf2onnx write jax.nn.softplus, which
// is jnp.logaddexp(z, 0):
//
//	s = Add(Relu(z), Log(Add(Exp(Neg(Abs(z))), 1)))                        Save
//	d = Sub(z, 0)
//	s = Add(Max(z, 0), Log(Add(Exp(Neg(Abs(d))), 1)))                      JAX
//	    Where(IsNaN(d), Add(z, 0), s)
//
// Commutative operands may come in either order. Sub(z, 0) may be left out
// (d = z), and so may the NaN guard Where, or only its Add(z, 0) (z read by
// the Where); for numbers the guard gives s. cons are the nodes reading
// z = cur.
func (w *walker) softplus(cons []int) error {
	z := w.cur
	ops := w.ops(cons)
	head := cons[0]
	if k := slices.Index(ops, "Abs"); k >= 0 {
		head = cons[k]
	} else if k := slices.Index(ops, "Sub"); k >= 0 {
		head = cons[k]
	}
	hd := describe(head, w.nodes[head])
	// The roles of the readers of z and of d, -1 for none.
	relu, sub, abs, isNaN, add0, where := -1, -1, -1, -1, -1, -1
	assign := func(i int, v string) error {
		var role *int
		switch w.nodes[i].GetOpType() {
		case "Relu", "Max":
			role = &relu
		case "Sub":
			role = &sub
		case "Abs":
			role = &abs
		case "IsNaN":
			role = &isNaN
		case "Add":
			role = &add0
		case "Where":
			role = &where
		}
		if role == nil || *role >= 0 || v != z && role != &abs && role != &isNaN {
			return fmt.Errorf("%s: %s reads %q, %s", hd, describe(i, w.nodes[i]), v, softplusWant)
		}
		*role = i
		return nil
	}
	for _, i := range cons {
		if err := assign(i, z); err != nil {
			return err
		}
	}
	switch {
	case abs >= 0 && sub >= 0:
		return fmt.Errorf("%s: %q is read by both %s and %s, want Abs(z) or Abs(Sub(z, 0))",
			hd, z, describe(abs, w.nodes[abs]), describe(sub, w.nodes[sub]))
	case relu < 0 || abs < 0 && sub < 0:
		return fmt.Errorf("%s: %q has %d readers, %s", hd, z, len(cons), softplusWant)
	}
	chain := []int{relu}
	var err error
	if w.nodes[relu].GetOpType() == "Relu" {
		err = w.plain(relu, 1)
	} else if err = w.plain(relu, 2); err == nil {
		err = w.isConst(relu, w.other(relu, z), 0, "zero", fmt.Sprintf("Max(%q, 0), the positive part of Softplus", z))
	}
	if err != nil {
		return err
	}
	d := z // |d| = |z|
	if sub >= 0 {
		if err := w.plain(sub, 2); err != nil {
			return err
		}
		in := w.nodes[sub].GetInput()
		if in[0] != z {
			return fmt.Errorf("%s reads %q as its second operand, want Sub(%q, 0)", describe(sub, w.nodes[sub]), z, z)
		}
		if err := w.isConst(sub, in[1], 0, "zero", fmt.Sprintf("Sub(%q, 0), whose Abs is |%s|", z, z)); err != nil {
			return err
		}
		chain = append(chain, sub)
		d = w.nodes[sub].GetOutput()[0]
		for _, i := range w.consumers[d] {
			if err := w.checkNode(i); err != nil {
				return err
			}
			if err := assign(i, d); err != nil {
				return err
			}
		}
		if abs < 0 {
			return fmt.Errorf("%s: %q has %d readers, %s", hd, d, len(w.consumers[d]), softplusWant)
		}
	}
	if err := w.plain(abs, 1); err != nil {
		return err
	}
	chain = append(chain, abs)
	v := w.nodes[abs].GetOutput()[0]
	for _, op := range []string{"Neg", "Exp", "Add", "Log"} {
		i, err := w.reader(v, hd, softplusWant, op)
		if err != nil {
			return err
		}
		if op == "Add" {
			err = w.addOne(i, v, "1 (log(1 + u) is Log(Add(u, 1)))")
		} else {
			err = w.plain(i, 1)
		}
		if err != nil {
			return err
		}
		chain = append(chain, i)
		v = w.nodes[i].GetOutput()[0]
	}
	r := w.nodes[relu].GetOutput()[0]
	si, err := w.reader(v, hd, softplusWant, "Add")
	if err != nil {
		return err
	}
	if err := w.plain(si, 2); err != nil {
		return err
	}
	if in := w.nodes[si].GetInput(); !(in[0] == r && in[1] == v || in[0] == v && in[1] == r) || len(w.consumers[r]) != 1 {
		return fmt.Errorf("%s: %s adds %q, want the sum of %q and %q, each read by it alone (%s)", hd, describe(si, w.nodes[si]), in, r, v, softplusWant)
	}
	chain = append(chain, si)
	end := si
	if isNaN >= 0 || add0 >= 0 || where >= 0 {
		if end, err = w.nanGuard(hd, z, d, isNaN, add0, where, si); err != nil {
			return err
		}
		chain = append(chain, end, isNaN)
		if add0 >= 0 {
			chain = append(chain, add0)
		}
	}
	w.stages = append(w.stages, stage{kind: stageAct, desc: hd + " … " + describe(end, w.nodes[end]), act: mlp.Softplus})
	w.advance(w.nodes[end].GetOutput()[0], w.width, chain...)
	return nil
}

// nanGuard checks the NaN guard of jnp.logaddexp(z, 0) around the sum s
// that node si writes, Where(IsNaN(d), t, s) with d = z or Sub(z, 0) and
// t = z or Add(z, 0), and returns the Where node. isNaN, add0 and where are
// the IsNaN reading d, the Add and the Where reading z, -1 for none; hd names
// the pattern's first node.
func (w *walker) nanGuard(hd, z, d string, isNaN, add0, where, si int) (int, error) {
	s := w.nodes[si].GetOutput()[0]
	wi, err := w.reader(s, hd, "want "+guardForm, "Where")
	if err != nil {
		return 0, err
	}
	wd := describe(wi, w.nodes[wi])
	if err := w.plain(wi, 3); err != nil {
		return 0, err
	}
	in := w.nodes[wi].GetInput()
	if in[2] != s {
		return 0, fmt.Errorf("%s: %s takes the sum %q as its value for NaN, want it as its value for numbers (the guard is %s)",
			hd, wd, s, guardForm)
	}
	if isNaN < 0 {
		return 0, fmt.Errorf("%s: %q is read by no IsNaN (the guard is %s)", hd, d, guardForm)
	}
	if err := w.plain(isNaN, 1); err != nil {
		return 0, err
	}
	c, nd := w.nodes[isNaN].GetOutput()[0], describe(isNaN, w.nodes[isNaN])
	if in[0] != c {
		return 0, fmt.Errorf("%s: %s has condition %q, want %q, which %s writes (the guard is %s)", hd, wd, in[0], c, nd, guardForm)
	}
	if n := len(w.consumers[c]); n != 1 {
		return 0, fmt.Errorf("%s: %q, which %s writes, has %d readers, want %s alone (the guard is %s)", hd, c, nd, n, wd, guardForm)
	}
	t := z // the value for NaN
	if add0 >= 0 {
		t = w.nodes[add0].GetOutput()[0]
	}
	if in[1] != t || add0 >= 0 && (where >= 0 || len(w.consumers[t]) != 1) || add0 < 0 && where != wi {
		return 0, fmt.Errorf("%s: %s takes %q for NaN, want %q or Add(%q, 0) read by it alone (the guard is %s)", hd, wd, in[1], z, z, guardForm)
	}
	if add0 >= 0 {
		if err := w.plain(add0, 2); err != nil {
			return 0, err
		}
		if err := w.isConst(add0, w.other(add0, z), 0, "zero", fmt.Sprintf("Add(%q, 0), the NaN of the guard", z)); err != nil {
			return 0, err
		}
	}
	return wi, nil
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
