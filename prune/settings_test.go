package prune

import "testing"

// TestSettingsText checks that every named value of the pruning settings
// reads back from its name, and that a value without a name has none.
func TestSettingsText(t *testing.T) {
	for _, v := range []Criterion{ByIASA, ByMagnitude, ByRandom, ByTaylor, ByIASAPlain, ByOBD, BySobolevTaylor} {
		var p Criterion
		if b, err := v.MarshalText(); err != nil || p.UnmarshalText(b) != nil || p != v || !v.Valid() {
			t.Errorf("%v does not read back from %q (%v)", v, b, err)
		}
	}
	for _, v := range []Fold{FoldMean, FoldMidpoint, FoldZero} {
		var p Fold
		if b, err := v.MarshalText(); err != nil || p.UnmarshalText(b) != nil || p != v || !v.Valid() {
			t.Errorf("%v does not read back from %q (%v)", v, b, err)
		}
	}
	for _, v := range []Quota{QuotaGlobal, QuotaPerLayer, QuotaEven} {
		var p Quota
		if b, err := v.MarshalText(); err != nil || p.UnmarshalText(b) != nil || p != v || !v.Valid() {
			t.Errorf("%v does not read back from %q (%v)", v, b, err)
		}
	}
	if _, err := Criterion(7).MarshalText(); err == nil || Fold(-1).Valid() || Quota(3).Valid() {
		t.Error("values without a name are valid")
	}
}
