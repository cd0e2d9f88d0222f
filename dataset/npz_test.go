package dataset

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// entry is one file of a zip archive that a test builds.
type entry struct {
	name string
	data []byte
}

// writeZip writes the entries, stored uncompressed, as a zip archive at path.
func writeZip(t *testing.T, path string, entries ...entry) {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, e := range entries {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// npy builds an .npy file by hand from the NPY 1.0 spec: magic, version 1.0,
// uint16 little-endian header length, the dict padded with spaces and ended by
// '\n' to a multiple of 64 bytes, then the data.
func npy(dict string, data []byte) []byte {
	total := (10 + len(dict) + 1 + 63) / 64 * 64
	b := []byte("\x93NUMPY\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(total-10))
	b = append(b, dict...)
	b = append(b, strings.Repeat(" ", total-len(b)-1)...)
	b = append(b, '\n')
	return append(b, data...)
}

// le returns the values as little-endian float64 bytes; be as big-endian.
func le(v ...float64) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	return b
}

func dict(descr, fortran, shape string) string {
	return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }"
}

// sameBits reports whether a and b hold the same float64 bit patterns.
func sameBits(a, b []float64) bool {
	if len(a) != len(b) || (a == nil) != (b == nil) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

func sameSet(t *testing.T, got, want *Set) {
	t.Helper()
	if got.Dims() != want.Dims() || got.N() != want.N() || got.Arrays() != want.Arrays() {
		t.Fatalf("got N %d, n %d, arrays %b; want %d, %d, %b",
			got.N(), got.Dims(), got.Arrays(), want.N(), want.Dims(), want.Arrays())
	}
	for _, a := range arraysOf(want.Arrays()) {
		if !sameBits(a.data(got), a.data(want)) {
			t.Errorf("array %q differs from what was written", a)
		}
	}
}

func TestNPYHeaderMatchesNumPy(t *testing.T) {
	// Bytes that numpy 1.24 writes with numpy.save for float64 arrays.
	for _, tc := range []struct {
		shape []int
		want  string
	}{
		{[]int{8192, 7}, "\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (8192, 7), }" + strings.Repeat(" ", 55) + "\n"},
		{[]int{3}, "\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }" + strings.Repeat(" ", 60) + "\n"},
		{[]int{0, 2, 2}, "\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (0, 2, 2), }" + strings.Repeat(" ", 55) + "\n"},
	} {
		if got := string(npyHeader(tc.shape...)); got != tc.want {
			t.Errorf("npyHeader(%v) = %q, want %q", tc.shape, got, tc.want)
		}
	}
}

// TestReadNPZGolden reads an archive whose .npy bytes are written out by hand.
func TestReadNPZGolden(t *testing.T) {
	path := filepath.Join(t.TempDir(), "golden.npz")
	pad := func(k int) string { return strings.Repeat(" ", k) }
	writeZip(t, path,
		entry{"x.npy", []byte("\x93NUMPY\x01\x00\x76\x00{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1), }" + pad(58) + "\n" +
			"\x00\x00\x00\x00\x00\x00\xf8\x3f" + // 1.5
			"\x00\x00\x00\x00\x00\x00\x00\xc0")}, // -2
		entry{"notes.txt", []byte("ignored")},
		entry{"y.npy", []byte("\x93NUMPY\x01\x00\x76\x00{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }" + pad(60) + "\n" +
			"\x00\x00\x00\x00\x00\x00\xf0\x3f" + // 1
			"\x00\x00\x00\x00\x00\x00\x00\x80")}, // -0
		// Version 2.0 header (uint32 length), double-quoted keys, y-style (N, 1) gamma.
		entry{"gamma.npy", []byte("\x93NUMPY\x02\x00\x74\x00\x00\x00{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (2, 1)}" + pad(58) + "\n" +
			"\x00\x00\x00\x00\x00\x00\x10\x40" + // 4
			"\x01\x00\x00\x00\x00\x00\x00\x00")}, // smallest subnormal
		entry{"dydx.npy", []byte("\x93NUMPY\x01\x00\x76\x00{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1), }" + pad(58) + "\n" +
			"\x00\x00\x00\x00\x00\x00\xe0\x3f" + // 0.5
			"\xff\xff\xff\xff\xff\xff\xef\x7f")}, // MaxFloat64
	)
	s, err := ReadNPZ(path)
	if err != nil {
		t.Fatal(err)
	}
	want := &Set{
		X:     []float64{1.5, -2},
		Y:     []float64{1, math.Copysign(0, -1)},
		DYDX:  []float64{0.5, math.MaxFloat64},
		Gamma: []float64{4, math.SmallestNonzeroFloat64},
		dims:  1,
	}
	sameSet(t, s, want)
}

func TestNPZRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		rows, n int
		with    Arrays
	}{
		{5, 3, 0},
		{5, 3, WithGamma},
		{4, 2, WithGamma | WithHessian},
		{3, 1, WithHessian},
		{0, 7, WithGamma},
	} {
		s := filled(tc.rows, tc.n, tc.with)
		if tc.rows > 2 {
			s.X[1] = math.Copysign(0, -1)
			s.Y[2] = math.SmallestNonzeroFloat64
			s.DYDX[0] = -math.MaxFloat64
		}
		path := filepath.Join(dir, "a.npz")
		if err := WriteNPZ(path, s); err != nil {
			t.Fatal(err)
		}
		got, err := ReadNPZ(path)
		if err != nil {
			t.Fatalf("%d×%d arrays %b: %v", tc.rows, tc.n, tc.with, err)
		}
		sameSet(t, got, s)

		// The streaming writer gives the same bytes, whatever the blocks.
		first, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, block := range []int{1, 2, 7} {
			w, err := CreateNPZ(path, tc.n, tc.with)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < tc.rows; i += block {
				if err := w.Write(s.Slice(i, min(i+block, tc.rows))); err != nil {
					t.Fatal(err)
				}
			}
			if w.Rows() != tc.rows {
				t.Errorf("Rows = %d after writing %d", w.Rows(), tc.rows)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			second, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first, second) {
				t.Errorf("%d×%d arrays %b: Writer with blocks of %d rows wrote other bytes than WriteNPZ", tc.rows, tc.n, tc.with, block)
			}
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only a.npz", len(entries))
	}
}

func TestReadNPZErrors(t *testing.T) {
	dir := t.TempDir()
	x := npy(dict("<f8", "False", "(2, 3)"), le(1, 2, 3, 4, 5, 6))
	y := npy(dict("<f8", "False", "(2,)"), le(1, 2))
	dydx := npy(dict("<f8", "False", "(2, 3)"), le(1, 2, 3, 4, 5, 6))
	valid := filepath.Join(dir, "valid.npz")
	writeZip(t, valid, entry{"x.npy", x}, entry{"y.npy", y}, entry{"dydx.npy", dydx})
	if _, err := ReadNPZ(valid); err != nil {
		t.Fatalf("the base archive of the error cases does not read: %v", err)
	}
	validBytes, err := os.ReadFile(valid)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name    string
		entries []entry
		raw     []byte // file content instead of entries
		want    string
		eof     bool // the error wraps io.ErrUnexpectedEOF
	}{
		{name: "missing dydx", entries: []entry{{"x.npy", x}, {"y.npy", y}},
			want: `missing dydx.npz: missing array "dydx" (the archive has "x", "y")`},
		{name: "no arrays", entries: []entry{{"readme.txt", []byte("hi")}},
			want: `missing array "x" (the archive has no .npy arrays)`},
		{name: "dydx shape", entries: []entry{{"x.npy", x}, {"y.npy", y}, {"dydx.npy", npy(dict("<f8", "False", "(3, 2)"), le(1, 2, 3, 4, 5, 6))}},
			want: `array "dydx" has shape (3, 2), want (2, 3) to match "x"`},
		{name: "y rows", entries: []entry{{"x.npy", x}, {"y.npy", npy(dict("<f8", "False", "(3,)"), le(1, 2, 3))}, {"dydx.npy", dydx}},
			want: `array "y" has shape (3,), want (2,) to match "x"`},
		{name: "hessian shape", entries: []entry{{"x.npy", x}, {"y.npy", y}, {"dydx.npy", dydx}, {"hessian.npy", npy(dict("<f8", "False", "(2, 3)"), le(1, 2, 3, 4, 5, 6))}},
			want: `array "hessian" has shape (2, 3), want (2, 3, 3) to match "x"`},
		{name: "x 1-D", entries: []entry{{"x.npy", npy(dict("<f8", "False", "(2,)"), le(1, 2))}, {"y.npy", y}, {"dydx.npy", dydx}},
			want: `array "x" has shape (2,), want (N, n) with n ≥ 1`},
		{name: "structured", entries: []entry{{"x.npy", x}, {"y.npy", npy("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (2,), }", le(1, 2))}, {"dydx.npy", dydx}},
			want: `array "y": dtype is (('a', '<f8'),) (a structured dtype), want float64, float32, float16 or a signed or unsigned integer`},
		{name: "Fortran order", entries: []entry{{"x.npy", x}, {"y.npy", y}, {"dydx.npy", npy(dict("<f8", "True", "(2, 3)"), le(1, 2, 3, 4, 5, 6))}},
			want: `array "dydx": array is in Fortran order (fortran_order True), want C order`},
		{name: "no shape", entries: []entry{{"x.npy", npy("{'descr': '<f8', 'fortran_order': False}", nil)}, {"y.npy", y}, {"dydx.npy", dydx}},
			want: `has no key "shape"`},
		{name: "garbled header", entries: []entry{{"x.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3}", le(1, 2, 3, 4, 5, 6))}, {"y.npy", y}, {"dydx.npy", dydx}},
			want: `array "x": malformed NPY header`},
		{name: "not npy", entries: []entry{{"x.npy", []byte("x1,x2\n1,2\n")}, {"y.npy", y}, {"dydx.npy", dydx}},
			want: `array "x": not an NPY array: starts with "x1,x2\n", want "\x93NUMPY"`},
		{name: "version 4", entries: []entry{{"x.npy", append([]byte("\x93NUMPY\x04\x00"), x[8:]...)}, {"y.npy", y}, {"dydx.npy", dydx}},
			want: `NPY format version 4.0 is not supported`},
		{name: "data short", entries: []entry{{"x.npy", x}, {"y.npy", y}, {"dydx.npy", npy(dict("<f8", "False", "(2, 3)"), le(1, 2, 3))}},
			want: `array "dydx": 2×3 float64 needs 48 bytes, 24 left: unexpected EOF`, eof: true},
		{name: "huge shape", entries: []entry{{"x.npy", npy(dict("<f8", "False", "(4611686018427387904, 3)"), nil)}, {"y.npy", y}, {"dydx.npy", dydx}},
			want: `array "x": 4611686018427387904×3 float64 needs more than 2⁶² bytes, 0 left`, eof: true},
		{name: "data long", entries: []entry{{"x.npy", x}, {"y.npy", npy(dict("<f8", "False", "(2,)"), le(1, 2, 3))}, {"dydx.npy", dydx}},
			want: `array "y": 2 float64 needs 16 bytes, but the entry holds 24 after its header`},
		{name: "NaN", entries: []entry{{"x.npy", x}, {"y.npy", y}, {"dydx.npy", npy(dict("<f8", "False", "(2, 3)"), le(1, 2, 3, 4, math.NaN(), 6))}},
			want: `array "dydx" has NaN at row 1, column 1 (want finite values)`},
		{name: "Inf", entries: []entry{{"x.npy", x}, {"y.npy", npy(dict("<f8", "False", "(2,)"), le(math.Inf(-1), 2))}, {"dydx.npy", dydx}},
			want: `array "y" has -Inf at row 0`},
		{name: "truncated", raw: validBytes[:len(validBytes)-40],
			want: `truncated or damaged zip archive`, eof: true},
		{name: "not a zip", raw: []byte("x1,y,dydx1\n1,2,3\n"),
			want: `not a zip archive (starts with "x1,y"; a .npz file is a zip of .npy arrays)`},
		{name: "empty", raw: []byte{},
			want: `file is empty, want a .npz archive`},
		{name: "bad checksum", raw: bytes.Replace(validBytes, le(5, 6), le(5, 7), 1),
			want: `zip: checksum error`},
	} {
		path := filepath.Join(dir, tc.name+".npz")
		if tc.raw != nil {
			if err := os.WriteFile(path, tc.raw, 0o644); err != nil {
				t.Fatal(err)
			}
		} else {
			writeZip(t, path, tc.entries...)
		}
		_, err := ReadNPZ(path)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "dataset: "+path+": ") || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: error\n\t%s\nwant it to start with %q and contain\n\t%s", tc.name, msg, "dataset: "+path, tc.want)
		}
		if got := errors.Is(err, io.ErrUnexpectedEOF); got != tc.eof {
			t.Errorf("%s: errors.Is(err, io.ErrUnexpectedEOF) = %v, want %v", tc.name, got, tc.eof)
		}
	}
	if _, err := ReadNPZ(filepath.Join(dir, "absent.npz")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("absent file: error %v, want one wrapping os.ErrNotExist", err)
	}
}

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "train.npz")
	old := filled(3, 2, 0)
	if err := WriteNPZ(path, old); err != nil {
		t.Fatal(err)
	}
	names := func() []string {
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

	bad := filled(3, 2, 0)
	bad.Y[1] = math.NaN()
	if err := WriteNPZ(path, bad); err == nil || !strings.Contains(err.Error(), `array "y" has NaN at row 1`) {
		t.Errorf("WriteNPZ of a set with NaN: error %v, want one naming y and row 1", err)
	}

	w, err := CreateNPZ(path, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(filled(4, 2, 0)); err != nil {
		t.Fatal(err)
	}
	err = w.Write(bad)
	if want := `dataset: ` + path + `: array "y" has NaN at row 5 (want finite values)`; err == nil || err.Error() != want {
		t.Errorf("Writer.Write of a block with NaN: error %v, want %q", err, want)
	}
	if err := w.Write(filled(1, 3, 0)); err == nil || !strings.Contains(err.Error(), "block has 3 inputs and arrays x, y, dydx, want 2 inputs") {
		t.Errorf("Writer.Write of a block of other shape: error %v", err)
	}
	w.Abort()
	w.Abort()
	if err := w.Write(filled(1, 2, 0)); err == nil {
		t.Error("Write after Abort: no error")
	}
	if err := w.Close(); err == nil {
		t.Error("Close after Abort: no error")
	}
	if got := names(); len(got) != 1 || got[0] != "train.npz" {
		t.Errorf("after failed writes the directory holds %q, want only train.npz", got)
	}
	if s, err := ReadNPZ(path); err != nil {
		t.Error(err)
	} else {
		sameSet(t, s, old)
	}

	// A Close that cannot rename (the destination is a directory) leaves nothing.
	sub := filepath.Join(dir, "sub.npz")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	w, err = CreateNPZ(sub, 2, WithGamma)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(filled(2, 2, WithGamma)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err == nil {
		t.Error("Close onto a directory: no error")
	}
	if got := names(); len(got) != 2 {
		t.Errorf("after a failed Close the directory holds %q, want train.npz and sub.npz", got)
	}

	if _, err := CreateNPZ(filepath.Join(dir, "missing", "a.npz"), 2, 0); err == nil {
		t.Error("CreateNPZ in a missing directory: no error")
	}
	if err := WriteNPZ(filepath.Join(dir, "missing", "a.npz"), old); err == nil {
		t.Error("WriteNPZ in a missing directory: no error")
	}
}

// TestWriterStreams writes 200,000 rows (25.6 MB of values) through one
// reused block of 4096 rows and checks that the Writer allocates far less than
// the data: it never holds the set, nor copies a block.
func TestWriterStreams(t *testing.T) {
	const rows, n, blockRows = 200_000, 7, 4096
	path := filepath.Join(t.TempDir(), "big.npz")
	block := New(blockRows, n, WithGamma)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	w, err := CreateNPZ(path, n, WithGamma)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	for r := 0; r < rows; r += blockRows {
		b := block.Slice(0, min(blockRows, rows-r))
		for i := range b.Y {
			row := float64(r + i)
			b.Y[i], b.Gamma[i] = row, -row
			for j := range n {
				b.X[i*n+j], b.DYDX[i*n+j] = row+float64(j)/8, row*float64(j)
			}
		}
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	data := rows * (2*n + 2) * 8
	alloc := after.TotalAlloc - before.TotalAlloc
	if alloc > 2<<20 {
		t.Errorf("writing %d bytes of values allocated %d bytes, want at most 2 MiB", data, alloc)
	}
	t.Logf("writing %d bytes of values allocated %d bytes", data, alloc)
	s, err := ReadNPZ(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.N() != rows || s.Y[rows-1] != rows-1 || s.X[(rows-1)*n+4] != rows-1+0.5 || s.DYDX[123457*n+3] != 3*123457 || s.Gamma[4096] != -4096 {
		t.Errorf("read back %d rows with wrong values", s.N())
	}
}

// TestReadNPZDeflated reads an archive as numpy.savez_compressed writes it:
// deflated entries, whose sizes are checked against the uncompressed size.
func TestReadNPZDeflated(t *testing.T) {
	want := filled(300, 4, WithHessian)
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, a := range arraysOf(want.Arrays()) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: string(a) + ".npy", Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(npyHeader(a.shape(300, 4)...))
		w.Write(le(a.data(want)...))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "compressed.npz")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadNPZ(path)
	if err != nil {
		t.Fatal(err)
	}
	sameSet(t, got, want)
}
