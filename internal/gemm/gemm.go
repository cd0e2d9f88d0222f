// Package gemm computes row-major double-precision matrix products
// C = alpha·op(A)·op(B) + beta·C with a blocked, packed algorithm (the
// Goto/BLIS scheme) whose innermost micro-kernels are Go assembly on amd64:
// AVX-512 where the CPU has it, AVX2 with FMA where it has those, and plain Go
// elsewhere, on other architectures and in builds with the purego tag. Path
// reports which one runs.
//
// # Reproducibility
//
// Every entry of C is computed in the same order on every path: its sum over
// p is split into blocks of kc = 256 consecutive p, each block is accumulated
// over p in increasing order with fused multiply-adds starting from zero,
// and each block's sum s is added as c = alpha·s + c in one fused
// multiply-add, after c has been scaled by beta. The register tile sizes of
// the paths differ, but they only decide which entries are computed together,
// not how any one entry is rounded, and the Go kernel uses math.FMA. So the
// result is the same, bit for bit, on every path and every architecture with
// hardware FMA, for every shape and every alignment of the slices. Where
// math.FMA would be emulated in software (amd64 CPUs without FMA, 386, wasm,
// 32-bit arm, mips), the Go kernel rounds each product and each sum instead:
// the same order, different rounding, still reproducible on such machines.
//
// Dgemm runs on the calling goroutine and starts none; concurrent calls on
// disjoint outputs are safe. Its packing buffers come from a sync.Pool, so
// calls allocate only while the pool warms up.
package gemm

import (
	"fmt"
	"math"
	"sync"
)

// kc is the length of the blocks of the sum over p (see the package
// documentation); it is the same on every path so that results are.
const kc = 256

// nc is the largest number of columns of op(B) packed at a time.
const nc = 2048

// kernel is one path: a micro-kernel for mr×nr tiles and the number of rows
// of op(A) packed at a time (a multiple of mr). fused reports whether its
// multiply-adds are fused.
type kernel struct {
	name   string
	mr, nr int
	mc     int
	fused  bool
	// micro adds alpha·Σ_p a[p·sa+i]·b[p·sb+j] to c[i·ldc+j] for the full
	// mr×nr tile, in the order of the package documentation; k ≥ 1.
	micro func(k int, a []float64, sa int, b []float64, sb int, c []float64, ldc int, alpha float64)
}

// The plain-Go paths: 4×4 micro-kernels with fused and with separately
// rounded multiply-adds. paths chooses the second only where math.FMA is
// emulated in software.
var (
	goKernel      = &kernel{name: "Go", mr: 4, nr: 4, mc: 128, fused: true, micro: microGo}
	goNoFMAKernel = &kernel{name: "Go without FMA", mr: 4, nr: 4, mc: 128, micro: microGoNoFMA}
)

// goPath is the plain-Go path for this CPU.
func goPath() *kernel {
	if fmaHardware() {
		return goKernel
	}
	return goNoFMAKernel
}

// best is the fastest path this CPU runs (set once, at package initialisation).
var best = paths()[0]

// Path names the micro-kernel Dgemm uses on this CPU and build:
// "AVX-512", "AVX2+FMA", "Go", or "Go without FMA" where the CPU has no
// fused multiply-add.
func Path() string { return best.name }

// Dgemm sets c to alpha·op(a)·op(b) + beta·c, where op(x) is x, or xᵀ if the
// corresponding trans flag is true. op(a) is m×k, op(b) is k×n and c is m×n;
// all are row-major with leading dimensions (row strides) lda, ldb and ldc.
// When beta is 0, c is set without being read (NaNs in it do not
// propagate); when alpha is 0 or k is 0, a and b are not read.
//
// Dgemm panics, as a caller bug, if a dimension is negative, a leading
// dimension is smaller than the width of its matrix or less than 1, or a
// slice is too short for its matrix.
func Dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	dgemm(best, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// scratch holds the packed blocks of op(a) and op(b) and an edge tile.
type scratch struct {
	a, b, t []float64
}

var pool = sync.Pool{New: func() any { return new(scratch) }}

// grow returns s[:n], reallocated if its capacity is short.
func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// dgemm is Dgemm on path kp.
func dgemm(kp *kernel, transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	check("a", ar, ac, a, lda)
	check("b", br, bc, b, ldb)
	check("c", m, n, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	for i := range m {
		ci := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(ci)
		case 1:
		default:
			for j := range ci {
				ci[j] *= beta
			}
		}
	}
	if k == 0 || alpha == 0 {
		return
	}
	// Cᵀ = op(b)ᵀ·op(a)ᵀ has the same products, summed in the same order;
	// compute it instead when it fills the micro-kernel's tiles better (when
	// n is much smaller than nr, say).
	if roundUp(n, kp.mr)*roundUp(m, kp.nr) < roundUp(m, kp.mr)*roundUp(n, kp.nr) {
		blocked(kp, !transB, !transA, n, m, k, alpha, b, ldb, a, lda, c, 1, ldc)
		return
	}
	blocked(kp, transA, transB, m, n, k, alpha, a, lda, b, ldb, c, ldc, 1)
}

// blocked adds alpha·op(a)·op(b) to the m×n matrix whose (i, j) entry is
// c[i·rs + j·cs], in the order of the package documentation.
func blocked(kp *kernel, transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, c []float64, rs, cs int) {
	mr, nr := kp.mr, kp.nr
	s := pool.Get().(*scratch)
	defer pool.Put(s)
	s.a = grow(s.a, min(kp.mc, roundUp(m, mr))*min(kc, k))
	s.b = grow(s.b, min(nc, roundUp(n, nr))*min(kc, k))
	s.t = grow(s.t, mr*nr)
	for jc := 0; jc < n; jc += nc {
		ncb := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kcb := min(kc, k-pc)
			packB(s.b, transB, b, ldb, pc, kcb, jc, ncb, nr)
			for ic := 0; ic < m; ic += kp.mc {
				mcb := min(kp.mc, m-ic)
				packA(s.a, transA, a, lda, ic, mcb, pc, kcb, mr)
				for jr := 0; jr < ncb; jr += nr {
					nrb := min(nr, ncb-jr)
					bp, sb := s.b[jr*kcb:(jr+nr)*kcb], nr
					if !transB && nrb == nr { // in place: b[p·ldb+j]
						bp, sb = b[pc*ldb+jc+jr:], ldb
					}
					for ir := 0; ir < mcb; ir += mr {
						mrb := min(mr, mcb-ir)
						ap, sa := s.a[ir*kcb:(ir+mr)*kcb], mr
						if transA && mrb == mr { // in place: a[p·lda+i]
							ap, sa = a[pc*lda+ic+ir:], lda
						}
						off := (ic+ir)*rs + (jc+jr)*cs
						if mrb == mr && nrb == nr && cs == 1 {
							kp.micro(kcb, ap, sa, bp, sb, c[off:off+(mr-1)*rs+nr], rs, alpha)
							continue
						}
						// An edge or transposed tile: run the kernel on a copy.
						t := s.t
						for i := range mrb {
							for j := range nrb {
								t[i*nr+j] = c[off+i*rs+j*cs]
							}
						}
						kp.micro(kcb, ap, sa, bp, sb, t, nr, alpha)
						for i := range mrb {
							for j := range nrb {
								c[off+i*rs+j*cs] = t[i*nr+j]
							}
						}
					}
				}
			}
		}
	}
}

// check panics if x is not a valid r×w matrix with leading dimension ld.
func check(name string, r, w int, x []float64, ld int) {
	if r < 0 || w < 0 {
		panic(fmt.Sprintf("gemm: %s is %d×%d: negative dimension", name, r, w))
	}
	if ld < max(1, w) {
		panic(fmt.Sprintf("gemm: leading dimension %d of %s is less than its width %d", ld, name, w))
	}
	if r > 0 && w > 0 && len(x) < (r-1)*ld+w {
		panic(fmt.Sprintf("gemm: %s has %d elements, too few for %d×%d with leading dimension %d", name, len(x), r, w, ld))
	}
}

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// packA copies rows [i0, i0+mc) and columns [p0, p0+kb) of op(a) into dst as
// panels of mr rows, each stored p by p (dst[q·mr·kb + p·mr + i] =
// op(a)[i0+q·mr+i][p0+p]), padding the last panel with zeros. When a is
// transposed, each p of a full panel is already contiguous in a, and the
// panel is left for blocked to read in place.
func packA(dst []float64, trans bool, a []float64, lda, i0, mc, p0, kb, mr int) {
	for ir := 0; ir < mc; ir += mr {
		mrb := min(mr, mc-ir)
		d := dst[ir*kb : (ir+mr)*kb]
		if trans { // op(a)[i][p] = a[p·lda+i]
			if mrb == mr {
				continue // blocked reads full panels in place
			}
			for p := range kb {
				row := a[(p0+p)*lda+i0+ir:]
				dp := d[p*mr : p*mr+mr]
				copy(dp, row[:mrb])
				clear(dp[mrb:])
			}
			continue
		}
		// op(a)[i][p] = a[i·lda+p]
		gather(d, mr, a[(i0+ir)*lda+p0:], lda, mrb, kb)
	}
}

// packB copies rows [p0, p0+kb) and columns [j0, j0+nb) of op(b) into dst as
// panels of nr columns, each stored p by p (dst[q·nr·kb + p·nr + j] =
// op(b)[p0+p][j0+q·nr+j]), padding the last panel with zeros. When b is not
// transposed, full panels are left for blocked to read in place.
func packB(dst []float64, trans bool, b []float64, ldb, p0, kb, j0, nb, nr int) {
	for jr := 0; jr < nb; jr += nr {
		nrb := min(nr, nb-jr)
		d := dst[jr*kb : (jr+nr)*kb]
		if !trans { // op(b)[p][j] = b[p·ldb+j]
			if nrb == nr {
				continue // blocked reads full panels in place
			}
			for p := range kb {
				row := b[(p0+p)*ldb+j0+jr:]
				dp := d[p*nr : p*nr+nr]
				copy(dp, row[:nrb])
				clear(dp[nrb:])
			}
			continue
		}
		// op(b)[p][j] = b[j·ldb+p]
		gather(d, nr, b[(j0+jr)*ldb+p0:], ldb, nrb, kb)
	}
}

// gather sets d[p·w+t] = src[t·ld+p] for t < n and p < kb, and to 0 for
// n ≤ t < w: it packs n rows of length kb of src as columns.
func gather(d []float64, w int, src []float64, ld, n, kb int) {
	d = d[:w*kb]
	t := 0
	for ; t+4 <= n; t += 4 { // four rows at a time
		r0 := src[t*ld : t*ld+kb]
		r1 := src[(t+1)*ld : (t+1)*ld+kb]
		r2 := src[(t+2)*ld : (t+2)*ld+kb]
		r3 := src[(t+3)*ld : (t+3)*ld+kb]
		for p, v := range r0 {
			dp := d[p*w+t : p*w+t+4 : p*w+t+4]
			dp[0], dp[1], dp[2], dp[3] = v, r1[p], r2[p], r3[p]
		}
	}
	for ; t < n; t++ {
		for p, v := range src[t*ld : t*ld+kb] {
			d[p*w+t] = v
		}
	}
	if n < w {
		for p := range kb {
			clear(d[p*w+n : p*w+w])
		}
	}
}

// microGo is the micro-kernel of the Go path, for 4×4 tiles.
func microGo(k int, a []float64, sa int, b []float64, sb int, c []float64, ldc int, alpha float64) {
	var s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23, s30, s31, s32, s33 float64
	for p := range k {
		ap, bp := a[p*sa:p*sa+4:p*sa+4], b[p*sb:p*sb+4:p*sb+4]
		a0, a1, a2, a3 := ap[0], ap[1], ap[2], ap[3]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		s00, s01, s02, s03 = math.FMA(a0, b0, s00), math.FMA(a0, b1, s01), math.FMA(a0, b2, s02), math.FMA(a0, b3, s03)
		s10, s11, s12, s13 = math.FMA(a1, b0, s10), math.FMA(a1, b1, s11), math.FMA(a1, b2, s12), math.FMA(a1, b3, s13)
		s20, s21, s22, s23 = math.FMA(a2, b0, s20), math.FMA(a2, b1, s21), math.FMA(a2, b2, s22), math.FMA(a2, b3, s23)
		s30, s31, s32, s33 = math.FMA(a3, b0, s30), math.FMA(a3, b1, s31), math.FMA(a3, b2, s32), math.FMA(a3, b3, s33)
	}
	for i, s := range [4][4]float64{{s00, s01, s02, s03}, {s10, s11, s12, s13}, {s20, s21, s22, s23}, {s30, s31, s32, s33}} {
		ci := c[i*ldc : i*ldc+4 : i*ldc+4]
		for j, v := range s {
			ci[j] = math.FMA(alpha, v, ci[j])
		}
	}
}

// microGoNoFMA is microGo with each product and sum rounded separately.
func microGoNoFMA(k int, a []float64, sa int, b []float64, sb int, c []float64, ldc int, alpha float64) {
	var s [4][4]float64
	for p := range k {
		ap, bp := a[p*sa:p*sa+4:p*sa+4], b[p*sb:p*sb+4:p*sb+4]
		for i, ai := range ap {
			si := &s[i]
			for j, bj := range bp {
				si[j] += float64(ai * bj)
			}
		}
	}
	for i := range s {
		ci := c[i*ldc : i*ldc+4 : i*ldc+4]
		for j, v := range s[i] {
			ci[j] += float64(alpha * v)
		}
	}
}
