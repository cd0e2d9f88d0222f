package main

import (
	"encoding"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sobolev-pruning/sobolev/prune"
	"github.com/sobolev-pruning/sobolev/study"
)

// studyFlags are the options of "sobolev study".
type studyFlags struct {
	config, out, shard string
	shardCount         int
	workers            int
	phase              study.Phase
	preset             study.Preset
	grid               study.Config // the flags of the grid, applied if set
}

func newStudyCmd() *cobra.Command {
	var f studyFlags
	def := study.Default()
	f.grid = def
	cmd := &cobra.Command{
		Use:   "study --out DIR",
		Short: "Run a grid of pruning experiments (criteria × sizes × problems × seeds), sharded or not",
		Long: `study answers "where does pruning pay?": for every problem, seed, pruning
criterion and kept size (a cell) it prunes the large net of the problem and seed,
fine-tunes the pruned net with the Sobolev loss and evaluates R², RMSE and
maximum error of value, deltas and gamma on the analytic test set before
fine-tuning and at every checkpoint epoch of one fine-tuning run. The control
net of the same size trained from scratch with the same loss is a cell of its
own (method "scratch").

It writes into --out:

  config.json          the study (every shard of one study must agree on it)
  large/<id>.onnx      the large Sobolev net of each problem and seed, and .json
                       with its scores
  cells/<id>.json      one file per cell: kept nodes, IASA over-estimation,
                       scores at each checkpoint

and "sobolev study merge DIR" combines them into cells.csv, summary.csv,
comparisons.csv, study.json and report.html.

The grid comes from --preset (default, quick: a tiny grid for trying it out,
full: the cluster-sized grid), then --config (a YAML file with the keys of
study.Config), then the flags below. Every file is written atomically and a
re-run skips the finished ones, so an interrupted study resumes where it
stopped. Work is split deterministically: --shard i/N runs every N-th large net
and cell from the i-th; --shard auto takes i and N from a Slurm job array
(SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT) or a Kubernetes Indexed Job
(JOB_COMPLETION_INDEX, with --shard-count or SOBOLEV_SHARD_COUNT). Results are
the same bit for bit however the study is sharded. --phase large trains only
the large nets; --phase cells needs them all (run --phase large on every shard
first); --phase all does both.`,
		Example: `  sobolev study --preset quick --out /tmp/study && sobolev study merge /tmp/study
  sobolev study --out study                       # the default grid: 38 min on 2 cores (fast build)
  sobolev study --config grid.yaml --out study --shard 0/4 --phase large
  sobolev study --problems bachelier-k1-n7 --criteria iasa,random --sizes 24 --seeds 3 --out s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, shard, err := f.resolve(cmd)
			if err != nil {
				return err
			}
			if f.out == "" {
				return fmt.Errorf("study: --out DIR is required (the study's folder)")
			}
			cells, larges := len(c.ShardCells(shard)), len(c.ShardLarges(shard))
			fmt.Fprintf(cmd.ErrOrStderr(), "study: shard %s: %d large nets, %d cells of %d, phase %s, into %s\n",
				shard, larges, cells, len(c.Cells()), f.phase, f.out)
			return study.Run(cmd.Context(), c, f.out, study.Options{Shard: shard, Phase: f.phase, Workers: f.workers, Log: cmd.ErrOrStderr()})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.out, "out", "", "the study's folder, created if missing (required)")
	fl.StringVar(&f.config, "config", "", "YAML file overriding the preset's study")
	textVar(fl, &f.preset, "preset", "built-in study that --config and the flags change (quick: a tiny grid; full: the cluster grid)")
	fl.StringVar(&f.shard, "shard", "", "run part i of N (i/N), or auto from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX")
	fl.IntVar(&f.shardCount, "shard-count", 0, "number of tasks of a Kubernetes Indexed Job, for --shard auto (or SOBOLEV_SHARD_COUNT)")
	textVar(fl, &f.phase, "phase", "all, large (the large nets only) or cells (the cells, whose large nets must exist)")
	fl.IntVar(&f.workers, "workers", 0, "cells run at once, one thread each (0: one per core); results do not depend on it")
	g := &f.grid
	fl.Var(listFlag[study.Problem]{&g.Problems}, "problems", "problems, e.g. bachelier-k1-n7,bachelier-k4-n30 (K baskets on N assets)")
	fl.IntVar(&g.Seeds, "seeds", def.Seeds, "number of seeds 0 … seeds−1")
	fl.Var(listFlag[prune.Criterion]{&g.Criteria}, "criteria", "pruning criteria compared, e.g. iasa,magnitude,random")
	fl.IntSliceVar(&g.Sizes, "sizes", def.Sizes, "numbers of hidden nodes kept")
	fl.IntSliceVar(&g.Checkpoints, "checkpoints", def.Checkpoints, "fine-tuning epochs at which the cells are evaluated (the last is the budget)")
	fl.BoolVar(&g.Scratch, "scratch", def.Scratch, "add the control trained from scratch at every size")
	fl.IntVar(&g.Train, "train", def.Train, "training samples of each problem and seed")
	fl.IntVar(&g.Test, "test", def.Test, "analytic test points")
	fl.Float64Var(&g.Smoothing, "smoothing", def.Smoothing, "payoff smoothing width of the training labels")
	fl.Var(widthsFlag{&g.Large.Hidden}, "large-hidden", "hidden widths of the large nets")
	fl.IntVar(&g.Large.Epochs, "large-epochs", def.Large.Epochs, "passes over the data of the large nets' training")
	cmd.AddCommand(newStudyMergeCmd())
	return cmd
}

// resolve returns the study of the preset, the config file and the flags
// given, and the shard.
func (f *studyFlags) resolve(cmd *cobra.Command) (study.Config, study.Shard, error) {
	c := f.preset.Config()
	if f.config != "" {
		var err error
		if c, err = study.LoadConfig(f.config, c); err != nil {
			return c, study.Shard{}, err
		}
	}
	fl := cmd.Flags()
	set := func(name string, apply func()) {
		if fl.Changed(name) {
			apply()
		}
	}
	g := f.grid
	set("problems", func() { c.Problems = g.Problems })
	set("seeds", func() { c.Seeds = g.Seeds })
	set("criteria", func() { c.Criteria = g.Criteria })
	set("sizes", func() { c.Sizes = g.Sizes })
	set("checkpoints", func() { c.Checkpoints = g.Checkpoints })
	set("scratch", func() { c.Scratch = g.Scratch })
	set("train", func() { c.Train = g.Train })
	set("test", func() { c.Test = g.Test })
	set("smoothing", func() { c.Smoothing = g.Smoothing })
	set("large-hidden", func() { c.Large.Hidden = g.Large.Hidden })
	set("large-epochs", func() { c.Large.Epochs = g.Large.Epochs })
	if err := c.Validate(); err != nil {
		return c, study.Shard{}, flagError(err, studyFlag)
	}
	var shard study.Shard
	var err error
	switch f.shard {
	case "":
	case "auto":
		shard, err = study.AutoShard(os.Getenv, f.shardCount)
	default:
		shard, err = study.ParseShard(f.shard)
	}
	return c, shard, flagError(err, studyFlag)
}

// studyFlag returns the flag of study for the key of a study.Config setting.
func studyFlag(key string) string {
	key, _, _ = strings.Cut(key, "[")
	switch key {
	case "problems", "seeds", "criteria", "sizes", "checkpoints", "train", "test", "smoothing", "scratch", "shard":
		return key
	case "large.hidden":
		return "large-hidden"
	case "large.epochs":
		return "large-epochs"
	}
	return ""
}

func newStudyMergeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "merge DIR",
		Short: "Combine the cells of a study into cells.csv, summaries and report.html",
		Long: `merge checks that every cell of the study in DIR is present exactly once (it
lists the missing, duplicated and foreign files otherwise and writes nothing),
then writes into DIR:

  cells.csv        one row per cell and checkpoint: problem, seed, method, size,
                   epoch, R², RMSE and maximum error of value, deltas and gamma
  study.json       the study, the environment and the compute time
  summary.csv      one row per problem, method, size, epoch and metric (R² and
                   RMSE of value, deltas, gamma): the number of seeds, the mean,
                   the standard deviation and the 95 % Student t interval
  comparisons.csv  paired by seed, for every problem, size and epoch: each
                   criterion − scratch and each criterion − random in R² of
                   value, deltas and gamma: seeds won and lost, the mean
                   difference with its 95 % t interval, the exact two-sided
                   Wilcoxon signed-rank p-value (zero differences dropped, tied
                   ones given their mean rank) and the sign test's p-value
  report.html      one self-contained page (inline SVG plots, no scripts): per
                   problem, 1 − R² (log scale) of gamma, value and deltas
                   against the kept size after the last epoch and of gamma
                   against the fine-tuning epoch, with 95 % error bars; the
                   pruned − scratch gap; the Jaccard overlap of the kept nodes
                   between criteria; the over-estimation per layer of the IASA
                   enclosures; the summary and comparison tables; the study's
                   configuration and environment

The CSV files are the same bit for bit however the study was sharded. The
p-values are not corrected for the number of comparisons.`,
		Example: `  sobolev study merge study`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := study.Merge(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "merged %d cells (%d rows) into %s\n", len(m.Cells), len(m.Rows), args[0])
			return nil
		},
	}
}

// listFlag is a comma-separated list of settings with a text form.
type listFlag[T any] struct{ p *[]T }

func (f listFlag[T]) String() string {
	if f.p == nil {
		return ""
	}
	var s []string
	for _, v := range *f.p {
		s = append(s, fmt.Sprint(v))
	}
	return strings.Join(s, ",")
}

func (f listFlag[T]) Set(s string) error {
	var list []T
	for _, item := range strings.Split(s, ",") {
		var v T
		u, ok := any(&v).(encoding.TextUnmarshaler)
		if !ok {
			panic("listFlag: element type has no UnmarshalText")
		}
		if err := u.UnmarshalText([]byte(strings.TrimSpace(item))); err != nil {
			return err
		}
		list = append(list, v)
	}
	*f.p = list
	return nil
}

func (f listFlag[T]) Type() string { return "list" }

var _ pflag.Value = listFlag[study.Problem]{}
