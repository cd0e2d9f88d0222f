package study

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sobolev-pruning/sobolev/heston"
	"github.com/sobolev-pruning/sobolev/pipeline"
	"github.com/sobolev-pruning/sobolev/prune"
	"github.com/sobolev-pruning/sobolev/setting"
)

// Config is a study: a grid of cells and the recipes every cell shares. The
// grid is Problems × Seeds × (Criteria + the scratch control) × Sizes; each
// cell is evaluated at every fine-tuning epoch of Checkpoints. Field names
// in YAML are the snake_case tags below; start from a preset (Quick,
// Default, Full) and override fields, or read a file with LoadConfig.
type Config struct {
	// Problems are the reference problems, e.g. bachelier-k4-n30 (Problem).
	Problems []Problem `yaml:"problems" json:"problems"`
	// Seeds is the number of seeds 0, 1, …, Seeds−1; a seed draws the
	// problem's model and data, the large net's initialisation and every
	// random choice of its cells.
	Seeds int `yaml:"seeds" json:"seeds"`
	// Criteria are the pruning criteria compared (package prune).
	Criteria []prune.Criterion `yaml:"criteria" json:"criteria"`
	// Sizes are the numbers of hidden nodes kept, each a cell.
	Sizes []int `yaml:"sizes" json:"sizes"`
	// Scratch adds, at every problem, seed and size, the control net of
	// the pruned shape trained from scratch with the fine-tuning recipe.
	Scratch bool `yaml:"scratch" json:"scratch"`
	// Checkpoints are the fine-tuning epochs, in increasing order, after
	// which a cell is evaluated; 0 is the pruned net before fine-tuning and
	// the last is the fine-tuning budget (Finetune.Epochs is set to it).
	Checkpoints []int `yaml:"checkpoints" json:"checkpoints"`
	// Train and Test are the numbers of training samples (one Monte Carlo
	// path each) and of analytic test points of every problem and seed.
	Train int `yaml:"train" json:"train"`
	Test  int `yaml:"test" json:"test"`
	// Smoothing is the payoff smoothing width of the training labels (spot
	// units), as in pipeline.Config.
	Smoothing float64 `yaml:"smoothing" json:"smoothing"`
	// Large is the large net and its Sobolev training recipe.
	Large pipeline.NetConfig `yaml:"large" json:"large"`
	// Prune holds the pruning settings every cell shares (quota, fold and
	// IASA's boxes and method); its Keep and Criterion are the cell's.
	Prune pipeline.PruneConfig `yaml:"prune" json:"prune"`
	// Finetune is the fine-tuning recipe of the pruned nets and of the
	// scratch control; its Epochs is the last checkpoint.
	Finetune pipeline.TrainRecipe `yaml:"finetune" json:"finetune"`
}

// Problem is a reference problem of a study, written bachelier-kK-nN, the
// Bachelier portfolio of K basket calls on N assets (bachelier-k1-n7 is the
// basket of method.md §2), or heston, the call under Heston of package heston
// (4 inputs, its default parameters and box; gamma is ∂²V/∂S₀²).
type Problem struct {
	Pricer  string
	Baskets int
	Dims    int
}

// Heston is the heston problem.
var Heston = Problem{Pricer: "heston", Dims: heston.Inputs}

// String returns the problem's name, e.g. "bachelier-k4-n30" or "heston".
func (p Problem) String() string {
	if p.Pricer == "heston" {
		return p.Pricer
	}
	return fmt.Sprintf("%s-k%d-n%d", p.Pricer, p.Baskets, p.Dims)
}

// MarshalText returns the problem's name.
func (p Problem) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText reads heston or a name of the form bachelier-kK-nN with
// K ≥ 1 baskets and N ≥ 1 assets.
func (p *Problem) UnmarshalText(text []byte) error {
	s := string(text)
	if s == Heston.String() {
		*p = Heston
		return nil
	}
	parts := strings.Split(s, "-")
	bad := &setting.Error{Key: "problem", Value: s, Want: "bachelier-kK-nN, e.g. bachelier-k4-n30 (K baskets on N assets), or heston"}
	if len(parts) != 3 || parts[0] != "bachelier" || !strings.HasPrefix(parts[1], "k") || !strings.HasPrefix(parts[2], "n") {
		return bad
	}
	k, err1 := strconv.Atoi(parts[1][1:])
	n, err2 := strconv.Atoi(parts[2][1:])
	if err1 != nil || err2 != nil || k < 1 || n < 1 {
		return bad
	}
	*p = Problem{Pricer: parts[0], Baskets: k, Dims: n}
	return nil
}

// AllCriteria lists every pruning criterion a study can compare.
func AllCriteria() []prune.Criterion {
	return []prune.Criterion{prune.ByIASA, prune.ByIASAPlain, prune.ByMagnitude, prune.ByRandom, prune.ByTaylor, prune.ByOBD, prune.BySobolevTaylor}
}

// Default returns the default study of issue 12: the basket on n = 7 assets
// with 1, 4 and 16 baskets and on n = 30 with 4, 5 seeds, every criterion,
// 48, 24 and 12 of the 768 hidden nodes kept, the scratch control, and the
// large nets and fine-tuning of pipeline.Default, evaluated after 0, 1, 3, 7
// and 15 passes of fine-tuning.
func Default() Config {
	run := pipeline.Default()
	return Config{
		Problems: []Problem{
			{"bachelier", 1, 7}, {"bachelier", 4, 7}, {"bachelier", 16, 7}, {"bachelier", 4, 30},
		},
		Seeds:       5,
		Criteria:    AllCriteria(),
		Sizes:       []int{48, 24, 12},
		Scratch:     true,
		Checkpoints: []int{0, 1, 3, 7, 15},
		Train:       run.Train,
		Test:        run.Test,
		Smoothing:   run.Smoothing,
		Large:       run.Large,
		Prune:       run.Prune,
		Finetune:    run.Finetune,
	}
}

// Quick returns a tiny study for trying the tool and for tests: one problem
// with two baskets on 5 assets, two seeds, three criteria, small nets and
// data; well under a minute on 2 cores.
func Quick() Config {
	c := Default()
	c.Problems = []Problem{{"bachelier", 2, 5}}
	c.Seeds = 2
	c.Criteria = []prune.Criterion{prune.ByIASA, prune.ByMagnitude, prune.ByRandom}
	c.Sizes = []int{12, 6}
	c.Checkpoints = []int{0, 10, 30}
	c.Train, c.Test = 8192, 1024
	c.Large.Hidden = []int{32, 32, 32}
	c.Large.Epochs = 30
	c.Prune.Boxes = 32
	return c
}

// Full returns the cluster-sized study: Default plus the basket portfolio of
// 64 baskets on n = 100 assets, kept sizes 384, 192 and 96 besides Default's,
// and 10 seeds.
func Full() Config {
	c := Default()
	c.Problems = append(c.Problems, Problem{"bachelier", 64, 100})
	c.Sizes = []int{384, 192, 96, 48, 24, 12}
	c.Seeds = 10
	return c
}

// Preset names a built-in study: quick (Quick), default (Default) or full
// (Full).
type Preset int

const (
	PresetDefault Preset = iota
	PresetQuick
	PresetFull
)

var presetNames = [...]string{PresetDefault: "default", PresetQuick: "quick", PresetFull: "full"}

// String returns the preset's name.
func (p Preset) String() string { return setting.String("Preset", presetNames[:], int(p)) }

// MarshalText returns the preset's name.
func (p Preset) MarshalText() ([]byte, error) {
	return setting.Marshal("Preset", presetNames[:], int(p))
}

// UnmarshalText reads "default", "quick" or "full".
func (p *Preset) UnmarshalText(text []byte) error {
	return setting.Unmarshal(p, "preset", presetNames[:], text)
}

// Config returns the preset's study.
func (p Preset) Config() Config {
	switch p {
	case PresetQuick:
		return Quick()
	case PresetFull:
		return Full()
	}
	return Default()
}

// LoadConfig reads a YAML study file over base: keys present in the file
// replace base's values, others keep them. Unknown keys and values Validate
// refuses are errors naming the key.
func LoadConfig(path string, base Config) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return base, fmt.Errorf("study config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	c := base
	// Lists replace the base's lists rather than merging into them.
	c.Problems, c.Criteria, c.Sizes, c.Checkpoints = nil, nil, nil, nil
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return base, fmt.Errorf("study config: %s: %v", path, err)
	}
	keepList(&c.Problems, base.Problems)
	keepList(&c.Criteria, base.Criteria)
	keepList(&c.Sizes, base.Sizes)
	keepList(&c.Checkpoints, base.Checkpoints)
	if err := c.Validate(); err != nil {
		return base, fmt.Errorf("study config: %s: %w", path, err)
	}
	return c, nil
}

// keepList sets *dst to base if the file did not set it.
func keepList[T any](dst *[]T, base []T) {
	if *dst == nil {
		*dst = base
	}
}

// Validate reports the first impossible value of c as a *setting.Error
// naming its key.
func (c Config) Validate() error {
	bad := func(key string, v any, want string) error { return &setting.Error{Key: key, Value: v, Want: want} }
	switch {
	case len(c.Problems) == 0:
		return bad("problems", "none", "at least one problem, e.g. bachelier-k1-n7")
	case c.Seeds < 1:
		return bad("seeds", c.Seeds, "at least 1 seed")
	case len(c.Criteria) == 0 && !c.Scratch:
		return bad("criteria", "none", "at least one criterion, or scratch: true")
	case len(c.Sizes) == 0:
		return bad("sizes", "none", "at least one number of kept hidden nodes")
	case len(c.Checkpoints) == 0:
		return bad("checkpoints", "none", "at least one fine-tuning epoch, e.g. [0, 10, 40]")
	case c.Train < 1:
		return bad("train", c.Train, "at least 1 training sample")
	case c.Test < 2:
		return bad("test", c.Test, "at least 2 test points (R² needs a spread)")
	}
	for i, p := range c.Problems {
		if p != Heston && (p.Pricer != "bachelier" || p.Baskets < 1 || p.Dims < 1) {
			return bad(fmt.Sprintf("problems[%d]", i), p.String(), "bachelier-kK-nN with K, N ≥ 1, or heston")
		}
		if slices.Index(c.Problems, p) != i {
			return bad(fmt.Sprintf("problems[%d]", i), p.String(), "each problem once")
		}
	}
	for i, cr := range c.Criteria {
		if !cr.Valid() {
			return bad(fmt.Sprintf("criteria[%d]", i), int(cr), "a pruning criterion")
		}
		if slices.Index(c.Criteria, cr) != i {
			return bad(fmt.Sprintf("criteria[%d]", i), cr.String(), "each criterion once")
		}
	}
	large := 0
	for _, w := range c.Large.Hidden {
		large += w
	}
	for i, s := range c.Sizes {
		if s < len(c.Large.Hidden) || s > large {
			return bad(fmt.Sprintf("sizes[%d]", i), s, fmt.Sprintf("a number of hidden nodes in [%d, %d] (one per layer up to the large net's %d)", len(c.Large.Hidden), large, large))
		}
		if slices.Index(c.Sizes, s) != i {
			return bad(fmt.Sprintf("sizes[%d]", i), s, "each size once")
		}
	}
	for i, e := range c.Checkpoints {
		if e < 0 || (i > 0 && e <= c.Checkpoints[i-1]) {
			return bad(fmt.Sprintf("checkpoints[%d]", i), e, "epochs ≥ 0 in increasing order")
		}
	}
	if !(c.Smoothing >= 0) {
		return bad("smoothing", c.Smoothing, "a width ≥ 0")
	}
	if err := c.Large.Validate(); err != nil {
		return prefix("large", err)
	}
	if err := c.runConfig(c.Problems[0], 0).Validate(); err != nil {
		return err
	}
	return nil
}

// prefix puts key in front of the key of a *setting.Error.
func prefix(key string, err error) error {
	var e *setting.Error
	if errors.As(err, &e) {
		c := *e
		c.Key = key + "." + e.Key
		return &c
	}
	return err
}

// runConfig returns the pipeline configuration of problem p with seed: the
// data, large net, pruning and fine-tuning settings of c. Its Prune.Keep is
// the first size; a cell sets its own.
func (c Config) runConfig(p Problem, seed uint64) pipeline.Config {
	r := pipeline.Default()
	r.Dims, r.Baskets, r.Seed = p.Dims, p.Baskets, seed
	r.Train, r.Test, r.Smoothing = c.Train, c.Test, c.Smoothing
	if p == Heston {
		r.Pricer = pipeline.PricerHeston
		r.Heston.Smoothing = c.Smoothing
	}
	r.Large = c.Large
	r.Prune = c.Prune
	r.Prune.Keep = c.Sizes[0]
	r.Finetune = c.Finetune
	r.Finetune.Epochs = max(1, c.Checkpoints[len(c.Checkpoints)-1])
	return r
}
