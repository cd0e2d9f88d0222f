package mlp

import (
	"encoding"
	"testing"
)

// TestSettingsText checks that every named value of the training settings
// reads back from its name, and that a value without a name has none.
func TestSettingsText(t *testing.T) {
	type setting interface {
		encoding.TextMarshaler
		String() string
	}
	roundTrip := func(v setting, p encoding.TextUnmarshaler, back func() setting) {
		t.Helper()
		b, err := v.MarshalText()
		if err != nil || string(b) != v.String() {
			t.Errorf("%v: MarshalText = %q, %v", v, b, err)
		}
		if err := p.UnmarshalText(b); err != nil || back() != v {
			t.Errorf("%v: UnmarshalText(%q) = %v, %v", v, b, back(), err)
		}
	}
	for _, v := range []Activation{SiLU, Softplus, Tanh, ReLU} {
		var p Activation
		roundTrip(v, &p, func() setting { return p })
	}
	for _, v := range []ScheduleKind{Constant, Cosine, Exponential, OneCycle} {
		var p ScheduleKind
		roundTrip(v, &p, func() setting { return p })
	}
	for _, v := range []LossKind{MSE, Sobolev} {
		var p LossKind
		roundTrip(v, &p, func() setting { return p })
	}
	for _, v := range []HVPDirections{RandomDirections, PrincipalDirections} {
		var p HVPDirections
		roundTrip(v, &p, func() setting { return p })
	}
	for _, v := range []setting{Activation(4), ScheduleKind(-1), LossKind(2), HVPDirections(2)} {
		if b, err := v.MarshalText(); err == nil {
			t.Errorf("%v: MarshalText = %q, want an error", v, b)
		}
	}
}
