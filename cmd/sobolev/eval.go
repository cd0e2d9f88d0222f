package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/sobolev-pruning/sobolev/internal/memlimit"
	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/pipeline"
	"github.com/sobolev-pruning/sobolev/results"
)

// speedMinTime is how long eval keeps repeating the evaluation it times.
const speedMinTime = 250 * time.Millisecond

// evalFlags are the options of "sobolev eval".
type evalFlags struct {
	model, data string
	direction   string
	json        bool
	onnxruntime string
	maxMemory   memlimit.Size
}

// evalReport is what "sobolev eval" prints; with --json, as one JSON object
// with these keys.
type evalReport struct {
	Model       string `json:"model"`
	Data        string `json:"data"`
	Points      int    `json:"points"`
	Inputs      int    `json:"inputs"`
	Hidden      []int  `json:"hidden"`
	HiddenNodes int    `json:"hidden_nodes"`
	Parameters  int    `json:"parameters"`
	Activation  string `json:"activation"`
	results.Scores
	Speed evalSpeed `json:"speed"`
	// ONNXRuntime is the speed of the model in onnxruntime, with
	// --onnxruntime; absent without.
	ONNXRuntime *ortSpeed `json:"onnxruntime,omitempty"`
	// GammaDirection is the direction v of gamma = vᵀHv; absent for the
	// all-ones vector (1ᵀH1).
	GammaDirection []float64 `json:"gamma_direction,omitempty"`
	// hasGamma reports whether the data have gamma labels.
	hasGamma bool
}

// evalSpeed is the measured evaluation speed of a model.
type evalSpeed struct {
	PointsPerSecond float64 `json:"points_per_second"`
	// Outputs says what each point's evaluation computes.
	Outputs string `json:"outputs"`
	// Kernel is mlp.EvalKernel(), Workers the goroutines of mlp.EvalParallel.
	Kernel      string  `json:"kernel"`
	Workers     int     `json:"workers"`
	Repetitions int     `json:"repetitions"`
	Seconds     float64 `json:"seconds"`
	// ValuePerSecond is the batched rate of the value alone (the forward
	// pass), on Workers goroutines.
	ValuePerSecond float64 `json:"value_per_second"`
	// GreeksPerSecond is the batched rate of value, gradient and gamma
	// (1ᵀH1) together, on Workers goroutines.
	GreeksPerSecond float64 `json:"greeks_per_second"`
	// PointSeconds is the latency of value, gradient and gamma at one point
	// (mlp.Evaluator.Point), one core, mean over the data's points.
	PointSeconds float64 `json:"point_seconds"`
}

func newEvalCmd() *cobra.Command {
	var f evalFlags
	cmd := &cobra.Command{
		Use:   "eval --model MODEL.onnx --data FILE [--onnxruntime DIR] [--json]",
		Short: "Score a model's value, deltas and gamma on a data file, and time it",
		Long: `eval evaluates the ONNX model --model at the points of --data (a .npz or .csv
file, typically an analytic test set as "sobolev data" writes it) and compares
it with the labels:

  value          y
  delta j        ∂y/∂x_j, one row per input
  deltas pooled  all deltas of all points together
  gamma (1ᵀH1)   the sum of all second derivatives, if the data have gamma;
                 vᵀHv along --direction v, or along the gamma_direction of a
                 spec.json beside --data (∂²V/∂S₀² for "sobolev data heston")

For each it prints R², the standard 1 − Σ(pred − true)² / Σ(true − mean)²
(method.md §6), the root mean square error and the largest absolute error, in
the units of the labels. It then times repeated evaluations of value and
gradient at all the points (mlp.EvalParallel on all cores, for at least
0.25 s) and prints the speed in points per second with the kernel that ran,
the batched rates of the value alone and with gamma too, and the latency of
one point's value, gradient and gamma.

--onnxruntime DIR (default $SOBOLEV_ONNXRUNTIME) also times the model in
onnxruntime (CPU, float64) and prints both side by side, with sobolev's speed
over onnxruntime's: the value graph (as "sobolev train" writes it) and the
greeks graph (as "sobolev export" writes it: y, deltas and gamma) in batches
of the points of --data (at most 65536) on as many threads as eval's workers,
and one point at a time on one thread. DIR is a folder where
"npm ci --ignore-scripts" installed onnxruntime-node, such as the repository's
.ci/onnxruntime, and node must be on PATH. The timing runs a Node.js script
embedded in sobolev (the same as .ci/onnxruntime/bench.js) for about four
times 0.25 s; each run counts creating the input tensor and the whole
session.run, as a Node.js caller sees it.

--json prints the same as one JSON object instead of the table; figures
without labels, and any that are not finite, are null. Its "speed" has
points_per_second (value and gradient), value_per_second, greeks_per_second
(value, gradient and gamma) and point_seconds; with --onnxruntime,
"onnxruntime" has onnxruntime's value_per_second, greeks_per_second,
value_point_seconds and point_seconds (value and greeks of one point), the
batch and threads, and value_speedup, greeks_speedup and point_speedup:
sobolev's speed over onnxruntime's, above 1 where sobolev is faster.`,
		Example: `  sobolev eval --model tuned.onnx --data data/test.npz
  sobolev eval --model large.onnx --data data/test.npz --json | jq .r2_gamma
  sobolev eval --model tuned.onnx --data data/test.npz --onnxruntime .ci/onnxruntime`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runEval(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.model, "model", "", "ONNX model to evaluate (required)")
	fl.StringVar(&f.data, "data", "", "data with labels, .npz or .csv (required)")
	fl.StringVar(&f.direction, "direction", "", "direction v of gamma = vᵀ·H·v, comma-separated, one entry per input; empty means\nthe gamma_direction of spec.json beside --data, or all ones")
	fl.BoolVar(&f.json, "json", false, "print one JSON object instead of a table")
	fl.StringVar(&f.onnxruntime, "onnxruntime", "", "folder with node_modules/onnxruntime-node (npm ci --ignore-scripts in .ci/onnxruntime):\nalso time the model in onnxruntime; default $"+ortEnv)
	addMaxMemoryFlag(cmd, &f.maxMemory)
	for _, name := range []string{"model", "data"} {
		if err := cmd.MarkFlagRequired(name); err != nil {
			panic(err)
		}
	}
	return cmd
}

// evalDirection returns the direction of gamma: --direction, else the
// gamma_direction of the spec.json in the folder of --data (nil if there is
// none: all ones).
func evalDirection(f evalFlags, n int) ([]float64, error) {
	if f.direction != "" {
		dir, err := parseDirection(f.direction, n)
		if err != nil {
			return nil, fmt.Errorf("--direction %q: %v", f.direction, err)
		}
		return dir, nil
	}
	path := filepath.Join(filepath.Dir(f.data), "spec.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil // no spec: the data's gamma is 1ᵀH1
	}
	var spec struct {
		GammaDirection []float64 `json:"gamma_direction"`
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("%s beside --data: %v; give --direction, or remove the file", path, err)
	}
	if spec.GammaDirection != nil && len(spec.GammaDirection) != n {
		return nil, fmt.Errorf("%s beside --data gives a gamma_direction of %d entries for a model of %d inputs", path, len(spec.GammaDirection), n)
	}
	return spec.GammaDirection, nil
}

func runEval(cmd *cobra.Command, f evalFlags) error {
	var ort *ortRunner
	ortDir, ortFrom := f.onnxruntime, "--onnxruntime"
	if !cmd.Flags().Changed("onnxruntime") {
		ortDir, ortFrom = os.Getenv(ortEnv), ortEnv
	}
	if ortDir != "" {
		var err error
		if ort, err = newORTRunner(ortDir, ortFrom); err != nil {
			return fmt.Errorf("eval: %w", err)
		}
	}
	net, err := loadModel("--model", f.model)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	mem := memoryCheck{name: "eval", max: f.maxMemory, setting: flagSetting(cmd, map[string]string{"data": "data"}, false)}
	if err := mem.check(dataFileMemory(f.data), 0); err != nil {
		return err
	}
	data, err := loadData(cmd, f.data, net, f.model)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	held := setMemory(data, f.data)
	est := append(held, fromFile(pipeline.EvaluateMemory(net.Inputs(), data.N()), f.data)...)
	est = append(est, pipeline.MemoryPart{What: "the timed evaluations", Key: "data", Value: dataFile(f.data),
		Bytes: 8 * float64(data.N()*(net.Inputs()+1))})
	if err := mem.check(est, held.Bytes()); err != nil {
		return err
	}
	if err := checkLabels(f.data, data, mlp.MSE); err != nil {
		return fmt.Errorf("eval: %v", err)
	}
	dir, err := evalDirection(f, net.Inputs())
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	rep := evalReport{
		Model: f.model, Data: f.data, Points: data.N(),
		Inputs: net.Inputs(), Hidden: net.Hidden(), HiddenNodes: net.HiddenNodes(), Parameters: net.NumParams(),
		Activation:     net.Act.String(),
		Scores:         pipeline.EvaluateAlong(net, data, dir),
		GammaDirection: dir,
		hasGamma:       data.Gamma != nil,
	}
	if rep.Speed, err = measureSpeed(cmd.Context(), net, data.X, speedMinTime); err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	if ort != nil {
		rep.ONNXRuntime, err = ort.measure(cmd.Context(), net, dir, data.X, rep.Speed.Workers, speedMinTime, rep.Speed)
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
	}
	stdout := cmd.OutOrStdout()
	if f.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return writeEvalTable(stdout, &rep)
}

// measureSpeed times mlp.EvalParallel computing value and gradient at the
// rows of x, repeated until minTime has passed (at least once), then the
// value alone and value, gradient and gamma, each for minTime/2, and one
// point's value, gradient and gamma (mlp.Evaluator.Point) for minTime/2.
func measureSpeed(ctx context.Context, net *mlp.Network, x []float64, minTime time.Duration) (evalSpeed, error) {
	rows := len(x) / net.Inputs()
	value, grad := make([]float64, rows), make([]float64, len(x))
	s := evalSpeed{Outputs: "value and gradient", Kernel: mlp.EvalKernel(), Workers: runtime.GOMAXPROCS(0)}
	start := time.Now()
	var elapsed time.Duration
	for s.Repetitions == 0 || elapsed < minTime {
		if err := ctx.Err(); err != nil {
			return s, err
		}
		mlp.EvalParallel(net, value, grad, nil, x, s.Workers)
		s.Repetitions++
		elapsed = time.Since(start)
	}
	s.Seconds = elapsed.Seconds()
	s.PointsPerSecond = float64(s.Repetitions*rows) / s.Seconds

	// The value alone (the forward pass).
	reps, start := 0, time.Now()
	for reps == 0 || time.Since(start) < minTime/2 {
		if err := ctx.Err(); err != nil {
			return s, err
		}
		mlp.EvalParallel(net, value, nil, nil, x, s.Workers)
		reps++
	}
	s.ValuePerSecond = float64(reps*rows) / time.Since(start).Seconds()

	// Value, gradient and gamma: batched on every worker, then point by point.
	gamma := make([]float64, rows)
	reps, start = 0, time.Now()
	for reps == 0 || time.Since(start) < minTime/2 {
		if err := ctx.Err(); err != nil {
			return s, err
		}
		mlp.EvalParallel(net, value, grad, gamma, x, s.Workers)
		reps++
	}
	s.GreeksPerSecond = float64(reps*rows) / time.Since(start).Seconds()
	e, n := mlp.NewEvaluator(net), net.Inputs()
	g := make([]float64, n)
	points, start := 0, time.Now()
	for points == 0 || time.Since(start) < minTime/2 {
		if err := ctx.Err(); err != nil {
			return s, err
		}
		r := points % rows
		e.Point(g, x[r*n:(r+1)*n])
		points++
	}
	s.PointSeconds = time.Since(start).Seconds() / float64(points)
	return s, nil
}

// writeEvalTable prints rep as a table.
func writeEvalTable(w io.Writer, rep *evalReport) error {
	fmt.Fprintf(w, "model %s: %d inputs, hidden %s (%d nodes), %d parameters, %s\n",
		rep.Model, rep.Inputs, joinInts(rep.Hidden), rep.HiddenNodes, rep.Parameters, rep.Activation)
	fmt.Fprintf(w, "data  %s: %d points\n\n", rep.Data, rep.Points)
	type line struct {
		name             string
		r2, rmse, maxErr results.Metric
	}
	sc := rep.Scores
	lines := []line{{"value", sc.R2Value, sc.RMSEValue, sc.MaxErrValue}}
	for j, d := range sc.Deltas {
		lines = append(lines, line{fmt.Sprintf("delta %d", j+1), d.R2, d.RMSE, d.MaxErr})
	}
	if sc.Deltas != nil {
		lines = append(lines, line{"deltas pooled", sc.R2Delta, sc.RMSEDelta, sc.MaxErrDelta})
	}
	if rep.hasGamma {
		name := "gamma (1ᵀH1)"
		if rep.GammaDirection != nil {
			name = "gamma (vᵀHv, v = " + strings.Trim(strings.Join(strings.Fields(fmt.Sprint(rep.GammaDirection)), ","), "[]") + ")"
		}
		lines = append(lines, line{name, sc.R2Gamma, sc.RMSEGamma, sc.MaxErrGamma})
	}
	// Names are padded to one width so that they stay left-aligned in the
	// right-aligned table.
	width := 0
	for _, l := range lines {
		width = max(width, utf8.RuneCountInString(l.name))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%*s\tR²\tRMSE\tmax error\t\n", width, "")
	for _, l := range lines {
		fmt.Fprintf(tw, "%s\t%.6f\t%.3e\t%.3e\t\n", l.name+strings.Repeat(" ", width-utf8.RuneCountInString(l.name)), l.r2, l.rmse, l.maxErr)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	sp := rep.Speed
	_, err := fmt.Fprintf(w, "\nspeed %.4g points/s (%s; %d repetitions in %.2f s, %d workers, kernel %s)\n"+
		"      %.4g points/s value alone, %.4g points/s with gamma too (batched, %d workers); one point with value, gradient and gamma %.3g µs (one core)\n",
		sp.PointsPerSecond, sp.Outputs, sp.Repetitions, sp.Seconds, sp.Workers, sp.Kernel,
		sp.ValuePerSecond, sp.GreeksPerSecond, sp.Workers, 1e6*sp.PointSeconds)
	if err != nil || rep.ONNXRuntime == nil {
		return err
	}
	return writeORTTable(w, sp, rep.ONNXRuntime)
}
