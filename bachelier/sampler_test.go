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

// TestPathwiseLabelsMean simulates only the step T1 → T2 from fixed spots S1
// and checks that the mean payoff and pathwise gradient labels are the
// closed-form price and deltas, within 4 standard errors of 200,000 pairs.
func TestPathwiseLabelsMean(t *testing.T) {
	const pairs = 200_000
	m := newModel(t, 7, 3)
	b := m.Basket()
	s := m.TrainingSampler(TrainOptions{})
	y, g := make([]float64, pairs), make([]float64, pairs)
	for _, level := range []float64{0.7, 1.0, 1.1, 1.4} {
		x := make([]float64, 7)
		for i := range x {
			x[i] = level + 0.05*float64(i-3)
		}
		for k := range pairs {
			y[k], g[k], _ = s.step(x)
		}
		price, delta := b.Price(x), b.Delta(nil, x)
		if ok, mean, se := within4SE(y, price); !ok {
			t.Errorf("S1 around %v: mean payoff label %.6f ± %.6f, price %.6f", level, mean, se, price)
		}
		for i := range x { // dydx = g·w, so each delta is checked through g
			if ok, mean, se := within4SE(g, delta[i]/m.Weights[i]); !ok {
				t.Errorf("S1 around %v: mean gradient label %d %.6f ± %.6f (in units of w[i]), delta %.6f", level, i, mean, se, delta[i]/m.Weights[i])
			}
		}
	}
}

// TestSmoothedGammaMean checks the mean of the smoothed pathwise second
// derivatives against the basket gamma φ(d′)/s′ of the smoothed payoff: the
// logistic kernel of width h adds variance π²h²/3 to the basket's s².
func TestSmoothedGammaMean(t *testing.T) {
	const pairs = 200_000
	const h = 0.01
	m := newModel(t, 7, 3)
	s := m.TrainingSampler(TrainOptions{Smoothing: h})
	c := make([]float64, pairs)
	sEff := math.Sqrt(m.Vol*m.Vol*(m.T2-m.T1) + math.Pi*math.Pi*h*h/3)
	for _, level := range []float64{0.9, 1.1, 1.3} {
		x := make([]float64, 7)
		for i := range x {
			x[i] = level
		}
		for k := range pairs {
			_, _, c[k] = s.step(x)
		}
		d := (level - m.Strike) / sEff
		want := math.Exp(-d*d/2) / math.Sqrt(2*math.Pi) / sEff
		// The normal approximation of normal + logistic is off by O(h⁴/s⁴) ≈ 1e-5 relative.
		if ok, mean, se := within4SE(c, want); !ok {
			t.Errorf("S1 = %v: mean second-order label %.6f ± %.6f, smoothed gamma %.6f", level, mean, se, want)
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
// label along random directions and along 1, and the full Hessian label.
func TestSmoothedLabelsFiniteDifferences(t *testing.T) {
	const n = 4
	m := newModel(t, n, 8)
	b := m.Basket()
	for _, h := range []float64{0.05, 0.01} {
		s := m.TrainingSampler(TrainOptions{Smoothing: h, Hessian: true})
		for path := range uint64(8) {
			// labels returns y, g, c of the path with z₁ drawn from its own seed.
			labels := func(x []float64) (y, g, c float64) {
				s.rng = rand.New(rand.NewPCG(99, path))
				return s.step(x)
			}
			// Place S1 so that B+ (even paths) or B− (odd paths) is within 2h of
			// the strike: labels(0) draws z₁, whose basket move is db = u·z₁.
			x := make([]float64, n)
			labels(x)
			db := floats.Dot(s.u, s.z)
			target := m.Strike - db + h*float64(int(path%5)-2)
			if path%2 == 1 {
				target = m.Strike + db + h*float64(int(path%5)-2)
			}
			for i := range x {
				x[i] = 0.01 * float64(i)
			}
			floats.AddConst(target-floats.Dot(m.Weights, x), x) // Σw = 1, so w·x = target
			y, g, c := labels(x)
			name := fmt.Sprintf("h = %g, path %d", h, path)
			const step = 1e-6
			grad := make([]float64, n)
			for i := range x {
				xi := x[i]
				x[i] = xi + step
				yp, gp, _ := labels(x)
				x[i] = xi - step
				ym, gm, _ := labels(x)
				x[i] = xi
				grad[i] = (yp - ym) / (2 * step)
				if want := g * m.Weights[i]; math.Abs(grad[i]-want) > 1e-8 {
					t.Errorf("%s: gradient label %d = %.10f, finite difference of y %.10f", name, i, want, grad[i])
				}
				// Row i of the Hessian label is ∂(g·w)/∂S1[i] = (∂g/∂S1[i])·w = c·w[i]·w.
				if fdRow, want := (gp-gm)/(2*step), c*m.Weights[i]; math.Abs(fdRow-want) > 1e-6*c+1e-9 {
					t.Errorf("%s: Hessian label row %d, ∂g/∂S1[i] = %.8f, finite difference %.8f", name, i, want, fdRow)
				}
			}
			// Along random directions and along 1: HessVec of the gamma label.
			gamma := c * floats.Sum(m.Weights) * floats.Sum(m.Weights)
			for dir := range 3 {
				v := make([]float64, n)
				for i := range v {
					v[i] = 1
					if dir > 0 {
						v[i] = math.Sin(float64(7*dir + i))
					}
				}
				xp, xm := make([]float64, n), make([]float64, n)
				floats.AddScaledTo(xp, x, step, v)
				floats.AddScaledTo(xm, x, -step, v)
				_, gp, _ := labels(xp)
				_, gm, _ := labels(xm)
				fdHv := make([]float64, n)
				floats.AddScaledTo(fdHv, fdHv, (gp-gm)/(2*step), m.Weights)
				hv := b.HessVec(nil, v, gamma)
				if !floats.EqualApprox(hv, fdHv, 1e-6*c+1e-9) {
					t.Errorf("%s: Hessian label along v%d = %v, finite difference of the gradient label %v", name, dir, hv, fdHv)
				}
				if dir == 0 {
					yp, _, _ := labels(xp)
					ym, _, _ := labels(xm)
					if fd2 := (yp - 2*y + ym) / (step * step); math.Abs(fd2-gamma) > 1e-3*gamma+1e-3 {
						t.Errorf("%s: gamma label %.6f, second difference of y along 1 %.6f", name, gamma, fd2)
					}
				}
			}
			// The labels Fill writes are the same formulas.
			set := s.NewSet(1)
			s.rng = rand.New(rand.NewPCG(5, path))
			s.Fill(set)
			s.rng = rand.New(rand.NewPCG(5, path))
			s.spots(x)
			y, g, c = s.step(x)
			if set.Y[0] != y || set.DYDX[1] != g*m.Weights[1] || set.Gamma[0] != c*floats.Sum(m.Weights)*floats.Sum(m.Weights) ||
				set.Hessian[2*n+3] != c*m.Weights[2]*m.Weights[3] {
				t.Errorf("%s: Fill wrote labels other than those of spots and step", name)
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
	m := newModel(t, 7, 0)
	for _, s := range []*Sampler{
		m.TrainingSampler(TrainOptions{}),
		m.TrainingSampler(TrainOptions{Smoothing: 0.01, Hessian: true}),
		m.TestSampler(true),
	} {
		set := s.NewSet(256)
		if a := testing.AllocsPerRun(10, func() { s.Fill(set) }); a != 0 {
			t.Errorf("Fill allocates %v times per call, want 0", a)
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
	for _, tc := range []struct {
		name string
		f    func()
		want string
	}{
		{"negative smoothing", func() { m.TrainingSampler(TrainOptions{Smoothing: -1}) }, panicSmoothing},
		{"NaN smoothing", func() { m.TrainingSampler(TrainOptions{Smoothing: math.NaN()}) }, panicSmoothing},
		{"Hessian without smoothing", func() { m.TrainingSampler(TrainOptions{Hessian: true}) }, panicNoSmooth},
		{"inconsistent model", func() { broken.TestSampler(false) }, panicModel},
		{"wrong dims", func() { m.TestSampler(false).Fill(dataset.New(1, 2, dataset.WithGamma)) }, panicBlock},
		{"wrong arrays", func() { m.TrainingSampler(TrainOptions{}).Fill(dataset.New(1, 3, dataset.WithGamma)) }, panicBlock},
		{"block 0", func() { m.TestSampler(false).Stream(context.Background(), 1, 0, nil) }, panicStream},
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
