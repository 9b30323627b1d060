package inventory

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/bulwarkhq/bulwark/supply"
)

// purlTypes maps OSV ecosystems to package-URL types.
var purlTypes = map[string]string{
	supply.Npm:       "npm",
	supply.PyPI:      "pypi",
	supply.Go:        "golang",
	supply.CratesIO:  "cargo",
	supply.Maven:     "maven",
	supply.NuGet:     "nuget",
	supply.Packagist: "composer",
	supply.RubyGems:  "gem",
	supply.Pub:       "pub",
	supply.Hex:       "hex",
	supply.CocoaPods: "cocoapods",
	supply.SwiftURL:  "swift",
}

// PURL returns the package URL of a package (purl spec), keeping
// namespaces: npm scopes, Maven groups, Go module paths, Composer vendors.
// It returns "" for an unknown ecosystem or an empty name.
func PURL(ecosystem, name, version string) string {
	typ, ok := purlTypes[ecosystem]
	if !ok || name == "" {
		return ""
	}
	var namespace, subpath string
	switch ecosystem {
	case supply.Maven:
		if g, a, ok := strings.Cut(name, ":"); ok {
			namespace, name = g, a
		}
	case supply.PyPI:
		// The purl spec requires PyPI names lowercased, "_" as "-".
		name = strings.ReplaceAll(strings.ToLower(name), "_", "-")
	case supply.CocoaPods:
		// Subspecs ("Firebase/Core") are purl subpaths.
		name, subpath, _ = strings.Cut(name, "/")
	case supply.Npm, supply.Go, supply.Packagist, supply.SwiftURL:
		if i := strings.LastIndex(name, "/"); i >= 0 {
			namespace, name = name[:i], name[i+1:]
		}
	}
	if ecosystem == supply.Go && name == "stdlib" && namespace == "" {
		return "pkg:golang/stdlib@" + escapePURL(version)
	}
	var b strings.Builder
	b.WriteString("pkg:")
	b.WriteString(typ)
	b.WriteByte('/')
	if namespace != "" {
		for _, seg := range strings.Split(namespace, "/") {
			b.WriteString(escapePURL(seg))
			b.WriteByte('/')
		}
	}
	b.WriteString(escapePURL(name))
	if version != "" {
		b.WriteByte('@')
		b.WriteString(escapePURL(version))
	}
	if subpath != "" {
		b.WriteByte('#')
		b.WriteString(escapePURL(subpath))
	}
	return b.String()
}

// escapePURL percent-encodes a purl segment. "@" is always encoded (npm
// scopes become %40scope); ":" is left as the spec allows.
func escapePURL(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '.', c == '-', c == '_', c == '~', c == ':', c == '+':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// ParsedPURL is a package URL split into its parts, percent-decoded.
type ParsedPURL struct {
	Type       string
	Namespace  string
	Name       string
	Version    string
	Qualifiers url.Values
	Subpath    string
}

// ParsePURL splits a package URL (pkg:type/namespace/name@version?q#sub).
func ParsePURL(s string) (ParsedPURL, error) {
	var p ParsedPURL
	rest, ok := strings.CutPrefix(s, "pkg:")
	if !ok {
		return p, fmt.Errorf("purl %q does not start with pkg:", s)
	}
	rest = strings.TrimLeft(rest, "/")
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		p.Subpath = unescapePURL(strings.Trim(rest[i+1:], "/"))
		rest = rest[:i]
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		q, err := url.ParseQuery(rest[i+1:])
		if err != nil {
			return p, fmt.Errorf("purl %q: qualifiers: %v", s, err)
		}
		p.Qualifiers = q
		rest = rest[:i]
	}
	typ, path, ok := strings.Cut(rest, "/")
	if !ok || typ == "" {
		return p, fmt.Errorf("purl %q has no type/name", s)
	}
	p.Type = strings.ToLower(typ)
	path = strings.Trim(path, "/")
	// The version follows the last "@" of the last segment; npm's scope "@"
	// is percent-encoded by the spec, but be lenient with a literal one.
	if i := strings.LastIndexByte(path, '@'); i > strings.LastIndexByte(path, '/') && i > 0 {
		p.Version = unescapePURL(path[i+1:])
		path = path[:i]
	}
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		segs := strings.Split(path[:i], "/")
		for j, seg := range segs {
			segs[j] = unescapePURL(seg)
		}
		p.Namespace = strings.Join(segs, "/")
		path = path[i+1:]
	}
	p.Name = unescapePURL(path)
	if p.Name == "" {
		return p, fmt.Errorf("purl %q has an empty name", s)
	}
	return p, nil
}

func unescapePURL(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// purlEcosystems maps package-URL types back to OSV ecosystems.
var purlEcosystems = func() map[string]string {
	m := make(map[string]string, len(purlTypes))
	for eco, typ := range purlTypes {
		m[typ] = eco
	}
	return m
}()

// PackageFromPURL turns a purl into an ecosystem and a name written the
// way that ecosystem writes it. ok is false for purl types with no OSV
// ecosystem here (deb, rpm, generic, ...).
func PackageFromPURL(p ParsedPURL) (ecosystem, name string, ok bool) {
	ecosystem, ok = purlEcosystems[p.Type]
	if !ok {
		return "", "", false
	}
	name = p.Name
	switch ecosystem {
	case supply.Maven:
		if p.Namespace != "" {
			name = p.Namespace + ":" + p.Name
		}
	case supply.CocoaPods:
		if p.Subpath != "" {
			name = p.Name + "/" + p.Subpath
		}
	default:
		if p.Namespace != "" {
			name = p.Namespace + "/" + p.Name
		}
	}
	return ecosystem, name, true
}

// newPackage builds a package with its purl and one location.
func newPackage(ecosystem, name, version, file string, line int) supply.Package {
	return supply.Package{
		Ecosystem: ecosystem,
		Name:      name,
		Version:   version,
		PURL:      PURL(ecosystem, name, version),
		Locations: []supply.Location{{File: file, Line: line}},
	}
}

func skipped(ecosystem, name, req, reason, file string, line int) Skipped {
	return Skipped{Ecosystem: ecosystem, Name: name, Requirement: req, Reason: reason,
		Location: supply.Location{File: file, Line: line}}
}
