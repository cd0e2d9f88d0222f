package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sobolev-pruning/sobolev/dataset"
	"github.com/sobolev-pruning/sobolev/heston"
	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/onnx"
	"github.com/sobolev-pruning/sobolev/setting"
)

// tinyHeston returns tiny() on the Heston pricer with 8 time steps.
func tinyHeston() Config {
	c := tiny()
	c.Pricer = PricerHeston
	c.Heston.Steps = 8
	return c
}

func TestPricerText(t *testing.T) {
	for _, p := range []Pricer{PricerBachelier, PricerHeston} {
		b, err := p.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var q Pricer
		if err := q.UnmarshalText(b); err != nil || q != p || q.String() != string(b) {
			t.Errorf("%v: round trip gives %v, %v", p, q, err)
		}
	}
	var p Pricer
	var ne *setting.NameError
	if err := p.UnmarshalText([]byte("sabr")); !errors.As(err, &ne) || !strings.Contains(err.Error(), "bachelier or heston") {
		t.Errorf("UnmarshalText(sabr) = %v, want a NameError listing bachelier or heston", err)
	}
	if Pricer(2).Valid() {
		t.Error("Pricer(2) is valid")
	}
}

// TestLoadConfigHeston reads the heston keys over the default and checks
// that keys left out keep their defaults.
func TestLoadConfigHeston(t *testing.T) {
	p := filepath.Join(t.TempDir(), "h.yaml")
	text := "pricer: heston\nheston:\n  xi: 0.3\n  rho: -0.5\n  box: [[0.8, 1.2], [0.02, 0.06], [0.5, 1], [0.9, 1.1]]\n  steps: 32\n  antithetic: false\n  labels: pathwise\n  paths: 4\n"
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(p, Default())
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultHeston()
	want.Xi, want.Rho, want.Steps, want.Antithetic = 0.3, -0.5, 32, false
	want.Labels, want.Paths = heston.Pathwise, 4
	want.Box = heston.Box{{0.8, 1.2}, {0.02, 0.06}, {0.5, 1}, {0.9, 1.1}}
	if c.Pricer != PricerHeston || c.Heston != want {
		t.Errorf("read pricer %v, heston %+v; want heston, %+v", c.Pricer, c.Heston, want)
	}
	if c.Inputs() != 4 || !reflect.DeepEqual(c.GammaDirection(), []float64{1, 0, 0, 0}) {
		t.Errorf("Inputs %d, GammaDirection %v; want 4, [1 0 0 0]", c.Inputs(), c.GammaDirection())
	}

	// The JSON of results.json reads back to the same configuration.
	raw, err := json.Marshal(c.recorded())
	if err != nil {
		t.Fatal(err)
	}
	back := Default()
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, c) {
		t.Errorf("JSON round trip:\n got %+v\nwant %+v", back, c)
	}
}

// TestTargetsConfig checks that the configuration of the README's Heston
// targets loads and differs from the default in the keys it names only.
func TestTargetsConfig(t *testing.T) {
	c, err := LoadConfig(filepath.Join("..", "docs", "configs", "heston-targets.yaml"), Default())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Pricer, want.Heston.Paths, want.Large.Epochs = PricerHeston, 16, 12
	if !reflect.DeepEqual(c, want) {
		t.Errorf("heston-targets.yaml reads as %+v, want %+v", c, want)
	}
}

// TestBachelierJSONUnchanged checks that a Bachelier run records neither
// the pricer nor the Heston section, so its results.json is as before.
func TestBachelierJSONUnchanged(t *testing.T) {
	raw, err := json.Marshal(Default().recorded())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"pricer", "heston"} {
		if _, ok := m[key]; ok {
			t.Errorf("the JSON of a Bachelier configuration has the key %q: %s", key, raw)
		}
	}
	if Default().GammaDirection() != nil || Default().Inputs() != 7 {
		t.Error("the Bachelier pricer's gamma direction is not nil (1ᵀH1) or its inputs not Dims")
	}
}

func TestValidateHeston(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(*Config)
		key  string
	}{
		{"pricer", func(c *Config) { c.Pricer = 7 }, "pricer"},
		{"xi", func(c *Config) { c.Heston.Xi = 0 }, "heston.xi"},
		{"rho", func(c *Config) { c.Heston.Rho = 1 }, "heston.rho"},
		{"kappa", func(c *Config) { c.Heston.Kappa = math.NaN() }, "heston.kappa"},
		{"box", func(c *Config) { c.Heston.Box[1] = [2]float64{0.05, 0.01} }, "heston.box[1]"},
		{"box at 0", func(c *Config) { c.Heston.Box[3][0] = 0 }, "heston.box[3]"},
		{"steps", func(c *Config) { c.Heston.Steps = 0 }, "heston.steps"},
		{"smoothing", func(c *Config) { c.Heston.Smoothing = -1 }, "heston.smoothing"},
		{"widening", func(c *Config) { c.Heston.Widening = 10 }, "heston.widening"},
	} {
		c := tinyHeston()
		tc.set(&c)
		var se *setting.Error
		if err := c.Validate(); !errors.As(err, &se) || se.Key != tc.key {
			t.Errorf("%s: Validate() = %v, want a *setting.Error keyed %q", tc.name, err, tc.key)
		}
	}
	// The Bachelier settings do not apply to Heston, and Heston's to Bachelier.
	c := tinyHeston()
	c.Dims, c.Smoothing = 0, -1
	if err := c.Validate(); err != nil {
		t.Errorf("Heston with dims 0: %v", err)
	}
	c = tiny()
	c.Heston.Xi = 0
	if err := c.Validate(); err != nil {
		t.Errorf("Bachelier with heston.xi 0: %v", err)
	}
	// YAML: a fraction for a whole number names the key.
	p := filepath.Join(t.TempDir(), "h.yaml")
	if err := os.WriteFile(p, []byte("pricer: heston\nheston:\n  steps: 2.5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(p, Default()); err == nil || !strings.Contains(err.Error(), "heston.steps") {
		t.Errorf("steps 2.5: %v, want an error naming heston.steps", err)
	}
}

// TestEvaluateAlong checks the net's gamma along a direction against
// central differences of the net's value, and that a nil direction is
// Evaluate bit for bit.
func TestEvaluateAlong(t *testing.T) {
	net := mlp.New(4, []int{12, 12}, mlp.SiLU)
	net.Init(mlp.XavierUniform, 9)
	const rows = 300 // more than one block of evalAlong on 2 cores
	s := dataset.New(rows, 4, dataset.WithGamma)
	for i := range s.X {
		s.X[i] = 0.5 + 0.37*math.Sin(float64(3*i+1))
	}
	dir := []float64{1, 0, 0, 0}
	got := EvaluateAlong(net, s, dir)
	// Labels: the second differences of the net's value along dir (step h
	// 1e-3: truncation ~1e-7, rounding ~1e-10), so that R² ≈ 1 only if the
	// gamma is the second derivative along dir.
	const h = 1e-3
	x := make([]float64, 4)
	for r := range rows {
		copy(x, s.X[r*4:(r+1)*4])
		f0 := net.Value(x)
		x[0] += h
		fp := net.Value(x)
		x[0] -= 2 * h
		fm := net.Value(x)
		s.Gamma[r] = (fp - 2*f0 + fm) / (h * h)
	}
	sc := EvaluateAlong(net, s, dir)
	if !(sc.MaxErrGamma < 1e-5) {
		t.Errorf("gamma along e₀ differs from second differences by up to %g (R² %v), want < 1e-5", sc.MaxErrGamma, sc.R2Gamma)
	}
	if got.R2Value != sc.R2Value || got.Deltas[2] != sc.Deltas[2] {
		t.Error("the value or gradient scores depend on the gamma labels")
	}
	// With the all-ones vector the 1ᵀH1 scores are the same, and nil is Evaluate.
	ones := EvaluateAlong(net, s, []float64{1, 1, 1, 1})
	if a, b := ones.R2Gamma, Evaluate(net, s).R2Gamma; math.Abs(float64(a-b)) > 1e-12 {
		t.Errorf("R² gamma along 1: %v, Evaluate's 1ᵀH1: %v", a, b)
	}
	if a, b := EvaluateAlong(net, s, nil), Evaluate(net, s); !reflect.DeepEqual(a, b) {
		t.Error("EvaluateAlong(nil) is not Evaluate")
	}
}

// TestRunHeston runs every stage on the Heston pricer: the data folder is
// Heston's, every stage has one delta per input and the run records the
// inputs and the gamma direction.
func TestRunHeston(t *testing.T) {
	out := t.TempDir()
	var log strings.Builder
	res, err := Run(context.Background(), tinyHeston(), out, Hooks{Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	var spec heston.Spec
	b, err := os.ReadFile(filepath.Join(out, "data", "spec.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &spec); err != nil || spec.Pricer != "heston" || spec.Steps != 8 {
		t.Errorf("spec.json: %+v, %v", spec, err)
	}
	if !reflect.DeepEqual(res.Inputs, heston.InputNames()) || !reflect.DeepEqual(res.GammaDirection, []float64{1, 0, 0, 0}) {
		t.Errorf("results record inputs %v and gamma direction %v", res.Inputs, res.GammaDirection)
	}
	if len(res.Stages) != stageCount {
		t.Fatalf("%d stages, want %d", len(res.Stages), stageCount)
	}
	test, err := dataset.Load(filepath.Join(out, "data", "test.npz"))
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range res.Stages {
		if len(st.Deltas) != heston.Inputs || math.IsNaN(float64(st.R2Gamma)) {
			t.Errorf("%s: %d deltas, R² gamma %v", st.Stage, len(st.Deltas), st.R2Gamma)
		}
	}
	// The recorded gamma score is the one along e₀.
	net, err := onnx.Load(filepath.Join(out, res.Stages[1].Model))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := EvaluateAlong(net, test, []float64{1, 0, 0, 0}).R2Gamma, res.Stages[1].R2Gamma; got != want {
		t.Errorf("recorded R² gamma %v, along e₀ %v", want, got)
	}
	if !strings.Contains(log.String(), "∂maturity") {
		t.Errorf("the log does not give the delta of each input:\n%s", log.String())
	}
	var cfg map[string]any
	if err := json.Unmarshal(res.Config, &cfg); err != nil || cfg["pricer"] != "heston" || cfg["heston"] == nil {
		t.Errorf("results.json's configuration lacks the pricer or its section: %s", res.Config)
	}
}

// TestTeacherLabelsAlong checks that the first direction of the
// second-order labels is the gamma direction scaled to length √n and the
// others are NewTeacherLabels'.
func TestTeacherLabelsAlong(t *testing.T) {
	teacher := mlp.New(4, []int{8}, mlp.SiLU)
	teacher.Init(mlp.XavierUniform, 2)
	train := dataset.New(16, 4, 0)
	for i := range train.X {
		train.X[i] = float64(i%7) / 7
	}
	recipe := Default().Finetune
	a := NewTeacherLabels(teacher, train, recipe, 3)
	b := NewTeacherLabelsAlong(teacher, train, recipe, 3, []float64{1, 0, 0, 0})
	if !reflect.DeepEqual(b.Dirs[:4], []float64{2, 0, 0, 0}) || !reflect.DeepEqual(a.Dirs[4:], b.Dirs[4:]) {
		t.Errorf("directions %v, want (2, 0, 0, 0) then those of %v", b.Dirs, a.Dirs)
	}
	hv := make([]float64, len(train.X))
	mlp.NewEvaluator(teacher).EvalHessVec(nil, nil, hv, train.X, []float64{2, 0, 0, 0})
	k := len(b.Dirs) / 4
	for r := range train.N() {
		for i := range 4 {
			if got, want := b.HV[(r*k)*4+i], hv[r*4+i]; got != want {
				t.Fatalf("row %d: first label %v, want H·(2e₀) = %v", r, got, want)
			}
		}
	}
}
