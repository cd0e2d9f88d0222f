package bound

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sobolev-pruning/sobolev/interval"
	"github.com/sobolev-pruning/sobolev/mlp"
)

// randomNet returns a net with weights of scale 1/√in and a random
// normalisation.
func randomNet(rng *rand.Rand, n int, hidden []int, act mlp.Activation) *mlp.Network {
	net := mlp.New(n, hidden, act)
	for l := range net.Params.W {
		s := 1 / math.Sqrt(float64(net.Sizes[l]))
		for i := range net.Params.W[l] {
			net.Params.W[l][i] = s * rng.NormFloat64()
		}
		for i := range net.Params.B[l] {
			net.Params.B[l][i] = 0.1 * rng.NormFloat64()
		}
	}
	for j := range n {
		net.Norm.XMean[j] = 1 + 0.1*rng.NormFloat64()
		net.Norm.XScale[j] = 0.1 + 0.2*rng.Float64()
	}
	net.Norm.YMean, net.Norm.YScale = 0.3, 0.05+rng.Float64()
	return net
}

// TestGreeksContain checks on nets of every smooth activation (SiLU, Softplus,
// tanh; 6 × 8 and 2 × 16) that the enclosures contain the value, the deltas
// and 1ᵀH1 at 10⁶ random points of their box, and the Hessian diagonal and
// gamma along another direction at 2·10⁴, with and without bisection.
func TestGreeksContain(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const points = 1_000_000
	for _, act := range []mlp.Activation{mlp.SiLU, mlp.Softplus, mlp.Tanh} {
		for _, hidden := range [][]int{{8, 8, 8, 8, 8, 8}, {16, 16}} {
			const n = 3
			net := randomNet(rng, n, hidden, act)
			box := make([]interval.Interval, n)
			for j := range box {
				c, r := net.Norm.XMean[j], net.Norm.XScale[j]*(0.05+0.5*rng.Float64())
				box[j] = interval.New(c-r, c+r)
			}
			x := make([]float64, points*n)
			for i := range x {
				iv := box[i%n]
				x[i] = min(iv.Hi, iv.Lo+(iv.Hi-iv.Lo)*rng.Float64())
			}
			value, grad, gamma := make([]float64, points), make([]float64, len(x)), make([]float64, points)
			mlp.NewEvaluator(net).Eval(value, grad, gamma, x)
			for _, boxes := range []int{1, 16} {
				res, err := Greeks(context.Background(), net, box, Options{Boxes: boxes})
				if err != nil {
					t.Fatal(err)
				}
				for r := range points {
					ok := res.Value.Contains(value[r]) && res.Gamma.Contains(gamma[r])
					for j := range n {
						ok = ok && res.Delta[j].Contains(grad[r*n+j])
					}
					if !ok {
						t.Fatalf("%v %v, %d boxes, point %v: y %v, dydx %v, 1ᵀH1 %v outside %v %v %v",
							act, hidden, boxes, x[r*n:(r+1)*n], value[r], grad[r*n:(r+1)*n], gamma[r], res.Value, res.Delta, res.Gamma)
					}
				}
				// The Hessian diagonal and gamma along v on fewer points.
				v := []float64{0.5, -1, 2}
				resV, err := Greeks(context.Background(), net, box, Options{Boxes: boxes, Direction: v})
				if err != nil {
					t.Fatal(err)
				}
				const few = 20_000
				e := mlp.NewEvaluator(net)
				hv := make([]float64, few*n)
				e.EvalHessVec(nil, nil, hv, x[:few*n], v)
				for r := range few {
					g := 0.0
					for j := range n {
						g += v[j] * hv[r*n+j]
					}
					if !resV.Gamma.Contains(g) {
						t.Fatalf("%v %v: vᵀHv %v outside %v", act, hidden, g, resV.Gamma)
					}
				}
				for j := range n {
					ej := make([]float64, n)
					ej[j] = 1
					e.EvalHessVec(nil, nil, hv, x[:few*n], ej)
					for r := range few {
						if !res.HessianDiag[j].Contains(hv[r*n+j]) {
							t.Fatalf("%v %v: H[%d][%d] = %v outside %v", act, hidden, j, j, hv[r*n+j], res.HessianDiag[j])
						}
					}
				}
			}
		}
	}
}

// TestGreeksTighten checks that bisection tightens the enclosures and that
// on a small box they are close to the sampled ranges.
func TestGreeksTighten(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	net := randomNet(rng, 3, []int{8, 8, 8, 8, 8, 8}, mlp.SiLU)
	box := make([]interval.Interval, 3)
	for j := range box {
		c, r := net.Norm.XMean[j], 0.05*net.Norm.XScale[j]
		box[j] = interval.New(c-r, c+r)
	}
	one, err := Greeks(context.Background(), net, box, Options{})
	if err != nil {
		t.Fatal(err)
	}
	many, err := Greeks(context.Background(), net, box, Options{Boxes: 64})
	if err != nil {
		t.Fatal(err)
	}
	if many.Boxes != 64 || !(many.Gamma.Width() < one.Gamma.Width()) || !(many.Delta[0].Width() < one.Delta[0].Width()) {
		t.Errorf("64 boxes: gamma %v, delta %v; one box: %v, %v; want narrower", many.Gamma, many.Delta[0], one.Gamma, one.Delta[0])
	}
}

func TestGreeksRefuses(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	net := randomNet(rng, 2, []int{4}, mlp.SiLU)
	box := []interval.Interval{interval.New(0, 1), interval.New(0, 1)}
	relu := randomNet(rng, 2, []int{4}, mlp.ReLU)
	for _, tc := range []struct {
		name string
		net  *mlp.Network
		box  []interval.Interval
		opts Options
	}{
		{"relu", relu, box, Options{}},
		{"box of one interval", net, box[:1], Options{}},
		{"infinite box", net, []interval.Interval{interval.New(0, math.Inf(1)), interval.New(0, 1)}, Options{}},
		{"short direction", net, box, Options{Direction: []float64{1}}},
		{"NaN direction", net, box, Options{Direction: []float64{1, math.NaN()}}},
		{"negative boxes", net, box, Options{Boxes: -1}},
	} {
		if _, err := Greeks(context.Background(), tc.net, tc.box, tc.opts); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Greeks(ctx, net, box, Options{Boxes: 4}); err == nil {
		t.Error("cancelled: no error")
	}
}

// BenchmarkCheck times the shape check of a 6 × 8 SiLU net of 7 inputs on a
// box it proves in a few thousand pieces.
func BenchmarkCheck(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	net := randomNet(rng, 7, []int{8, 8, 8, 8, 8, 8}, mlp.Softplus)
	for l := range net.Params.W { // positive weights: increasing and convex
		for i, w := range net.Params.W[l] {
			net.Params.W[l][i] = math.Abs(w)
		}
	}
	box := make([]interval.Interval, 7)
	for j := range box {
		box[j] = interval.New(net.Norm.XMean[j]-net.Norm.XScale[j], net.Norm.XMean[j]+net.Norm.XScale[j])
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Check(context.Background(), net, box, Shape{DeltaNonneg: true, GammaNonneg: true}, 12, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
