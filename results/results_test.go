package results

import (
	"bytes"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// golden is a results.json written by the code this package replaced
// (pipeline.Results.WriteJSON, with a short config object and the criterion
// put in by hand); it
// pins the field order and the number formatting of the file.
const golden = "testdata/run.json"

// fixture returns the Run of golden: finite and NaN figures, numbers that
// encoding/json writes in exponent form, a training curve and an IASA record.
func fixture() *Run {
	nan := Metric(math.NaN())
	return &Run{
		Stages: []Stage{
			{Stage: "large-sobolev", HiddenNodes: 12, Parameters: 101, Hidden: []int{8, 4},
				Scores: Scores{R2Value: 0.9996253, R2Delta: 0.30000000000000004, R2Gamma: -6.167266,
					RMSEValue: 1.5e-7, MaxErrValue: 2e21, RMSEDelta: 0.012600690776250005, MaxErrDelta: 0.1,
					RMSEGamma: 0.18168377237451108, MaxErrGamma: 1,
					Deltas: []Fit{{R2: -0.31555145763609627, RMSE: 0.029, MaxErr: 0.0969145860496334}, {R2: 1, RMSE: 0, MaxErr: 0}}},
				Seconds: 9.8, Model: "models/large-sobolev.onnx",
				History: []Epoch{
					{Epoch: 1, LR: 0.001, Loss: 0.5, ValueLoss: 0.25, GradLoss: 0.75, HVPLoss: 0, Validation: nan},
					{Epoch: 2, LR: 1e-5, Loss: 3.0000000000000004e-7, ValueLoss: 1e-9, GradLoss: 4e-7, HVPLoss: 2.5e-8, Validation: 0.125},
				}},
			{Stage: "pruned", HiddenNodes: 3, Parameters: 17, Hidden: []int{2, 1},
				Scores: Scores{R2Value: -0.039291, R2Delta: nan, R2Gamma: nan, RMSEValue: 0.5, MaxErrValue: 2,
					RMSEDelta: nan, MaxErrDelta: nan, RMSEGamma: nan, MaxErrGamma: nan},
				Seconds: 1.7, Model: "models/pruned.onnx"},
		},
		IASA: &PruneReport{Criterion: "iasa", Method: "quadratic", Boxes: 256, Fold: "mean", Seconds: 0.5, Layers: []LayerPrune{
			{Layer: 1, Width: 8, Kept: []int{0, 3}, Significance: []float64{0.5, 1e-300, 0, 7.25, 1e-7, 3, 2, 1},
				OverValue: 1.7, OverAdjoint: 2.2, NaiveOverValue: 25},
			{Layer: 2, Width: 4, Kept: []int{2}, Significance: []float64{1, 2, 3, 4},
				OverValue: 1.0000000000000002, OverAdjoint: nan, NaiveOverValue: 625},
		}},
		Config:  []byte(`{"dims":3,"seed":7,"large":{"hidden":[8,4]}}`),
		Backend: Backend{BLAS: "gonum (pure Go)", Eval: "go"},
		Seconds: 12.5,
	}
}

// diff returns the path of the first value in which a and b differ, or ""
// if they are equal; floats are compared bit for bit, so NaN equals NaN.
func diff(path string, a, b reflect.Value) string {
	switch a.Kind() {
	case reflect.Float64:
		if math.Float64bits(a.Float()) != math.Float64bits(b.Float()) {
			return path
		}
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return path
			}
			return ""
		}
		return diff(path, a.Elem(), b.Elem())
	case reflect.Struct:
		for i := range a.NumField() {
			if d := diff(path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i)); d != "" {
				return d
			}
		}
	case reflect.Slice:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return path
		}
		for i := range a.Len() {
			if d := diff(path+"["+strconv.Itoa(i)+"]", a.Index(i), b.Index(i)); d != "" {
				return d
			}
		}
	default:
		if !reflect.DeepEqual(a.Interface(), b.Interface()) {
			return path
		}
	}
	return ""
}

func TestWriteGolden(t *testing.T) {
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "results.json")
	if err := fixture().Write(path); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Write wrote\n%s\nwant the bytes of %s\n%s", got, golden, want)
	}
}

func TestRoundTrip(t *testing.T) {
	want := fixture()
	path := filepath.Join(t.TempDir(), "results.json")
	if err := want.Write(path); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff("Run", reflect.ValueOf(got), reflect.ValueOf(want)); d != "" {
		t.Errorf("Read(Write(r)) differs from r in %s", d)
	}
}

func TestReadWriteSameBytes(t *testing.T) {
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Read(golden)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "results.json")
	if err := r.Write(path); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
		t.Errorf("reading %s and writing it again gave other bytes (%v):\n%s", golden, err, got)
	}
}

func TestReadErrors(t *testing.T) {
	whole, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content string
		want          string // in the error, after the path
	}{
		{"empty", "", "is not a sobolev results.json: unexpected end of JSON input"},
		{"truncated", string(whole[:len(whole)/2]), "is not a sobolev results.json: unexpected end of JSON input"},
		{"not JSON", "stage,r2_value\nlarge,0.99\n", "is not a sobolev results.json: invalid character"},
		{"array", "[1, 2]", "is not a sobolev results.json: json: cannot unmarshal array"},
		{"spec.json", `{"weights": [0.5, 0.5], "strike": 1.1}`, "holds no stages; is it a sobolev results.json?"},
		{"no stages", `{"stages": [], "config": {}}`, "holds no stages"},
		{"stages not a list", `{"stages": "large"}`, "cannot unmarshal string into Go struct field Run.stages"},
		{"score not a number", `{"stages": [{"stage": "a", "r2_value": "high"}]}`, "cannot unmarshal string into Go"},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".json")
		if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := Read(path)
		if err == nil || !strings.HasPrefix(err.Error(), "results: "+path+" ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Read returned %v, %v; want an error naming %s and saying %q", tc.name, r, err, path, tc.want)
		}
	}
	missing := filepath.Join(dir, "missing.json")
	if _, err := Read(missing); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("Read of a missing file: %v, want fs.ErrNotExist naming %s", err, missing)
	}
}

func TestMetricJSON(t *testing.T) {
	for _, tc := range []struct {
		m    float64
		want string
	}{
		{0.5, "0.5"}, {0, "0"}, {math.Copysign(0, -1), "-0"}, {1e-7, "1e-7"}, {2e21, "2e+21"},
		{math.NaN(), "null"}, {math.Inf(1), "null"}, {math.Inf(-1), "null"},
	} {
		b, err := Metric(tc.m).MarshalJSON()
		if err != nil || string(b) != tc.want {
			t.Errorf("Metric(%v).MarshalJSON() = %s, %v; want %s", tc.m, b, err, tc.want)
		}
	}
	var m Metric
	if err := m.UnmarshalJSON([]byte("null")); err != nil || !math.IsNaN(float64(m)) {
		t.Errorf("null reads as %v, %v; want NaN", m, err)
	}
	if err := m.UnmarshalJSON([]byte("1e-300")); err != nil || m != 1e-300 {
		t.Errorf("1e-300 reads as %v, %v", m, err)
	}
	if err := m.UnmarshalJSON([]byte(`"0.5"`)); err == nil {
		t.Errorf("a JSON string read as the metric %v, want an error", m)
	}
}

func TestWriteTable(t *testing.T) {
	var b strings.Builder
	if err := WriteTable(&b, fixture()); err != nil {
		t.Fatal(err)
	}
	want := "          stage  hidden nodes  parameters   R² value  R² delta   R² gamma  seconds\n" +
		"  large-sobolev            12         101   0.999625  0.300000  -6.167266      9.8\n" +
		"         pruned             3          17  -0.039291       NaN        NaN      1.7\n"
	if b.String() != want {
		t.Errorf("WriteTable wrote\n%s\nwant\n%s", b.String(), want)
	}
}

// TestWriteTableInputs checks the column per input of a run that names its
// inputs; a stage without deltas shows dashes.
func TestWriteTableInputs(t *testing.T) {
	r := fixture()
	r.Inputs = []string{"a", "b"}
	var b strings.Builder
	if err := WriteTable(&b, r); err != nil {
		t.Fatal(err)
	}
	want := "          stage  hidden nodes  parameters   R² value  R² delta      R² ∂a     R² ∂b   R² gamma  seconds\n" +
		"  large-sobolev            12         101   0.999625  0.300000  -0.315551  1.000000  -6.167266      9.8\n" +
		"         pruned             3          17  -0.039291       NaN          –         –        NaN      1.7\n"
	if b.String() != want {
		t.Errorf("WriteTable wrote\n%s\nwant\n%s", b.String(), want)
	}
	// The inputs and the gamma direction survive a round trip; a run
	// without them has no such keys.
	r.GammaDirection = []float64{1, 0}
	p := filepath.Join(t.TempDir(), "results.json")
	if err := r.Write(p); err != nil {
		t.Fatal(err)
	}
	back, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Inputs, r.Inputs) || !slices.Equal(back.GammaDirection, r.GammaDirection) {
		t.Errorf("read back inputs %v, gamma direction %v", back.Inputs, back.GammaDirection)
	}
}
