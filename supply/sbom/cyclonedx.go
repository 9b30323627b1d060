package sbom

import (
	"fmt"
	"io"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/bulwarkhq/bulwark/supply"
)

// rootRef is the bom-ref of the scanned project (metadata.component).
const rootRef = "root-component"

// WriteCycloneDX writes pkgs as a CycloneDX 1.6 JSON BOM. Direct
// dependencies become the root component's dependsOn; development-only
// packages have scope "optional"; locations become "bulwark:location"
// properties.
func WriteCycloneDX(w io.Writer, meta Meta, pkgs []supply.Package) error {
	prep := prepare(pkgs)
	bom := cdx.NewBOM()
	bom.SerialNumber = meta.SerialNumber
	if bom.SerialNumber == "" {
		bom.SerialNumber = "urn:uuid:" + contentUUID(meta, prep)
	}
	tool := cdx.Component{Type: cdx.ComponentTypeApplication, Name: meta.toolName(), Version: meta.ToolVersion}
	bom.Metadata = &cdx.Metadata{
		Timestamp: meta.timestamp(),
		Tools:     &cdx.ToolsChoice{Components: &[]cdx.Component{tool}},
		Component: &cdx.Component{BOMRef: rootRef, Type: cdx.ComponentTypeApplication, Name: meta.documentName()},
	}
	components := make([]cdx.Component, 0, len(prep))
	var direct []string
	refs := map[string]bool{rootRef: true}
	for i := range prep {
		p := &prep[i]
		p.id = uniqueRef(refs, bomRef(p.Package))
		c := cdx.Component{
			BOMRef:     p.id,
			Type:       cdx.ComponentTypeLibrary,
			Name:       p.Name,
			Version:    p.Version,
			PackageURL: p.PURL,
		}
		c.Group, c.Name = cycloneDXGroup(p.Ecosystem, p.Name)
		if p.Dev {
			c.Scope = cdx.ScopeOptional
		}
		var props []cdx.Property
		for _, l := range p.Locations {
			v := l.File
			if l.Line > 0 {
				v = fmt.Sprintf("%s:%d", l.File, l.Line)
			}
			props = append(props, cdx.Property{Name: "bulwark:location", Value: v})
		}
		if p.Dev && p.Ecosystem == supply.Npm {
			props = append(props, cdx.Property{Name: "cdx:npm:package:development", Value: "true"})
		}
		if len(props) > 0 {
			c.Properties = &props
		}
		components = append(components, c)
		if p.Direct {
			direct = append(direct, p.id)
		}
	}
	bom.Components = &components
	if len(direct) > 0 {
		bom.Dependencies = &[]cdx.Dependency{{Ref: rootRef, Dependencies: &direct}}
	}
	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	enc.SetEscapeHTML(false)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_6); err != nil {
		return fmt.Errorf("write CycloneDX: %w", err)
	}
	return nil
}

// bomRef is the package's purl, or ecosystem/name@version without one.
func bomRef(p supply.Package) string {
	if p.PURL != "" {
		return p.PURL
	}
	return p.Ecosystem + "/" + p.Name + "@" + p.Version
}

func uniqueRef(used map[string]bool, ref string) string {
	r := ref
	for n := 2; used[r]; n++ {
		r = fmt.Sprintf("%s#%d", ref, n)
	}
	used[r] = true
	return r
}

// cycloneDXGroup splits the namespace the way CycloneDX components write
// it: the Maven group, the npm scope, the Go module path's prefix.
func cycloneDXGroup(ecosystem, name string) (group, short string) {
	switch ecosystem {
	case supply.Maven:
		if g, a, ok := strings.Cut(name, ":"); ok {
			return g, a
		}
	case supply.Npm, supply.Go, supply.Packagist, supply.SwiftURL:
		if i := strings.LastIndex(name, "/"); i > 0 {
			return name[:i], name[i+1:]
		}
	}
	return "", name
}
