package report

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/results"
)

// render returns the page of r with its plots. It returns ctx.Err() as soon
// as it sees ctx cancelled.
func render(ctx context.Context, r *run) (*page, error) {
	res := r.results
	cfg, err := configGroups(res.Config)
	if err != nil {
		return nil, fmt.Errorf("report: configuration of %s: %v", filepath.Join(r.out, "results.json"), err)
	}
	pg := &page{
		Title: "Sobolev pruning report: " + filepath.Base(displayDir(r.name)),
		Dir:   displayDir(r.name),
		Summary: fmt.Sprintf("%d stages in %s s; BLAS: %s; evaluation kernel: %s.",
			len(res.Stages), fmtSeconds(res.Seconds), orDash(res.Backend.BLAS), orDash(res.Backend.Eval)),
		Model:  modelRows(r),
		Config: cfg,
	}
	pg.Header, pg.Rows = resultsTable(res.Stages)

	for i := range res.Stages {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sv, err := stagePlots(i, r)
		if err != nil {
			return nil, err
		}
		pg.Stages = append(pg.Stages, sv)
	}

	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p, err := lossPlot(res.Stages); err != nil {
		return nil, fmt.Errorf("report: training curves: %v", err)
	} else if p != nil {
		f, err := newFigure(p, plotLoss, wideW, wideH, true, "Training loss per epoch of each trained stage, log scale",
			"Total training loss per epoch in normalised units, log scale (solid) and the loss on held-out validation data (dashed), where measured. "+
				"Stages trained with different losses (MSE, Sobolev, with second-order terms) are not comparable in level.")
		if err != nil {
			return nil, err
		}
		pg.Training = &f
	}

	if res.IASA != nil {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		iv, err := iasaSection(res.IASA)
		if err != nil {
			return nil, err
		}
		pg.IASA = iv
	}
	return pg, nil
}

// orDash returns s, or "–" if s is empty.
func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// stagePlots evaluates the net of stage i on the plotted test points and
// returns its section with the three plots against the basket.
func stagePlots(i int, r *run) (stageView, error) {
	st, net, test := r.results.Stages[i], r.nets[i], r.test
	rows, n := test.N(), test.Dims()
	value, grad, gamma := make([]float64, rows), make([]float64, rows*n), make([]float64, rows)
	mlp.EvalParallel(net, value, grad, gamma, test.X, 0)

	b := make([]float64, rows)
	exactDelta, predDelta := make([]float64, rows), make([]float64, rows)
	for k := range rows {
		for j, w := range r.model.Weights {
			b[k] += w * test.X[k*n+j]
		}
		exactDelta[k], predDelta[k] = test.DYDX[k*n], grad[k*n]
	}

	sv := stageView{
		ID:   fmt.Sprintf("stage%d", i+1),
		Name: st.Stage,
		Summary: fmt.Sprintf("%s %s net, %s hidden nodes, %s parameters (%s); R² value %s, delta %s, gamma %s; %s s.",
			fmtWidths(net.Hidden()), net.Act, fmtInt(net.HiddenNodes()), fmtInt(net.NumParams()), st.Model,
			fmtR2(float64(st.R2Value)), fmtR2(float64(st.R2Delta)), fmtR2(float64(st.R2Gamma)), fmtSeconds(st.Seconds)),
	}
	plots := []struct {
		kind   string
		v      versus
		alt    string
		labels string
	}{
		{"value", versus{title: st.Stage + ": price", yLabel: "price V (units of S)", exact: test.Y, pred: value},
			"price", "exact price"},
		{"delta", versus{title: st.Stage + ": delta₁", yLabel: "delta₁ = ∂V/∂S₁", exact: exactDelta, pred: predDelta},
			"delta of the first asset", "exact delta₁"},
		{"gamma", versus{title: st.Stage + ": gamma 1ᵀH1", yLabel: "gamma 1ᵀH1 (per unit of S)", exact: test.Gamma, pred: gamma},
			"gamma 1ᵀH1", "exact gamma"},
	}
	for _, pl := range plots {
		pl.v.b, pl.v.colour, pl.v.stage = b, i, st.Stage
		p, note, err := pl.v.plot()
		if err != nil {
			return stageView{}, fmt.Errorf("report: stage %q: %s plot: %v", st.Stage, pl.kind, err)
		}
		caption := fmt.Sprintf("Predicted %s (dots) and %s (line) against the basket.", pl.alt, pl.labels)
		if pl.v.exact == nil {
			caption = fmt.Sprintf("Predicted %s against the basket; the test set has no exact labels for it.", pl.alt)
		}
		if note != "" {
			caption += " " + note
		}
		f, err := newFigure(p, stagePlot(i, pl.kind), smallW, smallH, false,
			fmt.Sprintf("Stage %s: predicted and exact %s against the basket", st.Stage, pl.alt), caption)
		if err != nil {
			return stageView{}, err
		}
		sv.Figures = append(sv.Figures, f)
	}
	return sv, nil
}

// iasaSection returns the pruning section with its plots.
func iasaSection(p *results.PruneReport) (*iasaView, error) {
	iv := &iasaView{}
	iv.Summary, iv.Header, iv.Layers = iasaTables(p)
	if len(p.Layers) == 0 {
		iv.Notes = append(iv.Notes, "The pruning record has no layers.")
		return iv, nil
	}

	sig, dropped, err := significancePlot(p.Layers)
	if err != nil {
		return nil, fmt.Errorf("report: significance plot: %v", err)
	}
	if sig != nil {
		caption := "Significance S = width(A)·max|G| of every node of each hidden layer, sorted, on a log scale; dots mark the kept nodes."
		if dropped > 0 {
			caption += fmt.Sprintf(" %d nodes of zero (or non-finite) significance are not shown.", dropped)
		}
		f, err := newFigure(sig, plotSignificance, wideW, wideH, true,
			"IASA significance of the nodes of each hidden layer, sorted, with the kept nodes marked", caption)
		if err != nil {
			return nil, err
		}
		iv.Figures = append(iv.Figures, f)
	} else {
		iv.Notes = append(iv.Notes, "No node has a positive significance, so there is no significance plot.")
	}

	kept, err := keptPlot(p.Layers)
	if err != nil {
		return nil, fmt.Errorf("report: kept-nodes plot: %v", err)
	}
	f, err := newFigure(kept, plotKept, wideW, wideH, false, "Width and kept nodes of each hidden layer",
		"Width of each hidden layer before pruning and the number of its nodes kept.")
	if err != nil {
		return nil, err
	}
	iv.Figures = append(iv.Figures, f)

	over, err := overPlot(p.Layers, p.Method)
	if err != nil {
		return nil, fmt.Errorf("report: over-estimation plot: %v", err)
	}
	if over != nil {
		f, err := newFigure(over, plotOver, wideW, wideH, false,
			"Over-estimation of the interval enclosures per hidden layer, log scale",
			"Median over each layer's nodes of enclosure width ÷ sampled range: the run's enclosures of the values and adjoints, and plain intervals on the same boxes.")
		if err != nil {
			return nil, err
		}
		iv.Figures = append(iv.Figures, f)
	} else {
		iv.Notes = append(iv.Notes, "The pruning record holds no over-estimation figures.")
	}
	return iv, nil
}
