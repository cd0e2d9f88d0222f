package heston

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/sobolev-pruning/sobolev/dataset"
	"github.com/sobolev-pruning/sobolev/setting"
)

// fellerParams satisfy the Feller condition (2κθ = 0.12 > ξ² = 0.09).
func fellerParams() Params { return Params{Kappa: 1.5, Theta: 0.04, Xi: 0.3, Rho: -0.7} }

// sampleLabels returns the labels of kind of one path from x with the
// normals z (and its antithetic twin if anti), as Fill sets them: Pathwise
// labels with smoothing h take 2·steps normals, Mixing labels steps.
func sampleLabels(p Params, kind Labels, grad, x *[Inputs]float64, z []float64, h float64, anti bool) (y, gamma float64) {
	return p.trainLabels(TrainOptions{Labels: kind, Smoothing: h, Antithetic: anti}, grad, x, z)
}

// TestLabelsFD checks the labels' derivatives against central differences
// of the same path's value label (common random numbers), for the default
// parameters, whose Euler paths are often truncated at v = 0, and for
// Feller ones.
func TestLabelsFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, kind := range []Labels{Pathwise, Mixing} {
		for _, p := range []Params{DefaultParams(), fellerParams()} {
			for _, anti := range []bool{false, true} {
				for _, x := range boxPoints(DefaultBox(), 40, 5) {
					z := make([]float64, 2*32)
					if kind == Mixing {
						z = z[:32]
					}
					for i := range z {
						z[i] = rng.NormFloat64()
					}
					const h = 0.02
					var grad, tmp [Inputs]float64
					_, gamma := sampleLabels(p, kind, &grad, &x, z, h, anti)
					for j := range Inputs {
						eps := 1e-6 * x[j]
						xp, xm := x, x
						xp[j] += eps
						xm[j] -= eps
						yp, _ := sampleLabels(p, kind, &tmp, &xp, z, h, anti)
						dp := tmp[j]
						ym, _ := sampleLabels(p, kind, &tmp, &xm, z, h, anti)
						dm := tmp[j]
						fd := (yp - ym) / (2 * eps)
						if math.Abs(fd-grad[j]) > 1e-6*(1+math.Abs(fd)) {
							t.Errorf("%v labels, %+v, antithetic %v at %v: ∂y/∂%s = %.10g, central difference %.10g", kind, p, anti, x, InputNames()[j], grad[j], fd)
						}
						if j == Spot {
							if fd := (dp - dm) / (2 * eps); math.Abs(fd-gamma) > 1e-6*(1+math.Abs(fd)) {
								t.Errorf("%v labels, %+v, antithetic %v at %v: gamma = %.10g, central difference of ∂y/∂spot %.10g", kind, p, anti, x, gamma, fd)
							}
						}
					}
				}
			}
		}
	}
}

// TestLabelsMonteCarlo checks that the training labels' means over many
// paths at one point agree with the semi-analytic price and sensitivities
// within 3 standard errors plus the scheme's weak error, and that mixing
// labels have the small variance TrainingSampler states. The pathwise
// derivatives in v₀ and T are checked with Feller parameters only: with the
// default ones their variance is infinite (see TrainingSampler).
func TestLabelsMonteCarlo(t *testing.T) {
	const paths = 40000
	all := []int{Spot, V0, Maturity, Strike}
	for _, tc := range []struct {
		kind  Labels
		steps int
		p     Params
		x     [Inputs]float64
		cols  []int
		// weak bounds the scheme's weak error in price and in the
		// derivatives, measured on these points with 1e5 paths.
		weak, weakGrad float64
	}{
		{Pathwise, 64, DefaultParams(), [Inputs]float64{1, 0.04, 1, 1}, []int{Spot, Strike}, 2e-4, 2e-4},
		{Pathwise, 64, DefaultParams(), [Inputs]float64{0.9, 0.02, 0.5, 0.95}, []int{Spot, Strike}, 2e-4, 2e-4},
		{Pathwise, 64, fellerParams(), [Inputs]float64{1.1, 0.06, 1.5, 1}, all, 2e-4, 2e-4},
		{Mixing, 256, DefaultParams(), [Inputs]float64{1, 0.04, 1, 1}, all, 1e-4, 2e-3},
		{Mixing, 256, DefaultParams(), [Inputs]float64{0.9, 0.02, 0.5, 0.95}, all, 1e-4, 2e-3},
		{Mixing, 256, DefaultParams(), [Inputs]float64{0.8, 0.09, 2, 1.2}, all, 2e-4, 2e-3},
		{Mixing, 256, fellerParams(), [Inputs]float64{1.1, 0.06, 1.5, 1}, all, 1e-4, 2e-3},
	} {
		pr, err := NewPricer(tc.p)
		if err != nil {
			t.Fatal(err)
		}
		want := pr.Call(tc.x[Spot], tc.x[V0], tc.x[Maturity], tc.x[Strike])
		rng := rand.New(rand.NewPCG(6, 6))
		z := make([]float64, TrainOptions{Labels: tc.kind, Steps: tc.steps}.normals())
		var sum, sum2 [Inputs + 1]float64
		for range paths {
			for i := range z {
				z[i] = rng.NormFloat64()
			}
			var g [Inputs]float64
			y, _ := sampleLabels(tc.p, tc.kind, &g, &tc.x, z, 0, true)
			for j, v := range append(g[:], y) {
				sum[j] += v
				sum2[j] += v * v
			}
		}
		grad := want.Grad()
		exact := append(grad[:], want.Price)
		names := append(InputNames(), "price")
		for _, j := range append(tc.cols, Inputs) {
			m := sum[j] / paths
			sd := math.Sqrt(sum2[j]/paths - m*m)
			se := sd / math.Sqrt(paths)
			weak := tc.weakGrad
			if j == Inputs {
				weak = tc.weak
			}
			if math.Abs(m-exact[j]) > 3*se+weak {
				t.Errorf("%v labels, %d steps, %+v at %v: mean %s label %.5f ± %.5f, semi-analytic %.5f", tc.kind, tc.steps, tc.p, tc.x, names[j], m, se, exact[j])
			}
			if tc.kind == Mixing && j == V0 && sd > 0.3 {
				t.Errorf("%v labels, %+v at %v: standard deviation of ∂y/∂v0 labels %.3g, want below 0.3", tc.kind, tc.p, tc.x, sd)
			}
		}
	}
}

// TestStream checks that the samples do not depend on the block size and
// that Fill allocates nothing.
func TestStream(t *testing.T) {
	m := &Model{Params: DefaultParams(), Box: DefaultBox(), Seed: 7}
	for _, kind := range []string{"mixing", "pathwise", "test"} {
		newSampler := func() *Sampler {
			var s *Sampler
			var err error
			if kind != "test" {
				var labels Labels
				if err := labels.UnmarshalText([]byte(kind)); err != nil {
					t.Fatal(err)
				}
				s, err = m.TrainingSampler(TrainOptions{Labels: labels, Steps: 8, Smoothing: 0.01, Widening: 0.1, Antithetic: true})
			} else {
				s, err = m.TestSampler()
			}
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		s := newSampler()
		want := s.Fill(s.NewSet(50))
		s = newSampler()
		got := s.NewSet(50)
		var done int
		err := s.Stream(context.Background(), 50, 7, func(b *dataset.Set) error {
			copy(got.X[done*Inputs:], b.X)
			copy(got.Y[done:], b.Y)
			copy(got.DYDX[done*Inputs:], b.DYDX)
			copy(got.Gamma[done:], b.Gamma)
			done += b.N()
			return nil
		})
		if err != nil || done != 50 {
			t.Fatalf("%s: Stream: %v after %d samples", kind, err, done)
		}
		for i := range want.X {
			if math.Float64bits(got.X[i]) != math.Float64bits(want.X[i]) || math.Float64bits(got.DYDX[i]) != math.Float64bits(want.DYDX[i]) {
				t.Fatalf("%s: sample %d differs between blocks of 7 and one block", kind, i/Inputs)
			}
		}
		for i := range want.Y {
			if math.Float64bits(got.Y[i]) != math.Float64bits(want.Y[i]) || math.Float64bits(got.Gamma[i]) != math.Float64bits(want.Gamma[i]) {
				t.Fatalf("%s: sample %d differs between blocks of 7 and one block", kind, i)
			}
		}
		block := s.NewSet(16)
		if a := testing.AllocsPerRun(5, func() { s.Fill(block) }); a != 0 {
			t.Errorf("%s: Fill allocates %v times per block", kind, a)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := s.Stream(ctx, 10, 3, func(*dataset.Set) error { return nil }); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: Stream with a cancelled context returned %v", kind, err)
		}
	}
}

// TestSamplers checks the inputs' boxes and the test labels.
func TestSamplers(t *testing.T) {
	m := &Model{Params: DefaultParams(), Box: DefaultBox(), Seed: 8}
	opts := DefaultTrainOptions()
	tr, err := m.TrainingSampler(opts)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Arrays() != dataset.WithGamma {
		t.Errorf("training arrays with smoothing %v, want gamma", tr.Arrays())
	}
	train := tr.Fill(tr.NewSet(2000))
	wide, _ := m.TrainBox(opts)
	ts, err := m.TestSampler()
	if err != nil {
		t.Fatal(err)
	}
	test := ts.Fill(ts.NewSet(200))
	pr, _ := NewPricer(m.Params)
	for name, c := range map[string]struct {
		set *dataset.Set
		box Box
	}{"train": {train, wide}, "test": {test, m.Box}} {
		var outside [Inputs]int // points in the widened part
		for r := range c.set.N() {
			for j := range Inputs {
				x := c.set.X[r*Inputs+j]
				if x < c.box[j][0] || x > c.box[j][1] {
					t.Fatalf("%s sample %d: %s = %g outside %v", name, r, InputNames()[j], x, c.box[j])
				}
				if x < m.Box[j][0] || x > m.Box[j][1] {
					outside[j]++
				}
			}
		}
		if name == "train" {
			// The widened box is 1 + 2w times as long: 2w/(1 + 2w) of the
			// points fall in the margins.
			want := 2000 * 2 * opts.Widening / (1 + 2*opts.Widening)
			for j, k := range outside {
				if math.Abs(float64(k)-want) > 4*math.Sqrt(want) {
					t.Errorf("%d of 2000 training %s inputs in the widening margins, want about %.0f", k, InputNames()[j], want)
				}
			}
		}
	}
	for r := range test.N() {
		x := test.X[r*Inputs : (r+1)*Inputs]
		g := pr.Call(x[Spot], x[V0], x[Maturity], x[Strike])
		grad := g.Grad()
		if test.Y[r] != g.Price || test.Gamma[r] != g.Gamma || [Inputs]float64(test.DYDX[r*Inputs:(r+1)*Inputs]) != grad {
			t.Fatalf("test point %d: labels differ from Call(%v)", r, x)
		}
	}
	// Pathwise labels without smoothing: the call payoff and no gamma.
	opts.Labels, opts.Smoothing = Pathwise, 0
	tr, err = m.TrainingSampler(opts)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Arrays() != 0 {
		t.Errorf("training arrays without smoothing %v, want none", tr.Arrays())
	}
}

func TestValidate(t *testing.T) {
	nan := math.NaN()
	good := Model{Params: DefaultParams(), Box: DefaultBox()}
	for _, tc := range []struct {
		key    string
		change func(m *Model, o *TrainOptions)
	}{
		{"kappa", func(m *Model, o *TrainOptions) { m.Kappa = 0 }},
		{"kappa", func(m *Model, o *TrainOptions) { m.Kappa = math.Inf(1) }},
		{"theta", func(m *Model, o *TrainOptions) { m.Theta = -0.04 }},
		{"xi", func(m *Model, o *TrainOptions) { m.Xi = 0 }},
		{"xi", func(m *Model, o *TrainOptions) { m.Xi = nan }},
		{"rho", func(m *Model, o *TrainOptions) { m.Rho = 1 }},
		{"rho", func(m *Model, o *TrainOptions) { m.Rho = -1.5 }},
		{"rho", func(m *Model, o *TrainOptions) { m.Rho = nan }},
		{"spot", func(m *Model, o *TrainOptions) { m.Box[Spot] = [2]float64{0, 1} }},
		{"v0", func(m *Model, o *TrainOptions) { m.Box[V0] = [2]float64{-0.01, 0.04} }},
		{"maturity", func(m *Model, o *TrainOptions) { m.Box[Maturity] = [2]float64{2, 1} }},
		{"maturity", func(m *Model, o *TrainOptions) { m.Box[Maturity] = [2]float64{0, 1} }},
		{"strike", func(m *Model, o *TrainOptions) { m.Box[Strike] = [2]float64{1, nan} }},
		{"labels", func(m *Model, o *TrainOptions) { o.Labels = 2 }},
		{"steps", func(m *Model, o *TrainOptions) { o.Steps = 0 }},
		{"smoothing", func(m *Model, o *TrainOptions) { o.Smoothing = -1 }},
		{"widening", func(m *Model, o *TrainOptions) { o.Widening = nan }},
		{"paths", func(m *Model, o *TrainOptions) { o.Paths = -1 }},
		{"paths", func(m *Model, o *TrainOptions) { o.Paths = 1025 }},
		{"widening", func(m *Model, o *TrainOptions) { o.Widening = 0.2 }}, // v₀ 0.01 − 0.2·0.08 < 0
	} {
		m, o := good, DefaultTrainOptions()
		tc.change(&m, &o)
		_, err := m.TrainingSampler(o)
		var se *setting.Error
		if !errors.As(err, &se) || se.Key != tc.key {
			t.Errorf("%s: TrainingSampler returned %v, want a *setting.Error keyed %q", tc.key, err, tc.key)
		}
	}
	if _, err := good.TrainingSampler(DefaultTrainOptions()); err != nil {
		t.Errorf("defaults: %v", err)
	}
	if f := DefaultParams().Feller(); !strings.Contains(f, "Feller condition") {
		t.Errorf("default parameters: Feller() = %q, want the violation stated", f)
	}
	if f := fellerParams().Feller(); f != "" {
		t.Errorf("%+v: Feller() = %q, want \"\"", fellerParams(), f)
	}
}

// BenchmarkTrainingFill measures the default training samples (64 steps,
// antithetic pairs), per sample.
func BenchmarkTrainingFill(b *testing.B) {
	m := &Model{Params: DefaultParams(), Box: DefaultBox()}
	s, err := m.TrainingSampler(DefaultTrainOptions())
	if err != nil {
		b.Fatal(err)
	}
	block := s.NewSet(1024)
	b.ResetTimer()
	for range b.N {
		s.Fill(block.Slice(0, 1))
	}
}

// BenchmarkTestFill measures the semi-analytic test points, per point.
func BenchmarkTestFill(b *testing.B) {
	m := &Model{Params: DefaultParams(), Box: DefaultBox()}
	s, err := m.TestSampler()
	if err != nil {
		b.Fatal(err)
	}
	block := s.NewSet(1)
	b.ResetTimer()
	for range b.N {
		s.Fill(block)
	}
}

// TestPaths checks that a sample of Paths paths averages the labels of
// the paths drawn in turn, and that Paths 0 and 1 give the same samples.
func TestPaths(t *testing.T) {
	m := &Model{Params: DefaultParams(), Box: DefaultBox(), Seed: 9}
	for _, kind := range []Labels{Mixing, Pathwise} {
		opts := TrainOptions{Labels: kind, Steps: 8, Smoothing: 0.01, Antithetic: true}
		draw := func(paths, rows int) *dataset.Set {
			o := opts
			o.Paths = paths
			s, err := m.TrainingSampler(o)
			if err != nil {
				t.Fatal(err)
			}
			return s.Fill(s.NewSet(rows))
		}
		zero, one := draw(0, 5), draw(1, 5)
		if !sameBits(zero.Y, one.Y) || !sameBits(zero.DYDX, one.DYDX) || !sameBits(zero.Gamma, one.Gamma) {
			t.Errorf("%v: Paths 0 and 1 give different samples", kind)
		}
		// The same stream by hand: the inputs, then 3 paths' normals.
		three := draw(3, 4)
		rng := rand.New(rand.NewPCG(m.Seed, streamTrain))
		z := make([]float64, opts.normals())
		for r := range three.N() {
			var x [Inputs]float64
			for j := range x {
				x[j] = m.Box[j][0] + (m.Box[j][1]-m.Box[j][0])*rng.Float64()
			}
			var y, gamma float64
			var grad, g [Inputs]float64
			for range 3 {
				for i := range z {
					z[i] = rng.NormFloat64()
				}
				yk, gk := sampleLabels(m.Params, kind, &g, &x, z, opts.Smoothing, true)
				y, gamma = y+yk/3, gamma+gk/3
				for j := range g {
					grad[j] += g[j] / 3
				}
			}
			if [Inputs]float64(three.X[r*Inputs:(r+1)*Inputs]) != x {
				t.Fatalf("%v sample %d: inputs differ from the stream's", kind, r)
			}
			close := func(a, b float64) bool { return math.Abs(a-b) <= 1e-12*(1+math.Abs(b)) }
			ok := close(three.Y[r], y) && close(three.Gamma[r], gamma)
			for j := range grad {
				ok = ok && close(three.DYDX[r*Inputs+j], grad[j])
			}
			if !ok {
				t.Errorf("%v sample %d: labels of 3 paths differ from the average of the paths drawn in turn", kind, r)
			}
		}
	}
}

// TestFillParallel checks that training blocks labelled on several
// goroutines hold the samples of the serial loop, bit for bit, whatever
// the number of goroutines.
func TestFillParallel(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	m := &Model{Params: DefaultParams(), Box: DefaultBox(), Seed: 11}
	for _, opts := range []TrainOptions{
		{Labels: Mixing, Steps: 16, Widening: 0.05, Antithetic: true, Paths: 2},
		{Labels: Pathwise, Steps: 8, Smoothing: 0.01, Widening: 0.05},
	} {
		draw := func(procs, rows, block int) *dataset.Set {
			runtime.GOMAXPROCS(procs)
			s, err := m.TrainingSampler(opts)
			if err != nil {
				t.Fatal(err)
			}
			all := s.NewSet(rows)
			for lo := 0; lo < rows; lo += block {
				s.Fill(all.Slice(lo, min(rows, lo+block)))
			}
			return all
		}
		want := draw(1, 700, 700)
		for _, tc := range []struct{ procs, block int }{{2, 700}, {3, 700}, {2, 100}, {2, 10}} {
			got := draw(tc.procs, 700, tc.block)
			if !sameBits(got.X, want.X) || !sameBits(got.Y, want.Y) || !sameBits(got.DYDX, want.DYDX) || !sameBits(got.Gamma, want.Gamma) {
				t.Errorf("%v labels: %d goroutines, blocks of %d: samples differ from the serial loop's", opts.Labels, tc.procs, tc.block)
			}
		}
	}
}
