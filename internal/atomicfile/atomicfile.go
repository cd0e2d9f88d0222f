// Package atomicfile writes files so that a reader never sees a partial one:
// the content goes to a temporary file in the destination's directory, which
// is synced and then renamed over the destination. On any error, including a
// cancelled write, the temporary file is removed and the destination is left
// as it was.
//
// A destination that is a symbolic link stays one: the file it points to is
// replaced, through a temporary file in that file's directory. A destination
// that exists but is not a regular file (a device such as /dev/null, a FIFO,
// a socket or a directory) is refused, because renaming a file over it would
// replace it. A new file gets mode 0666 less the process's umask, as files
// that other tools create; a replaced file keeps its mode.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// ErrNotRegular is wrapped by the errors of Write, Resolve and CheckDest for
// a destination that exists and is not a regular file.
var ErrNotRegular = errors.New("not a regular file")

// maxLinks bounds the symbolic links Resolve follows, as Linux does.
const maxLinks = 40

// Write creates or replaces the file at path with what write puts into w.
// The writer is buffered; write must not keep it after returning. If write
// returns an error, Write removes the temporary file and returns that error
// unchanged, so callers can test it with errors.Is. Write refuses, before
// calling write, a destination that Resolve refuses.
func Write(path string, write func(w io.Writer) error) (err error) {
	dst, err := Resolve(path)
	if err != nil {
		return err
	}
	// An existing file's mode is kept; a new one's comes from createTemp.
	st, statErr := os.Stat(dst)
	f, err := createTemp(dst)
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if statErr == nil {
		if err := f.Chmod(st.Mode().Perm()); err != nil {
			return fmt.Errorf("cannot write %s: %w", path, err)
		}
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), dst); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

// createTemp creates a new file named after dst in dst's directory with mode
// 0666, which the kernel reduces by the umask (os.CreateTemp would make it
// 0600).
func createTemp(dst string) (*os.File, error) {
	dir, base := filepath.Split(dst)
	for range 10000 {
		name := filepath.Join(dir, "."+base+".tmp-"+strconv.FormatUint(uint64(rand.Uint32()), 10))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, fmt.Errorf("cannot create a temporary file in %s", dir)
}

// Resolve returns the file that Write(path, …) creates or replaces: path with
// its symbolic links followed, also a link to a file that does not exist yet.
// Its error names path and says what to do if that file exists and is not a
// regular file (the error wraps ErrNotRegular) or its directory does not
// exist.
func Resolve(path string) (string, error) {
	p := path
	for range maxLinks {
		fi, err := os.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			dir := filepath.Dir(p)
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				return "", fmt.Errorf("cannot write %s: directory %s does not exist", path, dir)
			}
			return p, nil
		case err != nil:
			return "", fmt.Errorf("cannot write %s: %w", path, err)
		case fi.Mode()&fs.ModeSymlink != 0:
			if t, err := filepath.EvalSymlinks(p); err == nil {
				p = t
				continue
			}
			// A dangling link: follow one step, to the file it names.
			t, err := os.Readlink(p)
			if err != nil {
				return "", fmt.Errorf("cannot write %s: %w", path, err)
			}
			if !filepath.IsAbs(t) {
				t = filepath.Join(filepath.Dir(p), t)
			}
			p = t
		case !fi.Mode().IsRegular():
			what := "it is"
			if p != path {
				what = "it links to " + p + ", which is"
			}
			return "", fmt.Errorf("cannot write %s: %s a %s, %w; name a regular file or a new path",
				path, what, kind(fi.Mode()), ErrNotRegular)
		default:
			return p, nil
		}
	}
	return "", fmt.Errorf("cannot write %s: more than %d levels of symbolic links", path, maxLinks)
}

// CheckDest reports, with the error Write would return, whether Write can
// write path: whether Resolve accepts it. Commands call it before any work
// starts.
func CheckDest(path string) error {
	_, err := Resolve(path)
	return err
}

// kind names the type of a file that is not regular.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	case m&fs.ModeNamedPipe != 0:
		return "FIFO (named pipe)"
	case m&fs.ModeSocket != 0:
		return "socket"
	}
	return "special file"
}
