package mlp

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// evalNet returns a random network with non-trivial normalisation: weights
// N(0, 1/fan-in)·gain, biases N(0, 0.5²), input means in [−2, 2] and scales in
// [0.3, 3], output mean 1.7 and scale 0.4.
func evalNet(seed uint64, inputs int, hidden []int, act Activation) *Network {
	rng := rand.New(rand.NewPCG(seed, 1))
	net := New(inputs, hidden, act)
	for l, w := range net.Params.W {
		sd := 1.5 / math.Sqrt(float64(net.Sizes[l]))
		for i := range w {
			w[i] = sd * rng.NormFloat64()
		}
		for i := range net.Params.B[l] {
			net.Params.B[l][i] = 0.5 * rng.NormFloat64()
		}
	}
	for j := range inputs {
		net.Norm.XMean[j] = 4*rng.Float64() - 2
		net.Norm.XScale[j] = 0.3 + 2.7*rng.Float64()
	}
	net.Norm.YMean, net.Norm.YScale = 1.7, 0.4
	return net
}

// evalInputs returns rows raw inputs for net, XMean + XScale·N(0, 1).
func evalInputs(seed uint64, net *Network, rows int) []float64 {
	rng := rand.New(rand.NewPCG(seed, 2))
	n := net.Inputs()
	x := make([]float64, rows*n)
	for i := range x {
		j := i % n
		x[i] = net.Norm.XMean[j] + net.Norm.XScale[j]*rng.NormFloat64()
	}
	return x
}

// evalShapes are the (inputs, hidden widths) the tests run: one input, widths
// 1 to 128, shallow and deep, and no hidden layer at all.
var evalShapes = []struct {
	inputs int
	hidden []int
}{
	{1, []int{8}},
	{7, []int{8, 8, 8, 8, 8, 8}},
	{7, []int{1}},
	{3, []int{33, 5}},
	{7, []int{128, 128}},
	{9, []int{17, 1, 12, 8, 30, 3, 16, 9}},
	{4, nil},
	{12, []int{3}},
}

var evalActs = []Activation{SiLU, Softplus, Tanh, ReLU}

// newEvalKernel returns an Evaluator for net that runs the kernel k.
func newEvalKernel(net *Network, k *evalKernel) *Evaluator { return newEvaluator(net, k) }

// ulpDiff returns |got − want| in units of the last place of want (of the
// smallest normal number for subnormal want), 0 if both are the same value or
// both NaN, and +Inf if exactly one is NaN or infinite.
func ulpDiff(got, want float64) float64 {
	switch {
	case got == want || (math.IsNaN(got) && math.IsNaN(want)):
		return 0
	case math.IsNaN(got) || math.IsNaN(want) || math.IsInf(got, 0) || math.IsInf(want, 0):
		return math.Inf(1)
	}
	ulp := math.Nextafter(math.Abs(want), math.Inf(1)) - math.Abs(want)
	return math.Abs(got-want) / ulp
}

// refExp returns e^x correctly rounded (barring a tie closer than 2⁻²⁵⁰),
// from the Taylor series of e^(x/2¹²) in 300-bit arithmetic, squared 12 times.
func refExp(x float64) float64 {
	switch {
	case math.IsNaN(x) || x > 710:
		return math.Exp(x)
	case x < -746:
		return 0
	}
	const prec = 300
	y := new(big.Float).SetPrec(prec).SetFloat64(x)
	y.SetMantExp(y, -12)
	sum := new(big.Float).SetPrec(prec).SetInt64(1)
	term := new(big.Float).SetPrec(prec).SetInt64(1)
	for k := int64(1); k < 80; k++ {
		term.Mul(term, y)
		term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(k))
		sum.Add(sum, term)
	}
	for range 12 {
		sum.Mul(sum, sum)
	}
	f, _ := sum.Float64()
	return f
}

// TestRefExp checks the reference refExp, which the tests of the vectorised
// exponentials use, against math.Exp: within 1 ulp on normal results.
func TestRefExp(t *testing.T) {
	for x := -700.0; x <= 700; x += 13.37 {
		if d := ulpDiff(refExp(x), math.Exp(x)); d > 1 {
			t.Errorf("refExp(%v) = %v, math.Exp %v (%.3g ulp)", x, refExp(x), math.Exp(x), d)
		}
	}
}

// maxAbs returns max |s[i]|.
func maxAbs(s []float64) float64 {
	m := 0.0
	for _, v := range s {
		m = max(m, math.Abs(v))
	}
	return m
}

// TestEvalFiniteDifferences checks, for every shape, activation and kernel, the
// value against Network.Value, the gradient against central differences of
// Network.Value, and gamma and the Hessian-vector products along a random
// direction against central differences of the kernel's own (thereby checked)
// gradient. Errors are relative to the largest magnitude of that quantity over
// the batch, so that a point where it nearly vanishes does not fail on
// cancellation.
func TestEvalFiniteDifferences(t *testing.T) {
	const rows = 21 // two groups and a tail
	for si, sh := range evalShapes {
		for _, act := range evalActs {
			net := evalNet(uint64(100+si), sh.inputs, sh.hidden, act)
			x := evalInputs(uint64(200+si), net, rows)
			n := sh.inputs
			rng := rand.New(rand.NewPCG(uint64(300+si), 3))
			v := make([]float64, n)
			for j := range v {
				v[j] = rng.NormFloat64()
			}
			for _, kern := range evalKernels() {
				name := fmt.Sprintf("%d-%v-%v/%s", n, sh.hidden, act, kern.name)
				e := newEvalKernel(net, kern)
				value, grad, gamma := make([]float64, rows), make([]float64, rows*n), make([]float64, rows)
				e.Eval(value, grad, gamma, x)
				hv := make([]float64, rows*n)
				e.EvalHessVec(nil, nil, hv, x, v)

				wantV, wantG := make([]float64, rows), make([]float64, rows*n)
				wantGamma, wantHV := make([]float64, rows), make([]float64, rows*n)
				xp := make([]float64, n)
				gp, gm := make([]float64, n), make([]float64, n)
				for r := range rows {
					xr := x[r*n : (r+1)*n]
					wantV[r] = net.Value(xr)
					for j := range n {
						h := 1e-5 * net.Norm.XScale[j]
						copy(xp, xr)
						xp[j] = xr[j] + h
						fp := net.Value(xp)
						xp[j] = xr[j] - h
						fm := net.Value(xp)
						wantG[r*n+j] = (fp - fm) / (2 * h)
					}
					// Along a raw direction d: H·d ≈ (∇y(x + h·d) − ∇y(x − h·d)) / 2h.
					dir := func(dst, d []float64) {
						h := 1e-5
						for j := range xp {
							xp[j] = xr[j] + h*d[j]
						}
						e.Point(gp, xp)
						for j := range xp {
							xp[j] = xr[j] - h*d[j]
						}
						e.Point(gm, xp)
						for j := range dst {
							dst[j] = (gp[j] - gm[j]) / (2 * h)
						}
					}
					dir(wantHV[r*n:(r+1)*n], v)
					ones := make([]float64, n)
					for j := range ones {
						ones[j] = 1
					}
					h1 := make([]float64, n)
					dir(h1, ones)
					for _, hj := range h1 {
						wantGamma[r] += hj
					}
				}
				check := func(what string, got, want []float64, tol, floor float64) {
					t.Helper()
					scale := max(maxAbs(want), floor)
					for i := range got {
						if d := math.Abs(got[i] - want[i]); !(d <= tol*scale) {
							t.Errorf("%s: %s[%d] = %.15g, want %.15g (error %.2g of scale %.3g, tol %g)",
								name, what, i, got[i], want[i], d/scale, scale, tol)
							return
						}
					}
				}
				check("value", value, wantV, 1e-13, 0)
				check("grad", grad, wantG, 1e-6, 0)
				// ReLU nets have zero curvature: compare with the gradient's scale.
				check("gamma", gamma, wantGamma, 1e-6, 1e-6*maxAbs(grad))
				check("hv", hv, wantHV, 1e-6, 1e-6*maxAbs(grad))
			}
		}
	}
}

// agreeRows are the batch sizes TestEvalKernelsAgree runs: one point, partial
// groups, whole groups and both sides of a multiple of lanes.
var agreeRows = []int{1, 3, 7, 8, 9, 127, 129}

// TestEvalKernelsAgree checks that every kernel this build and CPU runs gives
// the same bits as the plain-Go one (which performs the operations of the
// assembly kernels in the same order, with the same exponential): value,
// deltas, gamma and Hessian-vector products of random nets of every
// activation, on batches of agreeRows rows in unaligned slices, and Point
// against Eval's rows. Each net also runs with its hidden weights scaled by
// 100, so that the pre-activations reach hundreds, where e^−|z| is subnormal
// or 0 and the exponential's clamping and Softplus's logarithm take their
// other branches.
func TestEvalKernelsAgree(t *testing.T) {
	kerns := evalKernels()
	if kerns[len(kerns)-1] != goKernel {
		t.Fatal("the plain-Go kernel is not the last of evalKernels")
	}
	for si, sh := range evalShapes {
		for _, act := range evalActs {
			for _, gain := range []float64{1, 100} {
				net := evalNet(uint64(400+si), sh.inputs, sh.hidden, act)
				for _, w := range net.Params.W[:net.Layers()] {
					for i := range w {
						w[i] *= gain
					}
				}
				name := fmt.Sprintf("%d-%v-%v/gain %g", sh.inputs, sh.hidden, act, gain)
				agreeNet(t, name, net, kerns, uint64(500+si), uint64(600+si))
			}
		}
	}
}

// agreeNet runs TestEvalKernelsAgree on one net, with inputs and the
// direction of EvalHessVec drawn from the seeds xSeed and vSeed.
func agreeNet(t *testing.T, name string, net *Network, kerns []*evalKernel, xSeed, vSeed uint64) {
	t.Helper()
	n := net.Inputs()
	v := evalInputs(vSeed, net, 1)
	for _, rows := range agreeRows {
		// One element more, so that the slices start off a 16-byte boundary.
		x := evalInputs(xSeed+uint64(rows), net, rows+1)[1 : 1+rows*n]
		out := make([][4][]float64, len(kerns))
		for ki, kern := range kerns {
			e := newEvalKernel(net, kern)
			o := [4][]float64{make([]float64, rows+1)[1:], make([]float64, rows*n+1)[1:],
				make([]float64, rows+1)[1:], make([]float64, rows*n+1)[1:]}
			e.Eval(o[0], o[1], o[2], x)
			e.EvalHessVec(nil, nil, o[3], x, v)
			out[ki] = o
			pg := make([]float64, n)
			for _, r := range []int{0, rows / 2, rows - 1} {
				pv, pgm := e.Point(pg, x[r*n:(r+1)*n])
				if !sameBits([]float64{pv, pgm}, []float64{o[0][r], o[2][r]}) || !sameBits(pg, o[1][r*n:(r+1)*n]) {
					t.Errorf("%s/%s/%d rows: Point(row %d) differs from Eval", name, kern.name, rows, r)
				}
			}
		}
		want := out[len(kerns)-1] // plain Go
		for ki, kern := range kerns[:len(kerns)-1] {
			for q, what := range []string{"value", "grad", "gamma", "hv"} {
				got := out[ki][q]
				for i := range got {
					if math.Float64bits(got[i]) != math.Float64bits(want[q][i]) {
						t.Errorf("%s/%d rows: %s[%d]: %s %.17g, go %.17g (%.3g ulp)",
							name, rows, what, i, kern.name, got[i], want[q][i], ulpDiff(got[i], want[q][i]))
						break
					}
				}
			}
		}
	}
}

// TestEvalMatchesNetwork checks Eval and EvalHessVec against the Network's own
// point derivatives (Value, InputGradient, Gamma, HessVec), which run other
// kernels with sums in another order: to 1e-13 relative to each quantity's
// largest magnitude over the batch.
func TestEvalMatchesNetwork(t *testing.T) {
	const rows = 11
	for si, sh := range evalShapes {
		for _, act := range evalActs {
			net := evalNet(uint64(600+si), sh.inputs, sh.hidden, act)
			x := evalInputs(uint64(700+si), net, rows)
			n := sh.inputs
			v := x[:n] // any direction
			want := [4][]float64{make([]float64, rows), make([]float64, rows*n), make([]float64, rows), make([]float64, rows*n)}
			for r := range rows {
				xr := x[r*n : (r+1)*n]
				want[0][r] = net.Value(xr)
				net.InputGradient(want[1][r*n:(r+1)*n], xr)
				want[2][r] = net.Gamma(xr)
				net.HessVec(want[3][r*n:(r+1)*n], xr, v)
			}
			for _, kern := range evalKernels() {
				e := newEvalKernel(net, kern)
				got := [4][]float64{make([]float64, rows), make([]float64, rows*n), make([]float64, rows), make([]float64, rows*n)}
				e.Eval(got[0], got[1], got[2], x)
				e.EvalHessVec(nil, nil, got[3], x, v)
				for q, what := range []string{"value", "grad", "gamma", "hv"} {
					scale := max(maxAbs(want[q]), 1e-3*maxAbs(want[1])) // ReLU: no curvature
					for i := range got[q] {
						if d := math.Abs(got[q][i] - want[q][i]); !(d <= 1e-13*scale) {
							t.Errorf("%d-%v-%v/%s: %s[%d] = %.17g, Network says %.17g (relative %.2g)",
								n, sh.hidden, act, kern.name, what, i, got[q][i], want[q][i], d/scale)
							break
						}
					}
				}
			}
		}
	}
}

// sameBits reports whether a and b hold the same float64 bit patterns.
func sameBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// TestEvalReproducible checks that each row's results are the same bits
// whatever the batch size, chunking, row position, outputs requested, Point
// versus Eval, EvalParallel's number of workers, and the other rows of the
// batch (even a row of NaN).
func TestEvalReproducible(t *testing.T) {
	const rows = 1203 // not a multiple of 8, and enough rows for EvalParallel to split
	for _, act := range evalActs {
		for _, kern := range evalKernels() {
			net := evalNet(7, 7, []int{8, 33, 8}, act)
			x := evalInputs(8, net, rows)
			n := net.Inputs()
			e := newEvalKernel(net, kern)
			value, grad, gamma := make([]float64, rows), make([]float64, rows*n), make([]float64, rows)
			e.Eval(value, grad, gamma, x)
			name := fmt.Sprintf("%v/%s", act, kern.name)

			for _, chunk := range []int{1, 3, 8, 13, 64} {
				v, g, gm := make([]float64, rows), make([]float64, rows*n), make([]float64, rows)
				for lo := 0; lo < rows; lo += chunk {
					hi := min(rows, lo+chunk)
					e.Eval(v[lo:hi], g[lo*n:hi*n], gm[lo:hi], x[lo*n:hi*n])
				}
				if !sameBits(v, value) || !sameBits(g, grad) || !sameBits(gm, gamma) {
					t.Errorf("%s: chunks of %d rows differ from one batch", name, chunk)
				}
			}
			// Shifted by 5 rows, so every row lands in another lane.
			v := make([]float64, rows-5)
			e.Eval(v, nil, nil, x[5*n:])
			if !sameBits(v, value[5:]) {
				t.Errorf("%s: value alone, shifted by 5 rows, differs", name)
			}
			g := make([]float64, rows*n)
			e.Eval(nil, g, nil, x)
			if !sameBits(g, grad) {
				t.Errorf("%s: grad alone differs from grad with gamma", name)
			}
			gm := make([]float64, rows)
			e.Eval(nil, nil, gm, x)
			if !sameBits(gm, gamma) {
				t.Errorf("%s: gamma alone differs", name)
			}
			ones := make([]float64, n)
			for j := range ones {
				ones[j] = 1
			}
			hv := make([]float64, rows*n)
			e.EvalHessVec(v[:0:0], nil, hv[:0], x[:0], ones) // empty batch
			e.EvalHessVec(nil, g, hv, x, ones)
			for r := range rows {
				s := 0.0
				for _, h := range hv[r*n : (r+1)*n] {
					s += h
				}
				if math.Float64bits(s) != math.Float64bits(gamma[r]) {
					t.Errorf("%s: row %d: Σ EvalHessVec(1) = %v, gamma = %v", name, r, s, gamma[r])
					break
				}
			}
			if !sameBits(g, grad) {
				t.Errorf("%s: EvalHessVec's grad differs from Eval's", name)
			}
			// A row of NaN leaves the other rows alone.
			xn := append([]float64(nil), x[:16*n]...)
			for j := range n {
				xn[3*n+j] = math.NaN()
			}
			vn := make([]float64, 16)
			e.Eval(vn, nil, nil, xn)
			if !math.IsNaN(vn[3]) || !sameBits(vn[:3], value[:3]) || !sameBits(vn[4:], value[4:16]) {
				t.Errorf("%s: a NaN row changed other rows or gave %v", name, vn[3])
			}
			pg := make([]float64, n)
			for _, r := range []int{0, 7, 8, 1202} {
				pv, pgm := e.Point(pg, x[r*n:(r+1)*n])
				if !sameBits([]float64{pv, pgm}, []float64{value[r], gamma[r]}) || !sameBits(pg, grad[r*n:(r+1)*n]) {
					t.Errorf("%s: Point(row %d) differs from Eval", name, r)
				}
			}
			if kern != evalKernels()[0] {
				continue // EvalParallel runs the default kernel
			}
			for _, workers := range []int{0, 1, 2, 3, 7} {
				v, g, gm := make([]float64, rows), make([]float64, rows*n), make([]float64, rows)
				EvalParallel(net, v, g, gm, x, workers)
				if !sameBits(v, value) || !sameBits(g, grad) || !sameBits(gm, gamma) {
					t.Errorf("%s: EvalParallel with %d workers differs from Eval", name, workers)
				}
			}
		}
	}
}

// TestEvalNoHiddenLayer checks the affine network y_n = w·x_n + b exactly:
// ∂y/∂x_j = YScale·w_j/XScale_j and gamma = 0.
func TestEvalNoHiddenLayer(t *testing.T) {
	net := New(2, nil, SiLU)
	copy(net.Params.Flat, []float64{3, -4, 0.5}) // w, b
	net.Norm = Normalization{XMean: []float64{1, 2}, XScale: []float64{2, 0.5}, YMean: 10, YScale: 4}
	x := []float64{3, 2.5, -1, 0}
	for _, kern := range evalKernels() {
		e := newEvalKernel(net, kern)
		v, g, gm := make([]float64, 2), make([]float64, 4), make([]float64, 2)
		e.Eval(v, g, gm, x)
		// x_n = (1, 1) and (−1, −4): y_n = 0.5 + 3 − 4 = −0.5 and 0.5 − 3 + 16 = 13.5.
		want := [][]float64{{8, 64}, {6, -32, 6, -32}, {0, 0}}
		for q, got := range [][]float64{v, g, gm} {
			for i := range got {
				if got[i] != want[q][i] {
					t.Errorf("%s: output %d = %v, want %v", kern.name, q, got, want[q])
					break
				}
			}
		}
	}
}

// TestEvalZeroAllocs checks that Eval, EvalHessVec and Point do not allocate.
func TestEvalZeroAllocs(t *testing.T) {
	net := evalNet(1, 7, []int{8, 8, 8}, SiLU)
	const rows = 19
	x := evalInputs(2, net, rows)
	v, g, gm, hv := make([]float64, rows), make([]float64, rows*7), make([]float64, rows), make([]float64, rows*7)
	for _, kern := range evalKernels() {
		e := newEvalKernel(net, kern)
		for name, f := range map[string]func(){
			"Eval":        func() { e.Eval(v, g, gm, x) },
			"Eval value":  func() { e.Eval(v, nil, nil, x) },
			"EvalHessVec": func() { e.EvalHessVec(v, g, hv, x, x[:7]) },
			"Point":       func() { e.Point(g[:7], x[:7]) },
		} {
			if a := testing.AllocsPerRun(20, f); a != 0 {
				t.Errorf("%s/%s: %v allocations per call, want 0", name, kern.name, a)
			}
		}
	}
}

// TestEvalPanics checks the documented panics and their messages.
func TestEvalPanics(t *testing.T) {
	net := evalNet(1, 3, []int{4}, SiLU)
	e := NewEvaluator(net)
	x := make([]float64, 6) // two rows
	bad := New(3, []int{4}, Activation(9))
	for _, tc := range []struct {
		name, want string
		f          func()
	}{
		{"x", errEvalX, func() { e.Eval(make([]float64, 2), nil, nil, x[:5]) }},
		{"value", errEvalValue, func() { e.Eval(make([]float64, 3), nil, nil, x) }},
		{"grad", errEvalGrad, func() { e.Eval(nil, make([]float64, 5), nil, x) }},
		{"gamma", errEvalGamma, func() { e.Eval(nil, nil, make([]float64, 1), x) }},
		{"hv", errEvalHV, func() { e.EvalHessVec(nil, nil, nil, x, x[:3]) }},
		{"v", errEvalV, func() { e.EvalHessVec(nil, nil, make([]float64, 6), x, x[:2]) }},
		{"hv value", errEvalValue, func() { e.EvalHessVec(x, nil, make([]float64, 6), x, x[:3]) }},
		{"point x", errEvalPoint, func() { e.Point(nil, x) }},
		{"point grad", errEvalPoint, func() { e.Point(x, x[:3]) }},
		{"parallel", errEvalGamma, func() { EvalParallel(net, nil, nil, x, x, 2) }},
		{"net", errEvalNet, func() { NewEvaluator(&Network{Sizes: []int{3, 1}}) }},
		{"act", errEvalAct, func() { NewEvaluator(bad) }},
	} {
		func() {
			defer func() {
				if r := recover(); r != tc.want {
					t.Errorf("%s: panic %v, want %q", tc.name, r, tc.want)
				}
			}()
			tc.f()
		}()
	}
}

// ExampleEvaluator_Eval evaluates y = SiLU(x₁ + x₂), whose deltas are both
// SiLU′(x₁ + x₂) and whose gamma 1ᵀH1 is 4·SiLU″(x₁ + x₂).
func ExampleEvaluator_Eval() {
	net := New(2, []int{1}, SiLU)
	copy(net.Params.Flat, []float64{1, 1, 0, 1, 0}) // W_1, b_1, W_out, b_out
	e := NewEvaluator(net)
	x := []float64{
		0, 0,
		0.25, 0.75,
	}
	value, grad, gamma := make([]float64, 2), make([]float64, 4), make([]float64, 2)
	e.Eval(value, grad, gamma, x)
	for r := range value {
		fmt.Printf("y = %.6f  deltas = [%.6f %.6f]  gamma = %.6f\n", value[r], grad[2*r], grad[2*r+1], gamma[r])
	}
	// Output:
	// y = 0.000000  deltas = [0.500000 0.500000]  gamma = 2.000000
	// y = 0.731059  deltas = [0.927671 0.927671]  gamma = 1.209464
}

// ExampleEvaluator_Point evaluates one point of y = SiLU(x₁ + x₂).
func ExampleEvaluator_Point() {
	net := New(2, []int{1}, SiLU)
	copy(net.Params.Flat, []float64{1, 1, 0, 1, 0})
	e := NewEvaluator(net)
	grad := make([]float64, 2)
	value, gamma := e.Point(grad, []float64{0.25, 0.75})
	fmt.Printf("y = %.6f  deltas = [%.6f %.6f]  gamma = %.6f\n", value, grad[0], grad[1], gamma)
	// Output:
	// y = 0.731059  deltas = [0.927671 0.927671]  gamma = 1.209464
}

// Benchmark sinks, so that the compiler cannot drop the work.
var sinkValue, sinkGamma float64

// benchEval times Eval (workers = 1) or EvalParallel on batches of rows
// points and reports points/s.
func benchEval(b *testing.B, hidden []int, withGrad, withGamma bool, rows, workers int) {
	benchEvalKernel(b, evalKernels()[0], hidden, withGrad, withGamma, rows, workers)
}

// benchEvalKernel is benchEval running the kernel kern (EvalParallel runs the
// default kernel).
func benchEvalKernel(b *testing.B, kern *evalKernel, hidden []int, withGrad, withGamma bool, rows, workers int) {
	net := evalNet(1, 7, hidden, SiLU)
	x := evalInputs(2, net, rows)
	value := make([]float64, rows)
	var grad, gamma []float64
	if withGrad {
		grad = make([]float64, rows*7)
	}
	if withGamma {
		gamma = make([]float64, rows)
	}
	e := newEvalKernel(net, kern)
	for b.Loop() {
		if workers == 1 {
			e.Eval(value, grad, gamma, x)
		} else {
			EvalParallel(net, value, grad, gamma, x, workers)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "points/s")
	sinkValue = value[0]
}

// BenchmarkEvalGreeks6x8 times value, all 7 deltas and gamma of the pruned
// 7 → 6×8 → 1 SiLU net.
func BenchmarkEvalGreeks6x8(b *testing.B) {
	benchEval(b, []int{8, 8, 8, 8, 8, 8}, true, true, 4096, 1)
}

// BenchmarkEvalParallelGreeks6x8 is BenchmarkEvalGreeks6x8 by EvalParallel on
// all cores, with batches of 65536 points.
func BenchmarkEvalParallelGreeks6x8(b *testing.B) {
	benchEval(b, []int{8, 8, 8, 8, 8, 8}, true, true, 65536, 0)
}

// BenchmarkEvalGreeks6x8Cores is BenchmarkEvalGreeks6x8 in GOMAXPROCS
// goroutines at once, each with its own Evaluator and batch of 4096 points:
// the throughput of the machine without EvalParallel's set-up per call.
func BenchmarkEvalGreeks6x8Cores(b *testing.B) {
	const rows = 4096
	net := evalNet(1, 7, []int{8, 8, 8, 8, 8, 8}, SiLU)
	x := evalInputs(2, net, rows)
	b.RunParallel(func(pb *testing.PB) {
		e := NewEvaluator(net)
		value, grad, gamma := make([]float64, rows), make([]float64, rows*7), make([]float64, rows)
		for pb.Next() {
			e.Eval(value, grad, gamma, x)
		}
	})
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "points/s")
}

// BenchmarkEvalValueGrad6x8 times value and deltas (what PyTorch's 4.4 M/s
// measures).
func BenchmarkEvalValueGrad6x8(b *testing.B) {
	benchEval(b, []int{8, 8, 8, 8, 8, 8}, true, false, 4096, 1)
}

// BenchmarkEvalValue6x8 times the value alone.
func BenchmarkEvalValue6x8(b *testing.B) {
	benchEval(b, []int{8, 8, 8, 8, 8, 8}, false, false, 4096, 1)
}

// BenchmarkEvalGreeks6x128 times value, deltas and gamma of the large
// 7 → 6×128 → 1 SiLU net.
func BenchmarkEvalGreeks6x128(b *testing.B) {
	benchEval(b, []int{128, 128, 128, 128, 128, 128}, true, true, 4096, 1)
}

// BenchmarkPointGreeks6x8 times Point (value, deltas, gamma) on the 6×8 net;
// ns/op is the time per point.
func BenchmarkPointGreeks6x8(b *testing.B) {
	benchPoint(b, evalKernels()[0], []int{8, 8, 8, 8, 8, 8})
}

// benchPoint times Point on the 7 → hidden → 1 SiLU net with the kernel kern.
func benchPoint(b *testing.B, kern *evalKernel, hidden []int) {
	net := evalNet(1, 7, hidden, SiLU)
	x := evalInputs(2, net, 64)
	grad := make([]float64, 7)
	e := newEvalKernel(net, kern)
	i := 0
	for b.Loop() {
		v, g := e.Point(grad, x[i*7:i*7+7])
		sinkValue += v
		sinkGamma += g
		i = (i + 1) % 64
	}
}

// BenchmarkEvalKernels times value, 7 deltas and gamma with each kernel this
// build and CPU runs, batched (points/s, one core) and by Point (ns/op per
// point), on the pruned 6×8 and the large 6×128 SiLU nets.
func BenchmarkEvalKernels(b *testing.B) {
	nets := []struct {
		name   string
		hidden []int
	}{{"6x8", []int{8, 8, 8, 8, 8, 8}}, {"6x128", []int{128, 128, 128, 128, 128, 128}}}
	for _, kern := range evalKernels() {
		for _, nt := range nets {
			b.Run(kern.name+"/batch/"+nt.name, func(b *testing.B) {
				benchEvalKernel(b, kern, nt.hidden, true, true, 4096, 1)
			})
			b.Run(kern.name+"/point/"+nt.name, func(b *testing.B) { benchPoint(b, kern, nt.hidden) })
		}
	}
}
