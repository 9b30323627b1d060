package pattern

import (
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// Pattern is a parsed STIX pattern. Its String is the canonical text, which
// parses back to an equal tree.
type Pattern struct {
	Root ObsExpr
}

func (p *Pattern) String() string { return p.Root.String() }

// ObsExpr is an observation expression: *Observation, *ObsBinary or
// *Qualified.
type ObsExpr interface {
	String() string
	obsExpr()
}

// Observation is "[ comparison expression ]": one observed object (for
// Bulwark, one event) that satisfies Comp.
type Observation struct {
	Comp CompExpr
}

// ObsOp joins two observation expressions.
type ObsOp uint8

// Observation operators, in increasing binding strength.
const (
	ObsFollowedBy ObsOp = iota
	ObsOr
	ObsAnd
)

func (o ObsOp) String() string {
	switch o {
	case ObsFollowedBy:
		return "FOLLOWEDBY"
	case ObsOr:
		return "OR"
	}
	return "AND"
}

// ObsBinary is Left Op Right. Chains are left-associative, as in the
// grammar: "[a] AND [b] AND [c]" is ((a AND b) AND c).
type ObsBinary struct {
	Op          ObsOp
	Left, Right ObsExpr
}

// Qualified is an observation expression followed by one qualifier. The
// grammar attaches a qualifier to the nearest observation expression, so in
// "[a] FOLLOWEDBY [b] WITHIN 5 SECONDS" it qualifies [b] alone; write
// "([a] FOLLOWEDBY [b]) WITHIN 5 SECONDS" to qualify both.
type Qualified struct {
	Expr ObsExpr
	Qual Qualifier
}

// Qualifier is *Within, *Repeats or *StartStop.
type Qualifier interface {
	String() string
	qualifier()
}

// Within is "WITHIN n SECONDS": every observation of the match lies within
// Seconds of the first.
type Within struct{ Seconds float64 }

// Repeats is "REPEATS n TIMES": the expression matches Times times over
// distinct observations.
type Repeats struct{ Times int }

// StartStop is "START t'…' STOP t'…'": every observation lies in
// [Start, Stop).
type StartStop struct{ Start, Stop time.Time }

// CompExpr is a comparison expression: *Comparison or *CompBinary.
type CompExpr interface {
	String() string
	compExpr()
}

// CompOp joins two comparison expressions.
type CompOp uint8

// Comparison-expression operators, in increasing binding strength.
const (
	CompOr CompOp = iota
	CompAnd
)

func (o CompOp) String() string {
	if o == CompOr {
		return "OR"
	}
	return "AND"
}

// CompBinary is Left Op Right, left-associative.
type CompBinary struct {
	Op          CompOp
	Left, Right CompExpr
}

// Op is a comparison operator.
type Op uint8

// Comparison operators.
const (
	OpEQ Op = iota
	OpNE
	OpLT
	OpLE
	OpGT
	OpGE
	OpIn
	OpLike
	OpMatches
	OpIsSubset
	OpIsSuperset
	OpExists
)

var opNames = [...]string{"=", "!=", "<", "<=", ">", ">=", "IN", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET", "EXISTS"}

func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return "op(" + strconv.Itoa(int(o)) + ")"
}

// Comparison is "path [NOT] op value" or "EXISTS path".
type Comparison struct {
	Path    Path
	Negated bool // NOT before the operator
	Op      Op
	Value   Literal // unset for EXISTS; a LitList for IN
	// Pos and ValuePos are byte offsets in the source, for errors found
	// after parsing (a bad regular expression). They are not part of the
	// pattern's meaning: a re-parsed String() has other offsets.
	Pos, ValuePos int
}

// Path is an object path: "file:hashes.'SHA-256'", "process:args[0]".
type Path struct {
	Type  string // the SCO type before the colon
	Steps []Step // at least one, the first a property name
}

// Step is one path component: a property name, a list index, or [*].
type Step struct {
	Key   string // the property name; "" for an index step
	Index int    // for index steps
	Any   bool   // [*]
}

// IsIndex reports whether s is a list index or [*].
func (s Step) IsIndex() bool { return s.Key == "" }

// Key returns the path in the form the Mapping is keyed by: quotes dropped
// and every list index written [*] ("file:hashes.SHA-256",
// "email-message:body_multipart[*].body_raw_ref.name"). An event field is
// either a list or a single value, so indexes do not select anything finer.
func (p Path) Key() string {
	var b strings.Builder
	b.WriteString(p.Type)
	b.WriteByte(':')
	for i, s := range p.Steps {
		if s.IsIndex() {
			b.WriteString("[*]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.Key)
	}
	return b.String()
}

func (p Path) String() string {
	var b strings.Builder
	b.WriteString(p.Type)
	b.WriteByte(':')
	for i, s := range p.Steps {
		switch {
		case s.Any:
			b.WriteString("[*]")
		case s.IsIndex():
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.Index))
			b.WriteByte(']')
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			if isPlainKey(s.Key) {
				b.WriteString(s.Key)
			} else {
				writeQuoted(&b, s.Key)
			}
		}
	}
	return b.String()
}

// isPlainKey reports whether a property name may be written unquoted
// (the grammar's IdentifierWithoutHyphen).
func isPlainKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return false
	}
	return true
}

// LitKind is the type of a literal.
type LitKind uint8

// Literal kinds.
const (
	LitString LitKind = iota
	LitInt
	LitFloat
	LitBool
	LitTime   // t'2014-01-13T07:03:17Z'
	LitHex    // h'ffd8'
	LitBinary // b'base64'
	LitList   // ('a', 'b') after IN
)

// Literal is a constant on the right of a comparison. Only the field that
// Kind names is set.
type Literal struct {
	Kind  LitKind
	Str   string
	Int   int64
	Float float64
	Bool  bool
	Time  time.Time // UTC
	Bytes []byte    // LitHex and LitBinary
	List  []Literal
}

// timeLayout prints timestamps as the grammar wants them: UTC, "Z", and
// fractional seconds only when present.
const timeLayout = "2006-01-02T15:04:05.999999999Z"

func (l Literal) String() string {
	var b strings.Builder
	l.write(&b)
	return b.String()
}

func (l Literal) write(b *strings.Builder) {
	switch l.Kind {
	case LitString:
		writeQuoted(b, l.Str)
	case LitInt:
		b.WriteString(strconv.FormatInt(l.Int, 10))
	case LitFloat:
		// The grammar has no exponent form, and a float needs its point.
		s := strconv.FormatFloat(l.Float, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		b.WriteString(s)
	case LitBool:
		if l.Bool {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case LitTime:
		b.WriteString("t'")
		b.WriteString(l.Time.UTC().Format(timeLayout))
		b.WriteByte('\'')
	case LitHex:
		b.WriteString("h'")
		b.WriteString(hex.EncodeToString(l.Bytes))
		b.WriteByte('\'')
	case LitBinary:
		b.WriteString("b'")
		b.WriteString(base64.StdEncoding.EncodeToString(l.Bytes))
		b.WriteByte('\'')
	case LitList:
		b.WriteByte('(')
		for i, e := range l.List {
			if i > 0 {
				b.WriteString(", ")
			}
			e.write(b)
		}
		b.WriteByte(')')
	}
}

// writeQuoted writes s as a string literal; the grammar escapes only the
// quote and the backslash.
func writeQuoted(b *strings.Builder, s string) {
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('\'')
}

func (*Observation) obsExpr() {}
func (*ObsBinary) obsExpr()   {}
func (*Qualified) obsExpr()   {}
func (*Within) qualifier()    {}
func (*Repeats) qualifier()   {}
func (*StartStop) qualifier() {}
func (*Comparison) compExpr() {}
func (*CompBinary) compExpr() {}

func (o *Observation) String() string { return "[" + o.Comp.String() + "]" }

func (e *ObsBinary) String() string {
	return obsOperand(e.Left, e.Op, false) + " " + e.Op.String() + " " + obsOperand(e.Right, e.Op, true)
}

// obsOperand parenthesises a child that binds more loosely than its parent,
// or as loosely on the right (chains are left-associative), so that the
// text parses back to the same tree.
func obsOperand(x ObsExpr, parent ObsOp, right bool) string {
	if b, ok := x.(*ObsBinary); ok && (b.Op < parent || right && b.Op == parent) {
		return "(" + b.String() + ")"
	}
	return x.String()
}

func (q *Qualified) String() string {
	s := q.Expr.String()
	if _, ok := q.Expr.(*ObsBinary); ok {
		s = "(" + s + ")"
	}
	return s + " " + q.Qual.String()
}

func (w *Within) String() string {
	return "WITHIN " + formatSeconds(w.Seconds) + " SECONDS"
}

func formatSeconds(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	return s
}

func (r *Repeats) String() string { return "REPEATS " + strconv.Itoa(r.Times) + " TIMES" }

func (s *StartStop) String() string {
	return "START t'" + s.Start.UTC().Format(timeLayout) + "' STOP t'" + s.Stop.UTC().Format(timeLayout) + "'"
}

func (e *CompBinary) String() string {
	l, r := e.Left.String(), e.Right.String()
	if b, ok := e.Left.(*CompBinary); ok && b.Op < e.Op {
		l = "(" + l + ")"
	}
	if b, ok := e.Right.(*CompBinary); ok && b.Op <= e.Op {
		r = "(" + r + ")"
	}
	return l + " " + e.Op.String() + " " + r
}

func (c *Comparison) String() string {
	if c.Op == OpExists {
		return "EXISTS " + c.Path.String()
	}
	var b strings.Builder
	b.WriteString(c.Path.String())
	if c.Negated {
		b.WriteString(" NOT")
	}
	b.WriteByte(' ')
	b.WriteString(c.Op.String())
	b.WriteByte(' ')
	c.Value.write(&b)
	return b.String()
}
