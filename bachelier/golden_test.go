package bachelier

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestOneBasketFolderGolden pins the SHA-256 sums of three small data folders
// of one basket, recorded before portfolios of several baskets were added:
// with one basket (Baskets 0 or 1) train.npz, test.npz and spec.json must stay
// the same, bit for bit. The sums are those of amd64 (gonum's kernels and FMA
// use may differ in the last bits on other architectures).
func TestOneBasketFolderGolden(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skipf("the sums were recorded on amd64, this is %s", runtime.GOARCH)
	}
	for _, tc := range []struct {
		name string
		c    DataConfig
		sums [3]string // train.npz, test.npz, spec.json
	}{
		{"smoothed", DataConfig{Dims: 7, Train: 300, Test: 200, Smoothing: 0.0075}, [3]string{
			"26b1ca4ca15878abc510aeaad7861a3ef18a3a1eb43bc2f10bda3f59fc35d9a9",
			"e20159014a5fb211c0caf2a0db5f13c39cc9deaad6d34cbd9d786435aeb41124",
			"baf27ceecdf3c67e678c0b5ec81ec455e9f3fb08a512d5a4011ed56a10b6ce92"}},
		{"hessian", DataConfig{Dims: 7, Train: 300, Test: 200, Smoothing: 0.0075, Hessian: true}, [3]string{
			"37532c06f93be1d59ae54a40ae9ef4ee54fbb6231cb6f875e2a2f9be9b0d7ebb",
			"619b9137081a70d4e83d2a7e01214ed28bf106fa123445ca0307b1fdd268476f",
			"239a0adcf863c17730f5756e55d7469ddabadf77d127f3b50e31d9abc8d5808e"}},
		{"call", DataConfig{Dims: 7, Seed: 3, Train: 300, Test: 200}, [3]string{
			"afe6851e4c209ad0325f903b47fb7c0afc56fa71081487c1941b67cf810f72d0",
			"2ada0ba2d271562876ca231c055bc4e084f8b33e978a0348c5b6f8876058d4f4",
			"1a3c192d55034ab63d015646e1fa4d35e0e23b7021616babee6a3e04ba156d9d"}},
	} {
		for _, k := range []int{0, 1} {
			dir := t.TempDir()
			files := FolderFiles(dir)
			c := tc.c
			c.Baskets = k
			if _, err := WriteData(context.Background(), files, c, nil); err != nil {
				t.Fatal(err)
			}
			for i, path := range []string{files.Train, files.Test, files.Spec} {
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				sum := sha256.Sum256(data)
				if got := hex.EncodeToString(sum[:]); got != tc.sums[i] {
					t.Errorf("%s, Baskets %d: %s has SHA-256 %s, want %s", tc.name, k, filepath.Base(path), got, tc.sums[i])
				}
			}
		}
	}
}
