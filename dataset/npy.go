package dataset

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
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
	// wantDescr is the only dtype the package reads and writes.
	wantDescr = "<f8"
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
	shape []int
	// size is the length of the header in bytes, magic string included.
	size int
}

// readNPYHeader reads an NPY header from r and checks that it describes a
// C-order '<f8' array. avail is the number of bytes r holds, header included.
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
	shape, err := parseNPYDict(strings.TrimRight(string(text), " \n\x00"))
	if err != nil {
		return npyInfo{}, err
	}
	return npyInfo{shape: shape, size: size}, nil
}

// parseNPYDict parses the header dict and returns the array's shape after
// checking its dtype and order.
func parseNPYDict(text string) ([]int, error) {
	p := pyParser{s: text}
	v, err := p.value()
	if err == nil {
		p.space()
		if p.i < len(p.s) {
			err = fmt.Errorf("unexpected %q after the dict", p.s[p.i:])
		}
	}
	if err != nil {
		return nil, fmt.Errorf("malformed NPY header %s: %v", text, err)
	}
	dict, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("malformed NPY header %s: not a dict", text)
	}
	for _, key := range []string{"descr", "fortran_order", "shape"} {
		if _, ok := dict[key]; !ok {
			return nil, fmt.Errorf("NPY header %s has no key %q", text, key)
		}
	}
	switch descr := dict["descr"].(type) {
	case string:
		if descr != wantDescr {
			return nil, fmt.Errorf("dtype is '%s', want '%s' (little-endian float64)", descr, wantDescr)
		}
	default:
		return nil, fmt.Errorf("dtype is %s (a structured dtype), want '%s' (little-endian float64)", pyString(descr), wantDescr)
	}
	switch fo := dict["fortran_order"].(type) {
	case bool:
		if fo {
			return nil, errors.New("array is in Fortran order (fortran_order True), want C order (fortran_order False); save it with numpy.ascontiguousarray")
		}
	default:
		return nil, fmt.Errorf("NPY header has fortran_order %s, want True or False", pyString(fo))
	}
	tuple, ok := dict["shape"].([]any)
	if !ok {
		return nil, fmt.Errorf("NPY header has shape %s, want a tuple of integers", pyString(dict["shape"]))
	}
	shape := make([]int, len(tuple))
	for i, d := range tuple {
		n, ok := d.(int)
		if !ok || n < 0 {
			return nil, fmt.Errorf("NPY header has shape %s, want a tuple of non-negative integers", pyString(tuple))
		}
		shape[i] = n
	}
	return shape, nil
}

// pyParser parses the subset of Python literals that NPY headers use: dicts,
// tuples, lists, strings without escapes, integers, True, False and None.
type pyParser struct {
	s string
	i int
}

func (p *pyParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n') {
		p.i++
	}
}

func (p *pyParser) value() (any, error) {
	p.space()
	if p.i >= len(p.s) {
		return nil, errors.New("unexpected end")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		p.i++
		d := map[string]any{}
		for {
			p.space()
			if p.i < len(p.s) && p.s[p.i] == '}' {
				p.i++
				return d, nil
			}
			k, err := p.value()
			if err != nil {
				return nil, err
			}
			key, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("dict key %s is not a string", pyString(k))
			}
			p.space()
			if p.i >= len(p.s) || p.s[p.i] != ':' {
				return nil, fmt.Errorf("missing ':' after key %q", key)
			}
			p.i++
			if d[key], err = p.value(); err != nil {
				return nil, err
			}
			if err := p.separator('}'); err != nil {
				return nil, err
			}
		}
	case c == '(' || c == '[':
		end := byte(')')
		if c == '[' {
			end = ']'
		}
		p.i++
		list := []any{}
		for {
			p.space()
			if p.i < len(p.s) && p.s[p.i] == end {
				p.i++
				return list, nil
			}
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			list = append(list, v)
			if err := p.separator(end); err != nil {
				return nil, err
			}
		}
	case c == '\'' || c == '"':
		j := strings.IndexByte(p.s[p.i+1:], c)
		if j < 0 {
			return nil, errors.New("unterminated string")
		}
		v := p.s[p.i+1 : p.i+1+j]
		if strings.IndexByte(v, '\\') >= 0 {
			return nil, fmt.Errorf("string %q has an escape sequence", v)
		}
		p.i += j + 2
		return v, nil
	case c == '-' || c == '+' || '0' <= c && c <= '9':
		j := p.i + 1
		for j < len(p.s) && '0' <= p.s[j] && p.s[j] <= '9' {
			j++
		}
		n, err := strconv.Atoi(p.s[p.i:j])
		if err != nil {
			return nil, fmt.Errorf("bad integer %q", p.s[p.i:j])
		}
		if j < len(p.s) && p.s[j] == 'L' { // Python 2 long
			j++
		}
		p.i = j
		return n, nil
	default:
		for _, w := range []struct {
			name string
			v    any
		}{{"True", true}, {"False", false}, {"None", nil}} {
			if strings.HasPrefix(p.s[p.i:], w.name) {
				p.i += len(w.name)
				return w.v, nil
			}
		}
		return nil, fmt.Errorf("unexpected %q", p.s[p.i:])
	}
}

// separator consumes a ',' or stops before the closing byte end.
func (p *pyParser) separator(end byte) error {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == ',' {
		p.i++
		return nil
	}
	if p.i < len(p.s) && p.s[p.i] == end {
		return nil
	}
	return fmt.Errorf("want ',' or %q at %q", end, p.s[p.i:])
}

// pyString formats a parsed Python value as Python would print it.
func pyString(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case bool:
		if v {
			return "True"
		}
		return "False"
	case string:
		return "'" + v + "'"
	case int:
		return strconv.Itoa(v)
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = pyString(e)
		}
		if len(v) == 1 {
			return "(" + parts[0] + ",)"
		}
		return "(" + strings.Join(parts, ", ") + ")"
	case map[string]any:
		return "{...}"
	}
	return fmt.Sprint(v)
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

// decodeFloats fills dst with little-endian float64 values read from r, using
// buf (whose length must be a positive multiple of 8) as scratch. It returns
// io.ErrUnexpectedEOF if r ends early.
func decodeFloats(dst []float64, r io.Reader, buf []byte) error {
	per := len(buf) / 8
	for len(dst) > 0 {
		k := min(per, len(dst))
		if _, err := io.ReadFull(r, buf[:8*k]); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		for i := range dst[:k] {
			dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(buf[8*i:]))
		}
		dst = dst[k:]
	}
	return nil
}
