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
	return tomlLock(in, supply.CratesIO, nil)
}

// tomlLock reads the [[package]] tables of a TOML lockfile into packages
// of ecosystem; decorate, when set, adds what the format says of each
// package.
func tomlLock(in *Input, ecosystem string, decorate func(*supply.Package, tomlTable)) (Extraction, error) {
	pkgs, err := tomlPackages(in.Path, in.Data)
	if err != nil {
		return Extraction{}, err
	}
	return tomlLockTables(in, ecosystem, pkgs, decorate), nil
}

func tomlLockTables(in *Input, ecosystem string, pkgs []tomlTable, decorate func(*supply.Package, tomlTable)) Extraction {
	var ex Extraction
	for _, t := range pkgs {
		name, version, ok := tomlNameVersion(&ex, ecosystem, in.Path, t)
		if !ok {
			continue
		}
		p := newPackage(ecosystem, name, version, in.Path, t.line)
		if decorate != nil {
			decorate(&p, t)
		}
		ex.Packages = append(ex.Packages, p)
	}
	return ex
}

// outsideGroup reports whether a package's "groups" list exists and lacks
// group: the development-only packages of Poetry 2 ("main") and pdm
// ("default").
func outsideGroup(t tomlTable, group string) (dev, listed bool) {
	g, ok := t.values["groups"]
	if !ok {
		return false, false
	}
	groups := tomlStrings(g.raw)
	return len(groups) > 0 && !slices.Contains(groups, group), true
}

// extractPoetryLock reads poetry.lock. Poetry 1 marks development packages
// with category = "dev"; Poetry 2 lists groups, and a package outside the
// "main" group is development-only.
func extractPoetryLock(in *Input) (Extraction, error) {
	return tomlLock(in, supply.PyPI, func(p *supply.Package, t tomlTable) {
		if c := t.values["category"]; c.isString {
			p.Dev = c.str == "dev"
		} else if dev, ok := outsideGroup(t, "main"); ok {
			p.Dev = dev
		}
	})
}

// extractUvLock reads uv.lock. The project itself and other local packages
// (source = { editable | virtual | directory | path }) are not
// dependencies from an index; the project's dependencies mark direct ones.
func extractUvLock(in *Input) (Extraction, error) {
	pkgs, err := tomlPackages(in.Path, in.Data)
	if err != nil {
		return Extraction{}, err
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
	return tomlLockTables(in, supply.PyPI, kept, func(p *supply.Package, _ tomlTable) { p.Direct = direct[p.Name] }), nil
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
	return tomlLock(in, supply.PyPI, func(p *supply.Package, t tomlTable) {
		p.Dev, _ = outsideGroup(t, "default")
	})
}
