package main

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestExport writes greeks files with and without a direction and checks the
// refusals; the graph's numbers are tested in package onnx.
func TestExport(t *testing.T) {
	dir := t.TempDir()
	train, _ := testData(t, dir, 3)
	large := trainLarge(t, dir, train)
	out := filepath.Join(dir, "g.onnx")
	stdout, _, err := runSobolev(context.Background(), "export", "--model", large, "--out", out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "wrote "+out+": outputs y, dydx (3 deltas) and gamma along the all-ones vector") {
		t.Errorf("export printed %q", stdout)
	}
	plain, err := os.ReadFile(out)
	if err != nil || len(plain) == 0 {
		t.Fatalf("greeks file: %v, %d bytes", err, len(plain))
	}
	out2 := filepath.Join(dir, "g2.onnx")
	if _, _, err := runSobolev(context.Background(), "export", "--model", large, "--direction", "0.5, 1, -2", "--out", out2); err != nil {
		t.Fatal(err)
	}
	if other, _ := os.ReadFile(out2); reflect.DeepEqual(other, plain) {
		t.Error("a direction gives the same file as the all-ones vector")
	}
	out3 := filepath.Join(dir, "g3.onnx")
	stdout, _, err = runSobolev(context.Background(), "export", "--model", large, "--greeks", "delta, gamma,hessian", "--out", out3)
	if err != nil || !strings.Contains(stdout, "gamma along the all-ones vector, hessian (3 × 3)") {
		t.Errorf("export --greeks delta,gamma,hessian: %v, printed %q", err, stdout)
	}
	withH, _ := os.ReadFile(out3)
	if len(withH) <= len(plain) {
		t.Errorf("the file with the Hessian has %d bytes, the one without %d", len(withH), len(plain))
	}
	// --hessian, deprecated, is the same as --greeks delta,gamma,hessian.
	out4 := filepath.Join(dir, "g4.onnx")
	if stdout, _, err := runSobolev(context.Background(), "export", "--model", large, "--hessian", "--out", out4); err != nil ||
		!strings.HasPrefix(stdout, "Flag --hessian has been deprecated, use --greeks delta,gamma,hessian") {
		t.Errorf("export --hessian: %v, printed %q; want a deprecation note", err, stdout)
	}
	if alias, _ := os.ReadFile(out4); !reflect.DeepEqual(alias, withH) {
		t.Error("--hessian writes another file than --greeks delta,gamma,hessian")
	}
	if again, _ := os.ReadFile(out); !reflect.DeepEqual(again, plain) {
		t.Error("the default --greeks is not delta,gamma")
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--model", large, "--direction", "1,2", "--out", out}, `export: --direction "1,2": 2 entries for a model of 3 inputs, want 3`},
		{[]string{"--model", large, "--direction", "1,x,2", "--out", out}, `entry 2 is "x", want a number`},
		{[]string{"--model", large, "--direction", "1,NaN,2", "--out", out}, "direction entry 1 is NaN, want a finite number"},
		{[]string{"--model", filepath.Join(dir, "missing.onnx"), "--out", out}, "export: --model"},
		{[]string{"--model", large, "--out", large}, "is the same file as --model"},
		{[]string{"--model", large}, `required flag(s) "out" not set`},
		{[]string{"--model", large, "--greeks", "delta,vega", "--out", out}, `export: --greeks "delta,vega": "vega" is not a greek, want delta, gamma or hessian`},
		{[]string{"--model", large, "--greeks", "delta", "--out", out}, "want delta,gamma (the file always outputs both)"},
	} {
		_, _, err := runSobolev(context.Background(), append([]string{"export"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("export %v: error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
	if data, _ := os.ReadFile(out); !reflect.DeepEqual(data, plain) {
		t.Error("a refused export changed the file at --out")
	}
}
