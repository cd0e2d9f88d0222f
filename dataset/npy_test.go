package dataset

import (
	"encoding/binary"
	"math"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// raw returns the values encoded as size-byte integers of the given byte
// order: the bit patterns of the dtype under test, written by hand.
func raw(order binary.AppendByteOrder, size int, v ...uint64) []byte {
	var b []byte
	for _, x := range v {
		switch size {
		case 1:
			b = append(b, byte(x))
		case 2:
			b = order.AppendUint16(b, uint16(x))
		case 4:
			b = order.AppendUint32(b, uint32(x))
		default:
			b = order.AppendUint64(b, x)
		}
	}
	return b
}

// f32 returns the bit patterns of float32(v) for each v.
func f32(v ...float64) []uint64 {
	b := make([]uint64, len(v))
	for i, x := range v {
		b[i] = uint64(math.Float32bits(float32(x)))
	}
	return b
}

// ints returns the two's complement bit patterns of v.
func ints(v ...int64) []uint64 {
	b := make([]uint64, len(v))
	for i, x := range v {
		b[i] = uint64(x)
	}
	return b
}

// TestReadNPZWidens reads arrays of every accepted dtype, written by hand, and
// checks that each value is the float64 of the original, bit for bit, and that
// Widened names the arrays that were not float64.
func TestReadNPZWidens(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	f32vals := []float64{1.5, -0.1, math.MaxFloat32, math.SmallestNonzeroFloat32, math.Copysign(0, -1)}
	f32want := make([]float64, len(f32vals))
	for i, v := range f32vals {
		f32want[i] = float64(float32(v))
	}
	// Half-precision bit patterns and their values: the smallest and largest
	// subnormals, the smallest normal, 1, -2, the largest finite, -0, 1/3.
	f16bits := []uint64{0x0001, 0x03ff, 0x0400, 0x3c00, 0xc000, 0x7bff, 0x8000, 0x3555}
	f16want := []float64{0x1p-24, 0x3ffp-24, 0x1p-14, 1, -2, 65504, math.Copysign(0, -1), 0x1.554p-2}
	for _, tc := range []struct {
		descr string
		data  []byte
		want  []float64
	}{
		{"<f8", raw(le, 8, math.Float64bits(0.1), math.Float64bits(-math.MaxFloat64)), []float64{0.1, -math.MaxFloat64}},
		{">f8", raw(be, 8, math.Float64bits(0.1), math.Float64bits(math.SmallestNonzeroFloat64)), []float64{0.1, math.SmallestNonzeroFloat64}},
		{"<f4", raw(le, 4, f32(f32vals...)...), f32want},
		{">f4", raw(be, 4, f32(f32vals...)...), f32want},
		{"<f2", raw(le, 2, f16bits...), f16want},
		{">f2", raw(be, 2, f16bits...), f16want},
		{"|i1", raw(le, 1, ints(-128, 127, -1)...), []float64{-128, 127, -1}},
		{"|u1", raw(le, 1, 0, 255, 7), []float64{0, 255, 7}},
		{"<i2", raw(le, 2, ints(-32768, 32767, -2)...), []float64{-32768, 32767, -2}},
		{">u2", raw(be, 2, 65535, 258), []float64{65535, 258}},
		{"<i4", raw(le, 4, ints(math.MinInt32, math.MaxInt32, -1, 0)...), []float64{math.MinInt32, math.MaxInt32, -1, 0}},
		{">i4", raw(be, 4, ints(math.MinInt32, 123456789)...), []float64{math.MinInt32, 123456789}},
		{"<u4", raw(le, 4, math.MaxUint32, 1), []float64{math.MaxUint32, 1}},
		{"<i8", raw(le, 8, ints(-1<<53, 1<<53, 1<<62, math.MinInt64, -3)...), []float64{-0x1p53, 0x1p53, 0x1p62, -0x1p63, -3}},
		{">i8", raw(be, 8, ints(-1<<53+1, 42)...), []float64{-0x1p53 + 1, 42}},
		// 2⁶⁴ − 2¹¹ is the largest uint64 that float64 represents.
		{">u8", raw(be, 8, 1<<63, 1<<64-1<<11), []float64{0x1p63, 0x1p64 - 0x1p11}},
		{"<u8", raw(le, 8, 1<<53, 0), []float64{0x1p53, 0}},
	} {
		rows := len(tc.want)
		path := filepath.Join(t.TempDir(), "a.npz")
		shape := "(" + strconv.Itoa(rows) + ", 1)"
		zero := npy(dict("<f8", "False", shape), make([]byte, 8*rows))
		writeZip(t, path,
			entry{"x.npy", npy(dict(tc.descr, "False", shape), tc.data)},
			entry{"y.npy", zero},
			entry{"dydx.npy", zero})
		s, err := ReadNPZ(path)
		if err != nil {
			t.Errorf("%s: %v", tc.descr, err)
			continue
		}
		if !sameBits(s.X, tc.want) {
			t.Errorf("%s: x = %v, want %v", tc.descr, s.X, tc.want)
		}
		var want []Widening
		if tc.descr[1:] != "f8" {
			want = []Widening{{"x", tc.descr}}
		}
		if !reflect.DeepEqual(s.Widened, want) {
			t.Errorf("%s: Widened = %v, want %v", tc.descr, s.Widened, want)
		}
	}
}

// TestReadNPZWidensEveryArray reads an archive whose five arrays have five
// dtypes and checks the values and the Widened notes, in archive order.
func TestReadNPZWidensEveryArray(t *testing.T) {
	le := binary.LittleEndian
	path := filepath.Join(t.TempDir(), "mixed.npz")
	writeZip(t, path,
		entry{"hessian.npy", npy(dict("|u1", "False", "(2, 1, 1)"), []byte{200, 3})},
		entry{"x.npy", npy(dict("<f4", "False", "(2, 1)"), raw(le, 4, f32(0.1, -2.5)...))},
		entry{"gamma.npy", npy(dict("<i8", "False", "(2,)"), raw(le, 8, ints(-7, 1<<40)...))},
		entry{"y.npy", npy(dict("<f2", "False", "(2,)"), raw(le, 2, 0x0001, 0xbc00))},
		entry{"dydx.npy", npy(dict("<i4", "False", "(2, 1)"), raw(le, 4, ints(-5, 6)...))},
	)
	s, err := ReadNPZ(path)
	if err != nil {
		t.Fatal(err)
	}
	want := &Set{
		X:       []float64{float64(float32(0.1)), -2.5},
		Y:       []float64{0x1p-24, -1},
		DYDX:    []float64{-5, 6},
		Gamma:   []float64{-7, 0x1p40},
		Hessian: []float64{200, 3},
		dims:    1,
	}
	sameSet(t, s, want)
	wantNotes := []Widening{{"x", "<f4"}, {"y", "<f2"}, {"dydx", "<i4"}, {"gamma", "<i8"}, {"hessian", "|u1"}}
	if !reflect.DeepEqual(s.Widened, wantNotes) {
		t.Errorf("Widened = %v, want %v", s.Widened, wantNotes)
	}
	var lines []string
	for _, w := range s.Widened {
		lines = append(lines, w.String())
	}
	if got, want := strings.Join(lines, "\n"), `x is float32 ('<f4'), widened to float64 exactly
y is float16 ('<f2'), widened to float64 exactly
dydx is int32 ('<i4'), widened to float64 exactly
gamma is int64 ('<i8'), widened to float64 exactly
hessian is uint8 ('|u1'), widened to float64 exactly`; got != want {
		t.Errorf("Widened lines:\n%s\nwant\n%s", got, want)
	}
}

// TestReadNPZDtypeErrors checks that non-numeric dtypes, values that float64
// cannot hold exactly, and non-finite values of narrow floats are refused
// with messages that name the array.
func TestReadNPZDtypeErrors(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	dir := t.TempDir()
	x := npy(dict("<f8", "False", "(2, 1)"), make([]byte, 16))
	const accepted = "want float64, float32, float16 or a signed or unsigned integer of 1, 2, 4 or 8 bytes " +
		"('<f8', '<f4', '<f2', '<i8', '<i4', '|u1', …), in either byte order"
	for _, tc := range []struct {
		name  string
		descr string
		data  []byte
		want  string
	}{
		{"complex", "<c16", make([]byte, 32), `array "y": dtype is '<c16' (complex128), ` + accepted},
		{"object", "|O", make([]byte, 16), `array "y": dtype is '|O' (Python objects), ` + accepted},
		{"unicode", "<U5", make([]byte, 40), `array "y": dtype is '<U5' (Unicode strings), ` + accepted},
		{"bytes", "|S3", make([]byte, 6), `array "y": dtype is '|S3' (byte strings), ` + accepted},
		{"bool", "|b1", []byte{0, 1}, `array "y": dtype is '|b1' (bool), ` + accepted},
		{"float128", "<f16", make([]byte, 32), `array "y": dtype is '<f16' (float128), ` + accepted},
		{"datetime", "<M8[ns]", make([]byte, 16), `array "y": dtype is '<M8[ns]' (datetime64), ` + accepted},
		{"odd size", "<i3", make([]byte, 6), `array "y": dtype is '<i3' (int24), ` + accepted},
		{"no byte order", "|f4", make([]byte, 8), `array "y": dtype is '|f4' (float32) without a byte order, want '<f4' or '>f4'`},
		{"native order", "=i8", make([]byte, 16), `array "y": dtype is '=i8' (int64) without a byte order, want '<i8' or '>i8'`},
		{"int64 beyond 2⁵³", "<i8", raw(le, 8, 0, 1<<53+1),
			`array "y" is int64 ('<i8') and has 9007199254740993 at row 1, which float64 cannot represent exactly ` +
				`(float64 holds integers exactly up to 2⁵³ in magnitude); save the array as float64 if rounding is acceptable`},
		{"int64 below -2⁵³", ">i8", raw(be, 8, ints(-1<<53-1, 0)...), `array "y" is int64 ('>i8') and has -9007199254740993 at row 0,`},
		{"uint64 max", "<u8", raw(le, 8, 1, math.MaxUint64), `array "y" is uint64 ('<u8') and has 18446744073709551615 at row 1,`},
		{"float32 short", "<f4", make([]byte, 4), `array "y": 2 float32 needs 8 bytes, 4 left: unexpected EOF`},
		{"float16 long", "<f2", make([]byte, 6), `array "y": 2 float16 needs 4 bytes, but the entry holds 6 after its header`},
		{"float16 +Inf", "<f2", raw(le, 2, 0x3c00, 0x7c00), `array "y" has +Inf at row 1 (want finite values)`},
		{"float16 -Inf", ">f2", raw(be, 2, 0xfc00, 0), `array "y" has -Inf at row 0 (want finite values)`},
		{"float16 NaN", "<f2", raw(le, 2, 0x7e00, 0), `array "y" has NaN at row 0 (want finite values)`},
		{"float32 NaN", ">f4", raw(be, 4, 0, 0x7fc00000), `array "y" has NaN at row 1 (want finite values)`},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".npz")
		writeZip(t, path, entry{"x.npy", x}, entry{"y.npy", npy(dict(tc.descr, "False", "(2,)"), tc.data)}, entry{"dydx.npy", x})
		_, err := ReadNPZ(path)
		if err == nil || !strings.HasPrefix(err.Error(), "dataset: "+path+": ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error\n\t%v\nwant one naming the file and containing\n\t%s", tc.name, err, tc.want)
		}
	}

	// An inexact value of a 2-D array is placed by row and column.
	path := filepath.Join(dir, "x.npz")
	writeZip(t, path,
		entry{"x.npy", npy(dict("<u8", "False", "(2, 2)"), raw(le, 8, 1, 2, 3, 1<<60+1))},
		entry{"y.npy", npy(dict("<f8", "False", "(2,)"), make([]byte, 16))},
		entry{"dydx.npy", npy(dict("<f8", "False", "(2, 2)"), make([]byte, 32))})
	want := `array "x" is uint64 ('<u8') and has 1152921504606846977 at row 1, column 1, which float64`
	if _, err := ReadNPZ(path); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("inexact uint64 in x: error\n\t%v\nwant one containing\n\t%s", err, want)
	}
}

// TestFloat16 converts every half-precision bit pattern and compares with
// the value that IEEE 754 defines: (−1)ˢ·2⁻¹⁴·(f/1024) for subnormals and
// (−1)ˢ·2ᵉ⁻¹⁵·(1 + f/1024) for normal numbers.
func TestFloat16(t *testing.T) {
	for h := range 1 << 16 {
		s, e, f := h>>15, h>>10&0x1f, h&0x3ff
		var want float64
		switch {
		case e == 0:
			want = math.Ldexp(float64(f), -24)
		case e == 0x1f && f == 0:
			want = math.Inf(1)
		case e == 0x1f:
			want = math.NaN()
		default:
			want = math.Ldexp(1+float64(f)/1024, e-15)
		}
		if s == 1 {
			want = -want
		}
		got := float16to64(uint16(h))
		if math.IsNaN(want) {
			// The payload is kept: the fraction bits move to the top of
			// float64's fraction, so a quiet NaN stays quiet.
			if !math.IsNaN(got) || math.Float64bits(got)>>42&0x3ff != uint64(f) || math.Signbit(got) != (s == 1) {
				t.Errorf("float16to64(%#04x) = %#016x, want a NaN with sign %d and payload %#x", h, math.Float64bits(got), s, f)
			}
			continue
		}
		if math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("float16to64(%#04x) = %v, want %v", h, got, want)
		}
		// Every float16 is a float32 too, which does not round it.
		if float64(float32(got)) != got && !math.IsNaN(got) {
			t.Errorf("float16to64(%#04x) = %v is not a float32", h, got)
		}
	}
}

func TestExactUint(t *testing.T) {
	for _, tc := range []struct {
		m    uint64
		want bool
	}{
		{0, true}, {1, true}, {1<<53 - 1, true}, {1 << 53, true}, {1<<53 + 1, false}, {1<<53 + 2, true},
		{1 << 63, true}, {1<<64 - 1<<11, true}, {1<<64 - 1<<10, false}, {math.MaxUint64, false},
	} {
		if got := exactUint(tc.m); got != tc.want {
			t.Errorf("exactUint(%d) = %v, want %v", tc.m, got, tc.want)
		}
		if tc.want && uint64(float64(tc.m)) != tc.m {
			t.Errorf("exactUint(%d): float64 rounds it", tc.m)
		}
	}
}
