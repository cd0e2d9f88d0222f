// Package setting gives the settings of sobolev one way to be read and
// refused, whether they come from a YAML file, a command-line flag or the Go
// API.
//
// An enumerated setting (mlp.Activation, prune.Fold, iasa.Method, …) is an
// integer type whose values index a list of names; its String, MarshalText
// and UnmarshalText methods call String, Marshal and Parse with that list,
// as log/slog.Level does with its level names, so YAML, JSON and flags read
// the same names and an unknown one is a *NameError listing the valid ones.
// An impossible value of any setting is an *Error naming the setting by its
// key and saying what is wanted; the command line names it by its flag
// instead, with the same words.
package setting

import (
	"fmt"
	"strconv"
	"strings"
)

// An Error reports an impossible value of one setting.
type Error struct {
	// Key names the setting by its YAML key, with the keys of the sections
	// it is in: "dims", "finetune.lr_max", "large.hidden[1]".
	Key string
	// Value is the value found; for a YAML number that is not a whole
	// number, its text as written (2.5, .nan).
	Value any
	// Want says what is expected, e.g. "a finite learning rate > 0".
	Want string
	// Bound, if not empty, is the key of the setting Want ends by comparing
	// with (Want "a learning rate > 0 and ≤", Bound "lr_max"), BoundValue
	// its value.
	Bound      string
	BoundValue any
}

// Error returns the message with the settings named by their keys, e.g.
// "finetune.lr_min = 0.1: want a learning rate > 0 and ≤ finetune.lr_max = 0.001".
func (e *Error) Error() string {
	s := e.Key + " = " + FormatValue(e.Value) + ": want " + e.Want
	if e.Bound != "" {
		s += " " + e.Bound + " = " + FormatValue(e.BoundValue)
	}
	return s
}

// Literal is a value as written in a file (a YAML number such as 2.5 or
// .nan); FormatValue shows it as it is.
type Literal string

// FormatValue formats the value of a setting for a message: strings quoted,
// lists as [a, b], numbers as Go prints them (NaN, +Inf).
func FormatValue(v any) string {
	switch v := v.(type) {
	case Literal:
		return string(v)
	case string:
		return strconv.Quote(v)
	case []int:
		s := make([]string, len(v))
		for i, x := range v {
			s[i] = strconv.Itoa(x)
		}
		return "[" + strings.Join(s, ", ") + "]"
	}
	return fmt.Sprint(v)
}
