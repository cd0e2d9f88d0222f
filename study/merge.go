package study

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/sobolev-pruning/sobolev/internal/atomicfile"
	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/results"
)

// Merged is a finished study: its configuration, every cell's and large
// net's result in grid order, and the tidy rows of the cells.
type Merged struct {
	Config Config
	Larges []LargeResult
	Cells  []CellResult
	Rows   []Row
}

// Row is the accuracy of one cell at one checkpoint: a row of cells.csv.
type Row struct {
	Cell
	// Epoch is the checkpoint: epochs of fine-tuning done.
	Epoch  int
	Scores results.Scores
}

// rowHeader names the columns of cells.csv.
var rowHeader = []string{"problem", "pricer", "baskets", "dims", "seed", "method", "size", "epoch",
	"r2_value", "r2_delta", "r2_gamma", "rmse_value", "rmse_delta", "rmse_gamma",
	"max_err_value", "max_err_delta", "max_err_gamma"}

// record returns r as the fields of cells.csv. Figures are written with the
// shortest decimal that reads back to the same float64 ("NaN" if missing).
func (r Row) record() []string {
	f := func(m results.Metric) string { return strconv.FormatFloat(float64(m), 'g', -1, 64) }
	s := r.Scores
	return []string{r.Problem.String(), r.Problem.Pricer, strconv.Itoa(r.Problem.Baskets), strconv.Itoa(r.Problem.Dims),
		strconv.FormatUint(r.Seed, 10), r.Method, strconv.Itoa(r.Size), strconv.Itoa(r.Epoch),
		f(s.R2Value), f(s.R2Delta), f(s.R2Gamma), f(s.RMSEValue), f(s.RMSEDelta), f(s.RMSEGamma),
		f(s.MaxErrValue), f(s.MaxErrDelta), f(s.MaxErrGamma)}
}

// WriteCSV writes rows as CSV with a header line.
func WriteCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(rowHeader); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write(r.record()); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Collect reads the results of the study in dir. It returns an error listing
// the cells and large nets whose files are missing, files that hold a cell of
// another study, and cells found in more than one file.
func Collect(dir string) (*Merged, error) {
	c, err := LoadStudy(dir)
	if err != nil {
		return nil, err
	}
	m := &Merged{Config: c}
	var problems []string
	for _, l := range c.Larges() {
		var lr LargeResult
		path := filepath.Join(dir, largeDir, l.ID()+".json")
		if err := readJSON(path, &lr); err != nil {
			problems = append(problems, "large net "+l.ID()+": "+err.Error())
			continue
		}
		m.Larges = append(m.Larges, lr)
	}

	want := map[Cell]int{}
	for i, cell := range c.Cells() {
		want[cell] = i
	}
	found := make([]*CellResult, len(want))
	entries, err := os.ReadDir(filepath.Join(dir, cellsDir))
	if err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".json") {
			continue
		}
		var cr CellResult
		if err := readJSON(filepath.Join(dir, cellsDir, name), &cr); err != nil {
			problems = append(problems, err.Error())
			continue
		}
		i, ok := want[cr.Cell]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s holds cell %s, which is not in this study's grid", name, cr.Cell.ID()))
		case found[i] != nil:
			problems = append(problems, fmt.Sprintf("cell %s is duplicated (%s is a second copy)", cr.Cell.ID(), name))
		case name != cr.Cell.ID()+".json":
			problems = append(problems, fmt.Sprintf("%s holds cell %s under another name (duplicated or renamed)", name, cr.Cell.ID()))
		case len(cr.Checkpoints) != len(c.Checkpoints):
			problems = append(problems, fmt.Sprintf("%s has %d checkpoints, the study %d", name, len(cr.Checkpoints), len(c.Checkpoints)))
		default:
			found[i] = &cr
		}
	}
	var missing []string
	for i, cell := range c.Cells() {
		if found[i] == nil && !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, cell.ID()+".json") }) {
			missing = append(missing, cell.ID())
		}
	}
	if len(missing) > 0 {
		problems = append(problems, fmt.Sprintf("%d of %d cells missing: %s", len(missing), len(found), strings.Join(missing, ", ")))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("study: %s is not complete:\n  %s\nrun the missing shards (a re-run skips finished cells), remove the stray files, then merge again", dir, strings.Join(problems, "\n  "))
	}
	for _, cr := range found {
		m.Cells = append(m.Cells, *cr)
		for _, cp := range cr.Checkpoints {
			m.Rows = append(m.Rows, Row{Cell: cr.Cell, Epoch: cp.Epoch, Scores: cp.Scores})
		}
	}
	return m, nil
}

// readJSON decodes the JSON file at path into v.
func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %v", filepath.Base(path), err)
	}
	return nil
}

// Environment describes where a study was merged: enough to reproduce its
// figures (the cells themselves do not depend on the machine's thread count).
type Environment struct {
	GoVersion  string `json:"go_version"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	CPU        string `json:"cpu"`
	Procs      int    `json:"procs"`
	BLAS       string `json:"blas"`
	EvalKernel string `json:"eval_kernel"`
}

// environment returns the Environment of this process.
func environment() Environment {
	return Environment{GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH, CPU: cpuName(),
		Procs: runtime.GOMAXPROCS(0), BLAS: mlp.BLASBackend(), EvalKernel: mlp.EvalKernel()}
}

// cpuName returns the model name of /proc/cpuinfo, or "" where there is none.
func cpuName() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for line := range strings.Lines(string(data)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// Summary is study.json: the study, the environment of the merge and the
// total compute time of its parts.
type Summary struct {
	Config       Config      `json:"config"`
	Environment  Environment `json:"environment"`
	Cells        int         `json:"cells"`
	CellSeconds  float64     `json:"cell_seconds"`
	LargeSeconds float64     `json:"large_seconds"`
}

// Merge collects the study in dir (Collect) and writes DIR/cells.csv, one
// row per cell and checkpoint in grid order, DIR/study.json, and the
// statistics of Analyse: DIR/summary.csv (WriteSummaryCSV), DIR/comparisons.csv
// (WriteComparisonsCSV) and the HTML report DIR/report.html (WriteReport).
// Every file is written atomically. The CSV files depend only on the study,
// not on how it was sharded or on the machine's threads.
func Merge(dir string) (*Merged, error) {
	m, err := Collect(dir)
	if err != nil {
		return nil, err
	}
	if err := atomicfile.Write(filepath.Join(dir, "cells.csv"), func(w io.Writer) error { return WriteCSV(w, m.Rows) }); err != nil {
		return nil, err
	}
	s := Summary{Config: m.Config, Environment: environment(), Cells: len(m.Cells)}
	for _, c := range m.Cells {
		s.CellSeconds += c.Seconds
	}
	for _, l := range m.Larges {
		s.LargeSeconds += l.Seconds
	}
	if err := writeJSON(filepath.Join(dir, "study.json"), s); err != nil {
		return nil, err
	}
	a := Analyse(m)
	if err := atomicfile.Write(filepath.Join(dir, "summary.csv"), func(w io.Writer) error { return WriteSummaryCSV(w, a.Summary) }); err != nil {
		return nil, err
	}
	if err := atomicfile.Write(filepath.Join(dir, "comparisons.csv"), func(w io.Writer) error { return WriteComparisonsCSV(w, a.Comparisons) }); err != nil {
		return nil, err
	}
	if err := atomicfile.Write(filepath.Join(dir, "report.html"), func(w io.Writer) error { return WriteReport(w, dir, m, a, s) }); err != nil {
		return nil, err
	}
	return m, nil
}
