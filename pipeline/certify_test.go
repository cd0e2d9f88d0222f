package pipeline

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sobolev-pruning/sobolev/bound"
	"github.com/sobolev-pruning/sobolev/interval"
	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/onnx"
)

// TestRunCertificates checks that a run records the shape check of every
// stage, that it is the one bound.Check gives for the saved model over the
// test box, and that depth 0 leaves it out.
func TestRunCertificates(t *testing.T) {
	cfg := tiny()
	cfg.Certify.Depth = 5
	out := t.TempDir()
	var log strings.Builder
	res, err := Run(context.Background(), cfg, out, Hooks{Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := 1-(1+0.5*0.408248290463863)/2, 1+(1+0.5*0.408248290463863)/2 // TestBox of n = 3
	box := []interval.Interval{interval.New(lo, hi), interval.New(lo, hi), interval.New(lo, hi)}
	for _, s := range res.Stages {
		c := s.Certificate
		if c == nil {
			t.Errorf("stage %s: no certificate", s.Stage)
			continue
		}
		if c.Check != "delta>=0,gamma>=0" || c.Depth != 5 || c.Probes != cfg.Certify.Probes || c.Boxes < 1 || c.Boxes > 1<<6-1 ||
			c.Proved < 0 || c.Refuted < 0 || c.Undecided < 0 || c.Proved+c.Refuted+c.Undecided != 1 {
			t.Errorf("stage %s: certificate %+v", s.Stage, *c)
		}
		if !strings.Contains(log.String(), "shape delta>=0,gamma>=0 over the test box") {
			t.Errorf("the log lacks the certificate lines:\n%s", log.String())
		}
		net, err := onnx.Load(filepath.Join(out, s.Model))
		if err != nil {
			t.Fatal(err)
		}
		want, err := bound.Check(context.Background(), net, box, bound.Shape{DeltaNonneg: true, GammaNonneg: true}, 5,
			bound.Options{Probes: cfg.Certify.Probes, Seed: cfg.Seed + seedStreamCertify})
		if err != nil {
			t.Fatal(err)
		}
		if want.Proved != c.Proved || want.Refuted != c.Refuted || want.Refutations != c.Counterexamples || want.Boxes != c.Boxes {
			t.Errorf("stage %s: certificate %+v, bound.Check of the saved model over the test box %+v", s.Stage, *c, *want)
		}
	}

	cfg.Certify.Depth = 0
	out = t.TempDir()
	res, err = Run(context.Background(), cfg, out, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Stages {
		if s.Certificate != nil {
			t.Errorf("depth 0: stage %s has a certificate", s.Stage)
		}
	}
	data, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Stages []map[string]any `json:"stages"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	if _, ok := raw.Stages[0]["certificate"]; ok {
		t.Error("depth 0: results.json has a certificate")
	}
}

// TestCertifyRefutesPlanted plants a net whose price is concave in the
// spots on part of the Bachelier test box, y = tanh(x₁ + x₂ − 2), and checks
// that the run's certificate refutes it there and proves it elsewhere.
func TestCertifyRefutesPlanted(t *testing.T) {
	cfg := tiny()
	cfg.Dims = 2
	cfg.Certify.Depth = 10
	r := &runner{cfg: cfg, out: t.TempDir()}
	if err := os.Mkdir(filepath.Join(r.out, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := r.data(context.Background()); err != nil {
		t.Fatal(err)
	}
	net := mlp.New(2, []int{1}, mlp.Tanh)
	net.Norm = mlp.Normalization{XMean: []float64{0, 0}, XScale: []float64{1, 1}, YMean: 0, YScale: 1}
	copy(net.Params.W[0], []float64{1, 1})
	net.Params.B[0][0], net.Params.W[1][0] = -2, 1
	c, err := r.certify(context.Background(), net)
	if err != nil {
		t.Fatal(err)
	}
	// tanh(s − 2) is increasing everywhere and convex for s < 2: the
	// triangle x₁ + x₂ < 2 is half the (symmetric) box.
	if c.Counterexamples == 0 || c.Refuted < 0.3 || c.Proved < 0.3 || c.Proved+c.Refuted+c.Undecided != 1 {
		t.Errorf("planted concavity: %+v, want about half proved and half refuted", *c)
	}
}

// TestCertifyConfig reads certify.depth from YAML and refuses depths out of
// range with its key.
func TestCertifyConfig(t *testing.T) {
	if d := Default().Certify.Depth; d != DefaultCertifyDepth || d < 1 {
		t.Errorf("Default certify depth %d, want DefaultCertifyDepth (%d), on", d, DefaultCertifyDepth)
	}
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte("certify:\n  depth: 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(path, Default())
	if err != nil || c.Certify.Depth != 0 {
		t.Errorf("certify: {depth: 0}: depth %d, %v", c.Certify.Depth, err)
	}
	for _, d := range []int{-1, maxCertifyDepth + 1} {
		c := Default()
		c.Certify.Depth = d
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "certify.depth") {
			t.Errorf("depth %d: %v, want an error naming certify.depth", d, err)
		}
		c = Default()
		c.Certify.Probes = d * maxCertifyProbes / maxCertifyDepth
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "certify.probes") {
			t.Errorf("probes %d: %v, want an error naming certify.probes", c.Certify.Probes, err)
		}
	}
}
