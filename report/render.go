package report

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/sobolev-pruning/sobolev/heston"
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
	ax := r.axis()
	pg.PlotsHeading, pg.PlotsNote = ax.heading, ax.note
	pg.Header, pg.Rows = resultsTable(res.Stages, res.Inputs)

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
	pg.Certificates = certSection(res.Stages)
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
// returns its section with the three plots against the basket (Bachelier)
// or the spot (Heston).
func stagePlots(i int, r *run) (stageView, error) {
	st, net, test := r.results.Stages[i], r.nets[i], r.test
	rows, n := test.N(), test.Dims()
	value, grad, gamma := make([]float64, rows), make([]float64, rows*n), make([]float64, rows)
	if r.heston != nil {
		evalAlong(net, value, grad, gamma, test.X, r.heston.GammaDirection)
	} else {
		mlp.EvalParallel(net, value, grad, gamma, test.X, 0)
	}

	b := make([]float64, rows)
	exactDelta, predDelta := make([]float64, rows), make([]float64, rows)
	for k := range rows {
		if r.heston != nil {
			b[k] = test.X[k*n+heston.Spot]
		} else {
			for j, w := range r.model.Weights {
				b[k] += w * test.X[k*n+j]
			}
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
	ax := r.axis()
	plots := []struct {
		kind   string
		v      versus
		alt    string
		labels string
	}{
		{"value", versus{title: st.Stage + ": price", yLabel: "price V (units of S)", exact: test.Y, pred: value},
			"price", "exact price"},
		{"delta", versus{title: st.Stage + ": " + ax.delta, yLabel: ax.deltaLabel, exact: exactDelta, pred: predDelta},
			ax.deltaAlt, "exact " + ax.delta},
		{"gamma", versus{title: st.Stage + ": " + ax.gamma, yLabel: ax.gammaLabel, exact: test.Gamma, pred: gamma},
			ax.gamma, "exact gamma"},
	}
	for _, pl := range plots {
		pl.v.b, pl.v.colour, pl.v.stage = b, i, st.Stage
		pl.v.xLabel, pl.v.scatter = ax.label, r.heston != nil
		p, note, err := pl.v.plot()
		if err != nil {
			return stageView{}, fmt.Errorf("report: stage %q: %s plot: %v", st.Stage, pl.kind, err)
		}
		exact := "(line)"
		if pl.v.scatter {
			exact = "(grey dots)"
		}
		caption := fmt.Sprintf("Predicted %s (dots) and %s %s against the %s.", pl.alt, pl.labels, exact, ax.name)
		if pl.v.exact == nil {
			caption = fmt.Sprintf("Predicted %s against the %s; the test set has no exact labels for it.", pl.alt, ax.name)
		}
		if note != "" {
			caption += " " + note
		}
		f, err := newFigure(p, stagePlot(i, pl.kind), smallW, smallH, false,
			fmt.Sprintf("Stage %s: predicted and exact %s against the %s", st.Stage, pl.alt, ax.name), caption)
		if err != nil {
			return stageView{}, err
		}
		sv.Figures = append(sv.Figures, f)
	}
	return sv, nil
}

// axis names the abscissa and the greeks of the plots of a run.
type axis struct {
	name, label                 string // "basket", "basket B = w·S (units of S)"
	delta, deltaLabel, deltaAlt string
	gamma, gammaLabel           string
	heading, note               string // the section's heading and its note
}

// axis returns the abscissa and the greeks of r's plots: the basket for the
// Bachelier pricer, the spot S₀ for Heston.
func (r *run) axis() axis {
	if r.heston != nil {
		return axis{name: "spot", label: "spot S₀ (currency units)",
			delta: "delta", deltaLabel: "delta = ∂V/∂S₀", deltaAlt: "delta ∂V/∂S₀",
			gamma: "gamma ∂²V/∂S₀²", gammaLabel: "gamma ∂²V/∂S₀² (per unit of S₀)",
			heading: "Predictions against the spot",
			note: "Each stage's price, delta = ∂V/∂S₀ and gamma = ∂²V/∂S₀² on the test points, against the spot S₀. " +
				"The exact labels (grey) also depend on v₀, the maturity and the strike, so they scatter as the predictions do; a good model's dots cover them."}
	}
	return axis{name: "basket", label: "basket B = w·S (units of S)",
		delta: "delta₁", deltaLabel: "delta₁ = ∂V/∂S₁", deltaAlt: "delta of the first asset",
		gamma: "gamma 1ᵀH1", gammaLabel: "gamma 1ᵀH1 (per unit of S)",
		heading: "Predictions against the basket",
		note: "Each stage's price, delta₁ = ∂V/∂S₁ and gamma 1ᵀH1 on the test points, against the basket B = w·S. " +
			"The exact labels depend on the spots only through B, so they form a curve; the predictions, which see every spot, scatter around it."}
}

// evalAlong sets value[r], grad[r·n…] and gamma[r] = vᵀH(x_r)v of net at
// the rows of x (raw inputs) for the raw direction v = dir.
func evalAlong(net *mlp.Network, value, grad, gamma, x, dir []float64) {
	n := len(dir)
	hv := make([]float64, len(x))
	mlp.NewEvaluator(net).EvalHessVec(value, grad, hv, x, dir)
	for r := range gamma {
		s := 0.0
		for i, v := range dir {
			s += v * hv[r*n+i]
		}
		gamma[r] = s
	}
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
