package study

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/sobolev-pruning/sobolev/setting"
)

// Scratch is the Method of the from-scratch control cells.
const Scratch = "scratch"

// Large identifies a large net of a study: one per problem and seed.
type Large struct {
	Problem Problem `json:"problem"`
	Seed    uint64  `json:"seed"`
}

// ID returns the large net's name, e.g. "bachelier-k4-n30-s2", which names
// its file.
func (l Large) ID() string { return fmt.Sprintf("%s-s%d", l.Problem, l.Seed) }

// Cell is one point of a study's grid: the large net of Problem and Seed
// pruned to Size hidden nodes by the criterion Method and fine-tuned, or,
// with Method Scratch, the control of Size nodes trained from scratch.
type Cell struct {
	Problem Problem `json:"problem"`
	Seed    uint64  `json:"seed"`
	Method  string  `json:"method"`
	Size    int     `json:"size"`
}

// ID returns the cell's name, e.g. "bachelier-k4-n30-s2-iasa-48", which
// names its result file.
func (c Cell) ID() string { return fmt.Sprintf("%s-s%d-%s-%d", c.Problem, c.Seed, c.Method, c.Size) }

// Large returns the large net the cell starts from (or is distilled from,
// for the scratch control).
func (c Cell) Large() Large { return Large{c.Problem, c.Seed} }

// Larges returns the large nets of c in grid order: problems, then seeds.
func (c Config) Larges() []Large {
	var ls []Large
	for _, p := range c.Problems {
		for s := range c.Seeds {
			ls = append(ls, Large{p, uint64(s)})
		}
	}
	return ls
}

// Methods returns the methods of c's cells: the criteria's names, then
// Scratch if c.Scratch.
func (c Config) Methods() []string {
	var ms []string
	for _, cr := range c.Criteria {
		ms = append(ms, cr.String())
	}
	if c.Scratch {
		ms = append(ms, Scratch)
	}
	return ms
}

// Cells returns the cells of c in grid order: problems, seeds, methods,
// sizes.
func (c Config) Cells() []Cell {
	var cells []Cell
	for _, l := range c.Larges() {
		for _, m := range c.Methods() {
			for _, s := range c.Sizes {
				cells = append(cells, Cell{l.Problem, l.Seed, m, s})
			}
		}
	}
	return cells
}

// Shard is the part i of N of a study's work (0 ≤ I < N): the large nets and
// the cells whose index in grid order is I modulo N. The zero value and 0/1
// are the whole study.
type Shard struct {
	I, N int
}

// String returns "I/N".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.I, max(s.N, 1)) }

// has reports whether the item at index k of grid order is in s.
func (s Shard) has(k int) bool { return s.N <= 1 || k%s.N == s.I }

// ParseShard reads "i/N" with 0 ≤ i < N.
func ParseShard(text string) (Shard, error) {
	bad := &setting.Error{Key: "shard", Value: text, Want: "i/N with 0 ≤ i < N, e.g. 0/3, or auto"}
	a, b, ok := strings.Cut(text, "/")
	if !ok {
		return Shard{}, bad
	}
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return Shard{}, bad
	}
	return Shard{i, n}, nil
}

// AutoShard returns the shard of this task of a job array: from Slurm's
// SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT, or else from Kubernetes'
// JOB_COMPLETION_INDEX with count tasks (count ≤ 0: from the environment
// variable SOBOLEV_SHARD_COUNT). getenv is os.Getenv in production.
func AutoShard(getenv func(string) string, count int) (Shard, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if id := getenv("SLURM_ARRAY_TASK_ID"); id != "" {
		n := getenv("SLURM_ARRAY_TASK_COUNT")
		s, err := ParseShard(id + "/" + n)
		if err != nil {
			return Shard{}, fmt.Errorf("shard auto: SLURM_ARRAY_TASK_ID=%q and SLURM_ARRAY_TASK_COUNT=%q do not give a task i of N (submit with --array=0-N-1)", id, n)
		}
		return s, nil
	}
	if id := getenv("JOB_COMPLETION_INDEX"); id != "" {
		n := strconv.Itoa(count)
		if count <= 0 {
			n = getenv("SOBOLEV_SHARD_COUNT")
			if n == "" {
				return Shard{}, fmt.Errorf("shard auto: JOB_COMPLETION_INDEX=%s but no task count: pass --shard-count N or set SOBOLEV_SHARD_COUNT to the Job's completions", id)
			}
		}
		s, err := ParseShard(id + "/" + n)
		if err != nil {
			return Shard{}, fmt.Errorf("shard auto: JOB_COMPLETION_INDEX=%q with %s tasks is not a task i of N", id, n)
		}
		return s, nil
	}
	return Shard{}, fmt.Errorf("shard auto: neither SLURM_ARRAY_TASK_ID (Slurm job array) nor JOB_COMPLETION_INDEX (Kubernetes Indexed Job) is set; give --shard i/N")
}

// ShardLarges returns the large nets of c in shard s.
func (c Config) ShardLarges(s Shard) []Large {
	var out []Large
	for k, l := range c.Larges() {
		if s.has(k) {
			out = append(out, l)
		}
	}
	return out
}

// ShardCells returns the cells of c in shard s.
func (c Config) ShardCells(s Shard) []Cell {
	var out []Cell
	for k, cell := range c.Cells() {
		if s.has(k) {
			out = append(out, cell)
		}
	}
	return out
}
