package memlimit

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Size is a number of bytes. It is a pflag.Value, so it serves as a
// command-line flag: Set reads "8GiB", "500MB", "1.5 GiB" or a plain number
// of bytes, and the zero Size means "not set".
type Size uint64

// units are the byte units ParseSize knows, lower case.
var units = map[string]float64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "pb": 1e15,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40, "pib": 1 << 50,
}

// ParseSize reads a positive number of bytes: a number, optionally with a
// fraction, and a unit B, kB, MB, GB, TB, PB (powers of 1000) or KiB, MiB,
// GiB, TiB, PiB (powers of 1024), in any case, with or without a space, e.g.
// "8GiB", "500MB", "1.5 GiB", "1048576". A fraction of a byte is dropped.
func ParseSize(s string) (Size, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i < 0 {
		i = len(t)
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	v, err := strconv.ParseFloat(num, 64)
	scale, known := units[unit]
	switch {
	case num == "" || err != nil || !known:
		return 0, fmt.Errorf("%q is not a size: want a number and a unit B, kB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024), e.g. 8GiB", s)
	case v*scale < 1:
		return 0, fmt.Errorf("%q is less than one byte, want a positive size such as 8GiB", s)
	case v*scale >= math.MaxUint64:
		return 0, fmt.Errorf("%q is more than 2⁶⁴ bytes", s)
	}
	return Size(v * scale), nil
}

// Set sets s to the size in text (see ParseSize).
func (s *Size) Set(text string) error {
	v, err := ParseSize(text)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// String returns s as ParseSize reads it back: "0" for the zero Size, the
// largest binary unit that divides s exactly ("8GiB"), or plain bytes.
func (s Size) String() string {
	for _, u := range []struct {
		name  string
		bytes uint64
	}{{"PiB", 1 << 50}, {"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if s != 0 && uint64(s)%u.bytes == 0 {
			return strconv.FormatUint(uint64(s)/u.bytes, 10) + u.name
		}
	}
	return strconv.FormatUint(uint64(s), 10)
}

// Type names the flag's value type in help texts.
func (s *Size) Type() string { return "size" }

// Format returns a number of bytes in binary units to three significant
// digits, e.g. "512 B", "23.4 GiB", "116 TiB".
func Format(bytes float64) string {
	names := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	i := 0
	for ; i < len(names)-1 && math.Abs(bytes) >= 1024; i++ {
		bytes /= 1024
	}
	switch {
	case i == 0:
		return fmt.Sprintf("%.0f B", bytes)
	case math.Abs(bytes) >= 99.95:
		return fmt.Sprintf("%.0f %s", bytes, names[i])
	case math.Abs(bytes) >= 9.995:
		return fmt.Sprintf("%.1f %s", bytes, names[i])
	}
	return fmt.Sprintf("%.2f %s", bytes, names[i])
}
