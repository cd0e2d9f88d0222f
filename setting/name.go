package setting

import (
	"encoding"
	"errors"
	"fmt"
	"strings"
)

// A NameError reports a name that is not one of an enumeration's.
type NameError struct {
	// What names the setting, e.g. "activation".
	What string
	// Name is the name given.
	Name string
	// Valid lists the names accepted, in order.
	Valid []string
}

// Error returns the message, e.g.
// `unknown activation "relu6": want silu, softplus, tanh or relu`.
func (e *NameError) Error() string {
	return fmt.Sprintf("unknown %s %q: want %s", e.What, e.Name, e.Want())
}

// Want returns the accepted names as a phrase: "silu, softplus or tanh".
func (e *NameError) Want() string { return Or(e.Valid) }

// Or joins names as a phrase: "a", "a or b", "a, b or c".
func Or(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Valid reports whether v is the value of a name in names.
func Valid(names []string, v int) bool { return v >= 0 && v < len(names) && names[v] != "" }

// String returns names[v], or typ(v) ("Activation(7)") if v has no name.
func String(typ string, names []string, v int) string {
	if Valid(names, v) {
		return names[v]
	}
	return fmt.Sprintf("%s(%d)", typ, v)
}

// Marshal returns names[v] as text, or an error naming typ if v has no name
// (a value that would not read back).
func Marshal(typ string, names []string, v int) ([]byte, error) {
	if !Valid(names, v) {
		return nil, fmt.Errorf("%s(%d) has no name: want %s", typ, v, Or(Names(names)))
	}
	return []byte(names[v]), nil
}

// Parse returns the value whose name is s, or a *NameError naming the setting
// what and listing the valid names.
func Parse(what string, names []string, s string) (int, error) {
	for v, name := range names {
		if name != "" && name == s {
			return v, nil
		}
	}
	return 0, &NameError{What: what, Name: s, Valid: Names(names)}
}

// Names returns the names of names that are set, in order of value.
func Names(names []string) []string {
	var out []string
	for _, n := range names {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

// Want returns the phrase of the names a setting accepts ("silu, softplus,
// tanh or relu"), read from the *NameError of u.UnmarshalText on an empty name,
// which no setting accepts; u is not changed. Validate methods use it to
// refuse a value without a name with the same words as UnmarshalText.
func Want(u encoding.TextUnmarshaler) string {
	var e *NameError
	if err := u.UnmarshalText(nil); errors.As(err, &e) {
		return e.Want()
	}
	return ""
}

// Unmarshal sets *p to the value of the name text in names, as the
// UnmarshalText method of a setting of type T does, or returns a *NameError
// naming the setting what (and leaves *p).
func Unmarshal[T ~int](p *T, what string, names []string, text []byte) error {
	v, err := Parse(what, names, string(text))
	if err == nil {
		*p = T(v)
	}
	return err
}
