package sbom

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/supply"
	"github.com/bulwarkhq/bulwark/supply/inventory"
)

var update = flag.Bool("update", false, "rewrite golden files")

var testMeta = Meta{
	ToolName:     "bulwark",
	ToolVersion:  "0.0.0-test",
	DocumentName: "demo-project",
	Timestamp:    time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
}

func testPackages() []supply.Package {
	loc := func(f string, l int) []supply.Location { return []supply.Location{{File: f, Line: l}} }
	return []supply.Package{
		{Ecosystem: supply.Npm, Name: "@babel/core", Version: "7.24.0", Direct: true, Locations: loc("package-lock.json", 12)},
		{Ecosystem: supply.Npm, Name: "jquery", Version: "2.2.4", Direct: true, Locations: loc("package-lock.json", 40)},
		{Ecosystem: supply.Npm, Name: "mocha", Version: "10.0.0", Direct: true, Dev: true, Locations: loc("package-lock.json", 60)},
		{Ecosystem: supply.Npm, Name: "ms", Version: "2.0.0", Locations: loc("package-lock.json", 80)},
		{Ecosystem: supply.Maven, Name: "com.thoughtworks.xstream:xstream", Version: "1.4.7", Direct: true, Locations: loc("pom.xml", 12)},
		{Ecosystem: supply.Go, Name: "golang.org/x/net", Version: "v0.0.0-20200301022130-244492dfa37a", Direct: true, Locations: loc("go.mod", 29)},
		{Ecosystem: supply.PyPI, Name: "Django", Version: "4.2", Direct: true, Locations: loc("requirements.txt", 11)},
		// A duplicate of a package above, merged on output.
		{Ecosystem: supply.Npm, Name: "ms", Version: "2.0.0", Locations: loc("other/package-lock.json", 5)},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./supply/sbom -update rewrites it):\n%s", name, got)
	}
}

func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"cyclonedx.golden.json", func(b *bytes.Buffer) error { return WriteCycloneDX(b, testMeta, testPackages()) }},
		{"spdx.golden.json", func(b *bytes.Buffer) error { return WriteSPDX(b, testMeta, testPackages()) }},
		{"spdx.golden.spdx", func(b *bytes.Buffer) error { return WriteSPDXTagValue(b, testMeta, testPackages()) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.write(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, b.Bytes())
		})
	}
}

// TestCycloneDXStructure checks what the CycloneDX 1.6 JSON schema
// requires, without the network: bomFormat, specVersion, $schema, version,
// a urn:uuid serial, components with type and name, unique bom-refs, and
// dependencies that point at existing refs.
func TestCycloneDXStructure(t *testing.T) {
	var b bytes.Buffer
	if err := WriteCycloneDX(&b, testMeta, testPackages()); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schema       string `json:"$schema"`
		BOMFormat    string `json:"bomFormat"`
		SpecVersion  string `json:"specVersion"`
		SerialNumber string `json:"serialNumber"`
		Version      int    `json:"version"`
		Metadata     struct {
			Timestamp string `json:"timestamp"`
			Tools     struct {
				Components []struct{ Type, Name, Version string } `json:"components"`
			} `json:"tools"`
			Component struct {
				BOMRef string `json:"bom-ref"`
				Type   string `json:"type"`
				Name   string `json:"name"`
			} `json:"component"`
		} `json:"metadata"`
		Components []struct {
			BOMRef  string `json:"bom-ref"`
			Type    string `json:"type"`
			Group   string `json:"group"`
			Name    string `json:"name"`
			Version string `json:"version"`
			PURL    string `json:"purl"`
			Scope   string `json:"scope"`
		} `json:"components"`
		Dependencies []struct {
			Ref       string   `json:"ref"`
			DependsOn []string `json:"dependsOn"`
		} `json:"dependencies"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.BOMFormat != "CycloneDX" || doc.SpecVersion != "1.6" || doc.Version != 1 {
		t.Errorf("bomFormat %q specVersion %q version %d", doc.BOMFormat, doc.SpecVersion, doc.Version)
	}
	if !strings.Contains(doc.Schema, "bom-1.6.schema.json") {
		t.Errorf("$schema = %q", doc.Schema)
	}
	if !regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(doc.SerialNumber) {
		t.Errorf("serialNumber %q is not a urn:uuid", doc.SerialNumber)
	}
	if doc.Metadata.Timestamp != "2026-01-02T03:04:05Z" || len(doc.Metadata.Tools.Components) != 1 || doc.Metadata.Component.Name != "demo-project" {
		t.Errorf("metadata = %+v", doc.Metadata)
	}
	refs := map[string]bool{doc.Metadata.Component.BOMRef: true}
	for _, c := range doc.Components {
		if c.Type == "" || c.Name == "" || c.BOMRef == "" || c.PURL == "" {
			t.Errorf("component missing a field: %+v", c)
		}
		if refs[c.BOMRef] {
			t.Errorf("duplicate bom-ref %q", c.BOMRef)
		}
		refs[c.BOMRef] = true
	}
	if len(doc.Components) != 7 {
		t.Errorf("%d components, want 7 (duplicates merged)", len(doc.Components))
	}
	for _, d := range doc.Dependencies {
		if !refs[d.Ref] {
			t.Errorf("dependency ref %q is not a component", d.Ref)
		}
		for _, r := range d.DependsOn {
			if !refs[r] {
				t.Errorf("dependsOn %q is not a component", r)
			}
		}
	}
	if len(doc.Dependencies) != 1 || len(doc.Dependencies[0].DependsOn) != 6 {
		t.Errorf("dependencies = %+v, want the root depending on the 6 direct packages", doc.Dependencies)
	}
	for _, c := range doc.Components {
		if c.Name == "core" && c.Group != "@babel" || c.Name == "xstream" && c.Group != "com.thoughtworks.xstream" {
			t.Errorf("namespace lost: %+v", c)
		}
		if c.Name == "mocha" && c.Scope != "optional" {
			t.Errorf("dev package scope = %q", c.Scope)
		}
	}
}

// TestSPDXStructure checks the SPDX 2.3 required fields, SPDXID syntax and
// uniqueness, and that every relationship joins existing elements.
func TestSPDXStructure(t *testing.T) {
	var b bytes.Buffer
	if err := WriteSPDX(&b, testMeta, testPackages()); err != nil {
		t.Fatal(err)
	}
	var doc spdxDoc
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.SPDXVersion != "SPDX-2.3" || doc.DataLicense != "CC0-1.0" || doc.SPDXID != "SPDXRef-DOCUMENT" ||
		doc.Name == "" || !strings.HasPrefix(doc.DocumentNamespace, "https://") || doc.CreationInfo.Created != "2026-01-02T03:04:05Z" ||
		len(doc.CreationInfo.Creators) == 0 || !strings.HasPrefix(doc.CreationInfo.Creators[0], "Tool: ") {
		t.Errorf("document fields: %+v", doc)
	}
	idRe := regexp.MustCompile(`^SPDXRef-[a-zA-Z0-9.-]+$`)
	ids := map[string]bool{doc.SPDXID: true}
	for _, p := range doc.Packages {
		if !idRe.MatchString(p.SPDXID) || p.Name == "" || p.DownloadLocation == "" {
			t.Errorf("package fields: %+v", p)
		}
		if ids[p.SPDXID] {
			t.Errorf("duplicate SPDXID %q", p.SPDXID)
		}
		ids[p.SPDXID] = true
	}
	counts := map[string]int{}
	for _, r := range doc.Relationships {
		if !ids[r.Element] || !ids[r.Related] {
			t.Errorf("relationship joins unknown elements: %+v", r)
		}
		counts[r.Type]++
	}
	if counts["DESCRIBES"] != 1 || counts["DEV_DEPENDENCY_OF"] != 1 || counts["DEPENDS_ON"] != 6 {
		t.Errorf("relationship counts = %v", counts)
	}
}

// TestRoundTrip reads each output back with supply/inventory: the same
// packages, namespaces and direct/dev flags come out.
func TestRoundTrip(t *testing.T) {
	want := map[string]supply.Package{}
	for _, p := range testPackages() {
		p.PURL = inventory.PURL(p.Ecosystem, p.Name, p.Version)
		want[p.PURL] = p
	}
	for _, tc := range []struct {
		file  string
		write func(*bytes.Buffer) error
	}{
		{"out.cdx.json", func(b *bytes.Buffer) error { return WriteCycloneDX(b, testMeta, testPackages()) }},
		{"out.spdx.json", func(b *bytes.Buffer) error { return WriteSPDX(b, testMeta, testPackages()) }},
		{"out.spdx", func(b *bytes.Buffer) error { return WriteSPDXTagValue(b, testMeta, testPackages()) }},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.write(&b); err != nil {
				t.Fatal(err)
			}
			ex, err := inventory.ExtractFile(tc.file, b.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if len(ex.Packages) != len(want) || len(ex.Skipped) != 0 {
				t.Fatalf("read back %d packages (%d skipped), want %d", len(ex.Packages), len(ex.Skipped), len(want))
			}
			for _, p := range ex.Packages {
				w, ok := want[p.PURL]
				if !ok {
					t.Errorf("unexpected %s", p.PURL)
					continue
				}
				if p.Ecosystem != w.Ecosystem || p.Name != w.Name || p.Version != w.Version || p.Direct != w.Direct {
					t.Errorf("read back %+v, want %+v", p, w)
				}
				if p.Locations[0].Line == 0 {
					t.Errorf("%s has no line", p.PURL)
				}
			}
		})
	}
}
