package mlp

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestTraceMatchesReference checks every slice of a Trace against the
// per-sample reference refForward, for every activation, with a batch that
// fills the Trace and one that does not, and checks that g_0 is the input
// gradient and that the passes allocate nothing.
func TestTraceMatchesReference(t *testing.T) {
	const tol = 1e-14 // relative to 1 + |want|: sums in another order
	for _, act := range []Activation{SiLU, Softplus, Tanh, ReLU} {
		net := testNet([]int{4, 9, 7, 5, 1}, act, 3)
		n, L := net.Inputs(), net.Layers()
		tr := NewTrace(net, 12)
		for _, N := range []int{12, 5} {
			x := testBatch(n, N, 0, uint64(N)).X
			net.TraceForward(tr, x)
			if tr.G[0] != nil {
				t.Errorf("%v: G[0] set before TraceReverse", act)
			}
			net.TraceReverse(tr)
			if tr.N != N || len(tr.A) != L+1 || tr.Z[0] != nil || tr.D1[0] != nil {
				t.Fatalf("%v: N = %d, %d layers, Z[0] = %v, D1[0] = %v", act, tr.N, len(tr.A), tr.Z[0], tr.D1[0])
			}
			for r := range N {
				xr := x[r*n : (r+1)*n]
				xn := make([]float64, n)
				for j, v := range xr {
					xn[j] = (v - net.Norm.XMean[j]) / net.Norm.XScale[j]
				}
				ref := refForward(net, xn, nil)
				for l := range L + 1 {
					w := net.Sizes[l]
					got := map[string][]float64{"A": tr.A[l], "G": tr.G[l], "Z": tr.Z[l], "D1": tr.D1[l]}
					want := map[string][]float64{"A": ref.a[l], "G": ref.g[l], "Z": ref.z[l], "D1": ref.d1[l]}
					for name, g := range got {
						if l == 0 && (name == "Z" || name == "D1") {
							continue
						}
						if len(g) != N*w {
							t.Fatalf("%v: len(%s[%d]) = %d, want %d", act, name, l, len(g), N*w)
						}
						for i, v := range g[r*w : (r+1)*w] {
							if e := want[name][i]; math.Abs(v-e) > tol*(1+math.Abs(e)) {
								t.Errorf("%v N=%d: %s[%d][%d,%d] = %v, want %v", act, N, name, l, r, i, v, e)
							}
						}
					}
				}
				grad := net.InputGradient(nil, xr)
				for j, g := range tr.G[0][r*n : (r+1)*n] {
					raw := net.Norm.YScale / net.Norm.XScale[j] * g
					if math.Abs(raw-grad[j]) > 1e-13*(1+math.Abs(grad[j])) {
						t.Errorf("%v: ∂y/∂x_%d from G[0] = %v, InputGradient %v", act, j, raw, grad[j])
					}
				}
			}
			allocs := testing.AllocsPerRun(5, func() {
				net.TraceForward(tr, x)
				net.TraceReverse(tr)
			})
			if allocs != 0 {
				t.Errorf("%v: TraceForward and TraceReverse allocate %v times per call", act, allocs)
			}
		}
	}
}

// TestTraceNoHidden checks a net without hidden layers: a_0 = x_n and
// g_0 = W_outᵀ.
func TestTraceNoHidden(t *testing.T) {
	net := New(2, nil, SiLU)
	copy(net.Params.W[0], []float64{3, -2})
	net.Norm.XMean[0], net.Norm.XScale[1] = 1, 4
	tr := NewTrace(net, 2)
	net.TraceForward(tr, []float64{1, 4, 3, 8})
	net.TraceReverse(tr)
	if want := []float64{0, 1, 2, 2}; !equal(tr.A[0], want) {
		t.Errorf("A[0] = %v, want %v", tr.A[0], want)
	}
	if want := []float64{3, -2, 3, -2}; !equal(tr.G[0], want) {
		t.Errorf("G[0] = %v, want %v", tr.G[0], want)
	}
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestTracePanics checks the documented panics.
func TestTracePanics(t *testing.T) {
	net := testNet([]int{2, 3, 1}, SiLU, 1)
	other := testNet([]int{2, 4, 1}, SiLU, 1)
	rng := rand.New(rand.NewPCG(1, 1))
	x := []float64{rng.Float64(), rng.Float64()}
	for _, tc := range []struct {
		name string
		f    func()
		want string
	}{
		{"batch 0", func() { NewTrace(net, 0) }, "mlp: NewTrace needs batch ≥ 1"},
		{"other shape", func() { other.TraceForward(NewTrace(net, 1), x) }, badWorkspace},
		{"ragged x", func() { net.TraceForward(NewTrace(net, 1), x[:1]) }, badLen},
		{"empty x", func() { net.TraceForward(NewTrace(net, 1), nil) }, badLen},
		{"batch too large", func() { net.TraceForward(NewTrace(net, 1), append(x, x...)) }, badBatch},
		{"reverse first", func() { net.TraceReverse(NewTrace(net, 1)) }, "mlp: TraceReverse before TraceForward"},
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
