package bachelier

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sobolev-pruning/sobolev/dataset"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat"
)

func newModel(t testing.TB, n int, seed uint64) *Model {
	t.Helper()
	m, err := New(n, seed)
	if err != nil {
		t.Fatal(err)
	}
	return m
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

func sameSet(a, b *dataset.Set) bool {
	return a.Dims() == b.Dims() && a.Arrays() == b.Arrays() && sameBits(a.X, b.X) && sameBits(a.Y, b.Y) &&
		sameBits(a.DYDX, b.DYDX) && sameBits(a.Gamma, b.Gamma) && sameBits(a.Hessian, b.Hessian)
}

// newPortfolio returns NewPortfolio(n, k, seed) or fails the test.
func newPortfolio(t testing.TB, n, k int, seed uint64) *Model {
	t.Helper()
	m, err := NewPortfolio(n, k, seed)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPathwiseLabelsMean simulates only the step T1 → T2 from fixed spots S1
// (Sampler.label) and checks that the mean payoff label is the closed-form
// price of the portfolio, and that the mean gradient label is its deltas,
// each within 3 standard errors of 100,000 antithetic pairs. The deltas are
// compared along 1 and along two random directions, not coordinate by
// coordinate: with 3 s.e. per comparison, hundreds of them would fail by
// chance now and then.
func TestPathwiseLabelsMean(t *testing.T) {
	const pairs = 100_000
	for _, tc := range []struct{ n, k int }{{7, 1}, {7, 4}, {7, 16}, {30, 4}, {30, 16}} {
		m := newPortfolio(t, tc.n, tc.k, 3)
		p, n := m.Portfolio(), m.Dims()
		s := m.TrainingSampler(TrainOptions{})
		dirs := [3][]float64{make([]float64, n), make([]float64, n), make([]float64, n)}
		rng := rand.New(rand.NewPCG(4, 5))
		for i := range n {
			dirs[0][i] = 1
			dirs[1][i] = rng.NormFloat64()
			dirs[2][i] = rng.NormFloat64()
		}
		y := make([]float64, pairs)
		g := [3][]float64{make([]float64, pairs), make([]float64, pairs), make([]float64, pairs)}
		dydx := make([]float64, n)
		for _, level := range []float64{1.0, 1.2} {
			x := make([]float64, n)
			for i := range x {
				x[i] = level + 0.1*float64(i-n/2)/float64(n)
			}
			for r := range pairs {
				y[r], _ = s.label(x, dydx, nil)
				for d, v := range dirs {
					g[d][r] = floats.Dot(dydx, v)
				}
			}
			name := fmt.Sprintf("n = %d, %d baskets, S1 around %v", n, tc.k, level)
			if ok, mean, se := within3SE(y, p.Price(x)); !ok {
				t.Errorf("%s: mean payoff label %.6f ± %.6f, price %.6f", name, mean, se, p.Price(x))
			}
			delta := p.Delta(nil, x)
			for d, v := range dirs {
				if ok, mean, se := within3SE(g[d], floats.Dot(delta, v)); !ok {
					t.Errorf("%s: mean gradient label along direction %d %.6f ± %.6f, delta %.6f", name, d, mean, se, floats.Dot(delta, v))
				}
			}
		}
	}
}

// TestSmoothedGammaMean checks the mean of the smoothed pathwise gamma
// labels against the gamma Σ_j φ(d′_j)/s′_j·(Σ w_j)² of the smoothed payoffs:
// the logistic kernel of width h adds variance π²h²/3 to each basket's s_j².
func TestSmoothedGammaMean(t *testing.T) {
	const pairs = 100_000
	const h = 0.01
	for _, k := range []int{1, 4} {
		m := newPortfolio(t, 7, k, 3)
		s := m.TrainingSampler(TrainOptions{Smoothing: h})
		gamma := make([]float64, pairs)
		dydx := make([]float64, 7)
		for _, level := range []float64{0.9, 1.1, 1.3} {
			x := make([]float64, 7)
			for i := range x {
				x[i] = level
			}
			for r := range pairs {
				_, gamma[r] = s.label(x, dydx, nil)
			}
			var want float64
			for _, b := range m.Portfolio() {
				sEff := math.Sqrt(b.Vol*b.Vol*b.Tau + math.Pi*math.Pi*h*h/3)
				d := (floats.Dot(b.Weights, x) - b.Strike) / sEff
				sw := floats.Sum(b.Weights)
				want += math.Exp(-d*d/2) / math.Sqrt(2*math.Pi) / sEff * sw * sw
			}
			// The normal approximation of normal + logistic is off by O(h⁴/s⁴) ≈ 1e-5 relative.
			if ok, mean, se := within3SE(gamma, want); !ok {
				t.Errorf("%d baskets, S1 = %v: mean gamma label %.6f ± %.6f, smoothed gamma %.6f", k, level, mean, se, want)
			}
		}
	}
}

// TestTrainingSpots checks S1 = 1 + 1.5·L·z₀: the mean of every spot is 1,
// its variance 2.25·v[i]², and the variance of the basket 2.25·0.04.
func TestTrainingSpots(t *testing.T) {
	const rows = 100_000
	m := newModel(t, 5, 11)
	set := m.TrainingSet(rows, TrainOptions{})
	n := m.Dims()
	col := make([]float64, rows)
	basket := make([]float64, rows)
	check := func(name string, x []float64, wantVar float64) {
		mean, v := stat.MeanVariance(x, nil)
		if se := math.Sqrt(wantVar / rows); math.Abs(mean-1) > 4*se {
			t.Errorf("%s: mean %.5f, want 1 ± %.5f", name, mean, 4*se)
		}
		if se := wantVar * math.Sqrt(2.0/rows); math.Abs(v-wantVar) > 4*se {
			t.Errorf("%s: variance %.5f, want %.5f ± %.5f", name, v, wantVar, 4*se)
		}
	}
	for i := range n {
		for r := range rows {
			col[r] = set.X[r*n+i]
		}
		check(fmt.Sprintf("spot %d", i), col, 2.25*m.Vols[i]*m.Vols[i])
	}
	for r := range rows {
		basket[r] = floats.Dot(m.Weights, set.X[r*n:(r+1)*n])
	}
	check("basket", basket, 2.25*0.04)
}

// TestSmoothingConverges checks that smoothed labels converge to the call's
// as the width h shrinks: 0 ≤ y_h − y ≤ h·log 2 for every sample, up to
// rounding (h·((B − K)/h) need not be B − K exactly), and the
// mean distance of the gradient labels falls with h.
func TestSmoothingConverges(t *testing.T) {
	const rows = 4096
	m := newModel(t, 7, 0)
	call := m.TrainingSet(rows, TrainOptions{})
	prev := math.Inf(1)
	for _, h := range []float64{1e-2, 1e-3, 1e-4, 1e-5} {
		smooth := m.TrainingSet(rows, TrainOptions{Smoothing: h})
		if !sameBits(smooth.X, call.X) {
			t.Fatalf("h = %g: smoothing changes the spots", h)
		}
		for r := range rows {
			if d := smooth.Y[r] - call.Y[r]; !(d >= -1e-15 && d <= h*math.Ln2+1e-15) {
				t.Fatalf("h = %g, row %d: y_h − y = %g, want in [0, h·log 2]", h, r, d)
			}
		}
		var dist float64
		for i := range call.DYDX {
			dist += math.Abs(smooth.DYDX[i] - call.DYDX[i])
		}
		dist /= float64(len(call.DYDX))
		// Only pairs with |B± − K| within a few h differ: about h/s of them.
		if dist > 2*h/0.2 || dist >= prev {
			t.Errorf("h = %g: mean |dydx_h − dydx| = %g, want below %g and below %g (the previous width)", h, dist, 2*h/0.2, prev)
		}
		prev = dist
	}
}

// TestSmoothedLabelsFiniteDifferences checks the pathwise labels of the
// smoothed payoff against central finite differences in S1 of the smoothed
// payoff along the same path (z₁ fixed): the gradient label, the Hessian
// label, the gamma label (a second difference along 1) and, with one basket,
// Basket.HessVec of the gamma label along random directions and along 1.
func TestSmoothedLabelsFiniteDifferences(t *testing.T) {
	const n = 4
	for _, k := range []int{1, 3} {
		m := newPortfolio(t, n, k, 8)
		p := m.Portfolio()
		for _, h := range []float64{0.05, 0.01} {
			s := m.TrainingSampler(TrainOptions{Smoothing: h, Hessian: true})
			for path := range uint64(8) {
				// labels returns the labels of the path with z₁ drawn from its own seed.
				labels := func(x []float64) (y float64, g, hess []float64, gamma float64) {
					s.rng = rand.New(rand.NewPCG(99, path))
					g, hess = make([]float64, n), make([]float64, n*n)
					y, gamma = s.label(x, g, hess)
					return y, g, hess, gamma
				}
				// Place S1 so that B_j+ (even paths) or B_j− (odd paths) of
				// basket j = path mod k is within 2h of its strike: labels(0)
				// draws z₁, whose move of basket j is db = u_j·z₁.
				x := make([]float64, n)
				labels(x)
				j := int(path) % k
				b := p[j]
				db := floats.Dot(s.u[j*n:(j+1)*n], s.z)
				target := b.Strike - db + h*float64(int(path%5)-2)
				if path%2 == 1 {
					target = b.Strike + db + h*float64(int(path%5)-2)
				}
				for i := range x {
					x[i] = 0.01 * float64(i)
				}
				floats.AddConst(target-floats.Dot(b.Weights, x), x) // Σw_j = 1, so w_j·x = target
				y, g, hess, gamma := labels(x)
				name := fmt.Sprintf("%d baskets, h = %g, path %d", k, h, path)
				const step = 1e-6
				scale := floats.Max(hess) // the largest second derivative
				for i := range x {
					xi := x[i]
					x[i] = xi + step
					yp, gp, _, _ := labels(x)
					x[i] = xi - step
					ym, gm, _, _ := labels(x)
					x[i] = xi
					if fd := (yp - ym) / (2 * step); math.Abs(fd-g[i]) > 1e-8 {
						t.Errorf("%s: gradient label %d = %.10f, finite difference of y %.10f", name, i, g[i], fd)
					}
					for l := range n { // row i of the Hessian label is ∂g/∂S1[i]
						if fd := (gp[l] - gm[l]) / (2 * step); math.Abs(fd-hess[i*n+l]) > 1e-6*scale+1e-9 {
							t.Errorf("%s: Hessian label (%d, %d) = %.8f, finite difference of the gradient label %.8f", name, i, l, hess[i*n+l], fd)
						}
					}
				}
				if got := floats.Sum(hess); math.Abs(got-gamma) > 1e-13*gamma {
					t.Errorf("%s: gamma label %v, 1ᵀH1 of the Hessian label %v", name, gamma, got)
				}
				ones := make([]float64, n)
				floats.AddConst(1, ones)
				xp, xm := make([]float64, n), make([]float64, n)
				floats.AddScaledTo(xp, x, step, ones)
				floats.AddScaledTo(xm, x, -step, ones)
				yp, _, _, _ := labels(xp)
				ym, _, _, _ := labels(xm)
				if fd2 := (yp - 2*y + ym) / (step * step); math.Abs(fd2-gamma) > 1e-3*gamma+1e-3 {
					t.Errorf("%s: gamma label %.6f, second difference of y along 1 %.6f", name, gamma, fd2)
				}
				if k > 1 {
					continue
				}
				// One basket: HessVec of the gamma label along random directions and along 1.
				for dir := range 3 {
					v := make([]float64, n)
					for i := range v {
						v[i] = 1
						if dir > 0 {
							v[i] = math.Sin(float64(7*dir + i))
						}
					}
					floats.AddScaledTo(xp, x, step, v)
					floats.AddScaledTo(xm, x, -step, v)
					_, gp, _, _ := labels(xp)
					_, gm, _, _ := labels(xm)
					fdHv := make([]float64, n)
					floats.AddScaledTo(fdHv, fdHv, 1/(2*step), gp)
					floats.AddScaled(fdHv, -1/(2*step), gm)
					if hv := m.Basket().HessVec(nil, v, gamma); !floats.EqualApprox(hv, fdHv, 1e-6*scale+1e-9) {
						t.Errorf("%s: Hessian label along v%d = %v, finite difference of the gradient label %v", name, dir, hv, fdHv)
					}
				}
			}
			// Fill writes the labels of spots and label.
			set := s.NewSet(1)
			s.rng = rand.New(rand.NewPCG(5, 6))
			s.Fill(set)
			s.rng = rand.New(rand.NewPCG(5, 6))
			x, g, hess := make([]float64, n), make([]float64, n), make([]float64, n*n)
			s.spots(x)
			y, gamma := s.label(x, g, hess)
			if !sameBits(set.X, x) || set.Y[0] != y || !sameBits(set.DYDX, g) || set.Gamma[0] != gamma || !sameBits(set.Hessian, hess) {
				t.Errorf("%d baskets, h = %g: Fill wrote labels other than those of spots and label", k, h)
			}
		}
	}
}

// TestStreamBlockSizes checks that samples do not depend on the block size.
func TestStreamBlockSizes(t *testing.T) {
	const total = 1000
	m := newModel(t, 7, 21)
	for _, tc := range []struct {
		name string
		new  func() *Sampler
	}{
		{"train", func() *Sampler { return m.TrainingSampler(TrainOptions{}) }},
		{"train smoothed", func() *Sampler { return m.TrainingSampler(TrainOptions{Smoothing: 0.02, Hessian: true}) }},
		{"test", func() *Sampler { return m.TestSampler(true) }},
	} {
		s := tc.new()
		want := s.Fill(s.NewSet(total))
		for _, block := range []int{1, 3, 64, 999, total, 5000} {
			s := tc.new()
			got := s.NewSet(total)
			rows := 0
			err := s.Stream(context.Background(), total, block, func(b *dataset.Set) error {
				if b.N() > block {
					t.Fatalf("%s: block of %d rows, want at most %d", tc.name, b.N(), block)
				}
				copy(got.X[rows*7:], b.X)
				copy(got.Y[rows:], b.Y)
				copy(got.DYDX[rows*7:], b.DYDX)
				if b.Gamma != nil {
					copy(got.Gamma[rows:], b.Gamma)
				}
				if b.Hessian != nil {
					copy(got.Hessian[rows*49:], b.Hessian)
				}
				rows += b.N()
				return nil
			})
			if err != nil || rows != total {
				t.Fatalf("%s: Stream returned %v after %d rows, want nil after %d", tc.name, err, rows, total)
			}
			if !sameSet(got, want) {
				t.Errorf("%s: blocks of %d rows give other samples than one block", tc.name, block)
			}
		}
	}
	if !sameSet(m.TrainingSet(10, TrainOptions{}), m.TrainingSet(10, TrainOptions{})) {
		t.Error("TrainingSet is not reproducible")
	}
	if sameSet(m.TrainingSet(10, TrainOptions{}), newModel(t, 7, 22).TrainingSet(10, TrainOptions{})) {
		t.Error("seeds 21 and 22 give the same training set")
	}
}

// TestGolden pins the first values of the three streams for seed 0, so that a
// change of the stream layout shows.
func TestGolden(t *testing.T) {
	m := newModel(t, 7, 0)
	train := m.TrainingSet(2, TrainOptions{})
	test := m.TestSet(2, false)
	for _, tc := range []struct {
		name string
		got  float64
		want string
	}{
		{"w[0]", m.Weights[0], "0.09859209740985926"},
		{"v[6]", m.Vols[6], "0.6664556211237868"},
		{"train x[0]", train.X[0], "1.0705666286920124"},
		{"train y[1]", train.Y[1], "0"},
		{"test x[0]", test.X[0], "1.3887182984044948"},
	} {
		if got := fmt.Sprint(tc.got); got != tc.want {
			t.Errorf("seed 0: %s = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestTestSet(t *testing.T) {
	m := newModel(t, 7, 4)
	b := m.Basket()
	set := m.TestSet(500, true)
	if err := set.Validate(); err != nil {
		t.Fatal(err)
	}
	lo, hi := m.TestBox()
	n := m.Dims()
	delta := make([]float64, n)
	for r := range set.N() {
		x := set.X[r*n : (r+1)*n]
		if floats.Min(x) < lo || floats.Max(x) > hi {
			t.Fatalf("row %d: spots %v outside the test box [%v, %v]", r, x, lo, hi)
		}
		h := b.Hessian(nil, x)
		if set.Y[r] != b.Price(x) || !sameBits(set.DYDX[r*n:(r+1)*n], b.Delta(delta, x)) || set.Gamma[r] != b.Gamma(x) {
			t.Fatalf("row %d: labels differ from the closed form", r)
		}
		for i := range n {
			for j := range n {
				if set.Hessian[r*n*n+i*n+j] != h.At(i, j) {
					t.Fatalf("row %d: Hessian label (%d, %d) differs from the closed form", r, i, j)
				}
			}
		}
	}
	// The points cover the box: every coordinate reaches its outer tenths.
	if lo+0.1*(hi-lo) < floats.Min(set.X) || floats.Max(set.X) < hi-0.1*(hi-lo) {
		t.Errorf("test points span [%v, %v], want nearly [%v, %v]", floats.Min(set.X), floats.Max(set.X), lo, hi)
	}
	if m.TestSet(3, false).Arrays() != dataset.WithGamma {
		t.Error("test set without Hessian has arrays other than gamma")
	}
}

func TestLargeAndSmallDims(t *testing.T) {
	for _, n := range []int{1, 500} {
		m := newModel(t, n, 1)
		for _, set := range []*dataset.Set{
			m.TrainingSet(16, TrainOptions{}),
			m.TrainingSet(4, TrainOptions{Smoothing: 0.01, Hessian: n == 1}),
			m.TestSet(8, n == 1),
		} {
			if err := set.Validate(); err != nil || set.Dims() != n {
				t.Errorf("n = %d: set of %d inputs: %v", n, set.Dims(), err)
			}
		}
	}
	// n = 1: S1 = 1 + 1.5·0.2·z₀, so (S1 − 1)/0.3 is a standard normal.
	m := newModel(t, 1, 2)
	set := m.TrainingSet(20000, TrainOptions{})
	z := make([]float64, set.N())
	for i := range z {
		z[i] = (set.X[i] - 1) / 0.3
	}
	if mean, sd := stat.MeanStdDev(z, nil); math.Abs(mean) > 4/math.Sqrt(20000) || math.Abs(sd-1) > 0.03 {
		t.Errorf("n = 1: (S1 − 1)/0.3 has mean %v and sd %v, want 0 and 1", mean, sd)
	}
}

func TestFillAllocatesNothing(t *testing.T) {
	for _, k := range []int{1, 4} {
		m := newPortfolio(t, 7, k, 0)
		for _, s := range []*Sampler{
			m.TrainingSampler(TrainOptions{}),
			m.TrainingSampler(TrainOptions{Smoothing: 0.01, Hessian: true}),
			m.TestSampler(true),
		} {
			set := s.NewSet(256)
			if a := testing.AllocsPerRun(10, func() { s.Fill(set) }); a != 0 {
				t.Errorf("%d baskets: Fill allocates %v times per call, want 0", k, a)
			}
		}
	}
}

func TestStreamStops(t *testing.T) {
	m := newModel(t, 3, 0)
	s := m.TrainingSampler(TrainOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	err := s.Stream(ctx, 1000, 100, func(*dataset.Set) error {
		calls++
		if calls == 2 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || calls != 2 {
		t.Errorf("cancelled during block 2: Stream returned %v after %d blocks, want context.Canceled after 2", err, calls)
	}
	errSink := errors.New("disk full")
	calls = 0
	err = s.Stream(context.Background(), 1000, 100, func(*dataset.Set) error { calls++; return errSink })
	if err != errSink || calls != 1 {
		t.Errorf("failing sink: Stream returned %v after %d blocks, want the sink's error after 1", err, calls)
	}
	if err := s.Stream(context.Background(), 0, 100, func(*dataset.Set) error { t.Error("sink called for 0 rows"); return nil }); err != nil {
		t.Error(err)
	}
}

func TestSamplerPanics(t *testing.T) {
	m := newModel(t, 3, 0)
	broken := *m
	broken.Chol = broken.Chol[:2]
	brokenBasket := *m
	brokenBasket.ExtraBaskets = []Basket{{Weights: []float64{1, 0}, Strike: 1, Vol: 0.2, Tau: 1}}
	for _, tc := range []struct {
		name string
		f    func()
		want string
	}{
		{"negative smoothing", func() { m.TrainingSampler(TrainOptions{Smoothing: -1}) }, panicSmoothing},
		{"NaN smoothing", func() { m.TrainingSampler(TrainOptions{Smoothing: math.NaN()}) }, panicSmoothing},
		{"Hessian without smoothing", func() { m.TrainingSampler(TrainOptions{Hessian: true}) }, panicNoSmooth},
		{"inconsistent model", func() { broken.TestSampler(false) }, panicModel},
		{"inconsistent basket", func() { brokenBasket.TrainingSampler(TrainOptions{}) }, panicModel},
		{"wrong dims", func() { m.TestSampler(false).Fill(dataset.New(1, 2, dataset.WithGamma)) }, panicBlock},
		{"wrong arrays", func() { m.TrainingSampler(TrainOptions{}).Fill(dataset.New(1, 3, dataset.WithGamma)) }, panicBlock},
		{"block 0", func() { m.TestSampler(false).Stream(context.Background(), 1, 0, nil) }, "dataset: total < 0 or blockRows < 1"},
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

func BenchmarkTrainingSet8192(b *testing.B) {
	m := newModel(b, 7, 0)
	s := m.TrainingSampler(TrainOptions{})
	set := s.NewSet(8192)
	b.ReportAllocs()
	for b.Loop() {
		s.Fill(set)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*8192), "ns/sample")
}

// BenchmarkPortfolioTrainingSet8192 is BenchmarkTrainingSet8192 with 16
// baskets and smoothed labels.
func BenchmarkPortfolioTrainingSet8192(b *testing.B) {
	m := newPortfolio(b, 7, 16, 0)
	s := m.TrainingSampler(TrainOptions{Smoothing: 0.0075})
	set := s.NewSet(8192)
	for b.Loop() {
		s.Fill(set)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*8192), "ns/sample")
}

func BenchmarkTestSet4096(b *testing.B) {
	m := newModel(b, 7, 0)
	s := m.TestSampler(false)
	set := s.NewSet(4096)
	for b.Loop() {
		s.Fill(set)
	}
}

// BenchmarkStreamNPZ streams 262,144 samples at n = 7 through a
// dataset.Writer into a .npz file, in blocks of 8192.
func BenchmarkStreamNPZ(b *testing.B) {
	const total = 1 << 18
	m := newModel(b, 7, 0)
	path := b.TempDir() + "/train.npz"
	b.SetBytes(total * (2*7 + 1) * 8)
	for b.Loop() {
		w, err := dataset.CreateNPZ(path, 7, 0)
		if err != nil {
			b.Fatal(err)
		}
		if err := m.TrainingSampler(TrainOptions{}).Stream(context.Background(), total, 8192, w.Write); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
