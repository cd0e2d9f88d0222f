package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"gopkg.in/yaml.v3"

	"github.com/sobolev-pruning/sobolev/mlp"
)

// Config is the whole configuration of one experiment. The zero value is not
// useful; start from Default or Quick and override fields, or read a YAML file
// with LoadConfig. Field names in YAML are the snake_case tags below.
type Config struct {
	// Dims is the number of assets n of the Bachelier basket (method.md §2).
	Dims int `yaml:"dims" json:"dims"`
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

	// Large is the recipe of the large nets (MSE and Sobolev).
	Large NetConfig `yaml:"large" json:"large"`
	// Prune is the IASA pruning recipe.
	Prune PruneConfig `yaml:"prune" json:"prune"`
	// Finetune is the recipe of the pruned net's fine-tuning.
	Finetune TrainRecipe `yaml:"finetune" json:"finetune"`
	// Scratch is the hidden widths of the control net trained from scratch with
	// the fine-tuning recipe; it has as many hidden nodes as the pruned net.
	Scratch []int `yaml:"scratch_hidden" json:"scratch_hidden"`
}

// NetConfig is an architecture with its training recipe.
type NetConfig struct {
	// Hidden lists the hidden layer widths.
	Hidden []int `yaml:"hidden" json:"hidden"`
	// Activation is "silu" (default), "softplus" or "tanh".
	Activation  string `yaml:"activation" json:"activation"`
	TrainRecipe `yaml:",inline"`
}

// TrainRecipe holds the optimiser, schedule and loss settings of one training.
type TrainRecipe struct {
	Epochs    int `yaml:"epochs" json:"epochs"`
	BatchSize int `yaml:"batch_size" json:"batch_size"`
	// LRMax and LRMin bound the learning-rate schedule.
	LRMax float64 `yaml:"lr_max" json:"lr_max"`
	LRMin float64 `yaml:"lr_min" json:"lr_min"`
	// Schedule is "cosine", "exponential", "onecycle" or "constant" (see
	// mlp.ScheduleKind).
	Schedule string `yaml:"schedule" json:"schedule"`
	// Teacher uses the large Sobolev net's value and gradient as labels
	// (fine-tuning only).
	Teacher bool `yaml:"teacher" json:"teacher"`
	// HVPDirections is the number of random directions, besides the all-ones
	// vector, along which the teacher's Hessian-vector products are labels; 0
	// with HVPWeight 0 switches the second-order term off.
	HVPDirections int `yaml:"hvp_directions" json:"hvp_directions"`
	// HVPKind chooses those directions: "random" (Gaussian) or "principal"
	// (the leading principal directions of the teacher's gradients over the
	// training inputs).
	HVPKind string `yaml:"hvp_kind" json:"hvp_kind"`
	// HVPWeight is the weight of the second-order term relative to the mean
	// gradient weight λ̄ (method.md §4: 0.1).
	HVPWeight float64 `yaml:"hvp_weight" json:"hvp_weight"`
}

// PruneConfig is the IASA recipe (method.md §5).
type PruneConfig struct {
	// Keep is the total number of hidden nodes kept (global ranking, at least
	// one per layer).
	Keep int `yaml:"keep" json:"keep"`
	// Quota is "even" (Keep split evenly over the hidden layers, ranking
	// within each layer; the first layers get the remainder) or "global"
	// (the Keep most significant nodes over all layers, at least one per
	// layer: the authors' ranking).
	Quota string `yaml:"quota" json:"quota"`
	// Method is "quadratic" (second-order forms over the input symbols with
	// extra noise symbols for the largest errors, the default), "affine"
	// (affine forms over the input symbols), "zonotope" (full affine
	// arithmetic, slow) or "naive" (plain intervals), each on the same boxes
	// (see package iasa).
	Method string `yaml:"method" json:"method"`
	// Combine merges a node's per-box significances: "max" or "mean".
	Combine string `yaml:"combine" json:"combine"`
	// Boxes is the number of small boxes around training points, BoxRadius
	// their half-width in standard deviations of each input.
	Boxes     int     `yaml:"boxes" json:"boxes"`
	BoxRadius float64 `yaml:"box_radius" json:"box_radius"`
	// Fold is the constant a removed node is replaced by: "mean" (mean
	// activation over the training data), "midpoint" or "zero".
	Fold string `yaml:"fold" json:"fold"`
}

// Default returns the default experiment of method.md: n = 7, 8192 training
// and 4096 test points, a 6 × 128 SiLU net pruned to 48 hidden nodes.
func Default() Config {
	return Config{
		Dims:      7,
		Train:     8192,
		Test:      4096,
		Seed:      0,
		Smoothing: 0.015,
		Large: NetConfig{
			Hidden:     []int{128, 128, 128, 128, 128, 128},
			Activation: "silu",
			TrainRecipe: TrainRecipe{
				Epochs: 30, BatchSize: 256, LRMax: 1e-3, LRMin: 1e-5, Schedule: "cosine",
			},
		},
		Prune: PruneConfig{Keep: 48, Quota: "even", Method: "quadratic", Combine: "max", Boxes: 256, BoxRadius: 0.05, Fold: "mean"},
		Finetune: TrainRecipe{
			Epochs: 400, BatchSize: 256, LRMax: 1e-2, LRMin: 1e-5, Schedule: "cosine",
			Teacher: false, HVPDirections: 2, HVPKind: "random", HVPWeight: 0.5,
		},
		Scratch: []int{8, 8, 8, 8, 8, 8},
	}
}

// Quick returns a smaller version of Default for trying the tool out: fewer
// samples and epochs, same stages.
func Quick() Config {
	c := Default()
	c.Train = 4096
	c.Test = 2048
	c.Large.Hidden = []int{64, 64, 64, 64}
	c.Large.Epochs = 60
	c.Prune.Keep = 32
	c.Prune.Boxes = 64
	c.Finetune.Epochs = 120
	c.Scratch = []int{8, 8, 8, 8}
	return c
}

// LoadConfig reads a YAML file over base: keys present in the file replace
// base's values, others keep them. Unknown keys are an error.
func LoadConfig(path string, base Config) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return base, fmt.Errorf("config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	c := base
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return base, fmt.Errorf("config: %s: %v", path, err)
	}
	if err := c.Validate(); err != nil {
		return base, fmt.Errorf("config: %s: %v", path, err)
	}
	return c, nil
}

// Validate reports the first impossible value in c, naming its YAML key.
func (c Config) Validate() error {
	switch {
	case c.Dims < 1:
		return fmt.Errorf("dims = %d, want ≥ 1", c.Dims)
	case c.Train < 2:
		return fmt.Errorf("train = %d, want ≥ 2 samples", c.Train)
	case c.Test < 2:
		return fmt.Errorf("test = %d, want ≥ 2 points", c.Test)
	case !(c.Smoothing >= 0) || math.IsInf(c.Smoothing, 0):
		return fmt.Errorf("smoothing = %v, want a finite width ≥ 0", c.Smoothing)
	}
	if err := c.Large.validate("large"); err != nil {
		return err
	}
	if err := c.Finetune.validate("finetune"); err != nil {
		return err
	}
	if err := validHidden("scratch_hidden", c.Scratch); err != nil {
		return err
	}
	p := c.Prune
	switch {
	case p.Keep < len(c.Large.Hidden):
		return fmt.Errorf("prune.keep = %d, want ≥ %d (one node per hidden layer)", p.Keep, len(c.Large.Hidden))
	case p.Keep > sum(c.Large.Hidden):
		return fmt.Errorf("prune.keep = %d, want ≤ %d (the large net's hidden nodes)", p.Keep, sum(c.Large.Hidden))
	case p.Quota != "even" && p.Quota != "global":
		return fmt.Errorf("prune.quota = %q, want even or global", p.Quota)
	case p.Method != "quadratic" && p.Method != "affine" && p.Method != "zonotope" && p.Method != "naive":
		return fmt.Errorf("prune.method = %q, want quadratic, affine, zonotope or naive", p.Method)
	case p.Combine != "max" && p.Combine != "mean":
		return fmt.Errorf("prune.combine = %q, want max or mean", p.Combine)
	case p.Boxes < 1:
		return fmt.Errorf("prune.boxes = %d, want ≥ 1", p.Boxes)
	case !(p.BoxRadius > 0):
		return fmt.Errorf("prune.box_radius = %v, want > 0", p.BoxRadius)
	case p.Fold != "mean" && p.Fold != "midpoint" && p.Fold != "zero":
		return fmt.Errorf("prune.fold = %q, want mean, midpoint or zero", p.Fold)
	}
	return nil
}

func (n NetConfig) validate(key string) error {
	if err := validHidden(key+".hidden", n.Hidden); err != nil {
		return err
	}
	switch n.Activation {
	case "silu", "softplus", "tanh":
	default:
		return fmt.Errorf("%s.activation = %q, want silu, softplus or tanh", key, n.Activation)
	}
	return n.TrainRecipe.validate(key)
}

func (r TrainRecipe) validate(key string) error {
	switch {
	case r.Epochs < 1:
		return fmt.Errorf("%s.epochs = %d, want ≥ 1", key, r.Epochs)
	case r.BatchSize < 1:
		return fmt.Errorf("%s.batch_size = %d, want ≥ 1", key, r.BatchSize)
	case !(r.LRMax > 0) || !(r.LRMin > 0) || r.LRMin > r.LRMax:
		return fmt.Errorf("%s: lr_min = %v, lr_max = %v, want 0 < lr_min ≤ lr_max", key, r.LRMin, r.LRMax)
	case r.HVPDirections < 0:
		return fmt.Errorf("%s.hvp_directions = %d, want ≥ 0", key, r.HVPDirections)
	case r.HVPWeight < 0:
		return fmt.Errorf("%s.hvp_weight = %v, want ≥ 0", key, r.HVPWeight)
	}
	if r.HVPKind != "" && r.HVPKind != "random" && r.HVPKind != "principal" {
		return fmt.Errorf("%s.hvp_kind = %q, want random or principal", key, r.HVPKind)
	}
	if _, err := mlp.ParseScheduleKind(r.Schedule); err != nil {
		return fmt.Errorf("%s.schedule = %q, want cosine, exponential, onecycle or constant", key, r.Schedule)
	}
	return nil
}

func validHidden(key string, h []int) error {
	if len(h) == 0 {
		return fmt.Errorf("%s is empty, want at least one hidden layer", key)
	}
	for i, w := range h {
		if w < 1 {
			return fmt.Errorf("%s[%d] = %d, want ≥ 1", key, i, w)
		}
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

// TotalEpochs returns the number of training epochs of a run of c, over all
// stages (the large nets twice, the fine-tuned and scratch nets thrice).
func (c Config) TotalEpochs() int {
	return 2*c.Large.Epochs + 3*c.Finetune.Epochs
}
