package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/sobolev-pruning/sobolev/bachelier"
	"github.com/sobolev-pruning/sobolev/dataset"
	"github.com/sobolev-pruning/sobolev/heston"
	"github.com/sobolev-pruning/sobolev/internal/atomicfile"
	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/onnx"
	"github.com/sobolev-pruning/sobolev/results"
)

// MaxPoints is the largest number of test points drawn in a plot against the
// basket (or the spot).
const MaxPoints = 2000

// Names of the report's directory and page inside the output directory.
const (
	dirName   = "report"
	indexName = "index.html"
)

// IndexPath returns the path of the page Write writes for the output
// directory out: out/report/index.html.
func IndexPath(out string) string { return filepath.Join(out, dirName, indexName) }

// Write reads the output directory out of a "sobolev run" and writes the
// report out/report/index.html, its plots embedded (see the package
// documentation), replacing an earlier one. It creates out/report if needed
// and leaves every other file in it alone, except the PNG plots that earlier
// versions wrote beside the page, which it removes. Its errors name the file
// that is missing or wrong. If ctx is cancelled, Write stops and returns
// ctx.Err(); out is then as it was.
func Write(ctx context.Context, out string) error { return WriteAs(ctx, out, out) }

// WriteAs is Write for a run that is built in the directory out and moved to
// the directory name once complete: the page names name as the run's folder.
func WriteAs(ctx context.Context, out, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r, err := load(out)
	if err != nil {
		return err
	}
	r.name = name
	pg, err := render(ctx, r)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dir := filepath.Join(out, dirName)
	_, statErr := os.Stat(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	err = atomicfile.Write(filepath.Join(dir, indexName), func(w io.Writer) error {
		return pageTemplate.Execute(w, pg)
	})
	if err != nil {
		if errors.Is(statErr, fs.ErrNotExist) {
			os.Remove(dir) // made above, and empty
		}
		return fmt.Errorf("report: %w", err)
	}
	removeOldPlots(dir)
	return nil
}

// removeOldPlots removes from dir the regular files that earlier versions of
// Write put beside index.html (see oldPlot), as far as it can: they are stale
// once the page embeds its plots.
func removeOldPlots(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.Type().IsRegular() && oldPlot(e.Name()) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// run is what a report shows, read from an output directory.
type run struct {
	out     string // where the run's files are read from
	name    string // the run's folder as the page names it
	results *results.Run
	// model is the Bachelier model of spec.json, or nil for a Heston run,
	// whose spec is heston.
	model  *bachelier.Model
	heston *heston.Spec
	// test holds the plotted test points, testRows the size of the whole set.
	test     *dataset.Set
	testRows int
	// nets holds the model of each stage, in the order of results.Stages.
	nets []*mlp.Network
}

// load reads the output directory out.
func load(out string) (*run, error) {
	if fi, err := os.Stat(out); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("report: %s is not a directory; want the output directory of \"sobolev run\"", out)
	}
	resPath := filepath.Join(out, "results.json")
	if _, err := os.Stat(resPath); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("report: %s is missing; is %s the output directory of \"sobolev run\"?", resPath, out)
	}
	res, err := results.Read(resPath)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}

	testPath := filepath.Join(out, "data", "test.npz")
	if _, err := os.Stat(testPath); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("report: %s is missing; the plots need the run's test set", testPath)
	}
	test, err := dataset.Load(testPath)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if test.N() == 0 {
		return nil, fmt.Errorf("report: %s holds no test points", testPath)
	}

	specPath := filepath.Join(out, "data", "spec.json")
	r := &run{out: out, results: res, test: subsample(test, MaxPoints), testRows: test.N()}
	if r.model, r.heston, err = readSpec(specPath, test.Dims()); err != nil {
		return nil, err
	}
	for i, st := range res.Stages {
		if st.Model == "" {
			return nil, fmt.Errorf("report: %s: stage %d (%q) names no model file", resPath, i+1, st.Stage)
		}
		path := st.Model
		if !filepath.IsAbs(path) {
			path = filepath.Join(out, path)
		}
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("report: model file %s of stage %q is missing (named in %s)", path, st.Stage, resPath)
		}
		net, err := onnx.Load(path)
		if err != nil {
			return nil, fmt.Errorf("report: stage %q: %w", st.Stage, err)
		}
		if net.Inputs() != test.Dims() {
			return nil, fmt.Errorf("report: %s has %d inputs, want %d to match the spots of %s", path, net.Inputs(), test.Dims(), testPath)
		}
		r.nets = append(r.nets, net)
	}
	return r, nil
}

// readSpec reads the model of spec.json at path: a Heston spec if its
// "pricer" is "heston" (it must then have dims = 4 inputs and a gamma
// direction of dims entries), otherwise the Bachelier model, which must
// have dims weights.
func readSpec(path string, dims int) (*bachelier.Model, *heston.Spec, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("report: %s is missing; the plots need the run's model", path)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("report: %w", err)
	}
	var which struct {
		Pricer string `json:"pricer"`
	}
	if err := json.Unmarshal(data, &which); err != nil {
		return nil, nil, fmt.Errorf("report: %s: %v", path, err)
	}
	if which.Pricer == "heston" {
		var h heston.Spec
		if err := json.Unmarshal(data, &h); err != nil {
			return nil, nil, fmt.Errorf("report: %s: %v", path, err)
		}
		if len(h.Inputs) != dims || len(h.GammaDirection) != dims {
			return nil, nil, fmt.Errorf("report: %s: %d inputs and a gamma direction of %d entries, want %d to match the columns of the test set",
				path, len(h.Inputs), len(h.GammaDirection), dims)
		}
		return nil, &h, nil
	}
	var m bachelier.Model
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, nil, fmt.Errorf("report: %s: %v", path, err)
	}
	if len(m.Weights) != dims {
		return nil, nil, fmt.Errorf("report: %s: %d basket weights, want %d to match the spots of the test set", path, len(m.Weights), dims)
	}
	return &m, nil, nil
}

// subsample returns the rows ⌊k·N/m⌋, k = 0…m−1, of s, m = min(N, max); it
// returns s itself if N ≤ max.
func subsample(s *dataset.Set, max int) *dataset.Set {
	rows, n := s.N(), s.Dims()
	if rows <= max {
		return s
	}
	sub := dataset.New(max, n, s.Arrays()&dataset.WithGamma)
	for k := range max {
		i := k * rows / max
		copy(sub.X[k*n:(k+1)*n], s.X[i*n:(i+1)*n])
		sub.Y[k] = s.Y[i]
		copy(sub.DYDX[k*n:(k+1)*n], s.DYDX[i*n:(i+1)*n])
		if sub.Gamma != nil {
			sub.Gamma[k] = s.Gamma[i]
		}
	}
	return sub
}
