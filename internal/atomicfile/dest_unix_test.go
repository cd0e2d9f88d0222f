//go:build unix

package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// writeString writes s to path with Write.
func writeString(path, s string) error {
	return Write(path, func(w io.Writer) error { _, err := io.WriteString(w, s); return err })
}

// names returns the names in dir.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, e := range entries {
		s = append(s, e.Name())
	}
	return s
}

// TestWriteRefusesNonRegular checks that a device, a FIFO and a directory
// are refused before anything is written, and stay what they were.
func TestWriteRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link-to-fifo")
	if err := os.Symlink("fifo", link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path, want string
		mode       fs.FileMode
	}{
		{"/dev/null", "cannot write /dev/null: it is a character device, not a regular file; name a regular file or a new path", fs.ModeDevice | fs.ModeCharDevice},
		{fifo, "it is a FIFO (named pipe), not a regular file", fs.ModeNamedPipe},
		{sub, "it is a directory, not a regular file", fs.ModeDir},
		{link, "it links to " + fifo + ", which is a FIFO (named pipe), not a regular file", fs.ModeNamedPipe},
	} {
		st, err := os.Stat(tc.path)
		if err != nil {
			t.Logf("%s: %v; skipped", tc.path, err)
			continue
		}
		// Check first, so that a regression cannot replace /dev/null.
		err = CheckDest(tc.path)
		if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckDest(%s) = %v, want an error wrapping ErrNotRegular with %q", tc.path, err, tc.want)
			continue
		}
		called := false
		err = Write(tc.path, func(w io.Writer) error { called = true; return nil })
		if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Write(%s) = %v, want an error wrapping ErrNotRegular with %q", tc.path, err, tc.want)
		}
		if called {
			t.Errorf("Write(%s) called the writer of a refused destination", tc.path)
		}
		after, err := os.Stat(tc.path)
		if err != nil || after.Mode().Type() != tc.mode || !os.SameFile(st, after) {
			t.Errorf("after Write(%s) it is %v (%v), want the same %v as before", tc.path, after.Mode(), err, tc.mode)
		}
	}
	if got := names(t, dir); strings.Join(got, " ") != "fifo link-to-fifo sub" {
		t.Errorf("the directory holds %q, want only what the test made", got)
	}
	if err := CheckDest(filepath.Join(dir, "missing", "a.txt")); err == nil || !strings.Contains(err.Error(), "directory "+filepath.Join(dir, "missing")+" does not exist") {
		t.Errorf("CheckDest in a missing directory: %v, want one naming the directory", err)
	}
	if err := CheckDest(filepath.Join(dir, "new.txt")); err != nil {
		t.Errorf("CheckDest of a new file: %v", err)
	}
}

// TestWriteSymlink checks that a link stays a link and the file it points
// to, in another directory, gets the content.
func TestWriteSymlink(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	target := filepath.Join(other, "real.txt")
	if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.txt")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	// A relative link to a link, and a dangling link.
	rel := filepath.Join(dir, "rel.txt")
	if err := os.Symlink("link.txt", rel); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling.txt")
	if err := os.Symlink(filepath.Join("..", filepath.Base(other), "new.txt"), dangling); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{link, rel} {
		if err := writeString(p, "new via "+filepath.Base(p)); err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(target); err != nil || string(got) != "new via "+filepath.Base(p) {
			t.Errorf("after writing %s the target holds %q (%v)", p, got, err)
		}
	}
	if err := writeString(dangling, "created"); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(other, "new.txt")); err != nil || string(got) != "created" {
		t.Errorf("writing a dangling link: its target holds %q (%v), want %q", got, err, "created")
	}
	for p, want := range map[string]string{link: target, rel: "link.txt"} {
		fi, err := os.Lstat(p)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("%s is no longer a symbolic link (%v, %v)", p, fi.Mode(), err)
			continue
		}
		if got, _ := os.Readlink(p); got != want {
			t.Errorf("%s links to %s, want %s", p, got, want)
		}
	}
	if st, err := os.Stat(target); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("the target's mode is %v (%v), want its old 0600", st.Mode(), err)
	}
	if got := strings.Join(names(t, dir), " "); got != "dangling.txt link.txt rel.txt" {
		t.Errorf("the link's directory holds %q, want the three links only", got)
	}
	if got := strings.Join(names(t, other), " "); got != "new.txt real.txt" {
		t.Errorf("the target's directory holds %q, want new.txt and real.txt only", got)
	}
}

// TestWriteMode checks that a new file gets 0666 less the umask and a
// replaced file keeps its mode.
func TestWriteMode(t *testing.T) {
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	dir := t.TempDir()
	p := filepath.Join(dir, "new.txt")
	if err := writeString(p, "x"); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o640 {
		t.Errorf("new file with umask 027: mode %v (%v), want 0640", st.Mode().Perm(), err)
	}
	for _, mode := range []fs.FileMode{0o600, 0o755, 0o444, 0} {
		q := filepath.Join(dir, "existing-"+mode.String())
		if err := os.WriteFile(q, []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(q, mode); err != nil {
			t.Fatal(err)
		}
		if err := writeString(q, "new"); err != nil {
			t.Fatal(err)
		}
		if st, err := os.Stat(q); err != nil || st.Mode().Perm() != mode {
			t.Errorf("replaced file of mode %v: mode %v (%v), want it kept", mode, st.Mode().Perm(), err)
		}
	}
}
