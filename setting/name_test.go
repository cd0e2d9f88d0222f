package setting

import (
	"errors"
	"testing"
)

func TestParseStringMarshal(t *testing.T) {
	names := []string{"max", "", "mean"}
	for v, name := range names {
		if name == "" {
			continue
		}
		if got, err := Parse("combination", names, name); err != nil || got != v {
			t.Errorf("Parse(%q) = %d, %v, want %d", name, got, err, v)
		}
		if got := String("Combine", names, v); got != name {
			t.Errorf("String(%d) = %q, want %q", v, got, name)
		}
		if b, err := Marshal("Combine", names, v); err != nil || string(b) != name {
			t.Errorf("Marshal(%d) = %q, %v", v, b, err)
		}
	}
	for _, v := range []int{-1, 1, 3} {
		if got, want := String("Combine", names, v), "Combine("; got[:len(want)] != want {
			t.Errorf("String(%d) = %q", v, got)
		}
		if _, err := Marshal("Combine", names, v); err == nil {
			t.Errorf("Marshal(%d) succeeded", v)
		}
	}
	_, err := Parse("combination", names, "sum")
	var e *NameError
	if !errors.As(err, &e) || err.Error() != `unknown combination "sum": want max or mean` {
		t.Errorf("Parse(sum): %v", err)
	}
	if _, err := Parse("combination", names, ""); err == nil {
		t.Error(`Parse("") succeeded`)
	}
}

func TestOr(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"a"}, "a"},
		{[]string{"a", "b"}, "a or b"},
		{[]string{"a", "b", "c"}, "a, b or c"},
	} {
		if got := Or(tc.in); got != tc.want {
			t.Errorf("Or(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestUnmarshal(t *testing.T) {
	type kind int
	names := []string{"a", "b"}
	k := kind(1)
	if err := Unmarshal(&k, "kind", names, []byte("a")); err != nil || k != 0 {
		t.Errorf("Unmarshal(a) = %v, %v; want 0", k, err)
	}
	var e *NameError
	if err := Unmarshal(&k, "kind", names, []byte("c")); !errors.As(err, &e) || k != 0 || e.Name != "c" {
		t.Errorf("Unmarshal(c): %v, value %v; want a *NameError and the value kept", err, k)
	}
	if got := Want(new(textKind)); got != "a or b" {
		t.Errorf("Want = %q, want %q", got, "a or b")
	}
}

// textKind is a setting with the names a and b.
type textKind int

func (k *textKind) UnmarshalText(text []byte) error {
	return Unmarshal(k, "kind", []string{"a", "b"}, text)
}
