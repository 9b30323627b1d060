package inventory

import (
	"bytes"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/bulwarkhq/bulwark/supply"
)

// maxRequirementsDepth bounds -r include chains.
const maxRequirementsDepth = 16

// extractRequirements reads a pip requirements file and the files it
// includes with -r. Only pinned requirements (== or === with one exact
// version) are packages; anything else is listed as skipped.
func extractRequirements(in *Input) (Extraction, error) {
	var ex Extraction
	seen := map[string]bool{}
	err := readRequirements(in, ".", in.Path, in.Data, seen, 0, &ex)
	return ex, err
}

// readRequirements reads one file; rel is its path relative to the first
// file's directory (for nested includes), file is how locations name it.
func readRequirements(in *Input, rel, file string, data []byte, seen map[string]bool, depth int, ex *Extraction) error {
	seen[path.Clean(rel)] = true
	for _, l := range requirementLines(data) {
		text := l.text
		if strings.HasPrefix(text, "-") {
			inc, ok := requirementInclude(text)
			if !ok {
				continue // -c constraints, -e editables, --index-url and other options
			}
			incRel := path.Join(path.Dir(rel), filepath.ToSlash(inc))
			if seen[path.Clean(incRel)] {
				continue
			}
			if depth >= maxRequirementsDepth {
				return &ParseError{File: file, Line: l.line, Offset: -1, Msg: fmt.Sprintf("-r includes nested deeper than %d", maxRequirementsDepth)}
			}
			incData, found, err := in.sibling(incRel)
			if err != nil {
				return fmt.Errorf("%s:%d: -r %s: %w", file, l.line, inc, err)
			}
			if !found {
				if in.ReadSibling != nil {
					ex.Skipped = append(ex.Skipped, skipped(supply.PyPI, inc, text, "included requirements file not found", file, l.line))
				}
				continue
			}
			incFile := filepath.Join(filepath.Dir(in.Path), filepath.FromSlash(incRel))
			if err := readRequirements(in, incRel, incFile, incData, seen, depth+1, ex); err != nil {
				return err
			}
			continue
		}
		name, spec := splitRequirement(text)
		if name == "" {
			ex.Skipped = append(ex.Skipped, skipped(supply.PyPI, text, text, "not a named requirement (path or URL)", file, l.line))
			continue
		}
		version, ok := pinnedVersion(spec)
		if !ok {
			reason := "not pinned to one version with =="
			if strings.HasPrefix(strings.TrimSpace(spec), "@") {
				reason = "installed from a URL"
			}
			ex.Skipped = append(ex.Skipped, skipped(supply.PyPI, name, strings.TrimSpace(spec), reason, file, l.line))
			continue
		}
		p := newPackage(supply.PyPI, name, version, file, l.line)
		p.Direct = true
		ex.Packages = append(ex.Packages, p)
	}
	return nil
}

type requirementLine struct {
	line int // where the logical line starts
	text string
}

// requirementLines joins backslash continuations, drops comments and
// blank lines, and trims.
func requirementLines(data []byte) []requirementLine {
	var out []requirementLine
	var cur strings.Builder
	start := 0
	for i, raw := range bytes.Split(data, []byte("\n")) {
		s := strings.TrimRight(string(raw), "\r")
		if cur.Len() == 0 {
			start = i + 1
		}
		s = stripRequirementComment(s)
		if strings.HasSuffix(s, `\`) {
			cur.WriteString(strings.TrimSuffix(s, `\`))
			cur.WriteByte(' ')
			continue
		}
		cur.WriteString(s)
		if t := strings.TrimSpace(cur.String()); t != "" {
			out = append(out, requirementLine{line: start, text: t})
		}
		cur.Reset()
	}
	return out
}

// stripRequirementComment removes "# ..." when it starts the line or
// follows whitespace (pip's rule; "#" inside a URL fragment stays).
func stripRequirementComment(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t') {
			return s[:i]
		}
	}
	return s
}

// requirementInclude returns the file of "-r file", "-rfile" or
// "--requirement[=]file".
func requirementInclude(text string) (string, bool) {
	var rest string
	switch {
	case strings.HasPrefix(text, "--requirement"):
		rest = text[len("--requirement"):]
	case strings.HasPrefix(text, "-r"):
		rest = text[len("-r"):]
	default:
		return "", false
	}
	f := strings.Fields(strings.TrimLeft(rest, " \t="))
	if len(f) == 0 {
		return "", false
	}
	return f[0], true
}

// splitRequirement splits "Name[extra]>=1.0; marker --hash=..." into the
// name and the version specifier (or "@ url"). name is "" for paths and
// URLs.
func splitRequirement(text string) (name, spec string) {
	if i := strings.IndexByte(text, ';'); i >= 0 {
		text = text[:i] // environment markers
	}
	if i := strings.Index(text, " --"); i >= 0 {
		text = text[:i] // per-requirement options: --hash, --global-option
	}
	text = strings.TrimSpace(text)
	end := 0
	for end < len(text) && isPyNameByte(text[end]) {
		end++
	}
	name = text[:end]
	rest := strings.TrimSpace(text[end:])
	if name == "" || strings.HasPrefix(rest, ":") || strings.HasPrefix(rest, "/") || strings.ContainsAny(name, "/\\") {
		return "", "" // a URL scheme or a path
	}
	if strings.HasPrefix(rest, "[") {
		if j := strings.IndexByte(rest, ']'); j >= 0 {
			rest = strings.TrimSpace(rest[j+1:])
		}
	}
	return name, rest
}

func isPyNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
}

// pinnedVersion returns the version of "==1.2.3" or "===1.2.3" (one clause,
// no wildcard).
func pinnedVersion(spec string) (string, bool) {
	spec = strings.TrimSpace(spec)
	if strings.HasPrefix(spec, "(") && strings.HasSuffix(spec, ")") {
		spec = strings.TrimSpace(spec[1 : len(spec)-1])
	}
	if strings.Contains(spec, ",") {
		return "", false
	}
	v, ok := strings.CutPrefix(spec, "===")
	if !ok {
		v, ok = strings.CutPrefix(spec, "==")
	}
	v = strings.TrimSpace(v)
	if !ok || v == "" || strings.ContainsAny(v, "* \t<>=!~") {
		return "", false
	}
	return v, true
}

// pipfileLockEntry is one package of Pipfile.lock's default or develop
// section.
type pipfileLockEntry struct {
	Version string `json:"version"`
}

// extractPipfileLock reads Pipfile.lock: "default" is the runtime set,
// "develop" the development set; versions are written "==1.2.3".
func extractPipfileLock(in *Input) (Extraction, error) {
	w := newJSONWalker(in.Path, in.Data)
	var ex Extraction
	err := w.object("", func(section string, _ int) error {
		if section != "default" && section != "develop" {
			return w.skip(section)
		}
		return w.object(section, func(name string, line int) error {
			var e pipfileLockEntry
			if err := w.decode(jsonPath(section, name), &e); err != nil {
				return err
			}
			version, ok := pinnedVersion(e.Version)
			if !ok {
				ex.Skipped = append(ex.Skipped, skipped(supply.PyPI, name, e.Version, "no pinned version (git, path or editable)", in.Path, line))
				return nil
			}
			p := newPackage(supply.PyPI, name, version, in.Path, line)
			p.Dev = section == "develop"
			ex.Packages = append(ex.Packages, p)
			return nil
		})
	})
	if err != nil {
		return ex, err
	}
	return ex, w.end()
}
