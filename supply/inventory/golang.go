package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/bulwarkhq/bulwark/supply"
)

// extractGoMod reads go.mod and, for go.mod files before go 1.17, go.sum
// beside it; the package doc explains how versions are chosen. Module
// versions keep their "v" as Go writes them; stdlib is "1.14" as the go
// directive writes it.
func extractGoMod(in *Input) (Extraction, error) {
	var ex Extraction
	f, err := modfile.Parse(in.Path, in.Data, nil)
	if err != nil {
		return ex, goModError(in.Path, err)
	}
	g := goModule{file: in.Path, f: f, excluded: map[module.Version]bool{}}
	for _, e := range f.Exclude {
		g.excluded[e.Mod] = true
	}
	// selected holds the chosen version per module path, with where it was
	// found and whether the main module requires it directly.
	selected := map[string]*goChoice{}
	var order []string
	for _, r := range f.Require {
		if g.excluded[r.Mod] {
			continue
		}
		c, ok := selected[r.Mod.Path]
		if !ok {
			c = &goChoice{}
			selected[r.Mod.Path] = c
			order = append(order, r.Mod.Path)
		}
		if c.version == "" || semver.Compare(r.Mod.Version, c.version) > 0 {
			c.version, c.line, c.inGoMod = r.Mod.Version, lineOf(r.Syntax), true
		}
		c.direct = c.direct || !r.Indirect
		c.required = true
	}
	if !goModIsPruned(f) {
		sumFile := filepath.Join(filepath.Dir(in.Path), "go.sum")
		data, ok, err := in.sibling("go.sum")
		if err != nil {
			return ex, fmt.Errorf("%s: %w", sumFile, err)
		}
		if ok {
			sums, err := parseGoSum(sumFile, data)
			if err != nil {
				return ex, err
			}
			order = g.applyGoSum(selected, order, sums, sumFile)
		}
	}
	for _, path := range order {
		c := selected[path]
		if path == g.mainPath() {
			continue
		}
		if !c.required && !c.codeInBuild {
			ex.Skipped = append(ex.Skipped, skipped(supply.Go, path, c.version,
				"in the module graph but go.sum has only its go.mod hash: no code of it is built", c.file(in.Path), c.line))
			continue
		}
		g.report(&ex, path, c)
	}
	if p, ok := goStdlib(in.Path, f); ok {
		ex.Packages = append(ex.Packages, p)
	}
	return ex, nil
}

type goModule struct {
	file     string
	f        *modfile.File
	excluded map[module.Version]bool
}

func (g *goModule) mainPath() string {
	if g.f.Module == nil {
		return ""
	}
	return g.f.Module.Mod.Path
}

type goChoice struct {
	version     string
	line        int
	sumFile     string // set when the version came from go.sum
	inGoMod     bool   // version is the go.mod require line's
	required    bool   // go.mod names the module, whatever version wins
	direct      bool
	codeInBuild bool
}

func (c *goChoice) file(goMod string) string {
	if c.sumFile != "" {
		return c.sumFile
	}
	return goMod
}

// report adds the module after replace directives.
func (g *goModule) report(ex *Extraction, path string, c *goChoice) {
	file := c.file(g.file)
	for _, r := range g.f.Replace {
		if r.Old.Path != path || (r.Old.Version != "" && r.Old.Version != c.version) {
			continue
		}
		if r.New.Version == "" {
			ex.Skipped = append(ex.Skipped, skipped(supply.Go, path, c.version,
				"replaced by the local directory "+r.New.Path, g.file, lineOf(r.Syntax)))
			return
		}
		p := newPackage(supply.Go, r.New.Path, r.New.Version, g.file, lineOf(r.Syntax))
		p.Direct = c.direct
		ex.Packages = append(ex.Packages, p)
		return
	}
	p := newPackage(supply.Go, path, c.version, file, c.line)
	p.Direct = c.direct
	ex.Packages = append(ex.Packages, p)
}

// applyGoSum raises each module to the highest version go.sum lists for it
// (minimal version selection over the graph go.sum records) and adds the
// modules go.mod does not name.
func (g *goModule) applyGoSum(selected map[string]*goChoice, order []string, sums []goSumLine, sumFile string) []string {
	for _, s := range sums {
		if g.excluded[module.Version{Path: s.path, Version: s.version}] {
			continue
		}
		c, ok := selected[s.path]
		if !ok {
			c = &goChoice{}
			selected[s.path] = c
			order = append(order, s.path)
		}
		switch cmp := semver.Compare(s.version, c.version); {
		case c.version == "" || cmp > 0:
			c.version, c.line, c.sumFile, c.inGoMod = s.version, s.line, sumFile, false
			c.codeInBuild = !s.goModOnly
		case cmp == 0 && !s.goModOnly:
			c.codeInBuild = true
		}
	}
	return order
}

type goSumLine struct {
	path, version string
	goModOnly     bool // "/go.mod" hash: the module's go.mod was read, not its code
	line          int
}

// parseGoSum reads go.sum lines "path version[/go.mod] h1:hash".
func parseGoSum(file string, data []byte) ([]goSumLine, error) {
	var out []goSumLine
	for i, raw := range bytes.Split(data, []byte("\n")) {
		fields := strings.Fields(string(raw))
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 3 {
			return nil, &ParseError{File: file, Line: i + 1, Column: 1, Offset: -1, Msg: fmt.Sprintf("want 3 fields (module, version, hash), found %d", len(fields))}
		}
		version, goModOnly := strings.CutSuffix(fields[1], "/go.mod")
		if !semver.IsValid(version) {
			return nil, &ParseError{File: file, Line: i + 1, Column: len(fields[0]) + 2, Offset: -1, Msg: fmt.Sprintf("invalid version %q", fields[1])}
		}
		out = append(out, goSumLine{path: fields[0], version: version, goModOnly: goModOnly, line: i + 1})
	}
	return out, nil
}

// goModIsPruned reports whether go.mod is at go 1.17 or later, where its
// require list is complete.
func goModIsPruned(f *modfile.File) bool {
	if f.Go == nil {
		return false
	}
	major, minor, _ := strings.Cut(f.Go.Version, ".")
	minor, _, _ = strings.Cut(minor, ".")
	minor, _, _ = strings.Cut(minor, "rc")
	minor, _, _ = strings.Cut(minor, "beta")
	ma, err1 := strconv.Atoi(major)
	mi, err2 := strconv.Atoi(minor)
	if err1 != nil || err2 != nil {
		return false
	}
	return ma > 1 || ma == 1 && mi >= 17
}

// goStdlib reports Go's standard library at the toolchain directive's
// version, or else the go directive's.
func goStdlib(file string, f *modfile.File) (supply.Package, bool) {
	var version string
	var line int
	if f.Go != nil {
		version, line = f.Go.Version, lineOf(f.Go.Syntax)
	}
	if f.Toolchain != nil {
		if v, ok := strings.CutPrefix(f.Toolchain.Name, "go"); ok {
			version, line = v, lineOf(f.Toolchain.Syntax)
		}
	}
	if version == "" {
		return supply.Package{}, false
	}
	return newPackage(supply.Go, "stdlib", version, file, line), true
}

func lineOf(l *modfile.Line) int {
	if l == nil {
		return 0
	}
	return l.Start.Line
}

// goModError turns modfile's errors into a ParseError with a position.
func goModError(file string, err error) error {
	var list modfile.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		e := list[0]
		msg := e.Err.Error()
		if e.ModPath != "" {
			msg = e.ModPath + ": " + msg
		}
		return &ParseError{File: file, Line: e.Pos.Line, Column: e.Pos.LineRune, Offset: int64(e.Pos.Byte), Msg: msg}
	}
	return &ParseError{File: file, Offset: -1, Msg: err.Error()}
}
