package mlp

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// smooth is the test function f(x) = sin(x₀) + x₁²/2 − x₀x₂/2 + 1 with its
// gradient and Hessian.
func smooth(x []float64) (f float64, grad []float64, hess [3][3]float64) {
	f = math.Sin(x[0]) + x[1]*x[1]/2 - x[0]*x[2]/2 + 1
	grad = []float64{math.Cos(x[0]) - x[2]/2, x[1], -x[0] / 2}
	hess = [3][3]float64{{-math.Sin(x[0]), 0, -0.5}, {0, 1, 0}, {-0.5, 0, 0}}
	return f, grad, hess
}

// smoothData returns n samples of smooth with x uniform in [−2, 2]³.
func smoothData(n int, seed uint64) TrainData {
	rng := rand.New(rand.NewPCG(seed, 3))
	d := TrainData{X: make([]float64, 3*n), Y: make([]float64, n), DYDX: make([]float64, 3*n)}
	for i := range n {
		x := d.X[3*i : 3*i+3]
		for j := range x {
			x[j] = 4*rng.Float64() - 2
		}
		y, g, _ := smooth(x)
		d.Y[i] = y
		copy(d.DYDX[3*i:], g)
	}
	return d
}

// newSmoothNet returns a Xavier-initialised 3 → hidden → 1 SiLU net
// normalised for d.
func newSmoothNet(t *testing.T, d TrainData, hidden []int, seed uint64) *Network {
	t.Helper()
	net := New(3, hidden, SiLU)
	net.Init(XavierUniform, seed)
	norm, err := FitNormalization(d.X, d.Y, 3)
	if err != nil {
		t.Fatal(err)
	}
	net.Norm = norm
	return net
}

// gradRMSE returns the root-mean-square error of net's raw input gradient
// against smooth's over the points of d.
func gradRMSE(net *Network, d TrainData) float64 {
	ss := 0.0
	g := make([]float64, 3)
	for i := range len(d.Y) {
		x := d.X[3*i : 3*i+3]
		net.InputGradient(g, x)
		_, want, _ := smooth(x)
		for j := range g {
			ss += (g[j] - want[j]) * (g[j] - want[j])
		}
	}
	return math.Sqrt(ss / float64(3*len(d.Y)))
}

func TestTrainReducesLoss(t *testing.T) {
	d := smoothData(256, 1)
	net := newSmoothNet(t, d, []int{24, 24}, 1)
	cfg := TrainConfig{Epochs: 150, BatchSize: 32, LR: Schedule{Kind: Cosine, Max: 1e-2, Min: 1e-4}, Seed: 1}
	h, err := Train(context.Background(), net, d, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, last := h.Epochs[0].Train, h.Epochs[len(h.Epochs)-1].Train
	t.Logf("training loss: epoch 1 %+v, epoch %d %+v", first, len(h.Epochs), last)
	if last.Total > 1e-3*first.Total || last.Value > 1e-3*first.Value || last.Grad > 1e-3*first.Grad {
		t.Errorf("loss fell from %+v to %+v, want by 3 orders of magnitude in each part", first, last)
	}
	// λ_j = 1/mean(dydx_n,j²) was filled in, and the Sobolev weights.
	if w := h.Weights; w.Value != 0.25 || w.Grad != 0.75 || len(w.Lambda) != 3 {
		t.Errorf("weights %+v, want α = 1/4, β = 3/4 and three λ", w)
	}
}

func TestSobolevBeatsMSE(t *testing.T) {
	train, test := smoothData(64, 2), smoothData(500, 3)
	rmse := map[string]float64{}
	for _, tc := range []struct {
		name string
		w    LossWeights
	}{{"mse", LossWeights{Value: 1}}, {"sobolev", LossWeights{}}} {
		net := newSmoothNet(t, train, []int{24, 24}, 4)
		cfg := TrainConfig{Epochs: 300, BatchSize: 16, LR: Schedule{Kind: Cosine, Max: 1e-2, Min: 1e-4}, Loss: tc.w, Seed: 5}
		if _, err := Train(context.Background(), net, train, cfg, nil); err != nil {
			t.Fatal(err)
		}
		rmse[tc.name] = gradRMSE(net, test)
	}
	t.Logf("gradient RMSE on 500 test points after training on 64: %v", rmse)
	if rmse["sobolev"] > rmse["mse"]/3 {
		t.Errorf("Sobolev gradient RMSE %v, MSE %v: want Sobolev at least 3× better", rmse["sobolev"], rmse["mse"])
	}
}

func TestTrainDeterministic(t *testing.T) {
	d := smoothData(100, 6)
	run := func(seed uint64) ([]float64, History) {
		net := newSmoothNet(t, d, []int{8, 8}, 7)
		cfg := TrainConfig{Epochs: 5, BatchSize: 16, LR: Schedule{Kind: OneCycle, Max: 1e-2, Min: 1e-4},
			Seed: seed, ValFraction: 0.2, Threads: 2}
		h, err := Train(context.Background(), net, d, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		return net.Params.Flat, h
	}
	p1, h1 := run(1)
	p2, h2 := run(1)
	p3, _ := run(2)
	if !slices.Equal(p1, p2) {
		t.Errorf("same seed gave different parameters")
	}
	for i := range h1.Epochs {
		if h1.Epochs[i] != h2.Epochs[i] {
			t.Errorf("same seed gave different histories: %+v vs %+v", h1.Epochs[i], h2.Epochs[i])
		}
	}
	if slices.Equal(p1, p3) {
		t.Errorf("different seeds gave the same parameters")
	}
}

func TestTrainErrors(t *testing.T) {
	d := smoothData(20, 8)
	good := TrainConfig{Epochs: 1, BatchSize: 4, LR: Schedule{Max: 1e-3}}
	nan := smoothData(20, 8)
	nan.Y[3] = math.NaN()
	for _, tc := range []struct {
		name string
		data TrainData
		cfg  func(c *TrainConfig)
	}{
		{"no samples", TrainData{}, nil},
		{"X shape", TrainData{X: d.X[:10], Y: d.Y}, nil},
		{"DYDX shape", TrainData{X: d.X, Y: d.Y, DYDX: d.DYDX[:3]}, nil},
		{"NaN label", nan, nil},
		{"HV without Dirs", TrainData{X: d.X, Y: d.Y, HV: d.DYDX}, nil},
		{"Dirs shape", TrainData{X: d.X, Y: d.Y, HV: d.DYDX, Dirs: d.DYDX[:5]}, nil},
		{"zero epochs", d, func(c *TrainConfig) { c.Epochs = 0 }},
		{"zero batch", d, func(c *TrainConfig) { c.BatchSize = 0 }},
		{"no learning rate", d, func(c *TrainConfig) { c.LR = Schedule{} }},
		{"bad beta", d, func(c *TrainConfig) { c.Adam.Beta1 = 1 }},
		{"gradient weight without labels", TrainData{X: d.X, Y: d.Y}, func(c *TrainConfig) { c.Loss = LossWeights{Grad: 1} }},
		{"HVP weight without labels", d, func(c *TrainConfig) { c.Loss = LossWeights{HVP: 1} }},
		{"negative weight", d, func(c *TrainConfig) { c.Loss = LossWeights{Value: -1} }},
		{"lambda length", d, func(c *TrainConfig) { c.Loss = LossWeights{Grad: 1, Lambda: []float64{1}} }},
		{"restore without validation", d, func(c *TrainConfig) { c.RestoreBest = true }},
		{"validation fraction too large", d, func(c *TrainConfig) { c.ValFraction = 0.99 }},
		{"validation set shape", d, func(c *TrainConfig) { c.Val = &TrainData{X: d.X[:2], Y: d.Y[:1]} }},
	} {
		net := newSmoothNet(t, d, []int{4}, 1)
		before := slices.Clone(net.Params.Flat)
		cfg := good
		if tc.cfg != nil {
			tc.cfg(&cfg)
		}
		_, err := Train(context.Background(), net, tc.data, cfg, nil)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
		} else {
			t.Logf("%s: %v", tc.name, err)
		}
		if !slices.Equal(before, net.Params.Flat) {
			t.Errorf("%s: parameters changed", tc.name)
		}
	}
	// A malformed network is an error, not a panic.
	net := newSmoothNet(t, d, []int{4}, 1)
	net.Norm.XScale[0] = 0
	if _, err := Train(context.Background(), net, d, good, nil); err == nil {
		t.Errorf("zero XScale: no error")
	}
}

func TestTrainDiverges(t *testing.T) {
	d := smoothData(64, 9)
	net := newSmoothNet(t, d, []int{8}, 1)
	cfg := TrainConfig{Epochs: 3, BatchSize: 8, LR: Schedule{Max: 1e300}}
	_, err := Train(context.Background(), net, d, cfg, nil)
	if !errors.Is(err, ErrDiverged) {
		t.Fatalf("learning rate 1e300: error %v, want ErrDiverged", err)
	}
	if err := net.Validate(); err != nil {
		t.Errorf("after divergence: %v", err)
	}
}

func TestTrainCancel(t *testing.T) {
	d := smoothData(64, 10)
	net := newSmoothNet(t, d, []int{8}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var before []float64
	cfg := TrainConfig{Epochs: 10, BatchSize: 8, LR: Schedule{Max: 1e-3}}
	h, err := Train(ctx, net, d, cfg, func(p Progress) {
		if p.Epoch == 2 {
			before = slices.Clone(net.Params.Flat)
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || len(h.Epochs) != 2 {
		t.Fatalf("cancelled after epoch 2: %d epochs, error %v", len(h.Epochs), err)
	}
	if !slices.Equal(before, net.Params.Flat) {
		t.Errorf("parameters changed after cancellation")
	}
}

func TestTrainRestoreBestAndPatience(t *testing.T) {
	d, val := smoothData(64, 11), smoothData(32, 12)
	net := newSmoothNet(t, d, []int{8}, 1)
	// A constant large rate makes the validation loss bounce, so the best
	// epoch is not the last.
	cfg := TrainConfig{Epochs: 40, BatchSize: 8, LR: Schedule{Max: 0.2}, Val: &val, RestoreBest: true, Patience: 3, Threads: 2}
	h, err := Train(context.Background(), net, d, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("best epoch %d of %d, early stopped %v", h.Best+1, len(h.Epochs), h.EarlyStopped)
	if !h.Restored || h.Best < 0 {
		t.Fatalf("history %+v: want a restored best epoch", h)
	}
	for i, e := range h.Epochs {
		if e.Val.Total < h.Epochs[h.Best].Val.Total {
			t.Errorf("epoch %d has validation loss %v below the best's %v", i+1, e.Val.Total, h.Epochs[h.Best].Val.Total)
		}
	}
	if h.EarlyStopped != (len(h.Epochs) < cfg.Epochs) || (h.EarlyStopped && len(h.Epochs)-1-h.Best != cfg.Patience) {
		t.Errorf("%d epochs, best %d, early stopped %v with patience %d", len(h.Epochs), h.Best+1, h.EarlyStopped, cfg.Patience)
	}
	// The restored parameters have exactly the best epoch's validation loss.
	set, err := normalizeData(net, val, "validation")
	if err != nil {
		t.Fatal(err)
	}
	ws := NewWorkspace(net, 8, 0, 2)
	got := evalLoss(net, ws, newBatchBuf(8, 3, 0), set, seq(set.size), 8, h.Weights)
	if got != h.Epochs[h.Best].Val {
		t.Errorf("restored net's validation loss %+v, best epoch's %+v", got, h.Epochs[h.Best].Val)
	}
}

// TestTrainLabelConversion trains for one step with labels made by the net
// itself, in raw units with a non-trivial normalisation, along shared and
// per-sample directions: every part of the normalised loss must vanish, so
// the conversions of values, gradients, directions and Hessian-vector
// products agree with the network's own.
func TestTrainLabelConversion(t *testing.T) {
	net := testNet([]int{3, 6, 5, 1}, SiLU, 30)
	rng := rand.New(rand.NewPCG(31, 0))
	const N, K = 16, 2
	shared := []float64{1, 1, 1, 0.5, -2, 3}
	d := TrainData{X: make([]float64, N*3), Y: make([]float64, N), DYDX: make([]float64, N*3),
		Dirs: make([]float64, N*K*3), HV: make([]float64, N*K*3)}
	ds := TrainData{X: d.X, Y: d.Y, DYDX: d.DYDX, Dirs: shared, HV: make([]float64, N*K*3)}
	for i := range N {
		x := d.X[3*i : 3*i+3]
		for j := range x {
			x[j] = net.Norm.XMean[j] + net.Norm.XScale[j]*rng.NormFloat64()
		}
		d.Y[i] = net.Value(x)
		net.InputGradient(d.DYDX[3*i:3*i+3], x)
		for k := range K {
			o := (i*K + k) * 3
			v := d.Dirs[o : o+3]
			for j := range v {
				v[j] = rng.NormFloat64()
			}
			net.HessVec(d.HV[o:o+3], x, v)
			net.HessVec(ds.HV[o:o+3], x, shared[3*k:3*k+3])
		}
	}
	for name, data := range map[string]TrainData{"per-sample": d, "shared": ds} {
		c := net.Clone()
		cfg := TrainConfig{Epochs: 1, BatchSize: N, LR: Schedule{Max: 1e-12},
			Loss: LossWeights{Value: 1, Grad: 1, HVP: 1, Lambda: []float64{1, 1, 1}}}
		h, err := Train(context.Background(), c, data, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if l := h.Epochs[0].Train; l.Value > 1e-28 || l.Grad > 1e-26 || l.HVP > 1e-24 {
			t.Errorf("%s: loss of the net's own labels %+v, want ≈ 0", name, l)
		}
	}
	// A wrong conversion shows: scaled HV labels give a positive HVP part.
	for i := range d.HV {
		d.HV[i] *= 1.01
	}
	h, err := Train(context.Background(), net.Clone(), d, TrainConfig{Epochs: 1, BatchSize: N, LR: Schedule{Max: 1e-12},
		Loss: LossWeights{HVP: 1}}, nil)
	if err != nil || h.Epochs[0].Train.HVP < 1e-8 {
		t.Errorf("HV labels off by 1%%: HVP loss %v, error %v", h.Epochs[0].Train.HVP, err)
	}
}

func TestScheduleRate(t *testing.T) {
	const steps = 101
	for _, tc := range []struct {
		s                  Schedule
		first, middle, end float64
	}{
		{Schedule{Kind: Constant, Max: 0.1}, 0.1, 0.1, 0.1},
		{Schedule{Kind: Cosine, Max: 1e-2, Min: 1e-4}, 1e-2, (1e-2 + 1e-4) / 2, 1e-4},
		{Schedule{Kind: Exponential, Max: 1e-2, Min: 1e-4}, 1e-2, 1e-3, 1e-4},
		{Schedule{Kind: OneCycle, Max: 1e-2, Min: 1e-4, Warmup: 0.5}, 1e-4, 1e-2, 1e-4},
	} {
		for _, p := range []struct {
			step int
			want float64
		}{{0, tc.first}, {50, tc.middle}, {100, tc.end}} {
			if got := tc.s.Rate(p.step, steps); math.Abs(got-p.want) > 1e-15 {
				t.Errorf("%v.Rate(%d, %d) = %v, want %v", tc.s.Kind, p.step, steps, got, p.want)
			}
		}
	}
	// OneCycle with the default warm-up peaks at 30% of the run.
	s := Schedule{Kind: OneCycle, Max: 1, Min: 0}
	if got := s.Rate(30, steps); got != 1 {
		t.Errorf("OneCycle peak = %v at step 30, want 1", got)
	}
	if got := s.Rate(15, steps); math.Abs(got-0.5) > 1e-15 {
		t.Errorf("OneCycle half-way up = %v, want 0.5", got)
	}
	for _, bad := range []Schedule{{Max: 0}, {Kind: Cosine, Max: 1, Min: 2}, {Kind: Exponential, Max: 1}, {Kind: OneCycle, Max: 1, Warmup: 1}, {Kind: 9, Max: 1}} {
		if bad.Validate() == nil {
			t.Errorf("%+v validated", bad)
		}
	}
	for _, k := range []ScheduleKind{Constant, Cosine, Exponential, OneCycle} {
		if got, err := ParseScheduleKind(k.String()); got != k || err != nil {
			t.Errorf("ParseScheduleKind(%q) = %v, %v", k, got, err)
		}
	}
}

func TestAdamStep(t *testing.T) {
	a, err := NewAdam(3, AdamConfig{})
	if err != nil {
		t.Fatal(err)
	}
	p := []float64{1, 2, 3}
	// The first bias-corrected step is lr·g/(|g| + ε) ≈ lr·sign(g).
	a.Step(p, []float64{0.5, -2, 0}, 0.1)
	want := []float64{1 - 0.1*0.5/(0.5+1e-8), 2 + 0.1*2/(2+1e-8), 3}
	for i := range p {
		if math.Abs(p[i]-want[i]) > 1e-15 {
			t.Errorf("after one step p = %v, want %v", p, want)
			break
		}
	}
	// Second step by the formula: m = 0.9·0.1·0.5 + 0.1·1, v = 0.999·0.001·0.25 + 0.001·1.
	a.Step(p, []float64{1, 0, 0}, 0.1)
	m, v := 0.9*0.05+0.1, 0.999*0.00025+0.001
	w0 := want[0] - 0.1*(m/(1-0.81))/(math.Sqrt(v/(1-0.999*0.999))+1e-8)
	if math.Abs(p[0]-w0) > 1e-15 {
		t.Errorf("after two steps p[0] = %v, want %v", p[0], w0)
	}
	// Decoupled weight decay with a zero gradient shrinks by 1 − lr·wd.
	a, _ = NewAdam(1, AdamConfig{WeightDecay: 0.5})
	q := []float64{2}
	a.Step(q, []float64{0}, 0.1)
	if q[0] != 2*(1-0.05) {
		t.Errorf("weight decay: %v, want %v", q[0], 2*(1-0.05))
	}
	if _, err := NewAdam(1, AdamConfig{Eps: -1}); err == nil {
		t.Errorf("negative eps accepted")
	}
}

func TestInit(t *testing.T) {
	for _, kind := range []InitKind{XavierUniform, XavierNormal, XavierTruncNormal} {
		net := New(300, []int{200}, SiLU)
		net.Params.B[0][0] = 1
		net.Init(kind, 1)
		w := net.Params.W[0]
		ss, big := 0.0, 0.0
		for _, v := range w {
			ss += v * v
			big = max(big, math.Abs(v))
		}
		variance, want := ss/float64(len(w)), 2.0/500
		// 60,000 draws: the sample variance is within 2% of the true one.
		if math.Abs(variance-want) > 0.02*want {
			t.Errorf("%v: weight variance %v, want %v", kind, variance, want)
		}
		limit := map[InitKind]float64{XavierUniform: math.Sqrt(6.0 / 500), XavierTruncNormal: 2 * math.Sqrt(want) / truncStd}[kind]
		if limit != 0 && big > limit {
			t.Errorf("%v: weight %v beyond the bound %v", kind, big, limit)
		}
		if net.Params.B[0][0] != 0 {
			t.Errorf("%v: bias not reset", kind)
		}
		c := New(300, []int{200}, SiLU)
		c.Init(kind, 1)
		if !slices.Equal(c.Params.Flat, net.Params.Flat) {
			t.Errorf("%v: same seed, different weights", kind)
		}
		if got, err := ParseInitKind(kind.String()); got != kind || err != nil {
			t.Errorf("ParseInitKind(%q) = %v, %v", kind, got, err)
		}
	}
}

func TestFitNormalization(t *testing.T) {
	x := []float64{1, 5, 3, 5, 5, 5} // column 1 is constant
	y := []float64{2, 4, 6}
	norm, err := FitNormalization(x, y, 2)
	if err != nil {
		t.Fatal(err)
	}
	if norm.XMean[0] != 3 || norm.XScale[0] != math.Sqrt(8.0/3) || norm.XMean[1] != 5 || norm.XScale[1] != 1 ||
		norm.YMean != 4 || norm.YScale != math.Sqrt(8.0/3) {
		t.Errorf("FitNormalization = %+v", norm)
	}
	for _, bad := range []struct {
		x, y []float64
		n    int
	}{{x, y, 0}, {x, nil, 2}, {x[:5], y, 2}, {[]float64{1, math.Inf(1)}, []float64{1}, 2}, {x, []float64{1, math.NaN(), 2}, 2}} {
		if _, err := FitNormalization(bad.x, bad.y, bad.n); err == nil {
			t.Errorf("FitNormalization(%v, %v, %d): no error", bad.x, bad.y, bad.n)
		}
	}
}
