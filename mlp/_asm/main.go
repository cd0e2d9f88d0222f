// Command _asm generates mlp/eval_amd64.s and mlp/eval_amd64_stubs.go with
// avo: the AVX-512 and AVX2+FMA group kernels of the mlp Evaluator (this
// file) and the elementwise kernels of training (train.go):
//
//	cd mlp/_asm && go run . -out ../eval_amd64.s -stubs ../eval_amd64_stubs.go -pkg mlp
//
// (mlp/eval_amd64.go has the go:generate line). It is a module of its own so
// that the mlp module does not depend on avo.
//
// Every Evaluator kernel works on 8 samples at once, one per lane: a
// "vector" is one zmm register (AVX-512) or two ymm registers (AVX2, lanes
// 0–3 and 4–7), and a node's state is one [8]float64 of the Evaluator's
// scratch. Both variants perform the same IEEE operations in the same order
// on every lane, so they give the same bits. The training kernels do the same
// on flat arrays, and so do their plain-Go versions in mlp/kernel_train.go.
package main

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// isa is one instruction set: AVX-512F (one zmm per 8 lanes) or AVX2+FMA
// (two ymm).
type isa struct {
	suffix string // of the function names
	zmm    bool   // AVX-512: zmm registers of 8 lanes, else ymm registers of 4
	halves int    // registers per node of the vec (1 on AVX-512, 2 or 1 on AVX2)
	tile   int    // nodes per weight tile in the matrix kernels
	nodes  int    // nodes (of 8 lanes, 64 bytes apart) per vec; 0 means 1
	unroll int    // nodes at once in the activations
}

// parts returns the number of registers of a vec.
func (s isa) parts() int { return s.halves * max(1, s.nodes) }

// nodeBytes returns the bytes of a node of a vec: 64 (8 lanes), or 32 (4
// lanes) for the AVX2 activations, which run the two halves of a node as two
// nodes so that their 16 registers suffice.
func (s isa) nodeBytes() int { return s.width() * s.halves }

// half returns s with nodes of 4 lanes: one ymm register.
func (s isa) half() isa {
	s.halves = 1
	return s
}

// times returns s with vecs of u nodes, which the elementwise kernels
// process at once so that the dependency chains of u nodes interleave.
func (s isa) times(u int) isa {
	s.nodes = u
	return s
}

var (
	avx512 = isa{suffix: "AVX512", zmm: true, halves: 1, tile: 8, unroll: 4}
	avx2   = isa{suffix: "AVX2", halves: 2, tile: 2, unroll: 2}
)

// vec is 8 float64 lanes in registers.
type vec []VecVirtual

func (s isa) newVec() vec {
	v := make(vec, s.parts())
	for h := range v {
		if s.zmm {
			v[h] = ZMM()
		} else {
			v[h] = YMM()
		}
	}
	return v
}

// bytes of one register.
func (s isa) width() int {
	if s.zmm {
		return 64
	}
	return 32
}

func (s isa) load(m Mem) vec {
	v := s.newVec()
	for h := range v {
		VMOVUPD(m.Offset(h*s.width()), v[h])
	}
	return v
}

func (s isa) store(v vec, m Mem) {
	for h := range v {
		VMOVUPD(v[h], m.Offset(h*s.width()))
	}
}

// bcast returns the float64 at m in every lane.
func (s isa) bcast(m Mem) vec {
	v := s.newVec()
	for h := range v {
		VBROADCASTSD(m, v[h])
	}
	return v
}

func (s isa) zero() vec {
	v := s.newVec()
	for h := range v {
		VXORPD(v[h], v[h], v[h])
	}
	return v
}

// op returns ins(a, b) lane by lane, in Intel terms dst = a ∘ b, b may be a
// constant.
func (s isa) op(ins func(...Op), a vec, b any) vec {
	d := s.newVec()
	for h := range d {
		ins(s.operand(b, h), a[h], d[h])
	}
	return d
}

func (s isa) operand(b any, h int) Op {
	switch b := b.(type) {
	case vec:
		return b[h]
	case float64:
		return konst(b).Offset(h * s.width() % 64)
	}
	panic("bad operand")
}

func (s isa) add(a vec, b any) vec { return s.op(VADDPD, a, b) }
func (s isa) sub(a vec, b any) vec { return s.op(VSUBPD, a, b) }
func (s isa) mul(a vec, b any) vec { return s.op(VMULPD, a, b) }
func (s isa) div(a vec, b any) vec { return s.op(VDIVPD, a, b) }

// fma returns a·b + c with one rounding; c may be a constant.
func (s isa) fma(a vec, b vec, c any) vec {
	d := s.newVec()
	for h := range d {
		VMOVAPD(b[h], d[h])
		VFMADD213PD(s.operand(c, h), a[h], d[h]) // d = a·d + c
	}
	return d
}

// acc sets acc += a·b.
func (s isa) acc(acc, a vec, b any) {
	for h := range acc {
		VFMADD231PD(s.operand(b, h), a[h], acc[h])
	}
}

// Comparison predicates of VCMPPD.
const (
	cmpEQ = 0x00 // EQ_OQ
	cmpLT = 0x01 // LT_OS
	cmpLE = 0x12 // LE_OQ
	cmpGE = 0x1d // GE_OQ
	cmpGT = 0x1e // GT_OQ
)

// mask is the result of a comparison, lane by lane: K registers on AVX-512,
// all-ones or zero lanes in ymm registers on AVX2.
type mask []Register

// cmp returns the lanes where a pred b holds; b may be a constant.
func (s isa) cmp(pred uint8, a vec, b any) mask {
	m := make(mask, len(a))
	for h := range m {
		if s.zmm {
			m[h] = K()
		} else {
			m[h] = YMM()
		}
		VCMPPD(U8(pred), s.operand(b, h), a[h], m[h])
	}
	return m
}

// sel returns, lane by lane, ifTrue where m holds and otherwise elsewhere.
func (s isa) sel(m mask, ifTrue, otherwise vec) vec {
	d := s.newVec()
	for h := range d {
		if s.zmm {
			VBLENDMPD(ifTrue[h], otherwise[h], m[h], d[h])
		} else {
			VBLENDVPD(m[h], ifTrue[h], otherwise[h], d[h])
		}
	}
	return d
}

// Constants, each replicated in 8 lanes of a 64-byte row of the table evconst.
var (
	constTable Mem
	constRows  = map[uint64]int{}
	constList  []float64
)

func konst(x float64) Mem {
	row, ok := constRows[math.Float64bits(x)]
	if !ok {
		panic(fmt.Sprintf("constant %v not declared", x))
	}
	return constTable.Offset(64 * row)
}

func declareConsts(xs ...float64) {
	for _, x := range xs {
		if _, ok := constRows[math.Float64bits(x)]; ok {
			continue
		}
		constRows[math.Float64bits(x)] = len(constList)
		constList = append(constList, x)
	}
	constTable = GLOBL("evconst", RODATA|NOPTR)
	for r, x := range constList {
		for k := range 8 {
			DATA(64*r+8*k, U64(math.Float64bits(x))) // F64 prints 2 for 2.0, which the assembler reads as an integer
		}
	}
}

// Constants of exp: as expGo in mlp/kernel_train.go.
const (
	expMax = 710
	expMin = -746
	ln2Hi  = 6.93147180369123816490e-01
	ln2Lo  = 1.90821492927058770002e-10
	magic  = 0x1.8p52 + 1023 // k + magic holds k + 1023 in its low mantissa bits
)

var taylor = []float64{
	1.0 / 6227020800, 1.0 / 479001600, 1.0 / 39916800, 1.0 / 3628800, 1.0 / 362880, 1.0 / 40320,
	1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1, 1,
}

// exp returns e^x lane by lane: x = k·ln2 + r, k = round(x/ln2), r by
// Cody–Waite with two fused multiply-adds, e^r by its Taylor polynomial of
// degree 13 (Horner), e^x = e^r·2^k rounded once (VSCALEFPD; on AVX2
// (e^r·2^k₁)·2^k₂ with k₁ = ⌊k/2⌋, k₂ = k − k₁, the first product exact). x is
// clamped to [−746, 710] first, so that e^x overflows to +Inf and underflows
// to 0 like math.Exp; NaN stays NaN.
func (s isa) exp(x vec) vec {
	lo, hi := s.bcast(konst(expMin)), s.bcast(konst(expMax))
	xc := s.newVec()
	for h := range xc {
		VMAXPD(x[h], lo[h], xc[h]) // Intel max(lo, x): x if either is NaN
		VMINPD(xc[h], hi[h], xc[h])
	}
	t := s.mul(xc, math.Log2E)
	k := s.newVec()
	for h := range k {
		if s.zmm {
			VRNDSCALEPD(U8(0), t[h], k[h])
		} else {
			VROUNDPD(U8(0), t[h], k[h])
		}
	}
	r := s.fma(k, s.bcast(konst(-ln2Hi)), xc)
	r = s.fma(k, s.bcast(konst(-ln2Lo)), r)
	p := s.bcast(konst(taylor[0]))
	for _, c := range taylor[1:] {
		for h := range p {
			VFMADD213PD(s.operand(c, h), r[h], p[h]) // p = r·p + c
		}
	}
	if s.zmm {
		d := s.newVec()
		for h := range d {
			VSCALEFPD(k[h], p[h], d[h])
		}
		return d
	}
	k1 := s.newVec()
	for h := range k1 {
		VMULPD(s.operand(0.5, h), k[h], k1[h])
		VROUNDPD(U8(1), k1[h], k1[h]) // floor
	}
	k2 := s.sub(k, k1)
	for _, ki := range []vec{k1, k2} {
		b := s.add(ki, magic)
		for h := range b {
			VPSLLQ(U8(52), b[h], b[h])
		}
		p = s.mul(p, b)
	}
	return p
}

// args loads the named pointer parameters into registers as memory operands.
func args(names ...string) []Mem {
	m := make([]Mem, len(names))
	for i, n := range names {
		m[i] = Mem{Base: Load(Param(n), GP64())}
	}
	return m
}

// tiles generates
//
//	func evTiles<ISA>(z, w, a, b *float64, in, tiles int)
//	func evTilesTan<ISA>(z, zd, w, a, ad, b *float64, in, tiles int)
//
// which set, for the T·tiles nodes i = T·p + k of the tiles p,
//
//	z[i] = b[i] + Σ_{j<in} w[(p·in + j)·T + k]·a[j],   zd[i] = Σ_{j<in} w[(p·in + j)·T + k]·ad[j]
//
// lane by lane (z, zd, a, ad are arrays of [8]float64), summing in order of j
// with fused multiply-adds. The forward pass calls it with the tiles of
// W (tiles over outputs), the reverse pass with those of Wᵀ and b = 0.
func (s isa) tiles(tan bool) {
	name, sig := "evTiles", "func(z, w, a, b *float64, in, tiles int)"
	if tan {
		name, sig = "evTilesTan", "func(z, zd, w, a, ad, b *float64, in, tiles int)"
	}
	name += s.suffix
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	T := s.tile
	var z, zd, w, a0, ad0, b Mem
	if tan {
		p := args("z", "zd", "w", "a", "ad", "b")
		z, zd, w, a0, ad0, b = p[0], p[1], p[2], p[3], p[4], p[5]
	} else {
		p := args("z", "w", "a", "b")
		z, w, a0, b = p[0], p[1], p[2], p[3]
	}
	in := Load(Param("in"), GP64())
	nt := Load(Param("tiles"), GP64())
	a, ad := Mem{Base: GP64()}, Mem{Base: GP64()}
	j := GP64()

	Label(name + "_tile")
	accZ := make([]vec, T)
	accD := make([]vec, T)
	for k := range T {
		accZ[k] = s.bcast(b.Offset(8 * k))
		if tan {
			accD[k] = s.zero()
		}
	}
	MOVQ(a0.Base, a.Base)
	if tan {
		MOVQ(ad0.Base, ad.Base)
	}
	MOVQ(in, j)
	TESTQ(j, j)
	JZ(LabelRef(name + "_store"))
	Label(name + "_j")
	x := s.load(a)
	var xd vec
	if tan {
		xd = s.load(ad)
	}
	for k := range T {
		if s.zmm {
			VFMADD231PD_BCST(w.Offset(8*k), x[0], accZ[k][0])
			if tan {
				VFMADD231PD_BCST(w.Offset(8*k), xd[0], accD[k][0])
			}
			continue
		}
		wk := s.bcast(w.Offset(8 * k))
		s.acc(accZ[k], wk, x)
		if tan {
			s.acc(accD[k], wk, xd)
		}
	}
	ADDQ(U32(8*T), w.Base)
	ADDQ(U32(64), a.Base)
	if tan {
		ADDQ(U32(64), ad.Base)
	}
	DECQ(j)
	JNZ(LabelRef(name + "_j"))

	Label(name + "_store")
	for k := range T {
		s.store(accZ[k], z.Offset(64*k))
		if tan {
			s.store(accD[k], zd.Offset(64*k))
		}
	}
	ADDQ(U32(64*T), z.Base)
	if tan {
		ADDQ(U32(64*T), zd.Base)
	}
	ADDQ(U32(8*T), b.Base)
	DECQ(nt)
	JNZ(LabelRef(name + "_tile"))
	VZEROUPPER()
	RET()
}

// Coefficients of log1p: the minimax polynomial of math.Log (FreeBSD's e_log.c).
var logL = []float64{
	6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01, 2.222219843214978396e-01,
	1.818357216161805012e-01, 1.531383769920937332e-01, 1.479819860511658591e-01,
}

// log1p returns log(1 + t) lane by lane for 0 ≤ t ≤ 1: u = 1 + t rounded,
// log(u) as in math.Log (u = 2^k·(1 + f), k ∈ {0, 1}, |f| < 0.42,
// log(1 + f) = 2·atanh(f/(2 + f)) by a minimax polynomial), plus the
// first-order correction (t − (u − 1))/u for the rounding of u, so that small t
// keep their relative accuracy. Error about 1 ulp.
func (s isa) log1p(t vec) vec {
	u := s.add(t, 1.0)
	um1 := s.sub(u, 1.0)
	c := s.div(s.sub(t, um1), u) // all of log1p(t) when 1 + t rounds to 1
	big := s.cmp(cmpGE, u, math.Sqrt2)
	f := s.sel(big, s.sub(s.mul(u, 0.5), 1.0), um1)
	k := s.newVec() // 1 where big, else 0
	for h := range k {
		if s.zmm {
			VMOVUPD_Z(konst(1), big[h], k[h])
		} else {
			VANDPD(konst(1).Offset(32*h), big[h], k[h])
		}
	}
	sv := s.div(f, s.add(f, 2.0))
	s2 := s.mul(sv, sv)
	s4 := s.mul(s2, s2)
	t1 := s.mul(s2, s.fma(s4, s.fma(s4, s.fma(s4, s.bcast(konst(logL[6])), logL[4]), logL[2]), logL[0]))
	t2 := s.mul(s4, s.fma(s4, s.fma(s4, s.bcast(konst(logL[5])), logL[3]), logL[1]))
	hfsq := s.mul(s.mul(f, 0.5), f)
	in := s.fma(sv, s.add(hfsq, s.add(t1, t2)), s.mul(k, ln2Lo))
	// k·ln2Hi is exact: the product of the fused multiply-add of log1p8.
	return s.add(s.add(s.mul(k, ln2Hi), s.sub(f, s.sub(hfsq, in))), c)
}

// actOpts are the options of isa.act.
type actOpts struct {
	third  bool // also emit σ‴
	limits bool // SiLU gives its limits at ±Inf
}

// siluClamp bounds the z at which act evaluates the derivatives of SiLU with
// actOpts.limits (a power of 2 beyond 746).
const siluClamp = 1024

// clamp returns min(max(x, lo), hi) lane by lane; NaN stays NaN.
func (s isa) clamp(x vec, lo, hi float64) vec {
	l, u := s.bcast(konst(lo)), s.bcast(konst(hi))
	d := s.newVec()
	for h := range d {
		VMAXPD(x[h], l[h], d[h]) // Intel max(lo, x): x if either is NaN
		VMINPD(d[h], u[h], d[h])
	}
	return d
}

// activations names the activations of the kernels, as in mlp.Activation.
var activations = []string{"SiLU", "Softplus", "Tanh", "ReLU"}

// act returns σ, σ′ and σ″ of the activation named name at z, with the
// formulas of Activation.eval. With s = 1/(1 + e⁻ᶻ) and c = 1 − s computed
// from e = e^−|z| (never by a cancelling subtraction), p = s·c:
//
//	SiLU      σ = z·s,  σ′ = z·p + s,  σ″ = p·(z·(c − s) + 2)
//	Softplus  σ = max(z, 0) + log1p(e),  σ′ = s,  σ″ = p
//	Tanh      with e = e^−2|z|, r = 1/(1 + e): σ = ±(1 − e)·r (the sign of z),
//	          σ′ = 4e·r·r,  σ″ = −2σ·σ′
//	ReLU      σ = z if z > 0 or NaN else 0,  σ′ = 1 if z > 0 else 0,  σ″ = 0
//
// With o.third it also passes σ‴ (q = 3), computed as in kernel_train.go:
//
//	SiLU      σ‴ = p·(z·(p·(−6) + 1) + 3·(c − s))
//	Softplus  σ‴ = p·(c − s)
//	Tanh      σ‴ = σ′·((6σ)·σ − 2)
//	ReLU      σ‴ = 0
//
// With o.limits, SiLU gives its limits at z = ±Inf (as Activation.Eval,
// except σ″ = σ‴ = −0): σ = −0 at −Inf, and σ′, σ″, σ‴ are evaluated at z
// clamped to [−siluClamp, siluClamp], which changes no finite result (s·c is
// 0 beyond ±746) and turns the products ±Inf·0 into the limits.
//
// It passes σ, σ′, σ″ (and σ‴) to emit, in this order, as soon as each is
// known, so that the caller can store them and free their registers;
// fused multiply-adds are marked fma, every other operation rounds once.
func (s isa) act(name string, z vec, o actOpts, emit func(q int, v vec)) {
	negAbs := func() vec { return s.op(VORPD, z, math.Copysign(0, -1)) }
	sigmoid := func(e vec) (sg, c vec) {
		r := s.div(s.bcast(konst(1)), s.add(e, 1.0))
		er := s.mul(e, r)
		var neg mask
		for _, r := range z {
			neg = append(neg, r) // VBLENDVPD selects by the sign bit: z < 0, or z = −0 where s = c
		}
		if s.zmm {
			neg = s.cmp(cmpLT, z, 0.0)
		}
		return s.sel(neg, er, r), s.sel(neg, r, er)
	}
	switch name {
	case "SiLU":
		sg, c := sigmoid(s.exp(negAbs()))
		p := s.mul(sg, c)
		m := s.sub(c, sg)
		f, zc := s.mul(z, sg), z
		if o.limits {
			f = s.sel(s.cmp(cmpEQ, z, math.Inf(-1)), s.bcast(konst(math.Copysign(0, -1))), f)
			zc = s.clamp(z, -siluClamp, siluClamp)
		}
		emit(0, f)
		emit(1, s.fma(zc, p, sg))
		emit(2, s.mul(p, s.fma(zc, m, 2.0)))
		if o.third {
			emit(3, s.mul(p, s.fma(zc, s.fma(p, s.bcast(konst(-6)), 1.0), s.mul(m, 3.0))))
		}
	case "Softplus":
		e := s.exp(negAbs())
		f := s.log1p(e)
		zero := s.zero()
		for h := range f {
			VMAXPD(z[h], zero[h], zero[h]) // Intel max(0, z): z if either is NaN
			VADDPD(f[h], zero[h], f[h])
		}
		emit(0, f)
		sg, c := sigmoid(e)
		emit(1, sg)
		p := s.mul(sg, c)
		emit(2, p)
		if o.third {
			emit(3, s.mul(p, s.sub(c, sg)))
		}
	case "Tanh":
		e := s.exp(s.mul(negAbs(), 2.0))
		r := s.div(s.bcast(konst(1)), s.add(e, 1.0))
		t := s.mul(s.sub(s.bcast(konst(1)), e), r)
		t = s.op(VORPD, t, s.op(VANDPD, z, math.Copysign(0, -1))) // the sign of z
		g := s.mul(s.mul(s.mul(e, 4.0), r), r)
		emit(0, t)
		emit(1, g)
		emit(2, s.mul(s.mul(t, -2.0), g))
		if o.third {
			emit(3, s.mul(g, s.fma(s.mul(t, 6.0), t, -2.0)))
		}
	case "ReLU":
		zero := s.zero()
		emit(0, s.sel(s.cmp(cmpLE, z, 0.0), zero, z))
		emit(1, s.sel(s.cmp(cmpGT, z, 0.0), s.bcast(konst(1)), zero))
		emit(2, zero)
		if o.third {
			emit(3, zero)
		}
	default:
		panic("unknown activation " + name)
	}
}

// activation generates
//
//	func ev<Act><ISA>(a, d1 *float64, n int)
//	func ev<Act>Tan<ISA>(a, ad, d1, t *float64, n int)
//
// which replace the pre-activations z in a[i], i < n, by σ(z) (act) and set
// d1[i] = σ′(z) and, in the tangent variant, ad[i] = σ′(z)·ad[i] and
// t[i] = σ″(z)·ad[i]; a[i], ad[i], d1[i] and t[i] are [8]float64. Several
// nodes run at once (isa.unroll), so that their dependency chains interleave.
func (s isa) activation(actName string, tan bool) {
	name, sig := "ev"+actName, "func(a, d1 *float64, n int)"
	if tan {
		name, sig = "ev"+actName+"Tan", "func(a, ad, d1, t *float64, n int)"
	}
	name += s.suffix
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	var a, ad, d1, t Mem
	if tan {
		p := args("a", "ad", "d1", "t")
		a, ad, d1, t = p[0], p[1], p[2], p[3]
	} else {
		p := args("a", "d1")
		a, d1 = p[0], p[1]
	}
	n := Load(Param("n"), GP64())
	if !s.zmm {
		s = s.half()
		SHLQ(U8(1), n) // half nodes
	}
	body := func(s isa) {
		u := max(1, s.nodes) * s.nodeBytes() // bytes
		var zd vec
		s.act(actName, s.load(a), actOpts{}, func(q int, v vec) {
			switch q {
			case 0:
				s.store(v, a)
			case 1:
				s.store(v, d1)
				if tan {
					zd = s.load(ad)
					s.store(s.mul(v, zd), ad)
				}
			case 2:
				if tan {
					s.store(s.mul(v, zd), t)
				}
			}
		})
		if tan {
			ADDQ(U32(u), ad.Base)
			ADDQ(U32(u), t.Base)
		}
		ADDQ(U32(u), a.Base)
		ADDQ(U32(u), d1.Base)
		SUBQ(U32(max(1, s.nodes)), n)
	}
	U := s.unroll
	switch {
	case actName == "Softplus" && !s.zmm:
		U = 1 // log1p needs all 16 registers
	case actName != "SiLU":
		U = min(U, 2) // more live registers than SiLU
	}
	if U > 1 {
		Label(name + "_many")
		CMPQ(n, U32(U))
		JL(LabelRef(name + "_one"))
		body(s.times(U))
		JMP(LabelRef(name + "_many"))
	}
	Label(name + "_one")
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	body(s)
	JMP(LabelRef(name + "_one"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// expKernel generates func evExp<ISA>(dst, x *float64, n int): dst[i] = e^x[i]
// for the n [8]float64 of x, for the tests of exp.
func (s isa) expKernel() {
	name := "evExp" + s.suffix
	TEXT(name, NOSPLIT, "func(dst, x *float64, n int)")
	Pragma("noescape")
	p := args("dst", "x")
	dst, x := p[0], p[1]
	n := Load(Param("n"), GP64())
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	Label(name + "_loop")
	s.store(s.exp(s.load(x)), dst)
	ADDQ(U32(64), x.Base)
	ADDQ(U32(64), dst.Base)
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// scale generates func evScale<ISA>(d1, t, w *float64, n int): d1[i] *= w[i]
// and t[i] *= w[i] for i < n, w[i] a scalar, d1[i] and t[i] [8]float64.
func (s isa) scale() {
	name := "evScale" + s.suffix
	TEXT(name, NOSPLIT, "func(d1, t, w *float64, n int)")
	Pragma("noescape")
	p := args("d1", "t", "w")
	d1, t, w := p[0], p[1], p[2]
	n := Load(Param("n"), GP64())
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	Label(name + "_loop")
	wi := s.bcast(w)
	s.store(s.mul(s.load(d1), wi), d1)
	s.store(s.mul(s.load(t), wi), t)
	ADDQ(U32(8), w.Base)
	ADDQ(U32(64), d1.Base)
	ADDQ(U32(64), t.Base)
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// combine generates
//
//	func evCombine<ISA>(d1, g *float64, n int)
//	func evCombineTan<ISA>(d1, t, g, h *float64, n int)
//
// which set, lane by lane for i < n, t[i] = t[i]·g[i] + d1[i]·h[i] (one
// fused multiply-add) and d1[i] = d1[i]·g[i]: δ and δ̇ of a hidden layer from
// σ′, σ″·ż and the layer's g and ġ.
func (s isa) combine(tan bool) {
	name, sig := "evCombine", "func(d1, gl *float64, n int)"
	if tan {
		name, sig = "evCombineTan", "func(d1, t, gl, hl *float64, n int)"
	}
	name += s.suffix
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	var d1, t, g, h Mem
	if tan {
		p := args("d1", "t", "gl", "hl")
		d1, t, g, h = p[0], p[1], p[2], p[3]
	} else {
		p := args("d1", "gl")
		d1, g = p[0], p[1]
	}
	n := Load(Param("n"), GP64())
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	Label(name + "_loop")
	dv, gv := s.load(d1), s.load(g)
	if tan {
		s.store(s.fma(s.load(t), gv, s.mul(dv, s.load(h))), t)
		ADDQ(U32(64), t.Base)
		ADDQ(U32(64), h.Base)
	}
	s.store(s.mul(dv, gv), d1)
	ADDQ(U32(64), d1.Base)
	ADDQ(U32(64), g.Base)
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// pointTiles generates
//
//	func evPointTiles<ISA>(z, w, x, b *float64, in, tiles, stride int)
//	func evPointTilesTan<ISA>(z, zd, w, x, xd, b *float64, in, tiles, stride int)
//
// the kernels of Point, which hold one sample with the vector lanes running
// over V nodes (V = 8 on AVX-512, 4 on AVX2; z, zd and b are flat arrays of
// nodes). For the V·tiles nodes i = V·p + k they set
//
//	z[i] = b[i] + Σ_{j<in} w[(p·in + j)·V + k]·x_j,   zd[i] = Σ_{j<in} w[(p·in + j)·V + k]·xd_j
//
// with x_j the float64 at byte offset j·stride of x (and of xd), summing in
// order of j with fused multiply-adds: for each node, the same operations as
// evTiles performs in each lane. Four tiles run at once while there are four.
func (s isa) pointTiles(tan bool) {
	name, sig := "evPointTiles", "func(z, w, x, b *float64, in, tiles, stride int)"
	if tan {
		name, sig = "evPointTilesTan", "func(z, zd, w, x, xd, b *float64, in, tiles, stride int)"
	}
	name += s.suffix
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	V := s.width() / 8
	newReg := func() VecVirtual {
		if s.zmm {
			return ZMM()
		}
		return YMM()
	}
	var z, zd, w, b Mem
	if tan {
		p := args("z", "zd", "w", "b")
		z, zd, w, b = p[0], p[1], p[2], p[3]
	} else {
		p := args("z", "w", "b")
		z, w, b = p[0], p[1], p[2]
	}
	nt := Load(Param("tiles"), GP64())
	stride := Load(Param("stride"), GP64())
	ws := Load(Param("in"), GP64()) // bytes of a tile of w
	SHLQ(U8(map[int]uint8{8: 6, 4: 5}[V]), ws)
	x, xd, j := Mem{Base: GP64()}, Mem{Base: GP64()}, GP64()
	const U = 4
	body := func(u int, label string) {
		wu := []Mem{w}
		for i := 1; i < u; i++ {
			wu = append(wu, Mem{Base: GP64()})
			MOVQ(wu[i-1].Base, wu[i].Base)
			ADDQ(ws, wu[i].Base)
		}
		accZ, accD := make([]VecVirtual, u), make([]VecVirtual, u)
		for i := range u {
			accZ[i] = newReg()
			VMOVUPD(b.Offset(8*V*i), accZ[i])
			if tan {
				accD[i] = newReg()
				VXORPD(accD[i], accD[i], accD[i])
			}
		}
		Load(Param("x"), x.Base)
		if tan {
			Load(Param("xd"), xd.Base)
		}
		Load(Param("in"), j)
		Label(label)
		xv := newReg()
		VBROADCASTSD(x, xv)
		var xdv VecVirtual
		if tan {
			xdv = newReg()
			VBROADCASTSD(xd, xdv)
		}
		for i := range u {
			VFMADD231PD(wu[i], xv, accZ[i])
			if tan {
				VFMADD231PD(wu[i], xdv, accD[i])
			}
			ADDQ(U32(8*V), wu[i].Base)
		}
		ADDQ(stride, x.Base)
		if tan {
			ADDQ(stride, xd.Base)
		}
		DECQ(j)
		JNZ(LabelRef(label))
		for i := range u {
			VMOVUPD(accZ[i], z.Offset(8*V*i))
			if tan {
				VMOVUPD(accD[i], zd.Offset(8*V*i))
			}
		}
		if u > 1 {
			MOVQ(wu[u-1].Base, w.Base) // the end of the last tile
		}
		ADDQ(U32(8*V*u), z.Base)
		if tan {
			ADDQ(U32(8*V*u), zd.Base)
		}
		ADDQ(U32(8*V*u), b.Base)
		SUBQ(U32(u), nt)
	}
	Label(name + "_four")
	CMPQ(nt, U32(U))
	JL(LabelRef(name + "_one"))
	body(U, name+"_fourj")
	JMP(LabelRef(name + "_four"))
	Label(name + "_one")
	TESTQ(nt, nt)
	JZ(LabelRef(name + "_done"))
	body(1, name+"_onej")
	JMP(LabelRef(name + "_one"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// normalize generates func evNormalize<ISA>(x, mu, sc *float64, n int):
// x[j] = (x[j] − mu[j])/sc[j] for j < n, x[j] [8]float64, mu[j] and sc[j]
// scalars: the normalised inputs a_0.
func (s isa) normalize() {
	name := "evNormalize" + s.suffix
	TEXT(name, NOSPLIT, "func(x, mu, sc *float64, n int)")
	Pragma("noescape")
	p := args("x", "mu", "sc")
	x, mu, sc := p[0], p[1], p[2]
	n := Load(Param("n"), GP64())
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	Label(name + "_loop")
	s.store(s.div(s.sub(s.load(x), s.bcast(mu)), s.bcast(sc)), x)
	ADDQ(U32(64), x.Base)
	ADDQ(U32(8), mu.Base)
	ADDQ(U32(8), sc.Base)
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// raw generates func evRaw<ISA>(y, g, h, gam, gs *float64, n int, mean, scale float64),
// which converts to raw units as rawGo does, lane by lane and unfused:
//
//	y = mean + scale·y,  g[j] = gs[j]·g[j],  h[j] = gs[j]·h[j],  gam = Σ_{j<n} h[j]
//
// (the sum from zero, in order of j), y, g[j], h[j] and gam [8]float64.
func (s isa) raw() {
	name := "evRaw" + s.suffix
	TEXT(name, NOSPLIT, "func(y, gl, hl, gam, gs *float64, n int, mean, scale float64)")
	Pragma("noescape")
	p := args("y", "gl", "hl", "gam", "gs")
	y, g, h, gam, gs := p[0], p[1], p[2], p[3], p[4]
	n := Load(Param("n"), GP64())
	mean, scale := s.newVec(), s.newVec()
	mx, sx := Load(Param("mean"), XMM()), Load(Param("scale"), XMM())
	for i := range mean {
		VBROADCASTSD(mx, mean[i])
		VBROADCASTSD(sx, scale[i])
	}
	s.store(s.add(mean, s.mul(scale, s.load(y))), y)
	sum := s.zero()
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	Label(name + "_loop")
	c := s.bcast(gs)
	s.store(s.mul(c, s.load(g)), g)
	hv := s.mul(c, s.load(h))
	s.store(hv, h)
	for i := range sum {
		VADDPD(hv[i], sum[i], sum[i])
	}
	ADDQ(U32(64), g.Base)
	ADDQ(U32(64), h.Base)
	ADDQ(U32(8), gs.Base)
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_done")
	s.store(sum, gam)
	VZEROUPPER()
	RET()
}

func main() {
	ConstraintExpr("amd64,!purego")
	consts := []float64{0, 0.5, 1, 2, 4, -2, math.Copysign(0, -1), math.Sqrt2, expMin, expMax,
		math.Log2E, -ln2Hi, -ln2Lo, ln2Hi, ln2Lo, magic}
	consts = append(consts, taylor...)
	consts = append(consts, math.Inf(-1), -siluClamp, siluClamp, -6, 3, 6)
	declareConsts(append(consts, logL...)...)
	declareIota()
	for _, s := range []isa{avx512, avx2} {
		s.tiles(false)
		s.tiles(true)
		for _, a := range activations {
			s.activation(a, false)
			s.activation(a, true)
		}
		s.scale()
		s.combine(false)
		s.combine(true)
		s.pointTiles(false)
		s.pointTiles(true)
		s.normalize()
		s.raw()
		s.expKernel()
		u := 2 // registers of the activations at once: AVX-512 has 32
		if !s.zmm {
			u = 1 // AVX2 has 16
		}
		for _, a := range activations {
			s.trainAct(a, false, u)
			s.trainAct(a, true, u)
		}
		s.trainKernels()
	}
	Generate()
}
