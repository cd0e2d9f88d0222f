package results

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestCertificateRoundTrip writes a stage with a certificate and one
// without: the first reads back equal, the second has no certificate key,
// so results.json files of runs without certificates stay as they were.
func TestCertificateRoundTrip(t *testing.T) {
	c := &Certificate{Check: "delta>=0,gamma>=0", Proved: 0.25, Refuted: 0.125, Undecided: 0.625, Counterexamples: 3, Boxes: 31, Depth: 4, Seconds: 0.5}
	r := &Run{Stages: []Stage{{Stage: "a", Certificate: c}, {Stage: "b"}}, Config: []byte(`{}`)}
	path := filepath.Join(t.TempDir(), "results.json")
	if err := r.Write(path); err != nil {
		t.Fatal(err)
	}
	back, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Stages[0].Certificate, c) || back.Stages[1].Certificate != nil {
		t.Errorf("read back %+v and %+v, want %+v and nil", back.Stages[0].Certificate, back.Stages[1].Certificate, c)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), `"certificate"`); n != 1 {
		t.Errorf("results.json has %d certificate keys, want 1 (the stage without one leaves it out)", n)
	}
}
