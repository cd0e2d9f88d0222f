package results

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteTable prints the results table of r to w: one row per stage with
// hidden nodes, parameters, R² of value, delta and gamma (six decimals), and
// seconds (one decimal), columns aligned right.
func WriteTable(w io.Writer, r *Run) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "stage\thidden nodes\tparameters\tR² value\tR² delta\tR² gamma\tseconds\t")
	for _, s := range r.Stages {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.6f\t%.6f\t%.6f\t%.1f\t\n",
			s.Stage, s.HiddenNodes, s.Parameters, s.R2Value, s.R2Delta, s.R2Gamma, s.Seconds)
	}
	return tw.Flush()
}
