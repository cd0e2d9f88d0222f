package results

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteTable prints the results table of r to w: one row per stage with
// hidden nodes, parameters, R² of value, delta (all deltas pooled) and
// gamma (six decimals), and seconds (one decimal), columns aligned right.
// If r names its inputs (Run.Inputs, as a Heston run does), a column
// "R² ∂name" per input follows the pooled delta, the R² of that input's
// delta alone.
func WriteTable(w io.Writer, r *Run) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "stage\thidden nodes\tparameters\tR² value\tR² delta\t")
	for _, name := range r.Inputs {
		fmt.Fprintf(tw, "R² ∂%s\t", name)
	}
	fmt.Fprintln(tw, "R² gamma\tseconds\t")
	for _, s := range r.Stages {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.6f\t%.6f\t", s.Stage, s.HiddenNodes, s.Parameters, s.R2Value, s.R2Delta)
		for j := range r.Inputs {
			if j < len(s.Deltas) {
				fmt.Fprintf(tw, "%.6f\t", s.Deltas[j].R2)
			} else {
				fmt.Fprint(tw, "–\t")
			}
		}
		fmt.Fprintf(tw, "%.6f\t%.1f\t\n", s.R2Gamma, s.Seconds)
	}
	return tw.Flush()
}
