package pattern

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Error is a syntax or compile error at a byte offset of the pattern.
type Error struct {
	Offset int
	Msg    string
}

func (e *Error) Error() string { return fmt.Sprintf("stix pattern: offset %d: %s", e.Offset, e.Msg) }

type tokKind uint8

const (
	tEOF tokKind = iota
	tIdent
	tString
	tInt
	tFloat
	tHex
	tBinary
	tTime
	tOp // = != < <= > >=, normalised
	tLBrack
	tRBrack
	tLParen
	tRParen
	tColon
	tDot
	tComma
	tStar
)

type token struct {
	kind tokKind
	pos  int
	text string // identifier, operator or number text; a literal's decoded content
}

// describe names a token for "found …" in errors.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of pattern"
	case tString:
		return "string literal"
	case tHex, tBinary, tTime:
		return "typed literal"
	}
	return fmt.Sprintf("%q", t.text)
}

// lexer hands out one token at a time: the parser decides by context whether
// an identifier is a keyword, an object type or a property name, so the
// lexer need not.
type lexer struct {
	src string
	pos int
}

func (l *lexer) fail(off int, format string, args ...any) {
	panic(&Error{Offset: off, Msg: fmt.Sprintf(format, args...)})
}

// skipSpace skips white space (the grammar's WS set is Unicode spacing) and
// /* */ and // comments, which the reference grammar also skips.
func (l *lexer) skipSpace() {
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
			l.pos++
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRuneInString(l.src[l.pos:])
			if !unicode.IsSpace(r) {
				return
			}
			l.pos += n
		case strings.HasPrefix(l.src[l.pos:], "/*"):
			end := strings.Index(l.src[l.pos+2:], "*/")
			if end < 0 {
				l.fail(l.pos, "unterminated comment")
			}
			l.pos += end + 4
		case strings.HasPrefix(l.src[l.pos:], "//"):
			end := strings.IndexAny(l.src[l.pos:], "\r\n")
			if end < 0 {
				l.pos = len(l.src)
			} else {
				l.pos += end
			}
		default:
			return
		}
	}
}

func (l *lexer) next() token {
	l.skipSpace()
	start := l.pos
	if l.pos >= len(l.src) {
		return token{kind: tEOF, pos: start}
	}
	c := l.src[l.pos]
	one := func(k tokKind) token {
		l.pos++
		return token{kind: k, pos: start, text: string(c)}
	}
	peek := byte(0)
	if l.pos+1 < len(l.src) {
		peek = l.src[l.pos+1]
	}
	switch {
	case c == '[':
		return one(tLBrack)
	case c == ']':
		return one(tRBrack)
	case c == '(':
		return one(tLParen)
	case c == ')':
		return one(tRParen)
	case c == ':':
		return one(tColon)
	case c == ',':
		return one(tComma)
	case c == '*':
		return one(tStar)
	case c == '.' && !isDigit(peek):
		return one(tDot)
	case c == '=':
		l.pos++
		if peek == '=' {
			l.pos++
		}
		return token{kind: tOp, pos: start, text: "="}
	case c == '!':
		if peek != '=' {
			l.fail(start, "expected '=' after '!'")
		}
		l.pos += 2
		return token{kind: tOp, pos: start, text: "!="}
	case c == '<':
		l.pos++
		switch peek {
		case '=':
			l.pos++
			return token{kind: tOp, pos: start, text: "<="}
		case '>':
			l.pos++
			return token{kind: tOp, pos: start, text: "!="}
		}
		return token{kind: tOp, pos: start, text: "<"}
	case c == '>':
		l.pos++
		if peek == '=' {
			l.pos++
			return token{kind: tOp, pos: start, text: ">="}
		}
		return token{kind: tOp, pos: start, text: ">"}
	case c == '\'':
		return token{kind: tString, pos: start, text: l.quoted()}
	case isDigit(c) || c == '.' || (c == '+' || c == '-') && (isDigit(peek) || peek == '.'):
		return l.number()
	case (c == 't' || c == 'h' || c == 'b') && peek == '\'':
		l.pos++
		s := l.quoted()
		k := tTime
		if c == 'h' {
			k = tHex
		} else if c == 'b' {
			k = tBinary
		}
		return token{kind: k, pos: start, text: s}
	case isIdentStart(c):
		l.pos++
		for l.pos < len(l.src) && (isIdentStart(l.src[l.pos]) || isDigit(l.src[l.pos]) || l.src[l.pos] == '-') {
			l.pos++
		}
		return token{kind: tIdent, pos: start, text: l.src[start:l.pos]}
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.pos:])
	l.fail(start, "unexpected character %q", r)
	return token{}
}

// quoted reads a '…' literal at l.pos and returns its content. The grammar
// allows only \' and \\ as escapes; anything else is an error rather than a
// guess, since a pattern that means something else than it says is worse
// than one that is refused.
func (l *lexer) quoted() string {
	start := l.pos
	l.pos++ // opening quote
	var b strings.Builder
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch c {
		case '\'':
			l.pos++
			return b.String()
		case '\\':
			if l.pos+1 < len(l.src) && (l.src[l.pos+1] == '\'' || l.src[l.pos+1] == '\\') {
				b.WriteByte(l.src[l.pos+1])
				l.pos += 2
				continue
			}
			l.fail(l.pos, `invalid escape in string: only \' and \\ are allowed (write a backslash as \\)`)
		}
		b.WriteByte(c)
		l.pos++
	}
	l.fail(start, "unterminated string literal")
	return ""
}

// number reads [+-]? digits, or [+-]? digits? '.' digits.
func (l *lexer) number() token {
	start := l.pos
	if c := l.src[l.pos]; c == '+' || c == '-' {
		l.pos++
	}
	digits := l.pos
	for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
		l.pos++
	}
	intPart := l.src[digits:l.pos]
	if l.pos < len(l.src) && l.src[l.pos] == '.' {
		l.pos++
		frac := l.pos
		for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
			l.pos++
		}
		if l.pos == frac {
			l.fail(start, "expected digits after the decimal point")
		}
		return token{kind: tFloat, pos: start, text: l.src[start:l.pos]}
	}
	if len(intPart) > 1 && intPart[0] == '0' {
		l.fail(start, "integer with a leading zero")
	}
	return token{kind: tInt, pos: start, text: l.src[start:l.pos]}
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
