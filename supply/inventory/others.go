package inventory

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/bulwarkhq/bulwark/supply"
)

// nugetLockEntry is one package of packages.lock.json.
type nugetLockEntry struct {
	Type     string `json:"type"` // Direct, Transitive, CentralTransitive, Project
	Resolved string `json:"resolved"`
}

// extractNuGetLock reads packages.lock.json: dependencies per target
// framework; "Project" entries are the solution's own projects.
func extractNuGetLock(in *Input) (Extraction, error) {
	w := newJSONWalker(in.Path, in.Data)
	var ex Extraction
	err := w.object("", func(key string, _ int) error {
		if key != "dependencies" {
			return w.skip(key)
		}
		return w.object(key, func(framework string, _ int) error {
			fp := jsonPath(key, framework)
			return w.object(fp, func(name string, line int) error {
				var e nugetLockEntry
				if err := w.decode(jsonPath(fp, name), &e); err != nil {
					return err
				}
				if e.Type == "Project" {
					return nil
				}
				if e.Resolved == "" {
					ex.Skipped = append(ex.Skipped, skipped(supply.NuGet, name, "", "no resolved version", in.Path, line))
					return nil
				}
				p := newPackage(supply.NuGet, name, e.Resolved, in.Path, line)
				p.Direct = e.Type == "Direct"
				ex.Packages = append(ex.Packages, p)
				return nil
			})
		})
	})
	if err != nil {
		return ex, err
	}
	return ex, w.end()
}

type composerPackage struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// extractComposerLock reads composer.lock: "packages" and "packages-dev".
func extractComposerLock(in *Input) (Extraction, error) {
	w := newJSONWalker(in.Path, in.Data)
	var ex Extraction
	err := w.object("", func(key string, _ int) error {
		if key != "packages" && key != "packages-dev" {
			return w.skip(key)
		}
		return w.array(key, func(i, line int) error {
			var c composerPackage
			if err := w.decode(fmt.Sprintf("%s[%d]", key, i), &c); err != nil {
				return err
			}
			if c.Name == "" || c.Version == "" {
				ex.Skipped = append(ex.Skipped, skipped(supply.Packagist, c.Name, c.Version, "no name or version", in.Path, line))
				return nil
			}
			p := newPackage(supply.Packagist, c.Name, c.Version, in.Path, line)
			p.Dev = key == "packages-dev"
			ex.Packages = append(ex.Packages, p)
			return nil
		})
	})
	if err != nil {
		return ex, err
	}
	return ex, w.end()
}

// gemSpecLine matches a spec four spaces in: "    name (1.2.3)" or
// "    name (1.2.3-x86_64-linux)".
var gemSpecLine = regexp.MustCompile(`^    ([^ (]+) \(([^)]+)\)$`)

// extractGemfileLock reads Gemfile.lock: the specs of the GEM, GIT and PATH
// sections; DEPENDENCIES names the direct ones. A platform suffix is
// removed from versions ("1.13.3-x86_64-linux" is gem 1.13.3).
func extractGemfileLock(in *Input) (Extraction, error) {
	var ex Extraction
	direct := map[string]bool{}
	section := ""
	inSpecs := false
	for i, raw := range bytes.Split(in.Data, []byte("\n")) {
		line := strings.TrimRight(string(raw), "\r")
		if line == "" {
			inSpecs = false
			continue
		}
		if line[0] != ' ' {
			section, inSpecs = line, false
			continue
		}
		switch {
		case section == "DEPENDENCIES" && strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   "):
			name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
			direct[strings.TrimSuffix(name, "!")] = true
		case strings.TrimSpace(line) == "specs:":
			inSpecs = true
		case inSpecs && (section == "GEM" || section == "GIT" || section == "PATH" || strings.HasPrefix(section, "PLUGIN")):
			m := gemSpecLine.FindStringSubmatch(line)
			if m == nil {
				continue // dependency lines, six spaces in
			}
			version, _, _ := strings.Cut(m[2], "-")
			p := newPackage(supply.RubyGems, m[1], version, in.Path, i+1)
			ex.Packages = append(ex.Packages, p)
		}
	}
	for i := range ex.Packages {
		ex.Packages[i].Direct = direct[ex.Packages[i].Name]
	}
	return ex, nil
}

// extractPubspecLock reads pubspec.lock. SDK packages (flutter) come with
// the SDK and have no registry version.
func extractPubspecLock(in *Input) (Extraction, error) {
	var ex Extraction
	root, err := yamlDocument(in.Path, in.Data)
	if err != nil {
		return ex, err
	}
	yamlEach(yamlMap(root, "packages"), func(k, v *yaml.Node) {
		version := yamlString(yamlMap(v, "version"))
		if yamlString(yamlMap(v, "source")) == "sdk" {
			return
		}
		if version == "" {
			ex.Skipped = append(ex.Skipped, skipped(supply.Pub, k.Value, "", "no version", in.Path, k.Line))
			return
		}
		p := newPackage(supply.Pub, k.Value, version, in.Path, k.Line)
		dep := yamlString(yamlMap(v, "dependency"))
		p.Direct = strings.HasPrefix(dep, "direct")
		p.Dev = dep == "direct dev"
		ex.Packages = append(ex.Packages, p)
	})
	return ex, nil
}

// mixHexLine matches `  "name": {:hex, :name, "1.2.3", ...`.
var mixHexLine = regexp.MustCompile(`^\s*"([^"]+)":\s*\{:hex,\s*:"?([A-Za-z0-9_]+)"?,\s*"([^"]+)"`)

// extractMixLock reads mix.lock (an Elixir map literal) line by line; only
// Hex packages have versions (git and path dependencies are skipped).
func extractMixLock(in *Input) (Extraction, error) {
	var ex Extraction
	for i, raw := range bytes.Split(in.Data, []byte("\n")) {
		line := string(raw)
		if m := mixHexLine.FindStringSubmatch(line); m != nil {
			ex.Packages = append(ex.Packages, newPackage(supply.Hex, m[2], m[3], in.Path, i+1))
			continue
		}
		if name, rest, ok := strings.Cut(strings.TrimSpace(line), ":"); ok && strings.HasPrefix(name, `"`) && strings.Contains(rest, "{:git") {
			ex.Skipped = append(ex.Skipped, skipped(supply.Hex, strings.Trim(name, `"`), "", "git dependency", in.Path, i+1))
		}
	}
	return ex, nil
}

// extractPodfileLock reads Podfile.lock's PODS list: "Name (1.2.3)" or
// "Name/Subspec (1.2.3)", possibly as a key holding its dependencies.
func extractPodfileLock(in *Input) (Extraction, error) {
	var ex Extraction
	root, err := yamlDocument(in.Path, in.Data)
	if err != nil {
		return ex, err
	}
	direct := map[string]bool{}
	if deps := yamlMap(root, "DEPENDENCIES"); deps != nil && deps.Kind == yaml.SequenceNode {
		for _, d := range deps.Content {
			name, _, _ := strings.Cut(yamlString(d), " ")
			direct[name] = true
		}
	}
	pods := yamlMap(root, "PODS")
	if pods == nil || pods.Kind != yaml.SequenceNode {
		return ex, nil
	}
	for _, item := range pods.Content {
		n := item
		if item.Kind == yaml.MappingNode && len(item.Content) > 0 {
			n = item.Content[0]
		}
		s := yamlString(n)
		name, rest, ok := strings.Cut(s, " (")
		if !ok || !strings.HasSuffix(rest, ")") {
			ex.Skipped = append(ex.Skipped, skipped(supply.CocoaPods, s, "", "not \"Name (version)\"", in.Path, n.Line))
			continue
		}
		p := newPackage(supply.CocoaPods, name, strings.TrimSuffix(rest, ")"), in.Path, n.Line)
		p.Direct = direct[name]
		ex.Packages = append(ex.Packages, p)
	}
	return ex, nil
}

// swiftPin is one pin of Package.resolved (v1 nests pins under "object").
type swiftPin struct {
	Identity      string `json:"identity"`
	Package       string `json:"package"`
	Location      string `json:"location"`      // v2, v3
	RepositoryURL string `json:"repositoryURL"` // v1
	State         struct {
		Version  string `json:"version"`
		Revision string `json:"revision"`
		Branch   string `json:"branch"`
	} `json:"state"`
}

// extractPackageResolved reads Swift's Package.resolved (v1 to v3).
// Packages are named by repository URL without scheme and ".git", as OSV's
// SwiftURL ecosystem names them.
func extractPackageResolved(in *Input) (Extraction, error) {
	w := newJSONWalker(in.Path, in.Data)
	var ex Extraction
	pins := func(path string) error {
		return w.array(path, func(i, line int) error {
			var pin swiftPin
			if err := w.decode(fmt.Sprintf("%s[%d]", path, i), &pin); err != nil {
				return err
			}
			loc := pin.Location
			if loc == "" {
				loc = pin.RepositoryURL
			}
			name := swiftURLName(loc)
			if name == "" {
				name = pin.Identity + pin.Package
			}
			if pin.State.Version == "" {
				ex.Skipped = append(ex.Skipped, skipped(supply.SwiftURL, name, pin.State.Branch+pin.State.Revision, "pinned to a branch or revision, not a version", in.Path, line))
				return nil
			}
			ex.Packages = append(ex.Packages, newPackage(supply.SwiftURL, name, pin.State.Version, in.Path, line))
			return nil
		})
	}
	err := w.object("", func(key string, _ int) error {
		switch key {
		case "pins":
			return pins("pins")
		case "object":
			return w.object("object", func(key string, _ int) error {
				if key == "pins" {
					return pins("object.pins")
				}
				return w.skip("object." + key)
			})
		}
		return w.skip(key)
	})
	if err != nil {
		return ex, err
	}
	return ex, w.end()
}

// swiftURLName turns "https://github.com/apple/swift-nio.git" into
// "github.com/apple/swift-nio".
func swiftURLName(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	} else if at := strings.IndexByte(u, '@'); at >= 0 && strings.Contains(u, ":") {
		u = strings.Replace(u[at+1:], ":", "/", 1) // git@github.com:owner/repo.git
	}
	if at := strings.IndexByte(u, '@'); at >= 0 && at < strings.IndexByte(u+"/", '/') {
		u = u[at+1:] // user@host
	}
	return strings.TrimSuffix(strings.TrimSuffix(u, "/"), ".git")
}
