package pipeline

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sobolev-pruning/sobolev/bachelier"
	"github.com/sobolev-pruning/sobolev/heston"
	"github.com/sobolev-pruning/sobolev/iasa"
	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/prune"
	"github.com/sobolev-pruning/sobolev/setting"
)

// Config is the whole configuration of one experiment. The zero value is not
// useful; start from Default or Quick and override fields, or read a YAML file
// with LoadConfig. Field names in YAML are the snake_case tags below.
type Config struct {
	// Pricer is the reference problem the surrogates learn: bachelier (the
	// basket of method.md §2, the default) or heston (a call under the
	// Heston model with the inputs spot, v₀, maturity and strike). The
	// default is left out of the JSON encoding, so that the configuration a
	// Bachelier run records in results.json is the one it recorded before
	// Heston existed.
	Pricer Pricer `yaml:"pricer" json:"pricer,omitempty"`
	// Dims is the number of assets n of the Bachelier basket (method.md §2).
	// Dims, Baskets and Smoothing are the Bachelier pricer's settings; a
	// Heston run has 4 inputs, takes its settings from Heston and ignores
	// (and does not check) these three.
	Dims int `yaml:"dims" json:"dims"`
	// Baskets is the number k of basket calls on the Dims assets whose
	// portfolio is priced (bachelier.NewPortfolio): 1 is the one basket of
	// method.md §2, a larger k makes the price depend on k directions of the
	// spots. 0, the default, also means one basket; it is left out of the
	// JSON encoding, so that the configuration a default run records in
	// results.json is the one it recorded before portfolios existed.
	Baskets int `yaml:"baskets" json:"baskets,omitempty"`
	// Train and Test are the numbers of training samples and analytic test points.
	Train int `yaml:"train" json:"train"`
	Test  int `yaml:"test" json:"test"`
	// Seed drives every random choice of the run: model parameters, data,
	// initialisation, shuffling and pruning boxes.
	Seed uint64 `yaml:"seed" json:"seed"`
	// Smoothing is the width h of the smoothed payoff h·log(1+exp((B−K)/h))
	// of the training labels (spot units; 0 keeps the call payoff). A narrow
	// smoothing lowers the noise of the pathwise gradient labels near the
	// strike at the price of a bias of order h² in the value.
	Smoothing float64 `yaml:"smoothing" json:"smoothing"`
	// Heston is the Heston pricer's model and training labels, used with
	// Pricer heston. A Bachelier run leaves it out of results.json.
	Heston HestonConfig `yaml:"heston" json:"heston,omitzero"`

	// Large is the architecture of the large nets and the training recipe of
	// the large Sobolev net.
	Large NetConfig `yaml:"large" json:"large"`
	// LargeMSE is the training recipe of the large MSE net, the baseline,
	// tuned for it on its own (value labels alone want another schedule).
	LargeMSE TrainRecipe `yaml:"large_mse" json:"large_mse"`
	// Prune is the IASA pruning recipe.
	Prune PruneConfig `yaml:"prune" json:"prune"`
	// Finetune is the recipe of the pruned net's fine-tuning.
	Finetune TrainRecipe `yaml:"finetune" json:"finetune"`
	// Scratch is the hidden widths of the control net trained from scratch
	// with the fine-tuning recipe. Empty (the default), it is the pruned
	// net's shape, so the control has the same layers and nodes.
	Scratch []int `yaml:"scratch_hidden" json:"scratch_hidden,omitempty"`
	// Certify is the shape check of every stage's model over the test box
	// (results.Certificate).
	Certify CertifyConfig `yaml:"certify" json:"certify"`
}

// CertifyConfig is the shape check Run makes of every stage's model with
// bound.Check over the test box: the Bachelier basket's price is increasing
// in every spot and convex along the all-ones vector; the Heston call's is
// increasing and convex in the spot. Proved pieces of the box are
// guaranteed free of this arbitrage, refuted ones hold a point of it.
type CertifyConfig struct {
	// Depth is the number of halvings of the box after which a piece is
	// left undecided; 0 switches the check off. Each level at most doubles
	// the pieces, so the cost grows as 2^Depth passes of interval
	// arithmetic (about 5 ms each for a 6 × 128 net).
	Depth int `yaml:"depth" json:"depth"`
	// Probes is the number of random points (drawn from the run's seed) at
	// which each piece left at the depth limit is evaluated before it is
	// called undecided: a violation there refutes it. Far cheaper than the
	// enclosures (one float64 evaluation each), they find most of the
	// arbitrage the midpoints miss.
	Probes int `yaml:"probes" json:"probes"`
}

// HestonConfig is the Heston pricer of a run (package heston): the model's
// parameters κ, θ, ξ, ρ (YAML keys kappa, theta, xi, rho), the test box of
// the inputs and the options of the training labels (labels, steps,
// smoothing, widening, antithetic, paths), with the meanings and units of
// heston.Params, heston.Box and heston.TrainOptions. The keys are those of
// the flags of "sobolev data heston" and of its spec.json. The numbers of
// samples and the seed are the run's (Config.Train, Test and Seed).
type HestonConfig struct {
	heston.Params `yaml:",inline"`
	// Box is the test domain: Box[j] = [lo, hi] for spot, v0, maturity and
	// strike, in this order; the training box is Box widened by Widening.
	Box                 heston.Box `yaml:"box" json:"box"`
	heston.TrainOptions `yaml:",inline"`
}

// DefaultHeston returns the default Heston pricer: heston.DefaultParams,
// heston.DefaultBox and heston.DefaultTrainOptions.
func DefaultHeston() HestonConfig {
	return HestonConfig{Params: heston.DefaultParams(), Box: heston.DefaultBox(), TrainOptions: heston.DefaultTrainOptions()}
}

// Pricer names the reference problem of a run: bachelier (the basket call
// of method.md §2, package bachelier) or heston (the Heston call of package
// heston).
type Pricer int

// The pricers.
const (
	PricerBachelier Pricer = iota // the Bachelier basket (or portfolio of baskets)
	PricerHeston                  // the call under the Heston model
)

var pricerNames = [...]string{PricerBachelier: "bachelier", PricerHeston: "heston"}

// String returns the pricer's name: "bachelier" or "heston".
func (p Pricer) String() string { return setting.String("Pricer", pricerNames[:], int(p)) }

// Valid reports whether p is one of the named pricers.
func (p Pricer) Valid() bool { return setting.Valid(pricerNames[:], int(p)) }

// MarshalText returns the pricer's name; a value without a name is an error.
func (p Pricer) MarshalText() ([]byte, error) {
	return setting.Marshal("Pricer", pricerNames[:], int(p))
}

// UnmarshalText sets p to the pricer named text; an unknown name is a
// *setting.NameError listing the valid ones.
func (p *Pricer) UnmarshalText(text []byte) error {
	return setting.Unmarshal(p, "pricer", pricerNames[:], text)
}

// NetConfig is an architecture with its training recipe.
type NetConfig struct {
	// Hidden lists the hidden layer widths.
	Hidden []int `yaml:"hidden" json:"hidden"`
	// Activation is silu (default), softplus or tanh; relu is refused, its
	// second derivative vanishes.
	Activation  mlp.Activation `yaml:"activation" json:"activation"`
	TrainRecipe `yaml:",inline"`
}

// TrainRecipe holds the optimiser, schedule and loss settings of one training.
type TrainRecipe struct {
	Epochs    int `yaml:"epochs" json:"epochs"`
	BatchSize int `yaml:"batch_size" json:"batch_size"`
	// LRMax and LRMin bound the learning-rate schedule.
	LRMax float64 `yaml:"lr_max" json:"lr_max"`
	LRMin float64 `yaml:"lr_min" json:"lr_min"`
	// Schedule is the shape of the learning-rate schedule: cosine,
	// exponential, onecycle or constant.
	Schedule mlp.ScheduleKind `yaml:"schedule" json:"schedule"`
	// Teacher uses the large Sobolev net's value and gradient as labels
	// (fine-tuning only).
	Teacher bool `yaml:"teacher" json:"teacher"`
	// HVPDirections is the number of random directions, besides the all-ones
	// vector, along which the teacher's Hessian-vector products are labels; 0
	// with HVPWeight 0 switches the second-order term off.
	HVPDirections int `yaml:"hvp_directions" json:"hvp_directions"`
	// HVPKind chooses those directions: random (Gaussian) or principal
	// (the leading principal directions of the teacher's gradients over the
	// training inputs).
	HVPKind mlp.HVPDirections `yaml:"hvp_kind" json:"hvp_kind"`
	// HVPWeight is the weight of the second-order term relative to the mean
	// gradient weight λ̄ (method.md §4: 0.1).
	HVPWeight float64 `yaml:"hvp_weight" json:"hvp_weight"`
	// ValFraction, in [0, 1), holds out that fraction of the training
	// samples (drawn from the seed) as a validation set of the training
	// distribution; its loss is reported per epoch. 0 trains on all.
	ValFraction float64 `yaml:"val_fraction" json:"val_fraction,omitempty"`
	// RestoreBest keeps the parameters of the epoch with the lowest
	// validation loss (model selection); it needs ValFraction > 0.
	RestoreBest bool `yaml:"restore_best" json:"restore_best,omitempty"`
}

// PruneConfig is the pruning recipe: IASA (method.md §5) or one of the
// criteria it is compared with (§7).
type PruneConfig struct {
	// Keep is the total number of hidden nodes kept (quotas global and
	// even).
	Keep int `yaml:"keep" json:"keep"`
	// Quota shares the kept nodes among the hidden layers: even (Keep split
	// evenly over the hidden layers, ranking within each layer; the first
	// layers get the remainder), global (the Keep most significant nodes
	// over all layers, at least one per layer: the authors' ranking) or
	// per-layer (KeepPerLayer).
	Quota prune.Quota `yaml:"quota" json:"quota"`
	// KeepPerLayer is the number of nodes kept in each hidden layer with
	// quota per-layer; it must be empty with the other quotas.
	KeepPerLayer []int `yaml:"keep_per_layer" json:"keep_per_layer,omitempty"`
	// Criterion scores the nodes: iasa (the default; IASA with Method),
	// iasa-plain (IASA with plain intervals, the paper's own method, whatever
	// Method says), magnitude, random, taylor, obd (Optimal Brain Damage) or
	// sobolev-taylor (first-order change of the Sobolev loss; needs the
	// training labels y and dydx) (package prune). Method, Combine, Boxes and
	// BoxRadius are IASA's settings (iasa-plain ignores Method); the other
	// criteria ignore them.
	Criterion prune.Criterion `yaml:"criterion" json:"criterion"`
	// Method is quadratic (second-order forms over the input symbols with
	// extra noise symbols for the largest errors, the default), affine
	// (affine forms over the input symbols), zonotope (full affine
	// arithmetic, slow) or naive (plain intervals), each on the same boxes
	// (see package iasa).
	Method iasa.Method `yaml:"method" json:"method"`
	// Combine merges a node's per-box significances: max or mean.
	Combine iasa.Combine `yaml:"combine" json:"combine"`
	// Boxes is the number of small boxes around training points, BoxRadius
	// their half-width in standard deviations of each input.
	Boxes     int     `yaml:"boxes" json:"boxes"`
	BoxRadius float64 `yaml:"box_radius" json:"box_radius"`
	// Fold is the constant a removed node is replaced by: mean (mean
	// activation over the training data), midpoint (of its IASA value
	// enclosure) or zero.
	Fold prune.Fold `yaml:"fold" json:"fold"`
}

// Default returns the default experiment: the Bachelier basket of method.md
// (one basket: Baskets 0; Heston is DefaultHeston, used with Pricer heston)
// with n = 7, 262144 training samples (one Monte
// Carlo path each, payoff smoothed over h = 0.0075) and 4096 test points,
// 6 × 128 SiLU nets trained 3 passes over the data (Sobolev; MSE on its own
// one-cycle schedule), IASA pruning to 48 hidden nodes and 15 passes of
// fine-tuning. It is tuned to be accurate within about 45 s on 2 cores: many
// samples seen a few times fit the label noise less than few samples seen
// many times (README, "Accuracy").
func Default() Config {
	return Config{
		Heston:    DefaultHeston(),
		Dims:      7,
		Train:     262144,
		Test:      4096,
		Seed:      0,
		Smoothing: 0.0075,
		Large: NetConfig{
			Hidden:     []int{128, 128, 128, 128, 128, 128},
			Activation: mlp.SiLU,
			TrainRecipe: TrainRecipe{
				Epochs: 3, BatchSize: 256, LRMax: 1e-3, LRMin: 1e-5, Schedule: mlp.Cosine,
			},
		},
		LargeMSE: TrainRecipe{Epochs: 3, BatchSize: 256, LRMax: 3e-3, LRMin: 1e-5, Schedule: mlp.OneCycle},
		Prune: PruneConfig{Keep: 48, Quota: prune.QuotaEven, Criterion: prune.ByIASA, Method: iasa.Quadratic, Combine: iasa.Max,
			Boxes: 256, BoxRadius: 0.05, Fold: prune.FoldMean},
		Finetune: TrainRecipe{
			Epochs: 15, BatchSize: 256, LRMax: 1e-2, LRMin: 1e-5, Schedule: mlp.Cosine,
			Teacher: false, HVPDirections: 2, HVPKind: mlp.RandomDirections, HVPWeight: 0.5,
		},
		Certify: CertifyConfig{Depth: DefaultCertifyDepth, Probes: 64},
	}
}

// maxCertifyDepth bounds CertifyConfig.Depth: 2²⁰ pieces of a large net
// take hours.
const maxCertifyDepth = 20

// maxCertifyProbes bounds CertifyConfig.Probes, the rows of one batch of
// evaluation.
const maxCertifyProbes = 1 << 16

// DefaultCertifyDepth is the Depth of Default's shape check: at most 2⁹ − 1
// pieces per model, which keeps the check of the six stages of a default run
// within a few seconds on 2 cores.
const DefaultCertifyDepth = 8

// Quick returns a smaller version of Default for trying the tool out: fewer
// samples, smaller large nets, same stages; about 10 s.
func Quick() Config {
	c := Default()
	c.Train = 8192
	c.Test = 2048
	c.Large.Hidden = []int{64, 64, 64, 64}
	c.Large.Epochs = 30
	c.LargeMSE.Epochs = 30
	c.Prune.Keep = 32
	c.Prune.Boxes = 64
	c.Finetune.Epochs = 60
	return c
}

// Paper returns Default with the training settings the authors published
// for their nets, for comparison: 8192 training samples (smoothing 0.015),
// Adam with batches of 512 and a cosine schedule from 1e-2 to 1e-5 for both
// large nets, over 100 of their "epochs" of 64 batches — 400 passes over the
// data — and the fine-tuning of 400 passes. It fits the label noise (README,
// "Accuracy") and takes several times as long as Default.
func Paper() Config {
	c := Default()
	c.Train, c.Smoothing = 8192, 0.015
	paper := TrainRecipe{Epochs: 400, BatchSize: 512, LRMax: 1e-2, LRMin: 1e-5, Schedule: mlp.Cosine}
	c.Large.TrainRecipe, c.LargeMSE = paper, paper
	c.Finetune.Epochs = 400
	return c
}

// Preset names a built-in configuration: default (Default), quick (Quick)
// or paper (Paper).
type Preset int

// The presets.
const (
	PresetDefault Preset = iota // Default
	PresetQuick                 // Quick
	PresetPaper                 // Paper
)

var presetNames = [...]string{PresetDefault: "default", PresetQuick: "quick", PresetPaper: "paper"}

// String returns the preset's name: "default", "quick" or "paper".
func (p Preset) String() string { return setting.String("Preset", presetNames[:], int(p)) }

// MarshalText returns the preset's name; a value without a name is an error.
func (p Preset) MarshalText() ([]byte, error) {
	return setting.Marshal("Preset", presetNames[:], int(p))
}

// UnmarshalText sets p to the preset named text; an unknown name is a
// *setting.NameError listing the valid ones.
func (p *Preset) UnmarshalText(text []byte) error {
	return setting.Unmarshal(p, "preset", presetNames[:], text)
}

// Config returns the configuration of the preset; it panics if p has no
// name.
func (p Preset) Config() Config {
	switch p {
	case PresetDefault:
		return Default()
	case PresetQuick:
		return Quick()
	case PresetPaper:
		return Paper()
	}
	panic("pipeline: unknown Preset")
}

// LoadConfig reads a YAML file over base: keys present in the file replace
// base's values, others keep them. Unknown keys, a number that is not a whole
// number for an integer setting (yaml.v3 would truncate 2.5 to 2) and any
// value Validate refuses are errors naming the key.
func LoadConfig(path string, base Config) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return base, fmt.Errorf("config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return base, fmt.Errorf("config: %s: %v", path, err)
	}
	if err := checkWhole(&doc, reflect.TypeFor[Config](), ""); err != nil {
		return base, fmt.Errorf("config: %s: %w", path, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	c := base
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return base, fmt.Errorf("config: %s: %v", path, err)
	}
	if err := c.Validate(); err != nil {
		return base, fmt.Errorf("config: %s: %w", path, err)
	}
	return c, nil
}

// checkWhole returns a *setting.Error for the first scalar of the YAML node
// that sets an integer field of type t (at key) with a number that is not a
// YAML integer, such as 2.5, 2.0, 1e3 or .nan, an unsigned field with a
// negative number, or a named setting (mlp.Activation, prune.Fold, …) with a
// name it does not know: the same words as for a flag or the Go API.
func checkWhole(node *yaml.Node, t reflect.Type, key string) error {
	switch node.Kind {
	case yaml.DocumentNode:
		for _, c := range node.Content {
			if err := checkWhole(c, t, key); err != nil {
				return err
			}
		}
		return nil
	case yaml.AliasNode:
		return checkWhole(node.Alias, t, key)
	}
	if reflect.PointerTo(t).Implements(reflect.TypeFor[encoding.TextUnmarshaler]()) {
		u := reflect.New(t).Interface().(encoding.TextUnmarshaler)
		if node.Kind != yaml.ScalarNode {
			return &setting.Error{Key: key, Value: setting.Literal("a " + node.ShortTag()[2:]), Want: setting.Want(u)}
		}
		var e *setting.NameError
		if err := u.UnmarshalText([]byte(node.Value)); errors.As(err, &e) {
			return &setting.Error{Key: key, Value: node.Value, Want: e.Want()}
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		if node.Kind != yaml.MappingNode {
			return nil // the decoder has reported it
		}
		for i := 0; i+1 < len(node.Content); i += 2 {
			name := node.Content[i].Value
			if f, ok := yamlField(t, name); ok {
				if err := checkWhole(node.Content[i+1], f.Type, joinKey(key, name)); err != nil {
					return err
				}
			}
		}
	case reflect.Slice:
		if node.Kind != yaml.SequenceNode {
			return nil
		}
		for i, c := range node.Content {
			if err := checkWhole(c, t.Elem(), fmt.Sprintf("%s[%d]", key, i)); err != nil {
				return err
			}
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if node.Kind == yaml.ScalarNode && node.ShortTag() == "!!float" {
			return &setting.Error{Key: key, Value: setting.Literal(node.Value), Want: "a whole number"}
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if node.Kind == yaml.ScalarNode && (node.ShortTag() == "!!float" ||
			node.ShortTag() == "!!int" && strings.HasPrefix(node.Value, "-")) {
			return &setting.Error{Key: key, Value: setting.Literal(node.Value), Want: "a whole number ≥ 0"}
		}
	}
	return nil
}

// yamlField returns the field of the struct type t, or of a struct inlined
// in it, whose YAML key is name.
func yamlField(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if tag == "" && !f.Anonymous {
			tag = strings.ToLower(f.Name) // yaml.v3's key of an untagged field
		}
		if opts == "inline" {
			if g, ok := yamlField(f.Type, name); ok {
				return g, true
			}
			continue
		}
		if tag == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// joinKey returns the key of setting name in the section prefix ("" for the
// top level).
func joinKey(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// finite reports whether x is neither NaN nor infinite.
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Validate reports the first impossible value in c as a *setting.Error
// naming its YAML key. Every command-line flag of a setting is checked by
// this method (or by TrainRecipe.Validate or PruneConfig.Validate), so the
// flags, the YAML file and the Go API refuse the same values.
func (c Config) Validate() error {
	bad := func(key string, v any, want string) error { return &setting.Error{Key: key, Value: v, Want: want} }
	switch {
	case c.Train < 2:
		return bad("train", c.Train, "at least 2 samples")
	case c.Test < 2:
		return bad("test", c.Test, "at least 2 points")
	case !c.Pricer.Valid():
		return bad("pricer", c.Pricer, setting.Want(new(Pricer)))
	}
	if c.Pricer == PricerHeston {
		if err := c.validateHeston(); err != nil {
			return err
		}
	} else if err := c.dataConfig().Validate(); err != nil {
		return err
	}
	if err := c.Large.validate("large"); err != nil {
		return err
	}
	if err := c.LargeMSE.validate("large_mse"); err != nil {
		return err
	}
	if err := c.Finetune.validate("finetune"); err != nil {
		return err
	}
	if c.Scratch != nil {
		if err := validHidden("scratch_hidden", c.Scratch); err != nil {
			return err
		}
	}
	if err := c.Prune.validate("prune"); err != nil {
		return err
	}
	if d := c.Certify.Depth; d < 0 || d > maxCertifyDepth {
		return &setting.Error{Key: "certify.depth", Value: d, Want: fmt.Sprintf("a number of halvings from 0 (off) to %d", maxCertifyDepth)}
	}
	if p := c.Certify.Probes; p < 0 || p > maxCertifyProbes {
		return &setting.Error{Key: "certify.probes", Value: p, Want: fmt.Sprintf("a number of points from 0 to %d", maxCertifyProbes)}
	}
	return c.Prune.validateFor("prune", c.Large.Hidden)
}

// Validate reports the first impossible value in n as a *setting.Error whose
// key is the setting's YAML key within the section ("hidden[1]",
// "activation", "lr_max").
func (n NetConfig) Validate() error { return n.validate("") }

// validate is Validate with the keys in the section key.
func (n NetConfig) validate(key string) error {
	if err := validHidden(joinKey(key, "hidden"), n.Hidden); err != nil {
		return err
	}
	if a := n.Activation; !a.Valid() || a == mlp.ReLU {
		return &setting.Error{Key: joinKey(key, "activation"), Value: a, Want: "silu, softplus or tanh (relu's second derivative vanishes)"}
	}
	return n.TrainRecipe.validate(key)
}

// Validate reports the first impossible value in r as a *setting.Error whose
// key is the setting's YAML key within the recipe ("epochs", "lr_max").
func (r TrainRecipe) Validate() error { return r.validate("") }

// validate is Validate with the keys in the section key.
func (r TrainRecipe) validate(key string) error {
	bad := func(name string, v any, want string) error {
		return &setting.Error{Key: joinKey(key, name), Value: v, Want: want}
	}
	switch {
	case r.Epochs < 1:
		return bad("epochs", r.Epochs, "at least 1")
	case r.BatchSize < 1:
		return bad("batch_size", r.BatchSize, "at least 1 sample")
	case !(r.LRMax > 0) || !finite(r.LRMax):
		return bad("lr_max", r.LRMax, "a finite learning rate > 0")
	case !(r.LRMin > 0) || r.LRMin > r.LRMax:
		return &setting.Error{Key: joinKey(key, "lr_min"), Value: r.LRMin, Want: "a learning rate > 0 and ≤",
			Bound: joinKey(key, "lr_max"), BoundValue: r.LRMax}
	case !r.Schedule.Valid():
		return bad("schedule", r.Schedule, setting.Want(new(mlp.ScheduleKind)))
	case r.HVPDirections < 0:
		return bad("hvp_directions", r.HVPDirections, "a number ≥ 0")
	case !(r.HVPWeight >= 0) || !finite(r.HVPWeight):
		return bad("hvp_weight", r.HVPWeight, "a finite weight ≥ 0")
	case !r.HVPKind.Valid():
		return bad("hvp_kind", r.HVPKind, setting.Want(new(mlp.HVPDirections)))
	case !(r.ValFraction >= 0 && r.ValFraction < 1):
		return bad("val_fraction", r.ValFraction, "a fraction ≥ 0 and < 1")
	case r.RestoreBest && r.ValFraction == 0:
		return bad("restore_best", r.RestoreBest, "false without a validation split (val_fraction > 0)")
	}
	return nil
}

// Validate reports the first impossible value in p as a *setting.Error whose
// key is the setting's YAML key within the recipe ("boxes", "box_radius").
// Keep and KeepPerLayer are only checked against the quota and to be
// positive here: how many nodes can be kept depends on the net
// (Config.Validate checks them against the large net, prune.Select against
// any net).
func (p PruneConfig) Validate() error { return p.validate("") }

// validate is Validate with the keys in the section key.
func (p PruneConfig) validate(key string) error {
	bad := func(name string, v any, want string) error {
		return &setting.Error{Key: joinKey(key, name), Value: v, Want: want}
	}
	switch {
	case !p.Quota.Valid():
		return bad("quota", p.Quota, setting.Want(new(prune.Quota)))
	case p.Quota == prune.QuotaPerLayer && len(p.KeepPerLayer) == 0:
		return bad("keep_per_layer", p.KeepPerLayer, "a count per hidden layer with quota per-layer")
	case p.Quota != prune.QuotaPerLayer && len(p.KeepPerLayer) > 0:
		return bad("keep_per_layer", p.KeepPerLayer, "no counts with quota "+p.Quota.String()+" (it splits keep)")
	case p.Quota != prune.QuotaPerLayer && p.Keep < 1:
		return bad("keep", p.Keep, "at least 1 node")
	case !p.Criterion.Valid():
		return bad("criterion", p.Criterion, setting.Want(new(prune.Criterion)))
	case !p.Method.Valid():
		return bad("method", p.Method, setting.Want(new(iasa.Method)))
	case !p.Combine.Valid():
		return bad("combine", p.Combine, setting.Want(new(iasa.Combine)))
	case p.Boxes < 1:
		return bad("boxes", p.Boxes, "at least 1")
	case !(p.BoxRadius > 0) || !finite(p.BoxRadius):
		return bad("box_radius", p.BoxRadius, "a finite half-width > 0")
	case !p.Fold.Valid():
		return bad("fold", p.Fold, setting.Want(new(prune.Fold)))
	case p.Fold == prune.FoldMidpoint && !p.Criterion.IASA():
		return bad("fold", p.Fold, "mean or zero with criterion "+p.Criterion.String()+" (midpoint is the midpoint of IASA's enclosure)")
	}
	for i, k := range p.KeepPerLayer {
		if k < 1 {
			return bad(fmt.Sprintf("keep_per_layer[%d]", i), k, "at least 1 node")
		}
	}
	return nil
}

func validHidden(key string, h []int) error {
	if len(h) == 0 {
		return &setting.Error{Key: key, Value: h, Want: "at least one hidden layer"}
	}
	for i, w := range h {
		if w < 1 {
			return &setting.Error{Key: fmt.Sprintf("%s[%d]", key, i), Value: w, Want: "a width ≥ 1"}
		}
	}
	return nil
}

// ValidateFor reports, as Validate does, the first impossible value of p
// for pruning net: also Keep or KeepPerLayer, as the quota uses them, that
// do not fit net's hidden widths. PruneModel calls it.
func (p PruneConfig) ValidateFor(net *mlp.Network) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return p.validateFor("", net.Hidden())
}

// validateFor checks Keep or KeepPerLayer, as the quota uses them, against
// the hidden widths of the net to prune; keys are in the section key.
func (p PruneConfig) validateFor(key string, hidden []int) error {
	if p.Quota == prune.QuotaPerLayer {
		per := p.KeepPerLayer
		if len(per) != len(hidden) {
			return &setting.Error{Key: joinKey(key, "keep_per_layer"), Value: per,
				Want: fmt.Sprintf("%d counts, one per hidden layer of the net", len(hidden))}
		}
		for l, k := range per {
			if k > hidden[l] {
				return &setting.Error{Key: fmt.Sprintf("%s[%d]", joinKey(key, "keep_per_layer"), l), Value: k,
					Want: fmt.Sprintf("at most %d (the width of hidden layer %d)", hidden[l], l+1)}
			}
		}
		return nil
	}
	if keep := p.Keep; keep < len(hidden) || keep > sum(hidden) {
		return &setting.Error{Key: joinKey(key, "keep"), Value: keep,
			Want: fmt.Sprintf("between %d (one node per hidden layer) and %d (the net's hidden nodes)", len(hidden), sum(hidden))}
	}
	return nil
}

func sum(h []int) int {
	s := 0
	for _, w := range h {
		s += w
	}
	return s
}

// scratchHidden returns the hidden widths of the from-scratch control:
// Scratch, or the shape of the pruned net.
func (c Config) scratchHidden(pruned *mlp.Network) []int {
	if len(c.Scratch) > 0 {
		return c.Scratch
	}
	return pruned.Hidden()
}

// validateHeston reports the first impossible setting of c.Heston as
// heston.DataConfig.Validate does, with the key in the section "heston": an
// interval of the box is keyed by its place, "heston.box[1]" for v₀.
func (c Config) validateHeston() error {
	err := c.hestonConfig().Validate()
	var se *setting.Error
	if !errors.As(err, &se) {
		return err
	}
	e := *se
	e.Key = joinKey("heston", se.Key)
	for j, name := range heston.InputNames() {
		if se.Key == name {
			e.Key = fmt.Sprintf("heston.box[%d]", j)
		}
	}
	if e.Bound != "" {
		e.Bound = joinKey("heston", se.Bound)
	}
	return &e
}

// hestonConfig returns the Heston data folder of a run of c.
func (c Config) hestonConfig() heston.DataConfig {
	h := c.Heston
	return heston.DataConfig{Params: h.Params, Box: h.Box, TrainOptions: h.TrainOptions, Seed: c.Seed, Train: c.Train, Test: c.Test}
}

// Inputs returns the number of inputs of the run's models: Dims for the
// Bachelier pricer, heston.Inputs (4) for Heston.
func (c Config) Inputs() int {
	if c.Pricer == PricerHeston {
		return heston.Inputs
	}
	return c.Dims
}

// GammaDirection returns the direction v of the run's gamma vᵀHv, the
// test set's gamma label: nil (the all-ones vector, 1ᵀH1) for the Bachelier
// pricer, e₀ = (1, 0, 0, 0) for Heston, whose gamma is ∂²V/∂S₀². It is also
// the first direction of the second-order labels of the fine-tuning.
func (c Config) GammaDirection() []float64 {
	if c.Pricer == PricerHeston {
		return c.hestonConfig().Spec().GammaDirection
	}
	return nil
}

// recorded returns c as results.json records it: without the Heston
// section in a Bachelier run.
func (c Config) recorded() Config {
	if c.Pricer != PricerHeston {
		c.Heston = HestonConfig{}
	}
	return c
}

// dataConfig returns the data folder of a run of c.
func (c Config) dataConfig() bachelier.DataConfig {
	return bachelier.DataConfig{Dims: c.Dims, Seed: c.Seed, Baskets: c.Baskets, Train: c.Train, Test: c.Test, Smoothing: c.Smoothing}
}

// TotalEpochs returns the number of training epochs of a run of c, over all
// stages (the large nets, the fine-tuned and scratch nets thrice).
func (c Config) TotalEpochs() int {
	return c.Large.Epochs + c.LargeMSE.Epochs + 3*c.Finetune.Epochs
}
