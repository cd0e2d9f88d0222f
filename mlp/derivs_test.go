package mlp

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"testing"
	"time"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"
)

var activations = []Activation{SiLU, Softplus, Tanh, ReLU}

// alike reports whether a and b are the same float64, NaN equal to NaN and
// −0 different from +0.
func alike(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return a == b && math.Signbit(a) == math.Signbit(b)
}

// relErr returns the largest componentwise error of got against want,
// relative to max(|want_i|, 1e-2·max_i |want_i|): entries much smaller than
// the largest are compared on the scale of the largest, where finite
// differences cannot resolve them relatively.
func relErr(got, want []float64) float64 {
	scale := 0.0
	for _, w := range want {
		scale = max(scale, math.Abs(w))
	}
	e := 0.0
	for i, w := range want {
		d := math.Abs(got[i] - w)
		if d == 0 {
			continue
		}
		e = max(e, d/max(math.Abs(w), 1e-2*scale))
	}
	return e
}

// central returns the central difference (f(x+h) − f(x−h))/(2h) of a
// vector-valued f along v with step h.
func central(f func([]float64) []float64, x, v []float64, h float64) []float64 {
	xp, xm := make([]float64, len(x)), make([]float64, len(x))
	for i := range x {
		xp[i], xm[i] = x[i]+h*v[i], x[i]-h*v[i]
	}
	fp, fm := f(xp), f(xm)
	d := make([]float64, len(fp))
	for i := range d {
		d[i] = (fp[i] - fm[i]) / (2 * h)
	}
	return d
}

func TestActivationSpecialCases(t *testing.T) {
	negZero := math.Copysign(0, -1)
	inf, nan := math.Inf(1), math.NaN()
	for _, tc := range []struct {
		act           Activation
		z             float64
		f, d1, d2, d3 float64
		note          string
	}{ // derivatives compared exactly, the sign of a zero derivative not
		{SiLU, 0, 0, 0.5, 0.5, 0, "σ(0) = 1/2"},
		{SiLU, negZero, negZero, 0.5, 0.5, 0, "sign of zero kept"},
		{SiLU, inf, inf, 1, 0, 0, "limit"},
		{SiLU, -inf, negZero, 0, 0, 0, "limit; z·s(z) would be NaN"},
		{SiLU, nan, nan, nan, nan, nan, ""},
		{SiLU, 800, 800, 1, 0, 0, "s(800) = 1, e^-800 underflows"},
		{SiLU, -800, negZero, 0, 0, 0, "underflow"},
		{Softplus, 0, math.Ln2, 0.5, 0.25, 0, "log 2"},
		{Softplus, inf, inf, 1, 0, 0, ""},
		{Softplus, -inf, 0, 0, 0, 0, ""},
		{Softplus, nan, nan, nan, nan, nan, ""},
		{Tanh, 0, 0, 1, 0, -2, ""},
		{Tanh, inf, 1, 0, 0, 0, ""},
		{Tanh, -inf, -1, 0, 0, 0, ""},
		{Tanh, nan, nan, nan, nan, nan, ""},
		{ReLU, 0, 0, 0, 0, 0, "σ′(0) = 0 by convention"},
		{ReLU, 2, 2, 1, 0, 0, ""},
		{ReLU, -2, 0, 0, 0, 0, ""},
		{ReLU, inf, inf, 1, 0, 0, ""},
		{ReLU, nan, nan, 0, 0, 0, ""},
	} {
		f, d1, d2, d3 := tc.act.Eval(tc.z)
		same := func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }
		ok := same(d1, tc.d1) && same(d2, tc.d2) && same(d3, tc.d3)
		ok = ok && alike(f, tc.f)
		if !ok {
			t.Errorf("%v.Eval(%v) = %v, %v, %v, %v, want %v, %v, %v, %v (%s)",
				tc.act, tc.z, f, d1, d2, d3, tc.f, tc.d1, tc.d2, tc.d3, tc.note)
		}
	}
	// The minimum of SiLU (method.md §5): σ′ vanishes there.
	f, d1, _, _ := SiLU.Eval(-1.2784645427610738)
	if math.Abs(f+0.27846454276107385) > 1e-16 || math.Abs(d1) > 1e-16 {
		t.Errorf("SiLU at its minimum: σ = %v, σ′ = %v, want -0.27846454276107385, 0", f, d1)
	}
	// At large |z| the derivatives keep their relative accuracy:
	// SiLU″(z) = s(1−s)(2 + z(1−2s)) ≈ e^−z (2 − z) for z = 40.
	_, _, d2, _ := SiLU.Eval(40)
	if want := math.Exp(-40) * (2 - 40) * (1 - 2*math.Exp(-40)); math.Abs(d2-want) > 1e-14*math.Abs(want) {
		t.Errorf("SiLU″(40) = %v, want %v", d2, want)
	}
	_, d1, _, _ = Tanh.Eval(20) // 1 − tanh² = 4e^−40/(1+e^−40)²
	if want := 4 * math.Exp(-40); math.Abs(d1-want) > 1e-14*want {
		t.Errorf("Tanh′(20) = %v, want %v", d1, want)
	}
}

func TestActivationDerivativesFD(t *testing.T) {
	for _, act := range activations {
		for z := -12.0; z <= 12; z += 0.37 {
			if act == ReLU && math.Abs(z) < 1e-3 {
				continue
			}
			h := 1e-5
			f := func(k int) func(float64) float64 {
				return func(z float64) float64 {
					r := [4]float64{}
					r[0], r[1], r[2], r[3] = act.Eval(z)
					return r[k]
				}
			}
			_, d1, d2, d3 := act.Eval(z)
			for k, want := range []float64{d1, d2, d3} {
				got := (f(k)(z+h) - f(k)(z-h)) / (2 * h)
				// The FD error is ≈ h²·|σ⁽ᵏ⁺³⁾| + 1e-16·|σ⁽ᵏ⁾|/h; 1e-8 absolute covers both.
				if math.Abs(got-want) > 1e-6*math.Abs(want)+1e-8 {
					t.Errorf("%v: derivative %d at z = %v is %v, finite differences give %v", act, k+1, z, want, got)
				}
			}
		}
	}
}

// kinkFree reports whether no pre-activation of a ReLU net comes within margin
// of 0 on the batch, so that finite differences do not cross a kink.
func kinkFree(net *Network, bt Batch, margin float64) bool {
	n := net.Inputs()
	for b := range len(bt.X) / n {
		r := refForward(net, bt.X[b*n:(b+1)*n], nil)
		for l := 1; l < len(r.z); l++ {
			for _, z := range r.z[l] {
				if math.Abs(z) < margin {
					return false
				}
			}
		}
	}
	return true
}

// batchFor returns a test batch for net; for ReLU nets one whose inputs keep
// every pre-activation at least 0.05 from the kink.
func batchFor(net *Network, b, k int, seed uint64) Batch {
	for {
		bt := testBatch(net.Inputs(), b, k, seed)
		if net.Act != ReLU || kinkFree(net, bt, 0.05) {
			return bt
		}
		seed += 1000
	}
}

func TestSobolevLossMatchesReference(t *testing.T) {
	for _, sizes := range [][]int{{3, 5, 4, 1}, {2, 7, 1}, {4, 1}, {3, 6, 2, 5, 1}} {
		for _, act := range activations {
			net := testNet(sizes, act, 7)
			for _, k := range []int{0, 2} {
				bt := batchFor(net, 5, k, 11)
				w := LossWeights{Value: 0.3, Grad: 0.6, HVP: 0.2,
					Lambda: make([]float64, sizes[0]), Mu: []float64{0.7, 1.9}[:k]}
				for j := range w.Lambda {
					w.Lambda[j] = 0.5 + float64(j)
				}
				if k == 0 {
					w.HVP, w.Mu = 0, nil
				}
				for _, mode := range []string{"value", "gradient", "all"} {
					b := bt
					switch mode {
					case "value":
						b.DYDX, b.Dirs, b.HV = nil, nil, nil
					case "gradient":
						b.Dirs, b.HV = nil, nil
					}
					ww := w
					if b.Dirs == nil {
						ww.HVP, ww.Mu = 0, nil
					}
					if b.DYDX == nil {
						ww.Grad = 0
					}
					for _, threads := range []int{1, 3} {
						// A workspace larger than the batch, used before for a
						// larger batch, must not leak state into this one.
						dirs := min(k, 1) * 3 // no σ‴ scratch without directions
						ws := NewWorkspace(net, 8, dirs, threads)
						big := batchFor(net, 8, dirs, 99)
						net.SobolevLoss(make([]float64, net.NumParams()), ws, big, LossWeights{Value: 1, Grad: 1, HVP: float64(min(k, 1))})
						grad := make([]float64, net.NumParams())
						got := net.SobolevLoss(grad, ws, b, ww)
						want, wantGrad := refLoss(net, b, ww)
						name := fmt.Sprintf("%v %v K=%d %s threads=%d", sizes, act, k, mode, threads)
						for _, p := range [][2]float64{{got.Value, want.Value}, {got.Grad, want.Grad}, {got.HVP, want.HVP}, {got.Total, want.Total}} {
							if math.Abs(p[0]-p[1]) > 1e-13*math.Abs(p[1]) {
								t.Errorf("%s: loss %+v, reference %+v", name, got, want)
								break
							}
						}
						if e := relErr(grad, wantGrad); e > 1e-12 {
							t.Errorf("%s: parameter gradient differs from the reference by %.3g (relative)", name, e)
						}
						// The gradient is added, not stored.
						net.SobolevLoss(grad, ws, b, ww)
						for i := range wantGrad {
							wantGrad[i] *= 2
						}
						if e := relErr(grad, wantGrad); e > 1e-12 {
							t.Errorf("%s: second call did not add the gradient (error %.3g)", name, e)
						}
					}
				}
			}
		}
	}
}

// TestSobolevLossGradientFD checks the parameter gradient of each term of the
// Sobolev loss, and of all together, against central finite differences of
// the loss over every parameter of a 3 → 5, 4 → 1 network.
func TestSobolevLossGradientFD(t *testing.T) {
	for _, act := range activations {
		net := testNet([]int{3, 5, 4, 1}, act, 3)
		bt := batchFor(net, 4, 2, 5)
		for _, tc := range []struct {
			name string
			w    LossWeights
		}{
			{"value", LossWeights{Value: 1}},
			{"gradient", LossWeights{Grad: 1, Lambda: []float64{0.5, 2, 1.3}}},
			{"hvp", LossWeights{HVP: 1, Mu: []float64{1.5, 0.4}}},
			{"all", LossWeights{Value: 0.25, Grad: 0.75, HVP: 0.1, Lambda: []float64{0.5, 2, 1.3}, Mu: []float64{1.5, 0.4}}},
		} {
			if act == ReLU && tc.w.HVP != 0 {
				continue // σ″ = 0: Hessian-vector products vanish
			}
			ws := NewWorkspace(net, 4, 2, 1)
			grad := make([]float64, net.NumParams())
			net.SobolevLoss(grad, ws, bt, tc.w)
			c := net.Clone()
			loss := func(p []float64) float64 {
				copy(c.Params.Flat, p)
				return c.SobolevLoss(nil, ws, bt, tc.w).Total
			}
			want := fd.Gradient(nil, loss, net.Params.Flat, &fd.Settings{Formula: fd.Central, Step: 1e-5})
			if e := relErr(grad, want); e > 1e-6 {
				t.Errorf("%v %s: parameter gradient vs finite differences: relative error %.3g", act, tc.name, e)
			}
		}
	}
}

func TestInputGradientFD(t *testing.T) {
	for _, act := range activations {
		net := testNet([]int{3, 5, 4, 1}, act, 21)
		for _, x := range pointsFor(net) {
			got := net.InputGradient(nil, x)
			want := fd.Gradient(nil, net.Value, x, &fd.Settings{Formula: fd.Central, Step: 1e-5})
			if e := relErr(got, want); e > 1e-6 {
				t.Errorf("%v: InputGradient(%v) = %v, finite differences %v", act, x, got, want)
			}
			dst := make([]float64, 3)
			if r := net.InputGradient(dst, x); &r[0] != &dst[0] {
				t.Errorf("InputGradient did not return dst")
			}
		}
	}
}

func TestHessVecFD(t *testing.T) {
	v := []float64{0.3, -1.1, 0.8}
	for _, act := range activations[:3] {
		net := testNet([]int{3, 5, 4, 1}, act, 22)
		for _, x := range pointsFor(net) {
			got := net.HessVec(nil, x, v)
			want := central(func(x []float64) []float64 { return net.InputGradient(nil, x) }, x, v, 1e-5)
			if e := relErr(got, want); e > 1e-6 {
				t.Errorf("%v: HessVec(%v) = %v, finite differences %v", act, x, got, want)
			}
		}
	}
}

func TestGammaFD(t *testing.T) {
	ones := []float64{1, 1, 1}
	sum := func(s []float64) []float64 { return []float64{s[0] + s[1] + s[2]} }
	for _, act := range activations[:3] {
		net := testNet([]int{3, 5, 4, 1}, act, 23)
		for _, x := range pointsFor(net) {
			got := net.Gamma(x)
			// 1ᵀH1 = d/dt 1ᵀ∇y(x + t1) at t = 0.
			want := central(func(x []float64) []float64 { return sum(net.InputGradient(nil, x)) }, x, ones, 1e-5)[0]
			if math.Abs(got-want) > 1e-6*math.Abs(want) {
				t.Errorf("%v: Gamma(%v) = %v, finite differences of the gradient %v", act, x, got, want)
			}
			// And from values alone: second central difference with Richardson
			// extrapolation, accurate to about 1e-7 here.
			d2 := func(h float64) float64 {
				xp, xm := make([]float64, 3), make([]float64, 3)
				for i := range x {
					xp[i], xm[i] = x[i]+h, x[i]-h
				}
				return (net.Value(xp) - 2*net.Value(x) + net.Value(xm)) / (h * h)
			}
			if r := (4*d2(1e-3) - d2(2e-3)) / 3; math.Abs(got-r) > 1e-5*math.Abs(got) {
				t.Errorf("%v: Gamma(%v) = %v, second differences of Value %v", act, x, got, r)
			}
		}
	}
}

func TestHessianFD(t *testing.T) {
	for _, act := range activations[:3] {
		net := testNet([]int{3, 5, 4, 1}, act, 24)
		for _, x := range pointsFor(net) {
			h := net.Hessian(nil, x)
			jac := mat.NewDense(3, 3, nil)
			fd.Jacobian(jac, func(dst, x []float64) { net.InputGradient(dst, x) }, x,
				&fd.JacobianSettings{Formula: fd.Central, Step: 1e-5})
			for i := range 3 {
				got := mat.Row(nil, i, h)
				if e := relErr(got, mat.Row(nil, i, jac)); e > 1e-6 {
					t.Errorf("%v: Hessian row %d = %v, finite differences %v", act, i, got, mat.Row(nil, i, jac))
				}
			}
			// The Hessian-vector products along e_j agree with each other's
			// transposes up to rounding, and Hessian columns are HessVec.
			for j := range 3 {
				e := make([]float64, 3)
				e[j] = 1
				col := net.HessVec(nil, x, e)
				for i := range 3 {
					if d := math.Abs(col[i] - h.At(i, j)); d > 1e-13*(math.Abs(col[i])+1) {
						t.Errorf("%v: Hessian(%d,%d) = %v, HessVec gives %v", act, i, j, h.At(i, j), col[i])
					}
				}
			}
			// Hessian fills an empty receiver and reuses a sized one.
			var empty mat.SymDense
			if got := net.Hessian(&empty, x); got != &empty || !mat.Equal(got, h) {
				t.Errorf("Hessian into an empty SymDense: got %v", mat.Formatted(got))
			}
		}
	}
}

func TestReLUHessianIsZero(t *testing.T) {
	net := testNet([]int{3, 5, 4, 1}, ReLU, 25)
	for _, x := range pointsFor(net) {
		if g := net.Gamma(x); g != 0 {
			t.Errorf("ReLU Gamma(%v) = %v, want 0", x, g)
		}
	}
}

// pointsFor returns raw test points for net, away from ReLU kinks.
func pointsFor(net *Network) [][]float64 {
	var pts [][]float64
	for seed := uint64(0); len(pts) < 3; seed++ {
		bt := testBatch(net.Inputs(), 1, 0, 100+seed)
		if net.Act == ReLU && !kinkFree(net, bt, 0.05) {
			continue
		}
		x := make([]float64, net.Inputs())
		for j := range x {
			x[j] = net.Norm.XMean[j] + net.Norm.XScale[j]*bt.X[j]
		}
		pts = append(pts, x)
	}
	return pts
}

// TestNormalizationScaling checks raw-unit derivatives against the normalised
// ones computed by the reference, with the scalings written out.
func TestNormalizationScaling(t *testing.T) {
	net := testNet([]int{3, 5, 1}, SiLU, 26)
	x := []float64{0.7, -0.2, 1.9}
	xn := make([]float64, 3)
	for j := range x {
		xn[j] = (x[j] - net.Norm.XMean[j]) / net.Norm.XScale[j]
	}
	v := []float64{1, -2, 0.5}
	vn := make([]float64, 3)
	for j := range v {
		vn[j] = v[j] / net.Norm.XScale[j]
	}
	r := refForward(net, xn, [][]float64{vn})
	if got, want := net.Value(x), net.Norm.YMean+net.Norm.YScale*r.y; math.Abs(got-want) > 1e-15*math.Abs(want) {
		t.Errorf("Value = %v, want YMean + YScale·y_n = %v", got, want)
	}
	g := net.InputGradient(nil, x)
	hv := net.HessVec(nil, x, v)
	for j := range 3 {
		c := net.Norm.YScale / net.Norm.XScale[j]
		if want := c * r.g[0][j]; math.Abs(g[j]-want) > 1e-14*math.Abs(want) {
			t.Errorf("∂y/∂x_%d = %v, want YScale/XScale·g_n = %v", j, g[j], want)
		}
		if want := c * r.gd[0][0][j]; math.Abs(hv[j]-want) > 1e-14*math.Abs(want) {
			t.Errorf("(Hv)_%d = %v, want YScale/XScale·(H_n v_n) = %v", j, hv[j], want)
		}
	}
}

func TestSobolevLossAllocs(t *testing.T) {
	net := testNet([]int{7, 16, 16, 1}, SiLU, 1)
	bt := testBatch(7, 32, 2, 1)
	grad := make([]float64, net.NumParams())
	w := LossWeights{Value: 1, Grad: 1, HVP: 1}
	for _, threads := range []int{1, 2} {
		ws := NewWorkspace(net, 32, 2, threads)
		if a := testing.AllocsPerRun(10, func() { net.SobolevLoss(grad, ws, bt, w) }); a != 0 {
			t.Errorf("threads = %d: SobolevLoss allocates %v times per call, want 0", threads, a)
		}
	}
}

// TestSobolevLossThreads checks that a batch split over threads gives the
// single-thread loss and gradient up to rounding, and the same bits on every
// call with the same thread count.
func TestSobolevLossThreads(t *testing.T) {
	net := testNet([]int{7, 16, 16, 1}, SiLU, 2)
	bt := testBatch(7, 37, 2, 2)
	w := LossWeights{Value: 1, Grad: 1, HVP: 1}
	run := func(threads int) (Loss, []float64) {
		grad := make([]float64, net.NumParams())
		return net.SobolevLoss(grad, NewWorkspace(net, 40, 2, threads), bt, w), grad
	}
	l1, g1 := run(1)
	for _, threads := range []int{2, 3, 64} {
		l, g := run(threads)
		if math.Abs(l.Total-l1.Total) > 1e-14*l1.Total || relErr(g, g1) > 1e-13 {
			t.Errorf("threads = %d: loss %v, gradient error %.3g against one thread's %v", threads, l.Total, relErr(g, g1), l1.Total)
		}
		l2, g2 := run(threads)
		if l2 != l || !slices.Equal(g2, g) {
			t.Errorf("threads = %d: two runs differ", threads)
		}
	}
}

func TestSobolevLossPanics(t *testing.T) {
	net := testNet([]int{3, 4, 1}, SiLU, 1)
	ws := NewWorkspace(net, 4, 1, 1)
	bt := testBatch(3, 4, 1, 1)
	other := testNet([]int{3, 5, 1}, SiLU, 1)
	for _, tc := range []struct {
		name string
		f    func()
		want string
	}{
		{"ragged X", func() { net.SobolevLoss(nil, ws, Batch{X: bt.X[:5]}, LossWeights{}) }, badLen},
		{"empty", func() { net.SobolevLoss(nil, ws, Batch{}, LossWeights{}) }, badLen},
		{"short Y", func() { net.SobolevLoss(nil, ws, Batch{X: bt.X, Y: bt.Y[:3]}, LossWeights{}) }, badLen},
		{"Dirs without HV", func() { net.SobolevLoss(nil, ws, Batch{X: bt.X, Dirs: bt.Dirs}, LossWeights{}) }, badLabels},
		{"weight without labels", func() { net.SobolevLoss(nil, ws, Batch{X: bt.X, Y: bt.Y}, LossWeights{Grad: 1}) }, badWeights},
		{"lambda length", func() { net.SobolevLoss(nil, ws, bt, LossWeights{Lambda: []float64{1}}) }, badLen},
		{"grad length", func() { net.SobolevLoss(make([]float64, 3), ws, bt, LossWeights{}) }, badGradLen},
		{"batch too large", func() { net.SobolevLoss(nil, NewWorkspace(net, 2, 1, 1), bt, LossWeights{}) }, badBatch},
		{"too many dirs", func() { net.SobolevLoss(nil, NewWorkspace(net, 4, 0, 1), bt, LossWeights{}) }, badDirs},
		{"other shape", func() { other.SobolevLoss(nil, ws, bt, LossWeights{}) }, badWorkspace},
		{"InputGradient dst", func() { net.InputGradient(make([]float64, 2), []float64{1, 2, 3}) }, badLen},
		{"HessVec v", func() { net.HessVec(nil, []float64{1, 2, 3}, []float64{1}) }, badLen},
		{"Hessian dst", func() { net.Hessian(mat.NewSymDense(2, nil), []float64{1, 2, 3}) }, badDims},
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

// TestWorkspaceGoroutinesEnd checks that the goroutines of a multi-threaded
// Workspace end once it is unreachable.
func TestWorkspaceGoroutinesEnd(t *testing.T) {
	// Wait until the workers of earlier tests' Workspaces have ended, so
	// that the count does not fall under us.
	before := runtime.NumGoroutine()
	for range 200 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
		n := runtime.NumGoroutine()
		if n == before {
			break
		}
		before = n
	}
	net := testNet([]int{3, 4, 1}, SiLU, 1)
	bt := testBatch(3, 8, 0, 1)
	for range 3 {
		net.SobolevLoss(nil, NewWorkspace(net, 8, 0, 4), bt, LossWeights{Value: 1})
	}
	if runtime.NumGoroutine() < before+9 {
		t.Fatalf("%d goroutines, want %d + 9 workers", runtime.NumGoroutine(), before)
	}
	for deadline := time.Now().Add(10 * time.Second); runtime.NumGoroutine() > before && time.Now().Before(deadline); {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines left after the workspaces became unreachable, want %d", n, before)
	}
}
