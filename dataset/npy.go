package dataset

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// The NPY format (numpy.lib.format): the magic string, two version bytes, the
// header length (uint16 little-endian in version 1.0, uint32 in 2.0 and 3.0),
// then the header: a Python dict literal with the keys descr, fortran_order
// and shape, padded with spaces and ended by '\n' so that the data start at a
// multiple of 64 bytes. The data follow: the array's values in C order.
const (
	npyMagic = "\x93NUMPY"
	npyAlign = 64
	// npyMaxHeader bounds the header length we accept (numpy's own reader
	// refuses headers over 10000 bytes by default).
	npyMaxHeader = 1 << 16
	// acceptedDtypes says which dtypes the readers accept, for error messages.
	acceptedDtypes = "float64, float32, float16 or a signed or unsigned integer of 1, 2, 4 or 8 bytes " +
		"('<f8', '<f4', '<f2', '<i8', '<i4', '|u1', …), in either byte order"
)

// npyHeader returns the NPY 1.0 header, magic string included, of a C-order
// little-endian float64 array of the given shape, formatted as numpy formats it:
//
//	{'descr': '<f8', 'fortran_order': False, 'shape': (8192, 7), }
//
// padded with spaces and a final '\n' to a multiple of 64 bytes.
func npyHeader(shape ...int) []byte {
	var b strings.Builder
	b.WriteString("{'descr': '<f8', 'fortran_order': False, 'shape': (")
	for i, d := range shape {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(d))
	}
	if len(shape) == 1 {
		b.WriteByte(',')
	}
	b.WriteString("), }")
	dict := b.String()
	pre := len(npyMagic) + 2 + 2
	total := (pre + len(dict) + 1 + npyAlign - 1) / npyAlign * npyAlign
	h := make([]byte, 0, total)
	h = append(h, npyMagic...)
	h = append(h, 1, 0)
	h = binary.LittleEndian.AppendUint16(h, uint16(total-pre))
	h = append(h, dict...)
	for len(h) < total-1 {
		h = append(h, ' ')
	}
	return append(h, '\n')
}

// npyInfo is what an NPY header says about its array.
type npyInfo struct {
	dtype dtype
	shape []int
	// size is the length of the header in bytes, magic string included.
	size int
}

// readNPYHeader reads an NPY header from r and checks that it describes a
// C-order array of a dtype that parseDtype accepts. avail is the number of bytes r holds, header included.
// Errors do not name the file or the array; the caller adds them.
func readNPYHeader(r io.Reader, avail uint64) (npyInfo, error) {
	var pre [12]byte
	if _, err := io.ReadFull(r, pre[:8]); err != nil {
		return npyInfo{}, fmt.Errorf("NPY header cut short: %w", io.ErrUnexpectedEOF)
	}
	if string(pre[:6]) != npyMagic {
		return npyInfo{}, fmt.Errorf("not an NPY array: starts with %q, want %q", pre[:6], npyMagic)
	}
	var hlen, size int
	switch major, minor := pre[6], pre[7]; {
	case major == 1 && minor == 0:
		if _, err := io.ReadFull(r, pre[8:10]); err != nil {
			return npyInfo{}, fmt.Errorf("NPY header cut short: %w", io.ErrUnexpectedEOF)
		}
		hlen, size = int(binary.LittleEndian.Uint16(pre[8:10])), 10
	case (major == 2 || major == 3) && minor == 0:
		if _, err := io.ReadFull(r, pre[8:12]); err != nil {
			return npyInfo{}, fmt.Errorf("NPY header cut short: %w", io.ErrUnexpectedEOF)
		}
		n := binary.LittleEndian.Uint32(pre[8:12])
		if n > npyMaxHeader {
			return npyInfo{}, fmt.Errorf("NPY header of %d bytes is too long (at most %d)", n, npyMaxHeader)
		}
		hlen, size = int(n), 12
	default:
		return npyInfo{}, fmt.Errorf("NPY format version %d.%d is not supported (want 1.0, 2.0 or 3.0)", major, minor)
	}
	size += hlen
	if uint64(size) > avail {
		return npyInfo{}, fmt.Errorf("NPY header of %d bytes but the entry has %d: %w", size, avail, io.ErrUnexpectedEOF)
	}
	text := make([]byte, hlen)
	if _, err := io.ReadFull(r, text); err != nil {
		return npyInfo{}, fmt.Errorf("NPY header cut short: %w", io.ErrUnexpectedEOF)
	}
	t, shape, err := parseNPYDict(strings.TrimRight(string(text), " \n\x00"))
	if err != nil {
		return npyInfo{}, err
	}
	return npyInfo{dtype: t, shape: shape, size: size}, nil
}

// parseNPYDict parses the header dict and returns the array's dtype and shape
// after checking its order.
func parseNPYDict(text string) (dtype, []int, error) {
	p := pyParser{s: text}
	v, err := p.value()
	if err == nil {
		p.space()
		if p.i < len(p.s) {
			err = fmt.Errorf("unexpected %q after the dict", p.s[p.i:])
		}
	}
	if err != nil {
		return dtype{}, nil, fmt.Errorf("malformed NPY header %s: %v", text, err)
	}
	dict, ok := v.(map[string]any)
	if !ok {
		return dtype{}, nil, fmt.Errorf("malformed NPY header %s: not a dict", text)
	}
	for _, key := range []string{"descr", "fortran_order", "shape"} {
		if _, ok := dict[key]; !ok {
			return dtype{}, nil, fmt.Errorf("NPY header %s has no key %q", text, key)
		}
	}
	descr, ok := dict["descr"].(string)
	if !ok {
		return dtype{}, nil, fmt.Errorf("dtype is %s (a structured dtype), want %s", pyString(dict["descr"]), acceptedDtypes)
	}
	t, err := parseDtype(descr)
	if err != nil {
		return dtype{}, nil, err
	}
	switch fo := dict["fortran_order"].(type) {
	case bool:
		if fo {
			return dtype{}, nil, errors.New("array is in Fortran order (fortran_order True), want C order (fortran_order False); save it with numpy.ascontiguousarray")
		}
	default:
		return dtype{}, nil, fmt.Errorf("NPY header has fortran_order %s, want True or False", pyString(fo))
	}
	tuple, ok := dict["shape"].([]any)
	if !ok {
		return dtype{}, nil, fmt.Errorf("NPY header has shape %s, want a tuple of integers", pyString(dict["shape"]))
	}
	shape := make([]int, len(tuple))
	for i, d := range tuple {
		n, ok := d.(int)
		if !ok || n < 0 {
			return dtype{}, nil, fmt.Errorf("NPY header has shape %s, want a tuple of non-negative integers", pyString(tuple))
		}
		shape[i] = n
	}
	return t, shape, nil
}

// shapeString formats a shape as numpy prints it: (8192, 7), (8192,).
func shapeString(shape []int) string {
	v := make([]any, len(shape))
	for i, d := range shape {
		v[i] = d
	}
	return pyString(v)
}

// encodeFloats writes x to w as little-endian float64, using buf (whose
// length must be a positive multiple of 8) as scratch.
func encodeFloats(w io.Writer, x []float64, buf []byte) error {
	per := len(buf) / 8
	for len(x) > 0 {
		k := min(per, len(x))
		for i, v := range x[:k] {
			binary.LittleEndian.PutUint64(buf[8*i:], math.Float64bits(v))
		}
		if _, err := w.Write(buf[:8*k]); err != nil {
			return err
		}
		x = x[k:]
	}
	return nil
}

// dtype is a real numeric NPY dtype, which the readers convert to float64
// exactly.
type dtype struct {
	descr string // as the header gives it: '<f8', '>f4', '|u1', …
	kind  byte   // 'f' (float), 'i' (signed integer) or 'u' (unsigned integer)
	size  int    // bytes per value: 2, 4 or 8 for floats, 1, 2, 4 or 8 for integers
	big   bool   // big-endian
}

// parseDtype parses an NPY dtype descriptor and accepts the real numeric ones:
// float64, float32, float16 and integers of 1, 2, 4 or 8 bytes, signed or
// unsigned, little- or big-endian ('<' or '>'; '|' for one byte). Other
// dtypes give an error that names the dtype found and the accepted ones.
func parseDtype(descr string) (dtype, error) {
	t := dtype{descr: descr}
	var order byte
	if descr != "" && strings.IndexByte("<>|=", descr[0]) >= 0 {
		order, descr = descr[0], descr[1:]
	}
	if descr != "" {
		t.kind = descr[0]
		if k, err := strconv.Atoi(descr[1:]); err == nil && strconv.Itoa(k) == descr[1:] {
			t.size = k
		}
	}
	var ok bool
	switch t.kind {
	case 'f':
		ok = t.size == 2 || t.size == 4 || t.size == 8
	case 'i', 'u':
		ok = t.size == 1 || t.size == 2 || t.size == 4 || t.size == 8
	}
	if !ok {
		what := ""
		if name := dtypeKindName(t.kind, t.size); name != "" {
			what = " (" + name + ")"
		}
		return dtype{}, fmt.Errorf("dtype is '%s'%s, want %s", t.descr, what, acceptedDtypes)
	}
	switch {
	case order == '>' && t.size > 1:
		t.big = true
	case order == '<' || t.size == 1 && (order == '>' || order == '|'):
	default:
		return dtype{}, fmt.Errorf("dtype is '%s' (%s) without a byte order, want '<%c%d' or '>%c%d'",
			t.descr, t.name(), t.kind, t.size, t.kind, t.size)
	}
	return t, nil
}

// dtypeKindName describes the NumPy dtype kind with items of size bytes, or
// returns "" for an unknown kind.
func dtypeKindName(kind byte, size int) string {
	var bits string
	if size > 0 {
		bits = strconv.Itoa(8 * size)
	}
	switch kind {
	case 'b':
		return "bool"
	case 'f':
		return "float" + bits
	case 'i':
		return "int" + bits
	case 'u':
		return "uint" + bits
	case 'c':
		return "complex" + bits
	case 'O':
		return "Python objects"
	case 'U':
		return "Unicode strings"
	case 'S', 'a':
		return "byte strings"
	case 'V':
		return "raw bytes"
	case 'M':
		return "datetime64"
	case 'm':
		return "timedelta64"
	}
	return ""
}

// name returns the NumPy name of t: float32, int64, uint8, ….
func (t dtype) name() string { return dtypeKindName(t.kind, t.size) }

// widens reports whether values of t are stored in another type than
// float64, so that reading them converts them.
func (t dtype) widens() bool { return t.kind != 'f' || t.size != 8 }

// inexactError reports an integer that float64 cannot represent exactly.
type inexactError struct {
	index int    // the value's index in its array
	value string // the integer, in decimal
}

func (e *inexactError) Error() string {
	return fmt.Sprintf("value %s at index %d has no exact float64", e.value, e.index)
}

// decode fills dst with values of dtype t read from r and converted to
// float64, using buf (whose length must be a positive multiple of 8) as
// scratch. Every conversion is exact: it returns an *inexactError for a 64-bit
// integer that float64 cannot represent, and io.ErrUnexpectedEOF if r ends
// early.
func (t dtype) decode(dst []float64, r io.Reader, buf []byte) error {
	per := len(buf) / t.size
	for done := 0; done < len(dst); {
		k := min(per, len(dst)-done)
		b := buf[:t.size*k]
		if _, err := io.ReadFull(r, b); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		if t.big {
			swapBytes(b, t.size)
		}
		if i := t.convert(dst[done:done+k], b); i >= 0 {
			var v string
			if t.kind == 'i' {
				v = strconv.FormatInt(int64(binary.LittleEndian.Uint64(b[8*i:])), 10)
			} else {
				v = strconv.FormatUint(binary.LittleEndian.Uint64(b[8*i:]), 10)
			}
			return &inexactError{index: done + i, value: v}
		}
		done += k
	}
	return nil
}

// convert sets dst[i] to the i-th little-endian value of dtype t in src, for
// every i < len(dst). It returns the index of the first 64-bit integer that
// float64 cannot represent exactly, having stopped there, or -1.
func (t dtype) convert(dst []float64, src []byte) int {
	le := binary.LittleEndian
	switch {
	case t.kind == 'f' && t.size == 8:
		for i := range dst {
			dst[i] = math.Float64frombits(le.Uint64(src[8*i:]))
		}
	case t.kind == 'f' && t.size == 4:
		for i := range dst {
			dst[i] = float64(math.Float32frombits(le.Uint32(src[4*i:])))
		}
	case t.kind == 'f':
		for i := range dst {
			dst[i] = float16to64(le.Uint16(src[2*i:]))
		}
	case t.kind == 'i' && t.size == 1:
		for i := range dst {
			dst[i] = float64(int8(src[i]))
		}
	case t.kind == 'u' && t.size == 1:
		for i := range dst {
			dst[i] = float64(src[i])
		}
	case t.kind == 'i' && t.size == 2:
		for i := range dst {
			dst[i] = float64(int16(le.Uint16(src[2*i:])))
		}
	case t.kind == 'u' && t.size == 2:
		for i := range dst {
			dst[i] = float64(le.Uint16(src[2*i:]))
		}
	case t.kind == 'i' && t.size == 4:
		for i := range dst {
			dst[i] = float64(int32(le.Uint32(src[4*i:])))
		}
	case t.kind == 'u' && t.size == 4:
		for i := range dst {
			dst[i] = float64(le.Uint32(src[4*i:]))
		}
	case t.kind == 'i':
		for i := range dst {
			v := int64(le.Uint64(src[8*i:]))
			m := uint64(v)
			if v < 0 {
				m = -m
			}
			if !exactUint(m) {
				return i
			}
			dst[i] = float64(v)
		}
	default:
		for i := range dst {
			v := le.Uint64(src[8*i:])
			if !exactUint(v) {
				return i
			}
			dst[i] = float64(v)
		}
	}
	return -1
}

// exactUint reports whether float64 represents m exactly: whether m is an odd
// number below 2⁵³ times a power of two.
func exactUint(m uint64) bool {
	return m>>bits.TrailingZeros64(m) < 1<<53
}

// float16to64 returns the IEEE 754 half-precision value with bits h as a
// float64, exactly: subnormals, signed zeros, infinities and NaNs (with their
// payload) included.
func float16to64(h uint16) float64 {
	sign := uint64(h>>15) << 63
	exp := uint64(h>>10) & 0x1f
	frac := uint64(h & 0x3ff)
	switch exp {
	case 0: // zero or subnormal: frac·2⁻²⁴, exact in float64
		return math.Float64frombits(math.Float64bits(float64(frac)*0x1p-24) | sign)
	case 0x1f: // infinity or NaN
		return math.Float64frombits(sign | 0x7ff<<52 | frac<<42)
	}
	return math.Float64frombits(sign | (exp+1023-15)<<52 | frac<<42)
}

// swapBytes reverses the bytes of each size-byte value in b.
func swapBytes(b []byte, size int) {
	switch size {
	case 2:
		for i := 0; i+1 < len(b); i += 2 {
			b[i], b[i+1] = b[i+1], b[i]
		}
	case 4:
		for i := 0; i+3 < len(b); i += 4 {
			binary.LittleEndian.PutUint32(b[i:], binary.BigEndian.Uint32(b[i:]))
		}
	case 8:
		for i := 0; i+7 < len(b); i += 8 {
			binary.LittleEndian.PutUint64(b[i:], binary.BigEndian.Uint64(b[i:]))
		}
	}
}
