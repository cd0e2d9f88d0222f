package main

// The elementwise kernels of training (mlp/kernel_train.go documents what
// each computes; mlp/kernel_amd64.go calls them). They work on flat arrays of
// float64 with one element per lane: 8 per zmm register on AVX-512, 4 per ymm
// register on AVX2. A loop runs whole registers, several at once, and ends
// with one register whose lanes past the end are masked off (loads give 0
// there, stores leave memory alone), so the kernels take any length. Every
// element sees the same operations in the same order as in the plain-Go
// kernels of mlp/kernel_train.go, which use math.FMA where these fuse, so all
// paths give the same bits.

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// iotaTable holds the int64 lane numbers 0…7, from which the masks of the
// last registers are made.
var iotaTable Mem

func declareIota() {
	iotaTable = GLOBL("triota", RODATA|NOPTR)
	for k := range 8 {
		DATA(8*k, U64(uint64(k)))
	}
}

// step is one iteration of isa.loop: the registers of its vec (s.parts()),
// the byte offset i of its first element in every array, and, in the last
// iteration, the mask of the lanes before the end (nil otherwise). tag makes
// the labels a body emits unique.
type step struct {
	s    isa
	i    GPVirtual
	mask Register
	tag  string
}

// at returns the element i of the array at p.
func (t step) at(p Mem) Mem {
	p.Index, p.Scale = t.i, 1
	return p
}

// load returns the vec of the array at p; masked-off lanes are 0.
func (t step) load(p Mem) vec {
	if t.mask == nil {
		return t.s.load(t.at(p))
	}
	v := t.s.newVec()
	if t.s.zmm {
		VMOVUPD_Z(t.at(p), t.mask, v[0])
	} else {
		VMASKMOVPD(t.at(p), t.mask, v[0])
	}
	return v
}

// store stores v in the array at p, except in masked-off lanes.
func (t step) store(v vec, p Mem) {
	if t.mask == nil {
		t.s.store(v, t.at(p))
		return
	}
	if t.s.zmm {
		VMOVUPD(v[0], t.mask, t.at(p))
	} else {
		VMASKMOVPD(v[0], t.mask, t.at(p))
	}
}

// lanes returns the number of float64 in a register.
func (s isa) lanes() int { return s.width() / 8 }

// loop emits a loop over the nb bytes of the arrays a kernel works on: body
// runs for u registers at a time while they fill up, then for one, then for
// one masked register if elements remain. nb is not modified; the labels
// start with name.
func (s isa) loop(name string, nb Register, u int, body func(t step)) {
	W := s.width()
	i, rem := GP64(), GP64()
	XORQ(i, i)
	MOVQ(nb, rem)
	if u > 1 {
		Label(name + "_many")
		CMPQ(rem, U32(u*W))
		JL(LabelRef(name + "_one"))
		body(step{s: s.times(u), i: i, tag: name + "_many"})
		ADDQ(U32(u*W), i)
		SUBQ(U32(u*W), rem)
		JMP(LabelRef(name + "_many"))
	}
	Label(name + "_one")
	CMPQ(rem, U32(W))
	JL(LabelRef(name + "_tail"))
	body(step{s: s, i: i, tag: name + "_one"})
	ADDQ(U32(W), i)
	SUBQ(U32(W), rem)
	JMP(LabelRef(name + "_one"))

	Label(name + "_tail")
	TESTQ(rem, rem)
	JZ(LabelRef(name + "_end"))
	SHRQ(U8(3), rem) // elements left, 1 … lanes−1
	var mask Register
	if s.zmm {
		r := ZMM()
		VPBROADCASTQ(rem, r)
		mask = K()
		VPCMPQ(U8(6), iotaTable, r, mask) // rem > lane (NLE)
	} else {
		x, r := XMM(), YMM()
		MOVQ(rem, x)
		VPBROADCASTQ(x, r)
		mask = YMM()
		VPCMPGTQ(iotaTable, r, mask)
	}
	body(step{s: s, i: i, mask: mask, tag: name + "_tail"})
	Label(name + "_end")
}

// trainISA returns s with one register per vec: the training kernels run
// AVX2 on 4 lanes at a time.
func (s isa) trainISA() isa {
	s = s.half()
	s.nodes = 0
	return s
}

// flat generates func <name><ISA>(<ptrs> *float64, n int), whose body works
// on the arrays at ptrs, n elements each, u registers at a time.
func (s isa) flat(name string, ptrs []string, u int, body func(t step, p map[string]Mem)) {
	s = s.trainISA()
	name += s.suffix
	sig := "func("
	for i, p := range ptrs {
		if i > 0 {
			sig += ", "
		}
		sig += p
	}
	TEXT(name, NOSPLIT, sig+" *float64, n int)")
	Pragma("noescape")
	m := args(ptrs...)
	p := map[string]Mem{}
	for i, n := range ptrs {
		p[n] = m[i]
	}
	nb := Load(Param("n"), GP64())
	SHLQ(U8(3), nb)
	s.loop(name, nb, u, func(t step) { body(t, p) })
	VZEROUPPER()
	RET()
}

// trainAct generates
//
//	func trAct<Act>[3]<ISA>(f, d1, d2, d3, z, bias *float64, rows, w int)
//
// the kernel of activateGo: for each of the rows rows of w elements of z
// (rows ≥ 1, w ≥ 1), z[i] += bias[i], then f, d1, d2 and, with 3 in the
// name, d3 = σ … σ‴ at z (isa.act with the SiLU limits); without 3, d3 is
// not touched.
func (s isa) trainAct(actName string, third bool, u int) {
	s = s.trainISA()
	name := "trAct" + actName
	if third {
		name += "3"
	}
	name += s.suffix
	TEXT(name, NOSPLIT, "func(f, d1, d2, d3, z, bias *float64, rows, w int)")
	Pragma("noescape")
	names := []string{"f", "d1", "d2", "z", "bias"}
	if third {
		names = append(names, "d3")
	}
	p := args(names...)
	f, d1, d2, z, bias := p[0], p[1], p[2], p[3], p[4]
	outs := []Mem{f, d1, d2}
	if third {
		outs = append(outs, p[5])
	}
	rows := Load(Param("rows"), GP64())
	wb := Load(Param("w"), GP64())
	SHLQ(U8(3), wb)
	Label(name + "_row")
	s.loop(name, wb, u, func(t step) {
		zv := t.s.add(t.load(z), t.load(bias))
		t.store(zv, z)
		t.s.act(actName, zv, actOpts{third: third, limits: true}, func(q int, v vec) {
			t.store(v, outs[q])
		})
	})
	for _, m := range append(outs, z) {
		ADDQ(wb, m.Base)
	}
	DECQ(rows)
	JNZ(LabelRef(name + "_row"))
	VZEROUPPER()
	RET()
}

// trainKernels generates the elementwise kernels of training other than the
// activations, each of the form of isa.flat (see the …Go functions of
// mlp/kernel_train.go for what they compute, in the same order):
//
//	trMul      dst = x·y
//	trMulAdd   dst += x·y
//	trUpward   zbar = d2·g·dbar,  gbar = d1·dbar
//	trBackTan  dd = d2·zd·g + d1·gd   (trBackTanLast: ġ = 0, no d1·gd)
//	trUpTan    zbar += (d3·zd·g + d2·gd)·e,  zdbar = d2·g·e,  gbar += d2·zd·e,
//	           gdbar = d1·e with e = ddbar  (trUpTanLast: no gd, gdbar)
//	trDownTan  zbar += d2·zd·ad,  zdbar += d1·ad
//	trAddTo    dst += x
//
// and trColSums and trAdam.
func (s isa) trainKernels() {
	u := 2
	s.flat("trMul", []string{"dst", "x", "y"}, u, func(t step, p map[string]Mem) {
		t.store(t.s.mul(t.load(p["x"]), t.load(p["y"])), p["dst"])
	})
	s.flat("trMulAdd", []string{"dst", "x", "y"}, u, func(t step, p map[string]Mem) {
		xy := t.s.mul(t.load(p["x"]), t.load(p["y"]))
		t.store(t.s.add(t.load(p["dst"]), xy), p["dst"])
	})
	s.flat("trUpward", []string{"zbar", "gbar", "d1", "d2", "gl", "dbar"}, u, func(t step, p map[string]Mem) {
		e := t.load(p["dbar"])
		t.store(t.s.mul(t.s.mul(t.load(p["d2"]), t.load(p["gl"])), e), p["zbar"])
		t.store(t.s.mul(t.load(p["d1"]), e), p["gbar"])
	})
	for _, last := range []bool{false, true} {
		name, ptrs := "trBackTan", []string{"dd", "d1", "d2", "zd", "gl", "gd"}
		if last {
			name, ptrs = "trBackTanLast", ptrs[:5]
		}
		s.flat(name, ptrs, u, func(t step, p map[string]Mem) {
			v := t.s.mul(t.s.mul(t.load(p["d2"]), t.load(p["zd"])), t.load(p["gl"]))
			if !last {
				v = t.s.add(v, t.s.mul(t.load(p["d1"]), t.load(p["gd"])))
			}
			t.store(v, p["dd"])
		})
	}
	for _, last := range []bool{false, true} {
		name, ptrs := "trUpTan", []string{"zbar", "zdbar", "gbar", "d1", "d2", "d3", "zd", "gl", "ddbar", "gd", "gdbar"}
		if last {
			name, ptrs = "trUpTanLast", ptrs[:9]
		}
		s.flat(name, ptrs, 1, func(t step, p map[string]Mem) {
			e, d2, zd, g := t.load(p["ddbar"]), t.load(p["d2"]), t.load(p["zd"]), t.load(p["gl"])
			v := t.s.mul(t.s.mul(t.load(p["d3"]), zd), g)
			if !last {
				v = t.s.add(v, t.s.mul(d2, t.load(p["gd"])))
				t.store(t.s.mul(t.load(p["d1"]), e), p["gdbar"])
			}
			t.store(t.s.add(t.load(p["zbar"]), t.s.mul(v, e)), p["zbar"])
			t.store(t.s.mul(t.s.mul(d2, g), e), p["zdbar"])
			t.store(t.s.add(t.load(p["gbar"]), t.s.mul(t.s.mul(d2, zd), e)), p["gbar"])
		})
	}
	s.flat("trDownTan", []string{"zbar", "zdbar", "d1", "d2", "zd", "ad"}, u, func(t step, p map[string]Mem) {
		a := t.load(p["ad"])
		t.store(t.s.add(t.load(p["zbar"]), t.s.mul(t.s.mul(t.load(p["d2"]), t.load(p["zd"])), a)), p["zbar"])
		t.store(t.s.add(t.load(p["zdbar"]), t.s.mul(t.load(p["d1"]), a)), p["zdbar"])
	})
	s.flat("trAddTo", []string{"dst", "x"}, u, func(t step, p map[string]Mem) {
		t.store(t.s.add(t.load(p["dst"]), t.load(p["x"])), p["dst"])
	})
	s.colSums()
	s.adam()
}

// colSums generates func trColSums<ISA>(dst, x *float64, rows, w int), the
// kernel of colSumsGo: dst[i] += x[0·w + i] + x[1·w + i] + … + x[(rows−1)·w + i]
// for i < w, summed in order of rows (rows ≥ 1), four registers of columns
// at a time so that their sums interleave.
func (s isa) colSums() {
	s = s.trainISA()
	name := "trColSums" + s.suffix
	TEXT(name, NOSPLIT, "func(dst, x *float64, rows, w int)")
	Pragma("noescape")
	p := args("dst", "x")
	dst, x := p[0], p[1]
	wb := Load(Param("w"), GP64())
	SHLQ(U8(3), wb)
	s.loop(name, wb, 4, func(t step) {
		acc := t.load(dst)
		xr, r := Mem{Base: GP64()}, GP64()
		LEAQ(t.at(x), xr.Base)
		Load(Param("rows"), r)
		Label(t.tag + "_rows")
		var xv vec
		if t.mask == nil {
			xv = t.s.load(xr)
		} else {
			xv = t.s.newVec()
			if t.s.zmm {
				VMOVUPD_Z(xr, t.mask, xv[0])
			} else {
				VMASKMOVPD(xr, t.mask, xv[0])
			}
		}
		for h := range acc {
			VADDPD(xv[h], acc[h], acc[h])
		}
		ADDQ(wb, xr.Base)
		DECQ(r)
		JNZ(LabelRef(t.tag + "_rows"))
		t.store(acc, dst)
	})
	VZEROUPPER()
	RET()
}

// adam generates func trAdam<ISA>(p, g, m, v *float64, n int, c *float64),
// the kernel of adamUpdateGo, with c the coefficients b1, b2, cb1, cb2, c1,
// c2, eps, lr, decay in this order:
//
//	m = b1·m + cb1·g,  v = b2·v + cb2·g·g,  p = p·decay − lr·(m·c1)/(√(v·c2) + eps)
func (s isa) adam() {
	s = s.trainISA()
	name := "trAdam" + s.suffix
	TEXT(name, NOSPLIT, "func(p, gr, m, v *float64, n int, c *float64)")
	Pragma("noescape")
	ptr := args("p", "gr", "m", "v", "c")
	p, g, m, v, c := ptr[0], ptr[1], ptr[2], ptr[3], ptr[4]
	coef := make([]VecVirtual, 9)
	for i := range coef {
		coef[i] = s.bcast(c.Offset(8 * i))[0]
	}
	nb := Load(Param("n"), GP64())
	SHLQ(U8(3), nb)
	u := 2
	if !s.zmm {
		u = 1 // the 9 coefficients leave 7 of the 16 registers
	}
	s.loop(name, nb, u, func(t step) {
		k := func(i int) vec { // coefficient i in every register of the vec
			r := make(vec, t.s.parts())
			for h := range r {
				r[h] = coef[i]
			}
			return r
		}
		b1, b2, cb1, cb2, c1, c2, eps, lr, decay := k(0), k(1), k(2), k(3), k(4), k(5), k(6), k(7), k(8)
		gi := t.load(g)
		mi := t.s.add(t.s.mul(b1, t.load(m)), t.s.mul(cb1, gi))
		vi := t.s.add(t.s.mul(b2, t.load(v)), t.s.mul(t.s.mul(cb2, gi), gi))
		t.store(mi, m)
		t.store(vi, v)
		sq := t.s.newVec()
		for h, r := range t.s.mul(vi, c2) {
			VSQRTPD(r, sq[h])
		}
		step := t.s.div(t.s.mul(lr, t.s.mul(mi, c1)), t.s.add(sq, eps))
		t.store(t.s.sub(t.s.mul(t.load(p), decay), step), p)
	})
	VZEROUPPER()
	RET()
}
