package inventory

import (
	"slices"

	"github.com/bulwarkhq/bulwark/supply"
)

// tomlPackages returns the [[package]] tables (and Cargo's old [root]).
func tomlPackages(file string, data []byte) ([]tomlTable, error) {
	tables, err := parseTOMLTables(file, data)
	if err != nil {
		return nil, err
	}
	var out []tomlTable
	for _, t := range tables {
		if t.header == "package" && t.array || t.header == "root" && !t.array {
			out = append(out, t)
		}
	}
	return out, nil
}

// tomlNameVersion returns a package table's name and version, or records
// why it is skipped.
func tomlNameVersion(ex *Extraction, ecosystem, file string, t tomlTable) (name, version string, ok bool) {
	n, v := t.values["name"], t.values["version"]
	if !n.isString || n.str == "" {
		ex.Skipped = append(ex.Skipped, skipped(ecosystem, "", "", "package table without a name", file, t.line))
		return "", "", false
	}
	if !v.isString || v.str == "" {
		ex.Skipped = append(ex.Skipped, skipped(ecosystem, n.str, "", "package without a version", file, t.line))
		return "", "", false
	}
	return n.str, v.str, true
}

// extractCargoLock reads Cargo.lock (all versions, including the 2018
// format with [root]). Workspace crates without a source are reported too:
// advisories exist for crates that are also published (ripgrep's
// grep-cli).
func extractCargoLock(in *Input) (Extraction, error) {
	var ex Extraction
	pkgs, err := tomlPackages(in.Path, in.Data)
	if err != nil {
		return ex, err
	}
	for _, t := range pkgs {
		if name, version, ok := tomlNameVersion(&ex, supply.CratesIO, in.Path, t); ok {
			ex.Packages = append(ex.Packages, newPackage(supply.CratesIO, name, version, in.Path, t.line))
		}
	}
	return ex, nil
}

// extractPoetryLock reads poetry.lock. Poetry 1 marks development packages
// with category = "dev"; Poetry 2 lists groups, and a package outside the
// "main" group is development-only.
func extractPoetryLock(in *Input) (Extraction, error) {
	var ex Extraction
	pkgs, err := tomlPackages(in.Path, in.Data)
	if err != nil {
		return ex, err
	}
	for _, t := range pkgs {
		name, version, ok := tomlNameVersion(&ex, supply.PyPI, in.Path, t)
		if !ok {
			continue
		}
		p := newPackage(supply.PyPI, name, version, in.Path, t.line)
		if c := t.values["category"]; c.isString {
			p.Dev = c.str == "dev"
		} else if g, ok := t.values["groups"]; ok {
			groups := tomlStrings(g.raw)
			p.Dev = len(groups) > 0 && !slices.Contains(groups, "main")
		}
		ex.Packages = append(ex.Packages, p)
	}
	return ex, nil
}

// extractUvLock reads uv.lock. The project itself and other local packages
// (source = { editable | virtual | directory | path }) are not
// dependencies from an index; the project's dependencies mark direct ones.
func extractUvLock(in *Input) (Extraction, error) {
	var ex Extraction
	pkgs, err := tomlPackages(in.Path, in.Data)
	if err != nil {
		return ex, err
	}
	direct := map[string]bool{}
	var kept []tomlTable
	for _, t := range pkgs {
		if uvIsLocal(t) {
			if d, ok := t.values["dependencies"]; ok {
				for _, n := range uvDependencyNames(d.raw) {
					direct[n] = true
				}
			}
			continue
		}
		kept = append(kept, t)
	}
	for _, t := range kept {
		name, version, ok := tomlNameVersion(&ex, supply.PyPI, in.Path, t)
		if !ok {
			continue
		}
		p := newPackage(supply.PyPI, name, version, in.Path, t.line)
		p.Direct = direct[name]
		ex.Packages = append(ex.Packages, p)
	}
	return ex, nil
}

func uvIsLocal(t tomlTable) bool {
	for _, k := range tomlInlineKeys(t.values["source"].raw) {
		switch k {
		case "editable", "virtual", "directory", "path":
			return true
		}
	}
	return false
}

// uvDependencyNames returns the names in `[{ name = "a" }, { name = "b", extra = [...] }]`.
func uvDependencyNames(raw string) []string {
	var names []string
	p := tomlParser{data: []byte(raw)}
	for p.i < len(p.data) {
		if p.data[p.i] == '{' {
			start := p.i
			if p.bracketed() != nil {
				return names
			}
			keys, vals := inlineTableStrings(string(p.data[start:p.i]))
			for i, k := range keys {
				if k == "name" {
					names = append(names, vals[i])
				}
			}
			continue
		}
		p.i++
	}
	return names
}

// inlineTableStrings returns the top-level string-valued keys of an inline
// table.
func inlineTableStrings(raw string) (keys, vals []string) {
	p := tomlParser{data: []byte(raw)}
	p.i = 1 // past "{"
	for p.i < len(p.data) {
		p.skipSpaceAndNewlines()
		if p.i >= len(p.data) || p.data[p.i] == '}' {
			return
		}
		k, v, err := p.keyValue()
		if err != nil {
			return
		}
		if v.isString {
			keys, vals = append(keys, k), append(vals, v.str)
		}
		p.skipSpaceAndNewlines()
		if p.i < len(p.data) && p.data[p.i] == ',' {
			p.i++
		}
	}
	return
}

// extractPdmLock reads pdm.lock; a package outside the "default" group is
// development-only.
func extractPdmLock(in *Input) (Extraction, error) {
	var ex Extraction
	pkgs, err := tomlPackages(in.Path, in.Data)
	if err != nil {
		return ex, err
	}
	for _, t := range pkgs {
		name, version, ok := tomlNameVersion(&ex, supply.PyPI, in.Path, t)
		if !ok {
			continue
		}
		p := newPackage(supply.PyPI, name, version, in.Path, t.line)
		if g, ok := t.values["groups"]; ok {
			groups := tomlStrings(g.raw)
			p.Dev = len(groups) > 0 && !slices.Contains(groups, "default")
		}
		ex.Packages = append(ex.Packages, p)
	}
	return ex, nil
}
