package inventory

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/bulwarkhq/bulwark/supply"
)

// sbomEntry is a package described by an SBOM, before it becomes a
// supply.Package.
type sbomEntry struct {
	id     string // bom-ref or SPDXID
	name   string // for skipped entries without a purl
	purl   string
	line   int
	direct bool
	dev    bool
}

// sbomPackages turns entries into packages by their purls, which carry the
// ecosystem and namespace (npm scope, Maven group, Go module path).
func sbomPackages(ex *Extraction, file string, entries []sbomEntry) {
	for _, e := range entries {
		if e.purl == "" {
			ex.Skipped = append(ex.Skipped, skipped("", e.name, "", "no package URL, so no ecosystem", file, e.line))
			continue
		}
		pp, err := ParsePURL(e.purl)
		if err != nil {
			ex.Skipped = append(ex.Skipped, skipped("", e.name, e.purl, "invalid package URL: "+err.Error(), file, e.line))
			continue
		}
		eco, name, ok := PackageFromPURL(pp)
		if !ok {
			ex.Skipped = append(ex.Skipped, skipped("", e.name, e.purl, "package URL type "+pp.Type+" has no OSV ecosystem here", file, e.line))
			continue
		}
		if pp.Version == "" {
			ex.Skipped = append(ex.Skipped, skipped(eco, name, e.purl, "package URL without a version", file, e.line))
			continue
		}
		if eco == supply.PyPI && pypiCanonical(e.name) == pypiCanonical(name) {
			name = e.name // the purl lowercases PyPI names; keep the written form
		}
		p := newPackage(eco, name, pp.Version, file, e.line)
		p.Direct, p.Dev = e.direct, e.dev
		ex.Packages = append(ex.Packages, p)
	}
}

// pypiCanonical is PEP 503's normalised name.
func pypiCanonical(s string) string {
	return strings.NewReplacer("_", "-", ".", "-").Replace(strings.ToLower(s))
}

// purlLines maps each "pkg:..." string in an SBOM to the line of its first
// occurrence, in one pass (SBOM structures are decoded without positions).
func purlLines(data []byte, xmlEscaped bool) map[string]int {
	out := map[string]int{}
	line := 1
	for i := 0; i < len(data); i++ {
		switch {
		case data[i] == '\n':
			line++
		case data[i] == 'p' && bytes.HasPrefix(data[i:], []byte("pkg:")) && i > 0 && (data[i-1] == '"' || data[i-1] == '>' || data[i-1] == ' '):
			j := i
			for j < len(data) && data[j] != '"' && data[j] != '<' && data[j] != '\n' && data[j] != ' ' {
				j++
			}
			s := string(data[i:j])
			if xmlEscaped {
				s = html.UnescapeString(s)
			} else if strings.Contains(s, `\`) {
				var u string
				if json.Unmarshal([]byte(`"`+s+`"`), &u) == nil {
					s = u
				}
			}
			if _, seen := out[s]; !seen {
				out[s] = line
			}
			i = j - 1
		}
	}
	return out
}

func extractCycloneDXJSON(in *Input) (Extraction, error) {
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(in.Data), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		return Extraction{}, jsonError(in.Path, in.Data, nil, "", err)
	}
	if bom.BOMFormat != cdx.BOMFormat {
		return Extraction{}, &ParseError{File: in.Path, Offset: -1, Path: "bomFormat", Msg: fmt.Sprintf("bomFormat is %q, not %q", bom.BOMFormat, cdx.BOMFormat)}
	}
	return cycloneDXPackages(in.Path, &bom, purlLines(in.Data, false)), nil
}

func extractCycloneDXXML(in *Input) (Extraction, error) {
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(in.Data), cdx.BOMFileFormatXML).Decode(&bom); err != nil {
		var syn *xml.SyntaxError
		if errors.As(err, &syn) {
			return Extraction{}, &ParseError{File: in.Path, Line: syn.Line, Offset: -1, Msg: syn.Msg}
		}
		return Extraction{}, &ParseError{File: in.Path, Offset: -1, Msg: err.Error()}
	}
	if bom.XMLName.Local != "bom" || !strings.HasPrefix(bom.XMLNS, "http://cyclonedx.org/schema/bom/") {
		return Extraction{}, &ParseError{File: in.Path, Line: 1, Offset: -1, Msg: fmt.Sprintf("root element is <%s xmlns=%q>, not a CycloneDX <bom>", bom.XMLName.Local, bom.XMLNS)}
	}
	return cycloneDXPackages(in.Path, &bom, purlLines(in.Data, true)), nil
}

// cycloneDXPackages lists components (nested ones too); the dependencies
// of metadata.component are the direct ones.
func cycloneDXPackages(file string, bom *cdx.BOM, lines map[string]int) Extraction {
	direct := map[string]bool{}
	if bom.Metadata != nil && bom.Metadata.Component != nil && bom.Dependencies != nil {
		root := bom.Metadata.Component.BOMRef
		for _, d := range *bom.Dependencies {
			if d.Ref == root && root != "" && d.Dependencies != nil {
				for _, r := range *d.Dependencies {
					direct[r] = true
				}
			}
		}
	}
	var entries []sbomEntry
	var walk func(cs *[]cdx.Component, depth int)
	walk = func(cs *[]cdx.Component, depth int) {
		if cs == nil || depth > maxXMLDepth {
			return
		}
		for i := range *cs {
			c := &(*cs)[i]
			name := c.Name
			if c.Group != "" {
				name = c.Group + "/" + c.Name
			}
			e := sbomEntry{id: c.BOMRef, name: name, purl: c.PackageURL, line: lines[c.PackageURL], direct: direct[c.BOMRef] && c.BOMRef != ""}
			if c.Properties != nil {
				for _, p := range *c.Properties {
					if p.Name == "cdx:npm:package:development" && p.Value == "true" {
						e.dev = true
					}
				}
			}
			entries = append(entries, e)
			walk(c.Components, depth+1)
		}
	}
	walk(bom.Components, 0)
	var ex Extraction
	sbomPackages(&ex, file, entries)
	return ex
}

// spdxDocument is the part of an SPDX 2.x JSON document read here.
type spdxDocument struct {
	SPDXVersion       string   `json:"spdxVersion"`
	DocumentDescribes []string `json:"documentDescribes"`
	Packages          []struct {
		SPDXID       string `json:"SPDXID"`
		Name         string `json:"name"`
		VersionInfo  string `json:"versionInfo"`
		ExternalRefs []struct {
			ReferenceCategory string `json:"referenceCategory"`
			ReferenceType     string `json:"referenceType"`
			ReferenceLocator  string `json:"referenceLocator"`
		} `json:"externalRefs"`
	} `json:"packages"`
	Relationships []spdxRelationship `json:"relationships"`
}

type spdxRelationship struct {
	Element string `json:"spdxElementId"`
	Type    string `json:"relationshipType"`
	Related string `json:"relatedSpdxElement"`
	Comment string `json:"comment"`
}

// isIndirect reports a DEPENDS_ON that its writer marked as indirect
// (supply/sbom does, since SPDX 2.3 has no direct/transitive flag).
func (r spdxRelationship) isIndirect() bool {
	return strings.HasPrefix(strings.ToLower(r.Comment), "indirect")
}

func extractSPDXJSON(in *Input) (Extraction, error) {
	var doc spdxDocument
	if err := json.Unmarshal(in.Data, &doc); err != nil {
		return Extraction{}, jsonError(in.Path, in.Data, nil, "", err)
	}
	if !strings.HasPrefix(doc.SPDXVersion, "SPDX-2.") {
		return Extraction{}, &ParseError{File: in.Path, Offset: -1, Path: "spdxVersion", Msg: fmt.Sprintf("spdxVersion is %q, not SPDX-2.x", doc.SPDXVersion)}
	}
	lines := purlLines(in.Data, false)
	var entries []sbomEntry
	for _, p := range doc.Packages {
		e := sbomEntry{id: p.SPDXID, name: p.Name}
		for _, r := range p.ExternalRefs {
			if r.ReferenceType == "purl" {
				e.purl = r.ReferenceLocator
				e.line = lines[e.purl]
				break
			}
		}
		entries = append(entries, e)
	}
	return spdxPackages(in.Path, entries, doc.DocumentDescribes, doc.Relationships), nil
}

// spdxPackages marks direct and development dependencies from the
// relationships of the described packages, and leaves out described
// packages without a purl (the project itself).
func spdxPackages(file string, entries []sbomEntry, describes []string, rels []spdxRelationship) Extraction {
	roots := map[string]bool{}
	for _, d := range describes {
		roots[d] = true
	}
	for _, r := range rels {
		switch r.Type {
		case "DESCRIBES":
			if r.Element == "SPDXRef-DOCUMENT" {
				roots[r.Related] = true
			}
		case "DESCRIBED_BY":
			if r.Related == "SPDXRef-DOCUMENT" {
				roots[r.Element] = true
			}
		}
	}
	direct, dev := map[string]bool{}, map[string]bool{}
	for _, r := range rels {
		switch {
		case r.Type == "DEPENDS_ON" && roots[r.Element] && !r.isIndirect():
			direct[r.Related] = true
		case r.Type == "DEPENDENCY_OF" && roots[r.Related]:
			direct[r.Element] = true
		case r.Type == "DEV_DEPENDENCY_OF" && roots[r.Related]:
			direct[r.Element], dev[r.Element] = true, true
		}
	}
	kept := entries[:0]
	for _, e := range entries {
		if roots[e.id] && e.purl == "" {
			continue
		}
		e.direct, e.dev = direct[e.id], dev[e.id]
		kept = append(kept, e)
	}
	var ex Extraction
	sbomPackages(&ex, file, kept)
	return ex
}

// extractSPDXTagValue reads SPDX 2.x tag-value: "Tag: value" lines, with
// <text>...</text> values possibly spanning lines.
func extractSPDXTagValue(in *Input) (Extraction, error) {
	var entries []sbomEntry
	var rels []spdxRelationship
	version := ""
	lines := bytes.Split(in.Data, []byte("\n"))
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(strings.TrimRight(string(lines[i]), "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		tag, value, ok := strings.Cut(line, ":")
		if !ok {
			return Extraction{}, &ParseError{File: in.Path, Line: i + 1, Column: 1, Offset: -1, Msg: "expected \"Tag: value\""}
		}
		value = strings.TrimSpace(value)
		if strings.HasPrefix(value, "<text>") && !strings.Contains(value, "</text>") {
			start := i
			for i++; i < len(lines) && !bytes.Contains(lines[i], []byte("</text>")); i++ {
			}
			if i >= len(lines) {
				return Extraction{}, &ParseError{File: in.Path, Line: start + 1, Column: 1, Offset: -1, Msg: "<text> without </text>"}
			}
			continue
		}
		switch tag {
		case "SPDXVersion":
			version = value
		case "PackageName":
			entries = append(entries, sbomEntry{name: value, line: i + 1})
		case "SPDXID":
			if len(entries) > 0 && entries[len(entries)-1].id == "" {
				entries[len(entries)-1].id = value
			}
		case "ExternalRef":
			f := strings.Fields(value)
			if len(entries) > 0 && len(f) >= 3 && f[1] == "purl" && entries[len(entries)-1].purl == "" {
				entries[len(entries)-1].purl = f[2]
				entries[len(entries)-1].line = i + 1
			}
		case "Relationship":
			f := strings.Fields(value)
			if len(f) >= 3 {
				rels = append(rels, spdxRelationship{Element: f[0], Type: f[1], Related: f[2]})
			}
		case "RelationshipComment":
			if len(rels) > 0 {
				rels[len(rels)-1].Comment = value
			}
		}
	}
	if !strings.HasPrefix(version, "SPDX-2.") {
		return Extraction{}, &ParseError{File: in.Path, Offset: -1, Msg: fmt.Sprintf("SPDXVersion is %q, not SPDX-2.x", version)}
	}
	return spdxPackages(in.Path, entries, nil, rels), nil
}
