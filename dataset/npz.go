package dataset

import (
	"archive/zip"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sobolev-pruning/sobolev/internal/atomicfile"
)

// bufSize is the size of the scratch buffers that encode and decode values.
const bufSize = 64 << 10

// maxDeflateRatio bounds the size of a deflated entry's content relative to
// the archive's size (deflate cannot compress by more than about 1032:1), so
// that a header cannot make ReadNPZ allocate more than the file can hold.
const maxDeflateRatio = 1032

// zipEpoch is the modification time of every entry the writers store: the
// earliest time a zip archive can hold, so that equal data give equal files.
var zipEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// array names one array of a Set as it is stored in a .npz archive.
type array string

// arraysOf returns the arrays of a Set with the optional arrays with, in
// archive order (Arrays.Names).
func arraysOf(with Arrays) []array {
	var a []array
	for _, name := range with.Names() {
		a = append(a, array(name))
	}
	return a
}

// at formats the position of the value at index i of the array, for rows of
// n inputs numbered from first: "row 3", "row 3, column 1" or "row 3,
// entry (0, 1)".
func (a array) at(i, n, first int) string {
	switch a {
	case "y", "gamma":
		return fmt.Sprintf("row %d", first+i)
	case "x", "dydx":
		return fmt.Sprintf("row %d, column %d", first+i/n, i%n)
	}
	r := i % (n * n)
	return fmt.Sprintf("row %d, entry (%d, %d)", first+i/(n*n), r/n, r%n)
}

// shape returns the array's shape for rows rows of n inputs.
func (a array) shape(rows, n int) []int {
	switch a {
	case "y", "gamma":
		return []int{rows}
	case "x", "dydx":
		return []int{rows, n}
	}
	return []int{rows, n, n}
}

// data returns the array's slice of s.
func (a array) data(s *Set) []float64 {
	switch a {
	case "x":
		return s.X
	case "y":
		return s.Y
	case "dydx":
		return s.DYDX
	case "gamma":
		return s.Gamma
	}
	return s.Hessian
}

// ReadNPZ reads a Set from the .npz archive at path. The archive must hold the
// arrays x (N, n), y (N,) and dydx (N, n), and may hold gamma (N,) and hessian
// (N, n, n); y and gamma may also have shape (N, 1), and other arrays are
// ignored. Every array must be in C order, and every value finite.
//
// Arrays may be float64, float32 or float16, or signed or unsigned integers
// of 1, 2, 4 or 8 bytes, little- or big-endian. Every value is converted to
// float64 exactly; a 64-bit integer that float64 cannot represent (which
// needs more than 2⁵³ in magnitude) is an error naming the array and the row.
// The returned Set's Widened lists the arrays that were not float64. Other
// dtypes, such as bool, complex, strings and Python objects, are refused.
func ReadNPZ(path string) (*Set, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, zipOpenError(path, err)
	}
	defer zr.Close()
	entries, err := npyEntries(path, zr.File)
	if err != nil {
		return nil, err
	}

	// Read every header and check the shapes before allocating anything.
	var arrs []openedArray
	defer func() {
		for _, a := range arrs {
			a.rc.Close()
		}
	}()
	limit := uint64(info.Size())
	for _, name := range arraysOf(WithGamma | WithHessian) {
		f := entries[string(name)]
		if f == nil {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("dataset: %s: array %q: %w", path, name, err)
		}
		arrs = append(arrs, openedArray{array: name, rc: rc})
		if err := arrs[len(arrs)-1].readHeader(path, f, limit); err != nil {
			return nil, err
		}
	}
	rows, n, with, err := checkShapes(path, arrs)
	if err != nil {
		return nil, err
	}

	s := New(rows, n, with)
	buf := make([]byte, bufSize)
	for _, a := range arrs {
		if err := a.readData(path, s, n, buf); err != nil {
			return nil, err
		}
	}
	if err := s.finiteError(0); err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", path, err)
	}
	return s, nil
}

// npyEntries returns the .npy members of the archive at path by array name
// (the member's name without ".npy"), or an error naming the members there
// are if x, y or dydx is missing.
func npyEntries(path string, files []*zip.File) (map[string]*zip.File, error) {
	entries := map[string]*zip.File{}
	var names []string
	for _, f := range files {
		if name, ok := strings.CutSuffix(f.Name, ".npy"); ok {
			entries[name] = f
			names = append(names, strconv.Quote(name))
		}
	}
	for _, name := range []string{"x", "y", "dydx"} {
		if entries[name] == nil {
			found := "no .npy arrays"
			if len(names) > 0 {
				found = strings.Join(names, ", ")
			}
			return nil, fmt.Errorf("dataset: %s: missing array %q (the archive has %s)", path, name, found)
		}
	}
	return entries, nil
}

// openedArray is an array member of a .npz archive opened for reading, with
// the dtype and shape its .npy header declares once readHeader has read it.
type openedArray struct {
	array
	rc    io.ReadCloser
	dtype dtype
	shape []int
}

// readHeader reads the .npy header of the member f of the archive at path
// (limit bytes long) and records its dtype and shape. It returns an error
// unless the data after the header hold exactly the bytes the shape needs,
// which also bounds what reading the array can allocate.
func (a *openedArray) readHeader(path string, f *zip.File, limit uint64) error {
	h, err := readNPYHeader(a.rc, f.UncompressedSize64)
	if err != nil {
		return fmt.Errorf("dataset: %s: array %q: %w", path, a.array, err)
	}
	a.dtype, a.shape = h.dtype, h.shape
	avail := f.UncompressedSize64 - uint64(h.size)
	bound := limit
	if f.Method != zip.Store {
		bound *= maxDeflateRatio
	}
	need, ok := byteSize(h.shape, h.dtype.size)
	if !ok || need > avail || need > bound {
		return fmt.Errorf("dataset: %s: array %q: %s %s needs %s bytes, %d left: %w",
			path, a.array, dimsString(h.shape), h.dtype.name(), needString(need, ok), min(avail, bound), io.ErrUnexpectedEOF)
	}
	if need < avail {
		return fmt.Errorf("dataset: %s: array %q: %s %s needs %d bytes, but the entry holds %d after its header",
			path, a.array, dimsString(h.shape), h.dtype.name(), need, avail)
	}
	return nil
}

// checkShapes returns the number of rows and of inputs that x's shape
// declares, and the optional arrays among arrs, or an error if x is not
// (N, n) or another array's shape does not match it ((N, 1) reads as (N,)).
func checkShapes(path string, arrs []openedArray) (rows, n int, with Arrays, err error) {
	x := arrs[0].shape
	if len(x) != 2 || x[1] < 1 {
		return 0, 0, 0, fmt.Errorf("dataset: %s: array %q has shape %s, want (N, n) with n ≥ 1: one row of n inputs per sample",
			path, "x", shapeString(x))
	}
	rows, n = x[0], x[1]
	for i := range arrs {
		a := &arrs[i]
		switch a.array {
		case "gamma":
			with |= WithGamma
		case "hessian":
			with |= WithHessian
		}
		got, want := a.shape, a.array.shape(rows, n)
		if len(want) == 1 && len(got) == 2 && got[1] == 1 {
			got = got[:1] // (N, 1) reads as (N,)
		}
		if !equalShape(got, want) {
			return 0, 0, 0, fmt.Errorf("dataset: %s: array %q has shape %s, want %s to match %q",
				path, a.array, shapeString(a.shape), shapeString(want), "x")
		}
	}
	return rows, n, with, nil
}

// readData decodes the array's values into its slice of s (rows of n
// inputs), through buf, records in s.Widened that it was not float64, and
// reads the member to its end so that the zip reader verifies its checksum.
func (a openedArray) readData(path string, s *Set, n int, buf []byte) error {
	if err := a.dtype.decode(a.data(s), a.rc, buf); err != nil {
		var ie *inexactError
		if errors.As(err, &ie) {
			return fmt.Errorf("dataset: %s: array %q is %s ('%s') and has %s at %s, which float64 cannot represent exactly "+
				"(float64 holds integers exactly up to 2⁵³ in magnitude); save the array as float64 if rounding is acceptable",
				path, a.array, a.dtype.name(), a.dtype.descr, ie.value, a.array.at(ie.index, n, 0))
		}
		return fmt.Errorf("dataset: %s: array %q: %s %s data: %w", path, a.array, dimsString(a.shape), a.dtype.name(), err)
	}
	if a.dtype.widens() {
		s.Widened = append(s.Widened, Widening{Array: string(a.array), Dtype: a.dtype.descr})
	}
	// Reading to the end makes the zip reader verify the entry's checksum.
	if _, err := a.rc.Read(buf[:1]); err != io.EOF {
		if err == nil {
			err = errors.New("entry holds more data than its header declares")
		}
		return fmt.Errorf("dataset: %s: array %q: %w", path, a.array, err)
	}
	return nil
}

// zipOpenError explains why zip.OpenReader failed on path.
func zipOpenError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("dataset: %w", err)
	}
	f, ferr := os.Open(path)
	if ferr != nil {
		return fmt.Errorf("dataset: %w", ferr)
	}
	defer f.Close()
	var magic [4]byte
	k, _ := io.ReadFull(f, magic[:])
	switch {
	case k == 0:
		return fmt.Errorf("dataset: %s: file is empty, want a .npz archive (a zip of .npy arrays)", path)
	case string(magic[:k]) == "PK\x03\x04":
		return fmt.Errorf("dataset: %s: truncated or damaged zip archive (it starts like one but its central directory is missing; %v): %w",
			path, err, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("dataset: %s: not a zip archive (starts with %q; a .npz file is a zip of .npy arrays): %w", path, magic[:k], err)
}

// byteSize returns size times the product of shape, and false on overflow.
func byteSize(shape []int, size int) (uint64, bool) {
	const maxBytes = 1 << 62
	p := uint64(size)
	for _, d := range shape {
		if d != 0 && p > maxBytes/uint64(d) {
			return 0, false
		}
		p *= uint64(d)
	}
	return p, true
}

func needString(need uint64, ok bool) string {
	if !ok {
		return "more than 2⁶²"
	}
	return strconv.FormatUint(need, 10)
}

// dimsString formats a shape as 8192×7.
func dimsString(shape []int) string {
	if len(shape) == 0 {
		return "scalar"
	}
	s := make([]string, len(shape))
	for i, d := range shape {
		s[i] = strconv.Itoa(d)
	}
	return strings.Join(s, "×")
}

func equalShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// WriteNPZ writes s to path as a .npz archive (see the package documentation),
// atomically. It returns an error, and leaves no file, if s is not valid.
func WriteNPZ(path string, s *Set) error {
	if err := s.check(0); err != nil {
		return fmt.Errorf("dataset: %s: %w", path, err)
	}
	buf := make([]byte, bufSize)
	err := atomicfile.Write(path, func(out io.Writer) error {
		zw := zip.NewWriter(out)
		for _, a := range arraysOf(s.Arrays()) {
			w, err := createEntry(zw, a, s.N(), s.dims)
			if err != nil {
				return err
			}
			if err := encodeFloats(w, a.data(s), buf); err != nil {
				return err
			}
		}
		return zw.Close()
	})
	if err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	return nil
}

// createEntry starts the entry of array a in zw and writes its NPY header.
func createEntry(zw *zip.Writer, a array, rows, n int) (io.Writer, error) {
	w, err := zw.CreateHeader(&zip.FileHeader{Name: string(a) + ".npy", Method: zip.Store, Modified: zipEpoch})
	if err != nil {
		return nil, err
	}
	_, err = w.Write(npyHeader(a.shape(rows, n)...))
	return w, err
}

// A Writer writes a .npz archive block by block, for sets too large to hold
// in memory. Each array goes to its own temporary file in the destination's
// directory as the blocks arrive; Close then copies them, one after the other,
// into the archive, which it writes atomically. A Writer thus holds no more
// than one block and a few buffers in memory, and needs about twice the
// archive's size on disk until Close returns.
//
// The idiom is
//
//	w, err := dataset.CreateNPZ(path, n, with)
//	if err != nil { … }
//	defer w.Abort()
//	for … { if err := w.Write(block); err != nil { return err } }
//	return w.CloseContext(ctx)
type Writer struct {
	path   string
	dims   int
	arrays Arrays
	rows   int
	parts  []part
	buf    []byte
	done   bool
}

// part is the temporary file of one array.
type part struct {
	array
	f *os.File
	w *bufio.Writer
}

// CreateNPZ returns a Writer that writes a .npz archive of rows with dims
// inputs and the optional arrays with to path. It creates the temporary
// files at once, so an unwritable directory is reported here.
// CreateNPZ panics if dims < 1 or with has unknown bits.
func CreateNPZ(path string, dims int, with Arrays) (*Writer, error) {
	if dims < 1 {
		panic(panicDims)
	}
	if with&^allArrays != 0 {
		panic(panicArrays)
	}
	w := &Writer{path: path, dims: dims, arrays: with, buf: make([]byte, bufSize)}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	for _, a := range arraysOf(with) {
		f, err := os.CreateTemp(dir, "."+base+"."+string(a)+"-*.tmp")
		if err != nil {
			w.Abort()
			return nil, fmt.Errorf("dataset: cannot write %s: %w", path, err)
		}
		w.parts = append(w.parts, part{array: a, f: f, w: bufio.NewWriterSize(f, bufSize)})
	}
	return w, nil
}

// Rows returns the number of rows written so far.
func (w *Writer) Rows() int { return w.rows }

// Write appends the rows of s. s must have the Writer's number of inputs and
// optional arrays, and finite values; otherwise Write returns an error that
// names the row of the archive, and the archive can only be aborted.
func (w *Writer) Write(s *Set) error {
	if w.done {
		return fmt.Errorf("dataset: %s: write after Close or Abort", w.path)
	}
	if s.dims != w.dims || s.Arrays() != w.arrays {
		return fmt.Errorf("dataset: %s: block has %d inputs and arrays %s, want %d inputs and arrays %s",
			w.path, s.dims, arrayNames(s.Arrays()), w.dims, arrayNames(w.arrays))
	}
	if err := s.check(w.rows); err != nil {
		return fmt.Errorf("dataset: %s: %w", w.path, err)
	}
	for _, p := range w.parts {
		if err := encodeFloats(p.w, p.data(s), w.buf); err != nil {
			return fmt.Errorf("dataset: cannot write %s: %w", w.path, err)
		}
	}
	w.rows += s.N()
	return nil
}

// arrayNames lists the arrays of a Set with the optional arrays a.
func arrayNames(a Arrays) string { return strings.Join(a.Names(), ", ") }

// Close writes the archive of all rows written and renames it into place.
// Whether or not it succeeds, the temporary files are removed; on failure the
// destination is left as it was.
func (w *Writer) Close() error {
	return w.CloseContext(context.Background())
}

// CloseContext is Close with a context: the arrays are copied into the
// archive in chunks of 64 KiB, and if ctx is cancelled CloseContext stops at
// the next chunk, removes the temporary files and returns ctx.Err().
func (w *Writer) CloseContext(ctx context.Context) error {
	if w.done {
		return fmt.Errorf("dataset: %s: Close after Close or Abort", w.path)
	}
	defer w.Abort()
	for _, p := range w.parts {
		if err := p.w.Flush(); err != nil {
			return fmt.Errorf("dataset: cannot write %s: %w", w.path, err)
		}
	}
	err := atomicfile.Write(w.path, func(out io.Writer) error {
		zw := zip.NewWriter(out)
		for _, p := range w.parts {
			if _, err := p.f.Seek(0, io.SeekStart); err != nil {
				return err
			}
			e, err := createEntry(zw, p.array, w.rows, w.dims)
			if err != nil {
				return err
			}
			if err := copyContext(ctx, e, p.f, w.buf); err != nil {
				return err
			}
		}
		return zw.Close()
	})
	if err != nil && !errors.Is(err, ctx.Err()) {
		err = fmt.Errorf("dataset: %w", err)
	}
	return err
}

// copyContext copies r to w through buf, a chunk at a time, and returns
// ctx.Err() as soon as ctx is cancelled.
func copyContext(ctx context.Context, w io.Writer, r io.Reader, buf []byte) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		k, err := r.Read(buf)
		if k > 0 {
			if _, err := w.Write(buf[:k]); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// Abort removes the temporary files and leaves the destination as it was.
// After Close it does nothing, so "defer w.Abort()" is safe.
func (w *Writer) Abort() {
	if w.done {
		return
	}
	w.done = true
	for _, p := range w.parts {
		p.f.Close()
		os.Remove(p.f.Name())
	}
}
