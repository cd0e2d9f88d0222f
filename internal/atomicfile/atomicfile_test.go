package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.txt")
	if err := Write(path, func(w io.Writer) error { _, err := io.WriteString(w, "one"); return err }); err != nil {
		t.Fatal(err)
	}
	errBoom := errors.New("boom")
	err := Write(path, func(w io.Writer) error {
		io.WriteString(w, "partial")
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Write returned %v, want the writer's error", err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "one" {
		t.Errorf("after a failed write the file holds %q (%v), want the old content %q", got, err, "one")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after a failed write, want 1 (no temporary file left)", len(entries))
	}
	if err := Write(filepath.Join(dir, "missing", "b.txt"), func(io.Writer) error { return nil }); err == nil {
		t.Error("write into a missing directory: no error")
	}
}
