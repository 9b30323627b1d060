package sigma

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Error is a problem with one Sigma document, located in its file.
type Error struct {
	Path string
	Line int // 1-based; 0 when unknown
	Msg  string
}

func (e *Error) Error() string {
	switch {
	case e.Path != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	case e.Path != "":
		return e.Path + ": " + e.Msg
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

func errAt(path string, n *yaml.Node, format string, args ...any) *Error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &Error{Path: path, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// Document is one YAML document of a Sigma file: exactly one of Rule,
// Correlation and Filter is set, unless Err is.
type Document struct {
	Rule        *Rule
	Correlation *Correlation
	Filter      *Filter
	Err         *Error
	// Meta is whatever metadata could be read, even when Err is set, so that
	// a broken rule is still reported by title and id.
	Meta Meta
	Line int
}

// maxDocumentSize bounds one rule file; SigmaHQ's largest is under 100 KiB.
const maxDocumentSize = 4 << 20

// Parse reads every document of a Sigma YAML file. Problems are reported per
// document, so one broken document does not hide the others.
func Parse(path string, data []byte) []Document {
	if len(data) > maxDocumentSize {
		return []Document{{Err: &Error{Path: path, Msg: fmt.Sprintf("file is %d bytes, larger than the %d-byte limit for a rule file", len(data), maxDocumentSize)}}}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []Document
	for {
		var root yaml.Node
		err := dec.Decode(&root)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			docs = append(docs, Document{Err: &Error{Path: path, Line: yamlErrorLine(err), Msg: "invalid YAML: " + trimYAMLError(err)}})
			break // the decoder cannot resynchronise after a syntax error
		}
		// An empty document (a stray "---") is no document.
		if len(root.Content) == 0 || root.Content[0].Kind == yaml.ScalarNode && root.Content[0].Tag == "!!null" && root.Content[0].Value == "" {
			continue
		}
		docs = append(docs, parseDocument(path, root.Content[0]))
	}
	return docs
}

func yamlErrorLine(err error) int {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return 0
	}
	var line int
	if _, e := fmt.Sscanf(strings.TrimPrefix(err.Error(), "yaml: "), "line %d:", &line); e == nil {
		return line
	}
	return 0
}

func trimYAMLError(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if i := strings.Index(msg, ": "); i > 0 && strings.HasPrefix(msg, "line ") {
		msg = msg[i+2:]
	}
	return msg
}

func parseDocument(path string, n *yaml.Node) Document {
	doc := Document{Line: n.Line}
	if n.Kind != yaml.MappingNode {
		doc.Err = errAt(path, n, "a Sigma document must be a YAML map, not a %s", kindName(n))
		return doc
	}
	keys := mapKeys(n)
	meta, err := parseMeta(path, n, keys)
	doc.Meta = meta
	if err != nil {
		doc.Err = err
		return doc
	}
	switch {
	case keys["action"] != nil:
		// Checked first: a global document of such a collection often has
		// a partial detection, which must not load as a rule of its own.
		doc.Err = errAt(path, keys["action"], "rule collections with 'action' (Sigma 1.0 global/reset/repeat) are not supported: write each rule as its own document")
	case keys["correlation"] != nil:
		c, err := parseCorrelation(path, keys["correlation"], meta)
		if err != nil {
			doc.Err = err
			return doc
		}
		// The specification lists generate among the document's top-level
		// attributes; pySigma reads it inside the correlation section.
		// Either turns it on.
		if g := keys["generate"]; g != nil && g.Value == "true" {
			c.Generate = true
		}
		c.Path, c.Line = path, n.Line
		doc.Correlation = c
	case keys["filter"] != nil:
		f, err := parseFilter(path, keys["filter"], meta)
		if err != nil {
			doc.Err = err
			return doc
		}
		f.Path, f.Line = path, n.Line
		doc.Filter = f
	case keys["detection"] != nil:
		det, err := parseDetection(path, keys["detection"])
		if err != nil {
			doc.Err = err
			return doc
		}
		doc.Rule = &Rule{Meta: meta, Detection: det, Path: path, Line: n.Line}
	default:
		doc.Err = errAt(path, n, "document has no 'detection', 'correlation' or 'filter' section")
	}
	return doc
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "map"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "scalar"
	case yaml.AliasNode:
		return "alias"
	}
	return "document"
}

// mapKeys indexes a mapping node's values by key (first occurrence wins).
func mapKeys(n *yaml.Node) map[string]*yaml.Node {
	m := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		if _, dup := m[k]; !dup {
			m[k] = resolveAlias(n.Content[i+1])
		}
	}
	return m
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for depth := 0; n != nil && n.Kind == yaml.AliasNode && depth < 16; depth++ {
		n = n.Alias
	}
	return n
}

func scalarString(path string, n *yaml.Node, what string) (string, *Error) {
	if n == nil {
		return "", nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "", nil
		}
		return n.Value, nil
	}
	return "", errAt(path, n, "%s must be a string, not a %s", what, kindName(n))
}

// stringList accepts a list of scalars or a single scalar.
func stringList(path string, n *yaml.Node, what string) ([]string, *Error) {
	if n == nil {
		return nil, nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" || n.Value == "" {
			return nil, nil
		}
		return []string{n.Value}, nil
	case yaml.SequenceNode:
		out := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			c = resolveAlias(c)
			if c.Kind != yaml.ScalarNode {
				return nil, errAt(path, c, "%s must be a list of strings", what)
			}
			out = append(out, c.Value)
		}
		return out, nil
	}
	return nil, errAt(path, n, "%s must be a string or a list of strings, not a %s", what, kindName(n))
}

func parseMeta(path string, n *yaml.Node, keys map[string]*yaml.Node) (Meta, *Error) {
	var m Meta
	var err *Error
	str := func(key string, dst *string) {
		if err == nil {
			*dst, err = scalarString(path, keys[key], key)
		}
	}
	list := func(key string, dst *[]string) {
		if err == nil {
			*dst, err = stringList(path, keys[key], key)
		}
	}
	str("title", &m.Title)
	str("id", &m.ID)
	str("name", &m.Name)
	str("status", &m.Status)
	str("description", &m.Description)
	str("author", &m.Author)
	str("license", &m.License)
	str("date", &m.Date)
	str("modified", &m.Modified)
	list("references", &m.References)
	list("tags", &m.Tags)
	list("falsepositives", &m.Falsepositives)
	list("fields", &m.Fields)
	if err != nil {
		return m, err
	}
	if ln := keys["level"]; ln != nil {
		s, e := scalarString(path, ln, "level")
		if e != nil {
			return m, e
		}
		lv, perr := ParseLevel(s)
		if perr != nil {
			return m, errAt(path, ln, "%v", perr)
		}
		m.Level = lv
	}
	if ls := keys["logsource"]; ls != nil {
		if ls.Kind != yaml.MappingNode {
			return m, errAt(path, ls, "logsource must be a map")
		}
		lk := mapKeys(ls)
		for key, dst := range map[string]*string{"category": &m.Logsource.Category, "product": &m.Logsource.Product, "service": &m.Logsource.Service, "definition": &m.Logsource.Definition} {
			if m2, e := scalarString(path, lk[key], "logsource."+key); e != nil {
				return m, e
			} else {
				*dst = m2
			}
		}
	}
	if rel := keys["related"]; rel != nil && rel.Kind == yaml.SequenceNode {
		for _, c := range rel.Content {
			var r Related
			if c.Decode(&r) == nil {
				m.Related = append(m.Related, r)
			}
		}
	}
	if m.Title == "" {
		return m, errAt(path, n, "missing title")
	}
	return m, nil
}

func parseDetection(path string, n *yaml.Node) (Detection, *Error) {
	det := Detection{Searches: map[string]*Search{}}
	if n.Kind != yaml.MappingNode {
		return det, errAt(path, n, "detection must be a map of search identifiers and a condition")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], resolveAlias(n.Content[i+1])
		name := kn.Value
		switch name {
		case "condition":
			conds, err := stringList(path, vn, "condition")
			if err != nil {
				return det, err
			}
			det.Conditions = conds
			det.ConditionLine = vn.Line
			continue
		case "timeframe":
			// Sigma 1.0 aggregation window; aggregations are rejected with
			// a clear message when the condition is compiled.
			continue
		}
		if _, dup := det.Searches[name]; dup {
			return det, errAt(path, kn, "search identifier %q defined twice", name)
		}
		s, err := parseSearch(path, name, vn)
		if err != nil {
			return det, err
		}
		s.Line = kn.Line
		det.Searches[name] = s
		det.Order = append(det.Order, name)
	}
	if len(det.Conditions) == 0 {
		return det, errAt(path, n, "detection has no condition")
	}
	return det, nil
}

func parseSearch(path, name string, n *yaml.Node) (*Search, *Error) {
	s := &Search{Name: name}
	switch n.Kind {
	case yaml.MappingNode:
		br, err := parseFieldMap(path, n)
		if err != nil {
			return nil, err
		}
		s.AnyOf = []SearchBranch{br}
	case yaml.SequenceNode:
		var kw *FieldCond
		for _, c := range n.Content {
			c = resolveAlias(c)
			switch c.Kind {
			case yaml.MappingNode:
				br, err := parseFieldMap(path, c)
				if err != nil {
					return nil, err
				}
				s.AnyOf = append(s.AnyOf, br)
			case yaml.ScalarNode:
				if kw == nil {
					kw = &FieldCond{Line: c.Line}
				}
				kw.Values = append(kw.Values, rawValue(c))
			default:
				return nil, errAt(path, c, "search %q: a list may hold maps of field conditions or keywords, not a %s", name, kindName(c))
			}
		}
		if kw != nil {
			s.AnyOf = append(s.AnyOf, SearchBranch{Keywords: kw})
		}
	case yaml.ScalarNode:
		s.AnyOf = []SearchBranch{{Keywords: &FieldCond{Line: n.Line, Values: []RawValue{rawValue(n)}}}}
	default:
		return nil, errAt(path, n, "search %q must be a map, a list or a keyword", name)
	}
	if len(s.AnyOf) == 0 {
		return nil, errAt(path, n, "search %q is empty", name)
	}
	return s, nil
}

func parseFieldMap(path string, n *yaml.Node) (SearchBranch, *Error) {
	var br SearchBranch
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], resolveAlias(n.Content[i+1])
		parts := strings.Split(kn.Value, "|")
		fc := FieldCond{Field: parts[0], Line: kn.Line}
		for _, m := range parts[1:] {
			fc.Modifiers = append(fc.Modifiers, strings.TrimSpace(m))
		}
		switch vn.Kind {
		case yaml.ScalarNode:
			fc.Values = []RawValue{rawValue(vn)}
		case yaml.SequenceNode:
			for _, c := range vn.Content {
				c = resolveAlias(c)
				if c.Kind != yaml.ScalarNode {
					return br, errAt(path, c, "field %q: values must be scalars, not a %s", kn.Value, kindName(c))
				}
				fc.Values = append(fc.Values, rawValue(c))
			}
			if len(fc.Values) == 0 {
				return br, errAt(path, vn, "field %q has an empty list of values", kn.Value)
			}
		default:
			return br, errAt(path, vn, "field %q: value must be a scalar or a list, not a %s", kn.Value, kindName(vn))
		}
		if fc.Field == "" {
			// "|all: [...]" style keywords with modifiers.
			if br.Keywords != nil {
				return br, errAt(path, kn, "only one field-less (keyword) entry is allowed per map")
			}
			k := fc
			br.Keywords = &k
			continue
		}
		br.Fields = append(br.Fields, fc)
	}
	if len(br.Fields) == 0 && br.Keywords == nil {
		return br, errAt(path, n, "empty map of field conditions")
	}
	return br, nil
}

func rawValue(n *yaml.Node) RawValue {
	switch n.Tag {
	case "!!null":
		return RawValue{Kind: ValNull}
	case "!!int", "!!float":
		return RawValue{Kind: ValNumber, Text: n.Value}
	case "!!bool":
		return RawValue{Kind: ValBool, Text: strings.ToLower(n.Value)}
	}
	return RawValue{Kind: ValString, Text: n.Value}
}
