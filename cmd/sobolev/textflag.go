package main

import (
	"encoding"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sobolev-pruning/sobolev/setting"
)

// textSetting is a named setting (mlp.Activation, prune.Fold, …): its text
// form is what YAML, JSON and flags read.
type textSetting interface {
	encoding.TextMarshaler
	encoding.TextUnmarshaler
}

// textFlag is the pflag.Value of a named setting: the flag parses its value
// with the setting's UnmarshalText, as YAML and JSON decoding do, so the
// same unknown name gets the same error listing the valid ones.
type textFlag struct{ p textSetting }

// String returns the setting's name, the default shown by --help.
func (f textFlag) String() string {
	b, err := f.p.MarshalText()
	if err != nil {
		return ""
	}
	return string(b)
}

// Set parses s with the setting's UnmarshalText.
func (f textFlag) Set(s string) error { return f.p.UnmarshalText([]byte(s)) }

// Type names the flag's value in --help.
func (f textFlag) Type() string { return "name" }

// textVar defines the flag name of the named setting p, whose current value
// is the default; usage is followed by the valid names.
func textVar(fl *pflag.FlagSet, p textSetting, name, usage string) {
	fl.Var(textFlag{p}, name, usage+": "+setting.Want(p))
}

// widthsFlag is the pflag.Value of a list of hidden widths, written
// "128,128,128". It only reads whole numbers; NetConfig.Validate checks
// their range, as for YAML files and the Go API.
type widthsFlag struct{ p *[]int }

// String returns the widths comma-separated, the default shown by --help.
func (f widthsFlag) String() string { return joinInts(*f.p) }

// Set reads comma-separated whole numbers, spaces around them allowed.
func (f widthsFlag) Set(s string) error {
	var h []int
	for i, field := range strings.Split(s, ",") {
		w, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil {
			return fmt.Errorf("width %d is %q: want a whole number", i+1, field)
		}
		h = append(h, w)
	}
	*f.p = h
	return nil
}

// Type names the flag's value in --help.
func (f widthsFlag) Type() string { return "widths" }

// flagErrorFunc words a flag value that does not parse like the settings'
// errors, naming the flag and the value as given: `--fold "median": want
// mean, midpoint or zero`, `--epochs "2.5": want a whole number`; the words
// after the value are those of a YAML file or the Go API. Other errors are
// returned as they are.
func flagErrorFunc(cmd *cobra.Command, err error) error {
	var iv *pflag.InvalidValueError
	if !errors.As(err, &iv) {
		return err
	}
	name := fmt.Sprintf("%s: --%s %s", strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" "), iv.GetFlag().Name, strconv.Quote(iv.GetValue()))
	var e *setting.NameError
	var ne *strconv.NumError
	switch {
	case errors.As(err, &e):
		return fmt.Errorf("%s: want %s", name, e.Want())
	case errors.As(err, &ne) && ne.Func == "ParseUint":
		return fmt.Errorf("%s: want a whole number ≥ 0", name)
	case errors.As(err, &ne) && ne.Func == "ParseFloat":
		return fmt.Errorf("%s: want a number", name)
	case errors.As(err, &ne):
		return fmt.Errorf("%s: want a whole number", name)
	}
	return fmt.Errorf("%s: %v", name, errors.Unwrap(err))
}
