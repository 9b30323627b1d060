package inventory

import (
	"fmt"
	"strconv"
	"strings"
)

// tomlTable is one [table] or [[array.table]] of a TOML lockfile with its
// own key/value pairs (sub-tables are separate tomlTables).
type tomlTable struct {
	header string // "package", "package.dependencies", "" for the top
	array  bool   // [[header]]
	line   int
	values map[string]tomlValue
}

// tomlValue is a value as written: strings decoded, everything else
// (numbers, booleans, arrays, inline tables) kept raw.
type tomlValue struct {
	str      string
	raw      string
	isString bool
	line     int
}

// parseTOMLTables is the small TOML reader the lockfiles need (Cargo.lock,
// poetry.lock, uv.lock, pdm.lock): tables, array tables and key = value
// pairs with strings, multi-line strings, arrays and inline tables, each
// with its line. It checks structure (quotes and brackets balance) but not
// every TOML rule, and keeps no more than the lockfile holds.
func parseTOMLTables(file string, data []byte) ([]tomlTable, error) {
	p := tomlParser{file: file, data: data, line: 1}
	tables := []tomlTable{{values: map[string]tomlValue{}, line: 1}}
	for {
		p.skipSpaceAndNewlines()
		if p.i >= len(p.data) {
			return tables, nil
		}
		switch c := p.data[p.i]; {
		case c == '#':
			p.skipComment()
		case c == '[':
			t, err := p.header()
			if err != nil {
				return nil, err
			}
			tables = append(tables, t)
		default:
			key, v, err := p.keyValue()
			if err != nil {
				return nil, err
			}
			tables[len(tables)-1].values[key] = v
			if err := p.endOfLine(); err != nil {
				return nil, err
			}
		}
	}
}

type tomlParser struct {
	file string
	data []byte
	i    int
	line int
}

func (p *tomlParser) fail(format string, args ...any) error {
	return &ParseError{File: p.file, Line: p.line, Offset: int64(p.i), Msg: fmt.Sprintf(format, args...)}
}

func (p *tomlParser) skipSpace() {
	for p.i < len(p.data) && (p.data[p.i] == ' ' || p.data[p.i] == '\t') {
		p.i++
	}
}

func (p *tomlParser) skipSpaceAndNewlines() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case '\n':
			p.line++
		case ' ', '\t', '\r':
		default:
			return
		}
		p.i++
	}
}

func (p *tomlParser) skipComment() {
	for p.i < len(p.data) && p.data[p.i] != '\n' {
		p.i++
	}
}

// endOfLine accepts trailing space and a comment before the newline.
func (p *tomlParser) endOfLine() error {
	p.skipSpace()
	if p.i < len(p.data) && p.data[p.i] == '#' {
		p.skipComment()
	}
	if p.i < len(p.data) && p.data[p.i] == '\r' {
		p.i++
	}
	if p.i < len(p.data) && p.data[p.i] != '\n' {
		return p.fail("unexpected %q after a value", p.data[p.i])
	}
	return nil
}

func (p *tomlParser) header() (tomlTable, error) {
	t := tomlTable{line: p.line, values: map[string]tomlValue{}}
	p.i++
	if p.i < len(p.data) && p.data[p.i] == '[' {
		t.array = true
		p.i++
	}
	end := strings.IndexByte(string(p.data[p.i:min(len(p.data), p.i+4096)]), ']')
	if end < 0 {
		return t, p.fail("unterminated table header")
	}
	name := string(p.data[p.i : p.i+end])
	if strings.ContainsAny(name, "\n[") {
		return t, p.fail("unterminated table header")
	}
	p.i += end + 1
	if t.array {
		if p.i >= len(p.data) || p.data[p.i] != ']' {
			return t, p.fail("array table header must end with ]]")
		}
		p.i++
	}
	t.header = normalizeTOMLKey(name)
	return t, p.endOfLine()
}

// normalizeTOMLKey turns `package . "dev-dependencies"` into
// "package.dev-dependencies".
func normalizeTOMLKey(k string) string {
	parts := strings.Split(k, ".")
	for i, part := range parts {
		part = strings.TrimSpace(part)
		if u, err := strconv.Unquote(part); err == nil {
			part = u
		} else {
			part = strings.Trim(part, `'`)
		}
		parts[i] = part
	}
	return strings.Join(parts, ".")
}

func (p *tomlParser) keyValue() (string, tomlValue, error) {
	start := p.i
	for p.i < len(p.data) && p.data[p.i] != '=' && p.data[p.i] != '\n' {
		if q := p.data[p.i]; q == '"' || q == '\'' {
			if _, err := p.singleLineString(q); err != nil {
				return "", tomlValue{}, err
			}
			continue
		}
		p.i++
	}
	if p.i >= len(p.data) || p.data[p.i] != '=' {
		return "", tomlValue{}, p.fail("expected key = value")
	}
	key := normalizeTOMLKey(string(p.data[start:p.i]))
	if key == "" {
		return "", tomlValue{}, p.fail("empty key")
	}
	p.i++
	p.skipSpace()
	v, err := p.value()
	return key, v, err
}

func (p *tomlParser) value() (tomlValue, error) {
	v := tomlValue{line: p.line}
	if p.i >= len(p.data) {
		return v, p.fail("missing value")
	}
	start := p.i
	switch c := p.data[p.i]; c {
	case '"', '\'':
		s, err := p.str()
		if err != nil {
			return v, err
		}
		v.str, v.isString = s, true
	case '[', '{':
		if err := p.bracketed(); err != nil {
			return v, err
		}
	default:
		for p.i < len(p.data) && p.data[p.i] != '\n' && p.data[p.i] != '#' && p.data[p.i] != ',' &&
			p.data[p.i] != ']' && p.data[p.i] != '}' {
			p.i++
		}
		if strings.TrimSpace(string(p.data[start:p.i])) == "" {
			return v, p.fail("missing value")
		}
	}
	v.raw = strings.TrimSpace(string(p.data[start:p.i]))
	return v, nil
}

// str reads a basic, literal or multi-line string.
func (p *tomlParser) str() (string, error) {
	q := p.data[p.i]
	delim := strings.Repeat(string(q), 3)
	if strings.HasPrefix(string(p.data[p.i:min(len(p.data), p.i+3)]), delim) {
		p.i += 3
		start, startLine := p.i, p.line
		for p.i < len(p.data) {
			if p.data[p.i] == '\\' && q == '"' {
				p.i += 2
				continue
			}
			if p.data[p.i] == '\n' {
				p.line++
			}
			if strings.HasPrefix(string(p.data[p.i:min(len(p.data), p.i+3)]), delim) {
				s := string(p.data[start:p.i])
				p.i += 3
				// Up to two more quotes belong to the string.
				for k := 0; k < 2 && p.i < len(p.data) && p.data[p.i] == q; k++ {
					s += string(q)
					p.i++
				}
				return strings.TrimPrefix(s, "\n"), nil
			}
			p.i++
		}
		p.line = startLine
		return "", p.fail("unterminated multi-line string")
	}
	return p.singleLineString(q)
}

func (p *tomlParser) singleLineString(q byte) (string, error) {
	start := p.i
	p.i++
	for p.i < len(p.data) {
		switch c := p.data[p.i]; {
		case c == '\\' && q == '"':
			p.i += 2
			continue
		case c == '\n':
			return "", p.fail("unterminated string")
		case c == q:
			p.i++
			raw := string(p.data[start:p.i])
			if q == '\'' {
				return raw[1 : len(raw)-1], nil
			}
			s, err := strconv.Unquote(raw)
			if err != nil {
				// TOML escapes are a subset of Go's except \e and \U
				// oddities; keep the raw text rather than fail.
				return raw[1 : len(raw)-1], nil
			}
			return s, nil
		}
		p.i++
	}
	return "", p.fail("unterminated string")
}

// bracketed skips an array or inline table, which may span lines and hold
// strings and comments.
func (p *tomlParser) bracketed() error {
	startLine := p.line
	var stack []byte
	for p.i < len(p.data) {
		switch c := p.data[p.i]; c {
		case '[', '{':
			stack = append(stack, c)
		case ']', '}':
			if len(stack) == 0 || (c == ']') != (stack[len(stack)-1] == '[') {
				return p.fail("mismatched %q", c)
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				p.i++
				return nil
			}
		case '"', '\'':
			if _, err := p.str(); err != nil {
				return err
			}
			continue
		case '#':
			p.skipComment()
			continue
		case '\n':
			p.line++
		}
		p.i++
	}
	p.line = startLine
	return p.fail("unterminated array or inline table")
}

// tomlStrings returns the string elements of a raw array or the string
// values of a raw inline table, in order.
func tomlStrings(raw string) []string {
	var out []string
	p := tomlParser{data: []byte(raw)}
	for p.i < len(p.data) {
		if c := p.data[p.i]; c == '"' || c == '\'' {
			if s, err := p.str(); err == nil {
				out = append(out, s)
				continue
			}
			return out
		}
		p.i++
	}
	return out
}

// tomlInlineKeys returns the keys of a raw inline table ("{ editable = "." }").
func tomlInlineKeys(raw string) []string {
	raw = strings.TrimSpace(raw)
	if !strings.HasPrefix(raw, "{") {
		return nil
	}
	var keys []string
	for _, part := range strings.Split(strings.Trim(raw, "{} "), ",") {
		if k, _, ok := strings.Cut(part, "="); ok {
			keys = append(keys, normalizeTOMLKey(k))
		}
	}
	return keys
}
