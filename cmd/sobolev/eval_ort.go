package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/onnx"
)

// ortBenchScript is ortbench.js, the Node.js script that times ONNX files in
// onnxruntime-node; .ci/onnxruntime/bench.js runs the same file.
//
//go:embed ortbench.js
var ortBenchScript string

// ortEnv is the environment variable that gives --onnxruntime's default.
const ortEnv = "SOBOLEV_ONNXRUNTIME"

// ortMaxRows is the most points of --data that one batched session.run of
// onnxruntime takes (the first rows).
const ortMaxRows = 1 << 16

// ortSpeed is the speed of a model's ONNX graphs in onnxruntime (CPU
// execution provider, float64), timed by ortbench.js in Node.js, beside
// sobolev's own (evalSpeed). Rates are points per second, latencies seconds.
type ortSpeed struct {
	// Dir is the folder with node_modules/onnxruntime-node.
	Dir string `json:"dir"`
	// Version is onnxruntime-node's, Node Node.js's.
	Version string `json:"version"`
	Node    string `json:"node"`
	// Threads is the intraOpNumThreads of the batched runs (eval's workers);
	// one point runs on one thread.
	Threads int `json:"threads"`
	// Batch is the number of points of one batched session.run: those of
	// --data, at most 65536.
	Batch int `json:"batch"`
	// ValuePerSecond is the batched rate of the value graph (onnx.Save),
	// GreeksPerSecond that of the greeks graph (onnx.SaveGreeks: y, dydx and
	// gamma along eval's gamma direction).
	ValuePerSecond  float64 `json:"value_per_second"`
	GreeksPerSecond float64 `json:"greeks_per_second"`
	// ValuePointSeconds and PointSeconds are the latencies of one point in
	// the value graph and in the greeks graph.
	ValuePointSeconds float64 `json:"value_point_seconds"`
	PointSeconds      float64 `json:"point_seconds"`
	// The speedups are sobolev's speed over onnxruntime's, above 1 where
	// sobolev is faster: value_per_second, greeks_per_second over
	// onnxruntime's, and onnxruntime's point_seconds over sobolev's.
	ValueSpeedup  float64 `json:"value_speedup"`
	GreeksSpeedup float64 `json:"greeks_speedup"`
	PointSpeedup  float64 `json:"point_speedup"`
}

// ortRunner is how eval runs ortbench.js: node, and the folder whose
// node_modules holds onnxruntime-node.
type ortRunner struct {
	node, dir string
	// flag names where dir came from, for messages.
	flag string
}

// newORTRunner returns the runner of --onnxruntime dir (from flag, for
// messages), or an error naming what to install if node is not on PATH or
// dir has no node_modules/onnxruntime-node.
func newORTRunner(dir, flag string) (*ortRunner, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %v", flag, dir, err)
	}
	if _, err := os.Stat(filepath.Join(abs, "node_modules", "onnxruntime-node", "package.json")); err != nil {
		return nil, fmt.Errorf("%s %s: the folder has no node_modules/onnxruntime-node; give the folder where "+
			"\"npm ci --ignore-scripts\" installed it (run that in the repository's .ci/onnxruntime, which has the package.json)", flag, dir)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("%s needs Node.js, but \"node\" is not on PATH: install Node.js 18 or later, or drop %s", flag, flag)
	}
	return &ortRunner{node: node, dir: abs, flag: flag}, nil
}

// ortResult is the JSON ortbench.js prints.
type ortResult struct {
	ONNXRuntime string `json:"onnxruntime"`
	Node        string `json:"node"`
	Models      []struct {
		File              string  `json:"file"`
		Batch             int     `json:"batch"`
		Threads           int     `json:"threads"`
		PointsPerSecond   float64 `json:"points_per_second"`
		PointMicroseconds float64 `json:"point_microseconds"`
	} `json:"models"`
}

// measure writes net's value graph and greeks graph (gamma along dir, nil
// for all ones) and the first rows of x to a temporary folder, which it
// removes, times them with ortbench.js for minTime each on threads threads,
// and returns the speeds beside ours.
func (r *ortRunner) measure(ctx context.Context, net *mlp.Network, dir, x []float64, threads int, minTime time.Duration, ours evalSpeed) (*ortSpeed, error) {
	tmp, err := os.MkdirTemp("", "sobolev-ort-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	path := func(name string) string { return filepath.Join(tmp, name) }
	if err := onnx.Save(path("value.onnx"), net); err != nil {
		return nil, err
	}
	if err := onnx.SaveGreeks(path("greeks.onnx"), net, onnx.GreeksOptions{Direction: dir}); err != nil {
		return nil, err
	}
	n := net.Inputs()
	points, err := json.Marshal(struct {
		Inputs int       `json:"inputs"`
		X      []float64 `json:"x"`
	}{n, x[:min(len(x), ortMaxRows*n)]})
	if err != nil {
		return nil, fmt.Errorf("the points of --data: %v", err)
	}
	if err := os.WriteFile(path("x.json"), points, 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path("ortbench.js"), []byte(ortBenchScript), 0o644); err != nil {
		return nil, err
	}

	cmd := exec.CommandContext(ctx, r.node, path("ortbench.js"), "--json",
		"--min-time", strconv.FormatFloat(minTime.Seconds(), 'g', -1, 64), "--threads", strconv.Itoa(threads),
		"--x", path("x.json"), path("value.onnx"), path("greeks.onnx"))
	nodePath := filepath.Join(r.dir, "node_modules")
	if old := os.Getenv("NODE_PATH"); old != "" {
		nodePath += string(os.PathListSeparator) + old
	}
	// onnxruntime-node leaves files (.ses, mat-debug-PID.log) in the
	// temporary folder: give it ours, which goes.
	cmd.Env = append(os.Environ(), "NODE_PATH="+nodePath, "TMPDIR="+tmp)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = "no message"
		}
		return nil, fmt.Errorf("%s %s: timing in onnxruntime failed (%v): %s", r.flag, r.dir, err, msg)
	}
	var res ortResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil || len(res.Models) != 2 {
		return nil, fmt.Errorf("%s %s: the onnxruntime timing printed %q, want the JSON of two models (%v)", r.flag, r.dir, stdout.String(), err)
	}
	v, g := res.Models[0], res.Models[1]
	for _, m := range res.Models {
		if !(m.PointsPerSecond > 0) || !(m.PointMicroseconds > 0) {
			return nil, fmt.Errorf("%s %s: the onnxruntime timing of %s gave %v points/s and %v µs per point, want positive figures",
				r.flag, r.dir, filepath.Base(m.File), m.PointsPerSecond, m.PointMicroseconds)
		}
	}
	s := &ortSpeed{
		Dir: r.dir, Version: res.ONNXRuntime, Node: res.Node, Threads: v.Threads, Batch: v.Batch,
		ValuePerSecond: v.PointsPerSecond, GreeksPerSecond: g.PointsPerSecond,
		ValuePointSeconds: 1e-6 * v.PointMicroseconds, PointSeconds: 1e-6 * g.PointMicroseconds,
	}
	s.ValueSpeedup = ours.ValuePerSecond / s.ValuePerSecond
	s.GreeksSpeedup = ours.GreeksPerSecond / s.GreeksPerSecond
	s.PointSpeedup = s.PointSeconds / ours.PointSeconds
	return s, nil
}

// writeORTTable prints sobolev's speed beside onnxruntime's.
func writeORTTable(w io.Writer, ours evalSpeed, ort *ortSpeed) error {
	fmt.Fprintf(w, "\nonnxruntime %s (Node.js %s, CPU, float64; %s): batches of %d points on %d threads, one point on 1 thread\n",
		ort.Version, ort.Node, ort.Dir, ort.Batch, ort.Threads)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\tsobolev\tonnxruntime\tsobolev/onnxruntime\t\n")
	for _, l := range []struct {
		name       string
		us, ort, x float64
		unit       string
	}{
		{"value, batched        ", ours.ValuePerSecond, ort.ValuePerSecond, ort.ValueSpeedup, "points/s"},
		{"value+greeks, batched ", ours.GreeksPerSecond, ort.GreeksPerSecond, ort.GreeksSpeedup, "points/s"},
		{"one point value+greeks", 1e6 * ours.PointSeconds, 1e6 * ort.PointSeconds, ort.PointSpeedup, "µs"},
	} {
		fmt.Fprintf(tw, "%s\t%.4g %s\t%.4g %s\t%.3g×\t\n", l.name, l.us, l.unit, l.ort, l.unit, l.x)
	}
	return tw.Flush()
}
