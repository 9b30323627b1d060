// Package sbom writes a package inventory as an SBOM: CycloneDX 1.6 JSON
// (through github.com/CycloneDX/cyclonedx-go) and SPDX 2.3 as JSON or
// tag-value. Every package carries its purl, so namespaces (npm scopes,
// Maven groups, Go module paths) survive, and supply/inventory reads the
// output back to the same packages.
//
// Output is deterministic for a given Meta and package set (packages are
// sorted; ids and the serial number derive from the content), so golden
// tests can pin it; set Meta.Timestamp to fix the time.
package sbom

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/supply"
	"github.com/bulwarkhq/bulwark/supply/inventory"
)

// Meta describes the document and the tool that writes it.
type Meta struct {
	ToolName    string // "bulwark"
	ToolVersion string
	// DocumentName names the subject (the scanned project); it becomes the
	// CycloneDX metadata component and the SPDX root package.
	DocumentName string
	// Timestamp is the creation time; zero means now. Written in UTC to
	// the second.
	Timestamp time.Time
	// Namespace is the SPDX documentNamespace; empty derives a unique URI
	// from the content.
	Namespace string
	// SerialNumber is the CycloneDX serialNumber (urn:uuid:...); empty
	// derives one from the content.
	SerialNumber string
}

func (m Meta) timestamp() string {
	t := m.Timestamp
	if t.IsZero() {
		t = time.Now()
	}
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

func (m Meta) toolName() string {
	if m.ToolName == "" {
		return "bulwark"
	}
	return m.ToolName
}

func (m Meta) documentName() string {
	if m.DocumentName == "" {
		return "project"
	}
	return m.DocumentName
}

// prepared is one package ready to write, with its purl and unique id.
type prepared struct {
	supply.Package
	id string // bom-ref or SPDXID suffix
}

// prepare sorts packages, fills missing purls and merges duplicates (the
// same ecosystem, name and version).
func prepare(pkgs []supply.Package) []prepared {
	out := make([]prepared, 0, len(pkgs))
	seen := map[string]int{}
	for _, p := range pkgs {
		if p.PURL == "" {
			p.PURL = inventory.PURL(p.Ecosystem, p.Name, p.Version)
		}
		key := p.Ecosystem + "\x00" + p.Name + "\x00" + p.Version
		if i, ok := seen[key]; ok {
			out[i].Direct = out[i].Direct || p.Direct
			out[i].Dev = out[i].Dev && p.Dev
			continue
		}
		seen[key] = len(out)
		out = append(out, prepared{Package: p})
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Ecosystem != b.Ecosystem {
			return a.Ecosystem < b.Ecosystem
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Version < b.Version
	})
	return out
}

// contentUUID derives a version-5-shaped UUID from the document content,
// so the same inventory gives the same identifiers.
func contentUUID(meta Meta, pkgs []prepared) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\n", meta.toolName(), meta.ToolVersion, meta.documentName(), meta.timestamp())
	for _, p := range pkgs {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\n", p.Ecosystem, p.Name, p.Version, p.PURL)
	}
	b := h.Sum(nil)[:16]
	b[6] = b[6]&0x0f | 0x50 // version 5 (name-based, SHA)
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	x := hex.EncodeToString(b)
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// spdxIDPart keeps the characters an SPDXID allows ([A-Za-z0-9.-]).
func spdxIDPart(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-':
			b.WriteRune(c)
		default:
			b.WriteByte('-')
		}
	}
	return b.String()
}
