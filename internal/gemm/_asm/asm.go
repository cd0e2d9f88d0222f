// Command asm generates the amd64 micro-kernels of package gemm with avo.
// Run it through go generate in the parent directory; it lives in its own
// module so that the main module does not depend on avo.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("amd64,!purego")
	kernel("kernelAVX2", 6, 2, 4, YMM)
	kernel("kernelAVX512", 8, 2, 8, ZMM)
	Generate()
}

// kernel emits a micro-kernel for an mr×(vecs·lanes) tile of c, with vectors
// of lanes float64 allocated by vec. It computes, for each entry of the tile,
//
//	s = Σ_p a[i·rsa+p·csa]·b[p·sb+j]  (fused multiply-adds, p = 0, 1, …, k−1 in order)
//	c[i·ldc+j] = alpha·s + c[i·ldc+j]  (one fused multiply-add)
//
// which is exactly what the Go kernel computes with math.FMA. The strides
// let it read a packed panel (rsa = 1, csa = mr) or a in place, transposed
// (rsa = 1, csa = lda) or not (rsa = lda, csa = 1).
func kernel(name string, mr, vecs, lanes int, vec func() reg.VecVirtual) {
	nr := vecs * lanes
	TEXT(name, NOSPLIT, "func(k int, a *float64, rsa, csa int, b *float64, sb int, c *float64, ldc int, alpha float64)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s adds alpha·Σ_p a_p·b_pᵀ to the %d×%d tile at c (row stride ldc), where entry i of a_p is at a+i·rsa+p·csa and b_p (%d float64) starts at b+p·sb; k ≥ 1.", name, mr, nr, nr))
	k := Load(Param("k"), GP64())
	pa := Load(Param("a"), GP64())
	rsa := Load(Param("rsa"), GP64())
	csa := Load(Param("csa"), GP64())
	pb := Load(Param("b"), GP64())
	sb := Load(Param("sb"), GP64())
	pc := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	for _, r := range []reg.Register{rsa, csa, sb, ldc} {
		SHLQ(Imm(3), r)
	}

	Comment("Row i of a is at base[i/3] + (i%3)·rsa.")
	rsa3 := GP64()
	LEAQ(Mem{Base: rsa, Index: rsa, Scale: 2}, rsa3)
	base := []reg.Register{pa}
	for len(base)*3 < mr {
		r := GP64()
		LEAQ(Mem{Base: base[len(base)-1], Index: rsa3, Scale: 1}, r)
		base = append(base, r)
	}
	row := func(i int) Mem {
		if i%3 == 0 {
			return Mem{Base: base[i/3]}
		}
		return Mem{Base: base[i/3], Index: rsa, Scale: uint8(i % 3)}
	}

	acc := make([][]reg.VecVirtual, mr)
	for i := range acc {
		acc[i] = make([]reg.VecVirtual, vecs)
		for h := range acc[i] {
			acc[i][h] = vec()
			VXORPD(acc[i][h], acc[i][h], acc[i][h])
		}
	}
	bv := make([]reg.VecVirtual, vecs)
	for h := range bv {
		bv[h] = vec()
	}
	av := vec()

	Comment("Over p in order: acc[i][j] = fma(a[p][i], b[p][j], acc[i][j]).")
	Label(name + "_loop")
	for h := range bv {
		VMOVUPD(Mem{Base: pb, Disp: 8 * lanes * h}, bv[h])
	}
	for i := range acc {
		VBROADCASTSD(row(i), av)
		for h := range bv {
			VFMADD231PD(bv[h], av, acc[i][h])
		}
	}
	for _, r := range base {
		ADDQ(csa, r)
	}
	ADDQ(sb, pb)
	DECQ(k)
	JNZ(LabelRef(name + "_loop"))

	Comment("c[i][j] = fma(alpha, acc[i][j], c[i][j]).")
	alpha, err := Param("alpha").Resolve()
	if err != nil {
		panic(err)
	}
	VBROADCASTSD(alpha.Addr, av)
	for i := range acc {
		for h := range bv {
			VMOVUPD(Mem{Base: pc, Disp: 8 * lanes * h}, bv[h])
			VFMADD231PD(acc[i][h], av, bv[h])
			VMOVUPD(bv[h], Mem{Base: pc, Disp: 8 * lanes * h})
		}
		if i < mr-1 {
			ADDQ(ldc, pc)
		}
	}
	VZEROUPPER()
	RET()
}
