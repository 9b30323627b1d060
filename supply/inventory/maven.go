package inventory

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/bulwarkhq/bulwark/supply"
)

// xmlNode is an element of a small XML tree with the line it starts on.
type xmlNode struct {
	name     string
	text     string
	line     int
	children []*xmlNode
}

func (n *xmlNode) child(name string) *xmlNode {
	if n == nil {
		return nil
	}
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

// kids returns the children of n, none for a nil node.
func (n *xmlNode) kids() []*xmlNode {
	if n == nil {
		return nil
	}
	return n.children
}

func (n *xmlNode) childText(name string) string {
	if c := n.child(name); c != nil {
		return strings.TrimSpace(c.text)
	}
	return ""
}

func (n *xmlNode) all(name string) []*xmlNode {
	var out []*xmlNode
	if n == nil {
		return nil
	}
	for _, c := range n.children {
		if c.name == name {
			out = append(out, c)
		}
	}
	return out
}

// maxXMLDepth bounds nesting so hostile input cannot grow the stack.
const maxXMLDepth = 256

// parseXMLTree reads an XML document into a tree, namespaces dropped.
func parseXMLTree(file string, data []byte) (*xmlNode, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	// Entities beyond XML's five and charsets other than UTF-8 are not
	// expanded: lockfiles and POMs do not need them.
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var stack []*xmlNode
	var root *xmlNode
	for {
		line, col := dec.InputPos()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, xmlError(file, dec, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) >= maxXMLDepth {
				return nil, &ParseError{File: file, Line: line, Column: col, Offset: dec.InputOffset(), Msg: fmt.Sprintf("elements nested deeper than %d", maxXMLDepth)}
			}
			n := &xmlNode{name: t.Name.Local, line: line}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			} else if root == nil {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		}
	}
	if root == nil {
		return nil, &ParseError{File: file, Line: 1, Column: 1, Offset: 0, Msg: "no XML element found"}
	}
	return root, nil
}

func xmlError(file string, dec *xml.Decoder, err error) error {
	var syn *xml.SyntaxError
	line, col := dec.InputPos()
	if errors.As(err, &syn) {
		return &ParseError{File: file, Line: syn.Line, Offset: dec.InputOffset(), Msg: syn.Msg}
	}
	return &ParseError{File: file, Line: line, Column: col, Offset: dec.InputOffset(), Msg: err.Error()}
}

// maxPropertyRounds bounds ${property} expansion (properties may refer to
// each other, or loop).
const maxPropertyRounds = 8

// maxExpandedLen bounds an expanded value: a version is short, and
// properties that refer to each other several times grow exponentially.
const maxExpandedLen = 4096

// pom is one POM with its properties resolved as far as the file allows.
type pom struct {
	file    string
	project *xmlNode
	props   map[string]string
	managed map[string]string // group:artifact -> version from dependencyManagement
	parent  string            // group:artifact:version of the parent, if any
}

// extractPom reads pom.xml: dependencies with explicit versions, or
// versions from properties and dependencyManagement in the same file.
// Versions managed by a parent POM or a BOM import cannot be resolved
// offline; those dependencies are listed as skipped with their line.
// Test-scoped dependencies are development-only; all are direct.
func extractPom(in *Input) (Extraction, error) {
	var ex Extraction
	root, err := parseXMLTree(in.Path, in.Data)
	if err != nil {
		return ex, err
	}
	if root.name != "project" {
		return ex, &ParseError{File: in.Path, Line: root.line, Offset: -1, Msg: fmt.Sprintf("root element is <%s>, not <project>", root.name)}
	}
	p := newPom(in.Path, root)
	for _, d := range root.child("dependencies").all("dependency") {
		p.addDependency(&ex, d)
	}
	return ex, nil
}

func newPom(file string, root *xmlNode) *pom {
	p := &pom{file: file, project: root, props: map[string]string{}, managed: map[string]string{}}
	parent := root.child("parent")
	if parent != nil {
		p.parent = parent.childText("groupId") + ":" + parent.childText("artifactId") + ":" + parent.childText("version")
	}
	for _, prop := range root.child("properties").kids() {
		p.props[prop.name] = strings.TrimSpace(prop.text)
	}
	set := func(key, val string) {
		if val != "" {
			p.props[key] = val
		}
	}
	group, version := root.childText("groupId"), root.childText("version")
	if group == "" {
		group = parent.childText("groupId")
	}
	if version == "" {
		version = parent.childText("version")
	}
	for _, prefix := range []string{"project.", "pom.", ""} {
		set(prefix+"groupId", group)
		set(prefix+"artifactId", root.childText("artifactId"))
		set(prefix+"version", version)
		set(prefix+"parent.groupId", parent.childText("groupId"))
		set(prefix+"parent.artifactId", parent.childText("artifactId"))
		set(prefix+"parent.version", parent.childText("version"))
	}
	for _, d := range root.child("dependencyManagement").child("dependencies").all("dependency") {
		g, _ := p.resolve(d.childText("groupId"))
		a, _ := p.resolve(d.childText("artifactId"))
		if v, ok := p.resolve(d.childText("version")); ok && v != "" {
			p.managed[g+":"+a] = v
		}
	}
	return p
}

// resolve expands ${name} from the file's properties; ok is false when a
// property is not defined here.
func (p *pom) resolve(s string) (string, bool) {
	for round := 0; round < maxPropertyRounds && strings.Contains(s, "${"); round++ {
		var b strings.Builder
		rest := s
		for {
			i := strings.Index(rest, "${")
			if i < 0 {
				b.WriteString(rest)
				break
			}
			j := strings.IndexByte(rest[i:], '}')
			if j < 0 {
				b.WriteString(rest)
				break
			}
			b.WriteString(rest[:i])
			name := rest[i+2 : i+j]
			if v, ok := p.props[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString(rest[i : i+j+1])
			}
			rest = rest[i+j+1:]
			if b.Len() > maxExpandedLen {
				return s, false // properties that multiply each other
			}
		}
		if b.String() == s {
			break
		}
		s = b.String()
	}
	return s, !strings.Contains(s, "${")
}

func (p *pom) addDependency(ex *Extraction, d *xmlNode) {
	g, gok := p.resolve(d.childText("groupId"))
	a, aok := p.resolve(d.childText("artifactId"))
	name := g + ":" + a
	raw := d.childText("version")
	if !gok || !aok || g == "" || a == "" {
		ex.Skipped = append(ex.Skipped, skipped(supply.Maven, name, raw, "groupId or artifactId uses a property not defined in this file", p.file, d.line))
		return
	}
	version, ok := p.resolve(raw)
	switch {
	case raw == "":
		if v, found := p.managed[name]; found {
			version = v
			break
		}
		reason := "no version and none in this file's dependencyManagement"
		if p.parent != "" {
			reason = "version managed by the parent POM " + p.parent + ", not resolvable offline"
		}
		ex.Skipped = append(ex.Skipped, skipped(supply.Maven, name, "", reason, p.file, d.line))
		return
	case !ok:
		ex.Skipped = append(ex.Skipped, skipped(supply.Maven, name, raw, "version property is not defined in this file (parent POM?)", p.file, d.line))
		return
	case strings.ContainsAny(version, "[(,"):
		ex.Skipped = append(ex.Skipped, skipped(supply.Maven, name, raw, "version range, not one version", p.file, d.line))
		return
	}
	pkg := newPackage(supply.Maven, name, version, p.file, d.line)
	pkg.Direct = true
	pkg.Dev = d.childText("scope") == "test"
	ex.Packages = append(ex.Packages, pkg)
}

// extractGradleLockfile reads gradle.lockfile lines
// "group:artifact:version=configuration,...".
func extractGradleLockfile(in *Input) (Extraction, error) {
	var ex Extraction
	for i, raw := range bytes.Split(in.Data, []byte("\n")) {
		line := strings.TrimSpace(string(raw))
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "empty=") {
			continue
		}
		coords, configs, _ := strings.Cut(line, "=")
		parts := strings.Split(coords, ":")
		if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
			return ex, &ParseError{File: in.Path, Line: i + 1, Column: 1, Offset: -1, Msg: fmt.Sprintf("want group:artifact:version=configurations, found %q", line)}
		}
		p := newPackage(supply.Maven, parts[0]+":"+parts[1], parts[2], in.Path, i+1)
		p.Dev = gradleTestOnly(configs)
		ex.Packages = append(ex.Packages, p)
	}
	return ex, nil
}

// gradleTestOnly reports whether every configuration is a test one.
func gradleTestOnly(configs string) bool {
	if configs == "" {
		return false
	}
	for _, c := range strings.Split(configs, ",") {
		if !strings.HasPrefix(strings.TrimSpace(c), "test") {
			return false
		}
	}
	return true
}
