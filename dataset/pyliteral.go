package dataset

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

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

// value parses the Python literal at the parser's position, skipping the
// white space before it, and returns it as a map[string]any, []any, string,
// int, bool or nil.
func (p *pyParser) value() (any, error) {
	p.space()
	if p.i >= len(p.s) {
		return nil, errors.New("unexpected end")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.dict()
	case c == '(' || c == '[':
		end := byte(')')
		if c == '[' {
			end = ']'
		}
		return p.list(end)
	case c == '\'' || c == '"':
		return p.str(c)
	case c == '-' || c == '+' || '0' <= c && c <= '9':
		return p.integer()
	default:
		return p.keyword()
	}
}

// dict parses the dict whose '{' is at the parser's position into a map of
// its string keys to their values.
func (p *pyParser) dict() (map[string]any, error) {
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
}

// list parses the tuple or list whose opening bracket is at the parser's
// position, up to its closing byte end, into the slice of its items.
func (p *pyParser) list(end byte) ([]any, error) {
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
}

// str parses the string whose opening quote, quote, is at the parser's
// position, and returns its content; escape sequences are refused.
func (p *pyParser) str(quote byte) (string, error) {
	j := strings.IndexByte(p.s[p.i+1:], quote)
	if j < 0 {
		return "", errors.New("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+j]
	if strings.IndexByte(v, '\\') >= 0 {
		return "", fmt.Errorf("string %q has an escape sequence", v)
	}
	p.i += j + 2
	return v, nil
}

// integer parses the decimal integer, with an optional sign and Python 2's
// optional 'L' suffix, at the parser's position.
func (p *pyParser) integer() (int, error) {
	j := p.i + 1
	for j < len(p.s) && '0' <= p.s[j] && p.s[j] <= '9' {
		j++
	}
	n, err := strconv.Atoi(p.s[p.i:j])
	if err != nil {
		return 0, fmt.Errorf("bad integer %q", p.s[p.i:j])
	}
	if j < len(p.s) && p.s[j] == 'L' { // Python 2 long
		j++
	}
	p.i = j
	return n, nil
}

// keyword parses True, False or None at the parser's position.
func (p *pyParser) keyword() (any, error) {
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
