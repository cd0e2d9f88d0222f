//go:build unix

package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/sobolev-pruning/sobolev/internal/atomicfile"
)

// TestOutSpecialFiles checks that an --out that is a device, a FIFO or a
// directory is refused before any work and left as it was, and that an --out
// that is a symbolic link stays one while the file it points to gets the
// model.
func TestOutSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	train, _ := testData(t, dir, 3)
	large := trainLarge(t, dir, train)
	fifo := filepath.Join(dir, "fifo.onnx")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub.onnx")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	// Never run a command on /dev/null unless it is refused.
	if err := atomicfile.CheckDest("/dev/null"); err == nil {
		t.Fatal("atomicfile.CheckDest accepts /dev/null")
	}
	for _, tc := range []struct {
		out, what string
		typ       fs.FileMode
	}{
		{"/dev/null", "character device", fs.ModeDevice | fs.ModeCharDevice},
		{fifo, "FIFO (named pipe)", fs.ModeNamedPipe},
		{sub, "directory", fs.ModeDir},
	} {
		before, err := os.Stat(tc.out)
		if err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{
			{"train", "--data", train, "--hidden", "4", "--epochs", "1", "--no-progress"},
			{"prune", "--model", large, "--data", train, "--keep", "4", "--boxes", "2"},
			{"finetune", "--model", large, "--data", train, "--epochs", "1", "--no-progress"},
		} {
			args = append(args, "--out", tc.out)
			stdout, _, err := runSobolev(context.Background(), args...)
			want := args[0] + ": --out: cannot write " + tc.out + ": it is a " + tc.what + ", not a regular file; name a regular file or a new path"
			if err == nil || err.Error() != want {
				t.Errorf("sobolev %s:\nerror %v\nwant  %s", strings.Join(args, " "), err, want)
			}
			if stdout != "" {
				t.Errorf("sobolev %s printed %q before refusing", strings.Join(args, " "), stdout)
			}
			after, err := os.Stat(tc.out)
			if err != nil || after.Mode().Type() != tc.typ || !os.SameFile(before, after) {
				t.Fatalf("after sobolev %s, %s is %v (%v), want the same %v as before", strings.Join(args, " "), tc.out, after.Mode(), err, tc.typ)
			}
		}
	}

	other := t.TempDir()
	target := filepath.Join(other, "model.onnx")
	if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.onnx")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runSobolev(context.Background(), "prune", "--model", large, "--data", train, "--keep", "4", "--boxes", "2", "--out", link); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("--out %s was a symbolic link and is now %v (%v)", link, fi.Mode(), err)
	}
	if net := loadNet(t, target); net.HiddenNodes() != 4 {
		t.Errorf("the link's target holds a net of %d hidden nodes, want the pruned 4", net.HiddenNodes())
	}
	if st, err := os.Stat(target); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("the link's target has mode %v (%v), want its old 0600", st.Mode(), err)
	}
	if got := files(t, other); len(got) != 1 {
		t.Errorf("the target's directory holds %q, want model.onnx only", got)
	}
}

// TestOutSameAsInput checks that an --out that is the same file as an input,
// also through a symbolic link or a path with "..", is refused before any
// work and the input is left as it was.
func TestOutSameAsInput(t *testing.T) {
	dir := t.TempDir()
	train, _ := testData(t, dir, 3)
	large := trainLarge(t, dir, train)
	link := filepath.Join(dir, "link.npz")
	if err := os.Symlink("train.npz", link); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	dotdot := filepath.Join(sub, "..", "large.onnx")
	model := filepath.Join(dir, "copy.onnx")
	wantTrain, err := os.ReadFile(train)
	if err != nil {
		t.Fatal(err)
	}
	wantLarge, err := os.ReadFile(large)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(model, wantLarge, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--data", train, "--hidden", "4", "--epochs", "1", "--no-progress", "--out", train},
			"train: --out " + train + " is the same file as --data " + train + ", which writing it would destroy; choose another --out"},
		{[]string{"train", "--data", train, "--hidden", "4", "--epochs", "1", "--no-progress", "--out", link},
			"train: --out " + link + " is the same file as --data " + train},
		{[]string{"prune", "--model", large, "--data", train, "--keep", "4", "--out", dotdot},
			"prune: --out " + dotdot + " is the same file as --model " + large},
		{[]string{"prune", "--model", large, "--data", link, "--keep", "4", "--out", train},
			"prune: --out " + train + " is the same file as --data " + link},
		{[]string{"finetune", "--model", large, "--data", train, "--epochs", "1", "--no-progress", "--out", large},
			"finetune: --out " + large + " is the same file as --model " + large},
		{[]string{"finetune", "--model", model, "--teacher", dotdot, "--data", train, "--epochs", "1", "--no-progress", "--out", large},
			"finetune: --out " + large + " is the same file as --teacher " + dotdot},
	} {
		stdout, _, err := runSobolev(context.Background(), tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("sobolev %s:\nerror %v\nwant  one containing %s", strings.Join(tc.args, " "), err, tc.want)
		}
		if stdout != "" {
			t.Errorf("sobolev %s printed %q before refusing", strings.Join(tc.args, " "), stdout)
		}
		for path, want := range map[string][]byte{train: wantTrain, large: wantLarge} {
			if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("after sobolev %s, %s changed (%v)", strings.Join(tc.args, " "), path, err)
			}
		}
	}
}

// TestDataOutSpecialFiles checks that "data bachelier" refuses, before any
// work, an --out whose files would replace a FIFO or a folder, and writes
// through a symbolic link into the file it points to, keeping the link and
// the file's mode.
func TestDataOutSpecialFiles(t *testing.T) {
	out := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(out, "test.npz"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"data", "bachelier", "--dims", "2", "--train", "100", "--test", "10", "--out", out}
	_, _, err := runSobolev(context.Background(), args...)
	want := "data bachelier: --out: cannot write " + filepath.Join(out, "test.npz") + ": it is a FIFO (named pipe), not a regular file"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("data into a folder with a FIFO test.npz:\nerror %v\nwant  one containing %s", err, want)
	}
	if got := files(t, out); len(got) != 1 {
		t.Errorf("the refused command left %q, want only the FIFO", got)
	}
	if err := os.Remove(filepath.Join(out, "test.npz")); err != nil {
		t.Fatal(err)
	}

	other := t.TempDir()
	target := filepath.Join(other, "big.npz")
	if err := os.WriteFile(target, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(out, "train.npz")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runSobolev(context.Background(), args...); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(filepath.Join(out, "train.npz")); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("train.npz was a symbolic link and is now %v (%v)", fi.Mode(), err)
	}
	if s := loadSet(t, target); s.N() != 100 {
		t.Errorf("the link's target holds %d samples, want 100", s.N())
	}
	if fi, err := os.Stat(target); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("the link's target has mode %v (%v), want its old 0640", fi.Mode(), err)
	}
	if got, want := files(t, out), []string{"spec.json", "test.npz", "train.npz"}; !slices.Equal(got, want) {
		t.Errorf("--out holds %q, want %q", got, want)
	}
	if got := files(t, other); len(got) != 1 {
		t.Errorf("the target's folder holds %q, want big.npz only", got)
	}
}
