package report

import (
	"fmt"
	"strconv"

	"github.com/sobolev-pruning/sobolev/results"
)

// certView is the section of the shape certificates.
type certView struct {
	// Checks names the conditions checked, e.g. "delta>=0,gamma>=0".
	Checks string
	Header []cell
	Rows   [][]cell
}

// certSection returns the table of the stages' shape certificates, nil if
// no stage has one (a run with certify.depth 0, or from before they were
// recorded).
func certSection(stages []results.Stage) *certView {
	var v *certView
	pct := func(f float64) cell {
		return cell{Text: fmt.Sprintf("%.1f%%", 100*f), Title: strconv.FormatFloat(f, 'g', -1, 64), Num: true}
	}
	num := func(s string) cell { return cell{Text: s, Num: true} }
	for _, s := range stages {
		c := s.Certificate
		if c == nil {
			continue
		}
		if v == nil {
			v = &certView{Checks: c.Check, Header: []cell{{Text: "stage"}, {Text: "proved", Num: true}, {Text: "refuted", Num: true},
				{Text: "undecided", Num: true}, {Text: "counterexamples", Num: true}, {Text: "boxes", Num: true},
				{Text: "depth", Num: true}, {Text: "probes", Num: true}, {Text: "seconds", Num: true}}}
		}
		v.Rows = append(v.Rows, []cell{{Text: s.Stage}, pct(c.Proved), pct(c.Refuted), pct(c.Undecided),
			num(fmtInt(c.Counterexamples)), num(fmtInt(c.Boxes)), num(strconv.Itoa(c.Depth)), num(fmtInt(c.Probes)), num(fmtSeconds(c.Seconds))})
	}
	return v
}
