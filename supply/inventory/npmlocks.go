package inventory

import (
	"bytes"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/bulwarkhq/bulwark/supply"
)

// yamlDocument parses YAML into a node tree (for lines), turning errors
// into ParseErrors.
func yamlDocument(file string, data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(file, err)
	}
	if len(doc.Content) == 0 {
		return &yaml.Node{Kind: yaml.MappingNode}, nil
	}
	return doc.Content[0], nil
}

// yamlError extracts "line N" from yaml.v3's messages.
func yamlError(file string, err error) error {
	msg := err.Error()
	pe := &ParseError{File: file, Offset: -1, Msg: strings.TrimPrefix(msg, "yaml: ")}
	if i := strings.Index(msg, "line "); i >= 0 {
		rest := msg[i+len("line "):]
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		pe.Line, _ = strconv.Atoi(rest[:j])
	}
	return pe
}

// yamlMap returns the value of key in a mapping node, or nil.
func yamlMap(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// yamlEach calls fn for each key/value of a mapping node.
func yamlEach(n *yaml.Node, fn func(k, v *yaml.Node)) {
	if n == nil || n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		fn(n.Content[i], n.Content[i+1])
	}
}

func yamlString(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// extractPnpmLock reads pnpm-lock.yaml, lockfile versions 5 to 9. Package
// keys are "/name/1.0.0_peer" (v5), "/name@1.0.0(peer)" (v6) or
// "name@1.0.0" (v9).
func extractPnpmLock(in *Input) (Extraction, error) {
	var ex Extraction
	root, err := yamlDocument(in.Path, in.Data)
	if err != nil {
		return ex, err
	}
	if root.Kind != yaml.MappingNode {
		return ex, &ParseError{File: in.Path, Line: root.Line, Column: root.Column, Offset: -1, Msg: "expected a mapping at the top"}
	}
	v5 := strings.HasPrefix(strings.Trim(yamlString(yamlMap(root, "lockfileVersion")), `'"`), "5")
	direct := map[string]bool{} // name@version named by an importer
	collect := func(project *yaml.Node) {
		for _, section := range []string{"dependencies", "devDependencies", "optionalDependencies"} {
			yamlEach(yamlMap(project, section), func(k, v *yaml.Node) {
				version := yamlString(v)
				if v.Kind == yaml.MappingNode {
					version = yamlString(yamlMap(v, "version"))
				}
				version, _, _ = strings.Cut(version, "(")
				if v5 {
					version, _, _ = strings.Cut(version, "_")
				}
				direct[k.Value+"@"+version] = true
			})
		}
	}
	collect(root) // v5 single-project lockfiles list dependencies at the top
	yamlEach(yamlMap(root, "importers"), func(_, project *yaml.Node) { collect(project) })

	yamlEach(yamlMap(root, "packages"), func(k, v *yaml.Node) {
		name, version := pnpmNameVersion(k.Value, v5)
		if n := yamlString(yamlMap(v, "name")); n != "" {
			name = n
		}
		if vv := yamlString(yamlMap(v, "version")); vv != "" {
			version = vv
		}
		if name == "" || !npmVersionIsExact(version) {
			ex.Skipped = append(ex.Skipped, skipped(supply.Npm, name, k.Value, "not a registry version", in.Path, k.Line))
			return
		}
		p := newPackage(supply.Npm, name, version, in.Path, k.Line)
		p.Dev = yamlString(yamlMap(v, "dev")) == "true"
		p.Direct = direct[name+"@"+version]
		ex.Packages = append(ex.Packages, p)
	})
	return ex, nil
}

func pnpmNameVersion(key string, v5 bool) (name, version string) {
	key = strings.TrimPrefix(key, "/")
	if v5 {
		i := strings.LastIndexByte(key, '/')
		if i <= 0 {
			return "", ""
		}
		version, _, _ = strings.Cut(key[i+1:], "_")
		return key[:i], version
	}
	key, _, _ = strings.Cut(key, "(")
	return npmSplitNameVersion(key)
}

// extractYarnLock reads yarn.lock, classic (v1) and berry (v2+): blocks
// headed by the requested ranges, with a version (and, in berry, a
// resolution) two spaces in.
func extractYarnLock(in *Input) (Extraction, error) {
	var ex Extraction
	ranges := npmManifestRanges(in)
	var cur *yarnBlock
	flush := func() {
		if cur != nil {
			cur.add(&ex, in.Path, ranges)
		}
		cur = nil
	}
	for i, raw := range bytes.Split(in.Data, []byte("\n")) {
		line := strings.TrimRight(string(raw), "\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if line[0] != ' ' && line[0] != '\t' {
			flush()
			if !strings.HasSuffix(trimmed, ":") {
				return ex, &ParseError{File: in.Path, Line: i + 1, Column: 1, Offset: -1, Msg: "expected a block header ending with ':'"}
			}
			cur = &yarnBlock{line: i + 1, specs: yarnSpecs(strings.TrimSuffix(trimmed, ":"))}
			continue
		}
		if cur == nil {
			return ex, &ParseError{File: in.Path, Line: i + 1, Column: 1, Offset: -1, Msg: "indented line outside a block"}
		}
		if strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   ") {
			key, val := yarnField(trimmed)
			switch key {
			case "version":
				cur.version = val
			case "resolution":
				cur.resolution = val
			}
		}
	}
	flush()
	return ex, nil
}

type yarnBlock struct {
	line       int
	specs      []string
	version    string
	resolution string
}

func (b *yarnBlock) add(ex *Extraction, file string, ranges map[string]string) {
	if len(b.specs) == 0 || b.specs[0] == "__metadata" {
		return
	}
	name, rng := yarnSplitSpec(b.specs[0])
	if b.resolution != "" {
		rname, rref := yarnSplitSpec(b.resolution)
		for _, local := range []string{"workspace:", "link:", "portal:", "file:"} {
			if strings.HasPrefix(rref, local) {
				return // the project's own packages
			}
		}
		name = rname
	} else if alias, ok := strings.CutPrefix(rng, "npm:"); ok && strings.LastIndexByte(alias, '@') > 0 {
		name, _ = npmSplitNameVersion(alias) // "alias@npm:real@^1.0.0"
	}
	if !npmVersionIsExact(b.version) {
		ex.Skipped = append(ex.Skipped, skipped(supply.Npm, name, b.version, "not a registry version", file, b.line))
		return
	}
	p := newPackage(supply.Npm, name, b.version, file, b.line)
	for _, s := range b.specs {
		n, r := yarnSplitSpec(s)
		if want, ok := ranges[n]; ok && (r == want || r == "npm:"+want) {
			p.Direct = true
		}
	}
	ex.Packages = append(ex.Packages, p)
}

// yarnSpecs splits `"a@^1.0.0", a@~1.1.0` into unquoted specs.
func yarnSpecs(header string) []string {
	var out []string
	for _, s := range strings.Split(header, ",") {
		s = strings.TrimSpace(s)
		if u, err := strconv.Unquote(s); err == nil {
			s = u
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// yarnSplitSpec splits "name@range" and "@scope/name@npm:range" at the
// first "@" after the name's start.
func yarnSplitSpec(s string) (name, rng string) {
	i := strings.IndexByte(s[min(1, len(s)):], '@')
	if i < 0 {
		return s, ""
	}
	i++
	return s[:i], s[i+1:]
}

// yarnField parses `version "1.2.3"` (v1) and `version: 1.2.3` (berry).
func yarnField(s string) (key, val string) {
	key, val, ok := strings.Cut(s, " ")
	if !ok {
		return strings.TrimSuffix(s, ":"), ""
	}
	key = strings.TrimSuffix(key, ":")
	val = strings.TrimSpace(val)
	if u, err := strconv.Unquote(val); err == nil {
		val = u
	}
	return key, val
}

// npmManifestRanges returns the ranges package.json beside the lockfile
// asks for, by name (empty without one).
func npmManifestRanges(in *Input) map[string]string {
	out := map[string]string{}
	data, ok, err := in.sibling("package.json")
	if !ok || err != nil {
		return out
	}
	var m npmManifest
	if jsonUnmarshalLenient(data, &m) != nil {
		return out
	}
	for _, l := range []map[string]string{m.PeerDependencies, m.OptionalDependencies, m.DevDependencies, m.Dependencies} {
		for n, r := range l {
			out[n] = r
		}
	}
	return out
}

// extractBunLock reads bun.lock, which is JSON with trailing commas:
// "packages" maps an install path to ["name@version", registry, deps,
// integrity].
func extractBunLock(in *Input) (Extraction, error) {
	var ex Extraction
	data := stripJSONC(in.Data)
	w := newJSONWalker(in.Path, data)
	var root npmManifest
	err := w.object("", func(key string, _ int) error {
		switch key {
		case "workspaces":
			var ws map[string]npmManifest
			if err := w.decode(key, &ws); err != nil {
				return err
			}
			root = ws[""]
			return nil
		case "packages":
			return w.object(key, func(path string, line int) error {
				var entry []any
				if err := w.decode(jsonPath(key, path), &entry); err != nil {
					return err
				}
				spec, _ := firstString(entry)
				name, version := npmSplitNameVersion(spec)
				if name == "" || !npmVersionIsExact(version) {
					ex.Skipped = append(ex.Skipped, skipped(supply.Npm, name, version, "not a registry version", in.Path, line))
					return nil
				}
				p := newPackage(supply.Npm, name, version, in.Path, line)
				// Top-level install paths are the package name itself.
				p.Direct = path == name
				ex.Packages = append(ex.Packages, p)
				return nil
			})
		}
		return w.skip(key)
	})
	if err != nil {
		return ex, err
	}
	if err := w.end(); err != nil {
		return ex, err
	}
	direct := npmDirectNames(root.Dependencies, root.DevDependencies, root.OptionalDependencies, root.PeerDependencies)
	for i := range ex.Packages {
		p := &ex.Packages[i]
		p.Direct = p.Direct && direct[p.Name]
		_, inDeps := root.Dependencies[p.Name]
		_, inDev := root.DevDependencies[p.Name]
		p.Dev = p.Direct && inDev && !inDeps
	}
	return ex, nil
}

func firstString(v []any) (string, bool) {
	if len(v) == 0 {
		return "", false
	}
	s, ok := v[0].(string)
	return s, ok
}

// stripJSONC blanks out // and /* */ comments and trailing commas with
// spaces, keeping every offset (and so every line) where it was.
func stripJSONC(data []byte) []byte {
	out := bytes.Clone(data)
	inString := false
	lastComma := -1 // offset of a comma not yet followed by a value
	for i := 0; i < len(out); i++ {
		c := out[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch {
		case c == '"':
			inString, lastComma = true, -1
		case c == '/' && i+1 < len(out) && out[i+1] == '/':
			for ; i < len(out) && out[i] != '\n'; i++ {
				out[i] = ' '
			}
		case c == '/' && i+1 < len(out) && out[i+1] == '*':
			j := bytes.Index(out[i+2:], []byte("*/"))
			end := len(out)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			for k := i; k < end; k++ {
				if out[k] != '\n' {
					out[k] = ' '
				}
			}
			i = end - 1
		case c == ',':
			lastComma = i
		case c == '}' || c == ']':
			if lastComma >= 0 {
				out[lastComma] = ' '
			}
			lastComma = -1
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
		default:
			lastComma = -1
		}
	}
	return out
}
