package onnx

import (
	"fmt"
	"slices"

	"github.com/sobolev-pruning/sobolev/mlp"
)

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
	hd := w.softplusHead(cons)
	r := softplusRoles{relu: -1, sub: -1, abs: -1, isNaN: -1, add0: -1, where: -1}
	for _, i := range cons {
		if err := r.assign(w, hd, z, i, z); err != nil {
			return err
		}
	}
	switch {
	case r.abs >= 0 && r.sub >= 0:
		return fmt.Errorf("%s: %q is read by both %s and %s, want Abs(z) or Abs(Sub(z, 0))",
			hd, z, describe(r.abs, w.nodes[r.abs]), describe(r.sub, w.nodes[r.sub]))
	case r.relu < 0 || r.abs < 0 && r.sub < 0:
		return fmt.Errorf("%s: %q has %d readers, %s", hd, z, len(cons), softplusWant)
	}
	chain := []int{r.relu}
	if err := w.softplusRelu(r.relu, z); err != nil {
		return err
	}
	d := z // |d| = |z|
	if r.sub >= 0 {
		var err error
		if d, err = w.softplusSub(hd, z, &r); err != nil {
			return err
		}
		chain = append(chain, r.sub)
	}
	if err := w.plain(r.abs, 1); err != nil {
		return err
	}
	chain = append(chain, r.abs)
	v, chain, err := w.softplusLog(hd, r.abs, chain)
	if err != nil {
		return err
	}
	si, err := w.softplusSum(hd, w.nodes[r.relu].GetOutput()[0], v)
	if err != nil {
		return err
	}
	chain = append(chain, si)
	end := si
	if r.isNaN >= 0 || r.add0 >= 0 || r.where >= 0 {
		if end, err = w.nanGuard(hd, z, d, r.isNaN, r.add0, r.where, si); err != nil {
			return err
		}
		chain = append(chain, end, r.isNaN)
		if r.add0 >= 0 {
			chain = append(chain, r.add0)
		}
	}
	w.stages = append(w.stages, stage{kind: stageAct, desc: hd + " … " + describe(end, w.nodes[end]), act: mlp.Softplus})
	w.advance(w.nodes[end].GetOutput()[0], w.width, chain...)
	return nil
}

// softplusHead describes the node that error messages about Softplus
// written out name as the pattern's first: of cons, the readers of z, the
// Abs if there is one, else the Sub, else the first.
func (w *walker) softplusHead(cons []int) string {
	ops := w.ops(cons)
	head := cons[0]
	if k := slices.Index(ops, "Abs"); k >= 0 {
		head = cons[k]
	} else if k := slices.Index(ops, "Sub"); k >= 0 {
		head = cons[k]
	}
	return describe(head, w.nodes[head])
}

// softplusRoles holds the nodes that read z, or d = Sub(z, 0), in Softplus
// written out (see softplus), by their role; -1 for none.
type softplusRoles struct {
	relu, sub, abs, isNaN, add0, where int
}

// assign records node i, which reads v (z or d), in the role its op type
// has. It returns an error if the op type has no role, if the role is
// already taken, or if the node reads d in a role other than Abs or IsNaN.
// hd names the pattern's first node, for error messages.
func (r *softplusRoles) assign(w *walker, hd, z string, i int, v string) error {
	var role *int
	switch w.nodes[i].GetOpType() {
	case "Relu", "Max":
		role = &r.relu
	case "Sub":
		role = &r.sub
	case "Abs":
		role = &r.abs
	case "IsNaN":
		role = &r.isNaN
	case "Add":
		role = &r.add0
	case "Where":
		role = &r.where
	}
	if role == nil || *role >= 0 || v != z && role != &r.abs && role != &r.isNaN {
		return fmt.Errorf("%s: %s reads %q, %s", hd, describe(i, w.nodes[i]), v, softplusWant)
	}
	*role = i
	return nil
}

// softplusRelu checks that node relu, the positive part of Softplus, is
// Relu(z) or Max(z, 0) (either order).
func (w *walker) softplusRelu(relu int, z string) error {
	if w.nodes[relu].GetOpType() == "Relu" {
		return w.plain(relu, 1)
	}
	if err := w.plain(relu, 2); err != nil {
		return err
	}
	return w.isConst(relu, w.other(relu, z), 0, "zero", fmt.Sprintf("Max(%q, 0), the positive part of Softplus", z))
}

// softplusSub checks that node r.sub is Sub(z, 0), records the roles of the
// readers of its output d, and returns d; one of them must be the Abs. hd
// names the pattern's first node, for error messages.
func (w *walker) softplusSub(hd, z string, r *softplusRoles) (string, error) {
	sub := r.sub
	if err := w.plain(sub, 2); err != nil {
		return "", err
	}
	in := w.nodes[sub].GetInput()
	if in[0] != z {
		return "", fmt.Errorf("%s reads %q as its second operand, want Sub(%q, 0)", describe(sub, w.nodes[sub]), z, z)
	}
	if err := w.isConst(sub, in[1], 0, "zero", fmt.Sprintf("Sub(%q, 0), whose Abs is |%s|", z, z)); err != nil {
		return "", err
	}
	d := w.nodes[sub].GetOutput()[0]
	for _, i := range w.consumers[d] {
		if err := w.checkNode(i); err != nil {
			return "", err
		}
		if err := r.assign(w, hd, z, i, d); err != nil {
			return "", err
		}
	}
	if r.abs < 0 {
		return "", fmt.Errorf("%s: %q has %d readers, %s", hd, d, len(w.consumers[d]), softplusWant)
	}
	return d, nil
}

// softplusLog follows the Abs node abs through Neg, Exp, Add(·, 1) and Log,
// each the one reader of the last, appends them to chain, and returns the
// output of the Log, log(1 + e⁻|ᶻ|), and chain. hd names the pattern's first
// node, for error messages.
func (w *walker) softplusLog(hd string, abs int, chain []int) (string, []int, error) {
	v := w.nodes[abs].GetOutput()[0]
	for _, op := range []string{"Neg", "Exp", "Add", "Log"} {
		i, err := w.reader(v, hd, softplusWant, op)
		if err != nil {
			return "", nil, err
		}
		if op == "Add" {
			err = w.addOne(i, v, "1 (log(1 + u) is Log(Add(u, 1)))")
		} else {
			err = w.plain(i, 1)
		}
		if err != nil {
			return "", nil, err
		}
		chain = append(chain, i)
		v = w.nodes[i].GetOutput()[0]
	}
	return v, chain, nil
}

// softplusSum returns the Add node that sums r, the positive part of
// Softplus, and v, the Log, each read by it alone. hd names the pattern's
// first node, for error messages.
func (w *walker) softplusSum(hd, r, v string) (int, error) {
	si, err := w.reader(v, hd, softplusWant, "Add")
	if err != nil {
		return 0, err
	}
	if err := w.plain(si, 2); err != nil {
		return 0, err
	}
	if in := w.nodes[si].GetInput(); !(in[0] == r && in[1] == v || in[0] == v && in[1] == r) || len(w.consumers[r]) != 1 {
		return 0, fmt.Errorf("%s: %s adds %q, want the sum of %q and %q, each read by it alone (%s)", hd, describe(si, w.nodes[si]), in, r, v, softplusWant)
	}
	return si, nil
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
