package sbom

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/bulwarkhq/bulwark/supply"
)

// SPDX document fields (SPDX 2.3 JSON schema names).
type spdxDoc struct {
	SPDXVersion       string             `json:"spdxVersion"`
	DataLicense       string             `json:"dataLicense"`
	SPDXID            string             `json:"SPDXID"`
	Name              string             `json:"name"`
	DocumentNamespace string             `json:"documentNamespace"`
	CreationInfo      spdxCreationInfo   `json:"creationInfo"`
	Packages          []spdxPackage      `json:"packages"`
	Relationships     []spdxRelationship `json:"relationships"`
}

type spdxCreationInfo struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
}

type spdxPackage struct {
	SPDXID                string       `json:"SPDXID"`
	Name                  string       `json:"name"`
	VersionInfo           string       `json:"versionInfo,omitempty"`
	DownloadLocation      string       `json:"downloadLocation"`
	FilesAnalyzed         bool         `json:"filesAnalyzed"`
	PrimaryPackagePurpose string       `json:"primaryPackagePurpose,omitempty"`
	ExternalRefs          []spdxExtRef `json:"externalRefs,omitempty"`
	SourceInfo            string       `json:"sourceInfo,omitempty"`
	Comment               string       `json:"comment,omitempty"`
}

type spdxExtRef struct {
	ReferenceCategory string `json:"referenceCategory"`
	ReferenceType     string `json:"referenceType"`
	ReferenceLocator  string `json:"referenceLocator"`
}

type spdxRelationship struct {
	Element string `json:"spdxElementId"`
	Type    string `json:"relationshipType"`
	Related string `json:"relatedSpdxElement"`
	Comment string `json:"comment,omitempty"`
}

const (
	spdxDocumentID = "SPDXRef-DOCUMENT"
	spdxRootID     = "SPDXRef-Root"
	// indirectComment marks DEPENDS_ON edges to packages the source did
	// not mark as direct: SPDX has no other way to say "somewhere below".
	indirectComment = "indirect (transitive), or not known to be direct"
)

// buildSPDX lays out the document: the document DESCRIBES the root
// package (the project); the root DEPENDS_ON its direct dependencies;
// direct development dependencies are DEV_DEPENDENCY_OF the root; every
// other package hangs off the root by DEPENDS_ON with a comment saying it
// is indirect or unknown.
func buildSPDX(meta Meta, pkgs []supply.Package) spdxDoc {
	prep := prepare(pkgs)
	uuid := contentUUID(meta, prep)
	ns := meta.Namespace
	if ns == "" {
		ns = "https://spdx.org/spdxdocs/" + spdxIDPart(meta.documentName()) + "-" + uuid
	}
	creator := "Tool: " + meta.toolName()
	if meta.ToolVersion != "" {
		creator += "-" + meta.ToolVersion
	}
	doc := spdxDoc{
		SPDXVersion:       "SPDX-2.3",
		DataLicense:       "CC0-1.0",
		SPDXID:            spdxDocumentID,
		Name:              meta.documentName(),
		DocumentNamespace: ns,
		CreationInfo:      spdxCreationInfo{Created: meta.timestamp(), Creators: []string{creator}},
		Packages: []spdxPackage{{
			SPDXID: spdxRootID, Name: meta.documentName(), DownloadLocation: "NOASSERTION",
			PrimaryPackagePurpose: "APPLICATION",
		}},
		Relationships: []spdxRelationship{{Element: spdxDocumentID, Type: "DESCRIBES", Related: spdxRootID}},
	}
	for i, p := range prep {
		id := fmt.Sprintf("SPDXRef-Package-%d-%s", i+1, spdxIDPart(p.Ecosystem+"-"+p.Name+"-"+p.Version))
		sp := spdxPackage{
			SPDXID: id, Name: p.Name, VersionInfo: p.Version, DownloadLocation: "NOASSERTION",
			PrimaryPackagePurpose: "LIBRARY",
			SourceInfo:            sourceInfo(p.Package),
		}
		if p.PURL != "" {
			sp.ExternalRefs = []spdxExtRef{{ReferenceCategory: "PACKAGE-MANAGER", ReferenceType: "purl", ReferenceLocator: p.PURL}}
		}
		doc.Packages = append(doc.Packages, sp)
		switch {
		case p.Direct && p.Dev:
			doc.Relationships = append(doc.Relationships, spdxRelationship{Element: id, Type: "DEV_DEPENDENCY_OF", Related: spdxRootID})
		case p.Direct:
			doc.Relationships = append(doc.Relationships, spdxRelationship{Element: spdxRootID, Type: "DEPENDS_ON", Related: id})
		default:
			doc.Relationships = append(doc.Relationships, spdxRelationship{Element: spdxRootID, Type: "DEPENDS_ON", Related: id, Comment: indirectComment})
		}
	}
	return doc
}

// sourceInfo says where the package was found.
func sourceInfo(p supply.Package) string {
	var locs []string
	for _, l := range p.Locations {
		if l.Line > 0 {
			locs = append(locs, fmt.Sprintf("%s:%d", l.File, l.Line))
		} else {
			locs = append(locs, l.File)
		}
	}
	if len(locs) == 0 {
		return ""
	}
	return "found in " + strings.Join(locs, ", ")
}

// WriteSPDX writes pkgs as an SPDX 2.3 JSON document.
func WriteSPDX(w io.Writer, meta Meta, pkgs []supply.Package) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(buildSPDX(meta, pkgs)); err != nil {
		return fmt.Errorf("write SPDX: %w", err)
	}
	return nil
}

// WriteSPDXTagValue writes pkgs as an SPDX 2.3 tag-value document, the
// same content as WriteSPDX.
func WriteSPDXTagValue(w io.Writer, meta Meta, pkgs []supply.Package) error {
	doc := buildSPDX(meta, pkgs)
	var b strings.Builder
	field := func(tag, value string) {
		if value != "" {
			fmt.Fprintf(&b, "%s: %s\n", tag, oneLine(value))
		}
	}
	field("SPDXVersion", doc.SPDXVersion)
	field("DataLicense", doc.DataLicense)
	field("SPDXID", doc.SPDXID)
	field("DocumentName", doc.Name)
	field("DocumentNamespace", doc.DocumentNamespace)
	for _, c := range doc.CreationInfo.Creators {
		field("Creator", c)
	}
	field("Created", doc.CreationInfo.Created)
	for _, p := range doc.Packages {
		b.WriteString("\n")
		field("PackageName", p.Name)
		field("SPDXID", p.SPDXID)
		field("PackageVersion", p.VersionInfo)
		field("PackageDownloadLocation", p.DownloadLocation)
		field("FilesAnalyzed", "false")
		field("PrimaryPackagePurpose", p.PrimaryPackagePurpose)
		field("PackageSourceInfo", p.SourceInfo)
		for _, r := range p.ExternalRefs {
			field("ExternalRef", r.ReferenceCategory+" "+r.ReferenceType+" "+r.ReferenceLocator)
		}
	}
	b.WriteString("\n")
	for _, r := range doc.Relationships {
		field("Relationship", r.Element+" "+r.Type+" "+r.Related)
		field("RelationshipComment", r.Comment)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write SPDX tag-value: %w", err)
	}
	return nil
}

// oneLine keeps a value on its line (tag-value is line-oriented).
func oneLine(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}
