package inventory

import (
	"encoding/json"
	"strings"

	"github.com/bulwarkhq/bulwark/supply"
)

// npmLockEntry is one entry of package-lock.json's "packages" (v2, v3) or
// "dependencies" (v1) map.
type npmLockEntry struct {
	Name         string            `json:"name"`
	Version      string            `json:"version"`
	Resolved     string            `json:"resolved"`
	Dev          bool              `json:"dev"`
	Link         bool              `json:"link"`
	Dependencies map[string]string `json:"dependencies"`
	// Root entry ("") of v2/v3: the project's own requirements.
	DevDependencies      map[string]string `json:"devDependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
}

// extractPackageLock reads package-lock.json and npm-shrinkwrap.json, all
// lockfile versions: v2 and v3 through "packages", v1 through the nested
// "dependencies" tree.
func extractPackageLock(in *Input) (Extraction, error) {
	w := newJSONWalker(in.Path, in.Data)
	var ex Extraction
	var rootDirect map[string]bool
	var v1Lines []npmV1Entry
	hasPackages := false
	err := w.object("", func(key string, line int) error {
		switch key {
		case "packages":
			hasPackages = true
			return w.object("packages", func(key string, line int) error {
				var e npmLockEntry
				if err := w.decode(jsonPath("packages", key), &e); err != nil {
					return err
				}
				if key == "" {
					rootDirect = npmDirectNames(e.Dependencies, e.DevDependencies, e.OptionalDependencies, e.PeerDependencies)
					return nil
				}
				addNpmPackagesEntry(&ex, in.Path, key, line, &e, rootDirect)
				return nil
			})
		case "dependencies":
			if hasPackages {
				// v2 repeats the tree as v1 "dependencies" for old npm
				// versions; "packages" (written first) is all we need.
				return w.skip(key)
			}
			return w.object("dependencies", func(key string, line int) error {
				return readNpmV1(w, "dependencies", key, line, true, &v1Lines)
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
	if !hasPackages {
		// Lockfile v1: the tree is all there is.
		for _, e := range v1Lines {
			name, version := e.name, e.entry.Version
			if alias, ok := strings.CutPrefix(version, "npm:"); ok {
				// "string-width-cjs": {"version": "npm:string-width@4.2.3"}
				if i := strings.LastIndexByte(alias, '@'); i > 0 {
					name, version = alias[:i], alias[i+1:]
				}
			}
			if !npmVersionIsExact(version) {
				ex.Skipped = append(ex.Skipped, skipped(supply.Npm, name, version, "not a registry version", in.Path, e.line))
				continue
			}
			p := newPackage(supply.Npm, name, version, in.Path, e.line)
			p.Dev = e.entry.Dev
			p.Direct = e.topLevel && npmDirectFromManifest(in, name)
			ex.Packages = append(ex.Packages, p)
		}
		return ex, nil
	}
	return ex, nil
}

// addNpmPackagesEntry adds one v2/v3 "packages" entry keyed by its install
// path ("node_modules/a/node_modules/@s/b").
func addNpmPackagesEntry(ex *Extraction, file, key string, line int, e *npmLockEntry, rootDirect map[string]bool) {
	i := strings.LastIndex(key, "node_modules/")
	if i < 0 || e.Link {
		// Workspace members ("packages/foo") and links to them are the
		// project's own code, not dependencies.
		return
	}
	name := key[i+len("node_modules/"):]
	if e.Name != "" {
		name = e.Name // aliases ("npm:real-name@1.0.0") record the real name here
	}
	if !npmVersionIsExact(e.Version) {
		ex.Skipped = append(ex.Skipped, skipped(supply.Npm, name, e.Version, "not a registry version", file, line))
		return
	}
	p := newPackage(supply.Npm, name, e.Version, file, line)
	p.Dev = e.Dev
	// Direct: installed at the top and named by the root entry (which npm
	// writes first).
	p.Direct = i == 0 && rootDirect[key[len("node_modules/"):]]
	ex.Packages = append(ex.Packages, p)
}

type npmV1Entry struct {
	name     string
	line     int
	topLevel bool
	entry    npmLockEntry
}

// readNpmV1 reads a v1 dependency and, recursively, its nested ones.
func readNpmV1(w *jsonWalker, parent, name string, line int, topLevel bool, out *[]npmV1Entry) error {
	p := jsonPath(parent, name)
	i := len(*out)
	*out = append(*out, npmV1Entry{name: name, line: line, topLevel: topLevel})
	return w.object(p, func(key string, _ int) error {
		switch key {
		case "version":
			return w.decode(jsonPath(p, key), &(*out)[i].entry.Version)
		case "dev":
			return w.decode(jsonPath(p, key), &(*out)[i].entry.Dev)
		case "dependencies":
			return w.object(jsonPath(p, key), func(key string, line int) error {
				return readNpmV1(w, jsonPath(p, "dependencies"), key, line, false, out)
			})
		}
		return w.skip(jsonPath(p, key))
	})
}

func npmDirectNames(lists ...map[string]string) map[string]bool {
	m := map[string]bool{}
	for _, l := range lists {
		for n := range l {
			m[n] = true
		}
	}
	return m
}

// npmDirectFromManifest reports whether package.json beside a v1 lockfile
// names the package; without a package.json, top-level entries count as
// direct (v1 hoists every dependency it can, so this over-approximates).
func npmDirectFromManifest(in *Input, name string) bool {
	m, ok := npmManifestNames(in)
	if !ok {
		return true
	}
	return m[name]
}

func npmManifestNames(in *Input) (map[string]bool, bool) {
	data, ok, err := in.sibling("package.json")
	if !ok || err != nil {
		return nil, false
	}
	var m npmManifest
	if jsonUnmarshalLenient(data, &m) != nil {
		return nil, false
	}
	return npmDirectNames(m.Dependencies, m.DevDependencies, m.OptionalDependencies, m.PeerDependencies), true
}

// npmVersionIsExact reports whether v is a plain registry version
// (1.2.3, 1.2.3-beta.1, 1.2.3+build), not a range, tag, URL, git or file
// reference.
func npmVersionIsExact(v string) bool {
	v = strings.TrimPrefix(v, "v")
	core, tail := v, ""
	if i := strings.IndexAny(v, "-+"); i >= 0 {
		core, tail = v[:i], v[i+1:]
		if tail == "" {
			return false
		}
	}
	for _, c := range tail {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '-' || c == '+') {
			return false
		}
	}
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return false
	}
	for _, part := range parts {
		if part == "" {
			return false
		}
		for _, c := range part {
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	return true
}

type npmManifest struct {
	Dependencies         map[string]string `json:"dependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
}

// npmLockfileNames are the lockfiles that make a package.json redundant.
var npmLockfileNames = []string{"package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lock"}

// extractPackageJSON reads a package.json without a lockfile: only exact
// versions are reported; ranges are listed as skipped because the version
// installed depends on the registry at install time.
func extractPackageJSON(in *Input) (Extraction, error) {
	var ex Extraction
	for _, l := range npmLockfileNames {
		if in.hasSibling(l) {
			ex.Note = "dependencies come from " + l + " beside it"
			return ex, nil
		}
	}
	w := newJSONWalker(in.Path, in.Data)
	err := w.object("", func(key string, _ int) error {
		dev := false
		switch key {
		case "devDependencies":
			dev = true
		case "dependencies", "optionalDependencies":
		default:
			return w.skip(key)
		}
		return w.object(key, func(name string, line int) error {
			var req string
			if err := w.decode(jsonPath(key, name), &req); err != nil {
				return err
			}
			version := strings.TrimPrefix(strings.TrimSpace(req), "=")
			if !npmVersionIsExact(version) {
				ex.Skipped = append(ex.Skipped, skipped(supply.Npm, name, req,
					"package.json without a lockfile gives a range, not the installed version", in.Path, line))
				return nil
			}
			p := newPackage(supply.Npm, name, strings.TrimPrefix(version, "v"), in.Path, line)
			p.Direct, p.Dev = true, dev
			ex.Packages = append(ex.Packages, p)
			return nil
		})
	})
	if err != nil {
		return ex, err
	}
	return ex, w.end()
}

// npmSplitNameVersion splits "name@version" and "@scope/name@version".
func npmSplitNameVersion(s string) (name, version string) {
	i := strings.LastIndexByte(s, '@')
	if i <= 0 {
		return s, ""
	}
	return s[:i], s[i+1:]
}

// jsonUnmarshalLenient decodes JSON that may carry comments and trailing
// commas.
func jsonUnmarshalLenient(data []byte, v any) error {
	return json.Unmarshal(stripJSONC(data), v)
}
