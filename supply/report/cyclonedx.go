package report

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/bulwarkhq/bulwark/supply"
	"github.com/bulwarkhq/bulwark/supply/cvss"
)

// CycloneDX 1.6 JSON, the parts a VEX document uses.
type cdxBOM struct {
	BOMFormat       string      `json:"bomFormat"`
	SpecVersion     string      `json:"specVersion"`
	SerialNumber    string      `json:"serialNumber"`
	Version         int         `json:"version"`
	Metadata        cdxMetadata `json:"metadata"`
	Components      []cdxComp   `json:"components"`
	Vulnerabilities []cdxVuln   `json:"vulnerabilities"`
}

type cdxMetadata struct {
	Timestamp string   `json:"timestamp,omitempty"`
	Tools     cdxTools `json:"tools"`
}

type cdxTools struct {
	Components []cdxComp `json:"components"`
}

type cdxComp struct {
	Type    string `json:"type"`
	BOMRef  string `json:"bom-ref,omitempty"`
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	PURL    string `json:"purl,omitempty"`
}

type cdxVuln struct {
	BOMRef         string         `json:"bom-ref"`
	ID             string         `json:"id"`
	Source         cdxSource      `json:"source"`
	References     []cdxReference `json:"references,omitempty"`
	Ratings        []cdxRating    `json:"ratings,omitempty"`
	Description    string         `json:"description,omitempty"`
	Recommendation string         `json:"recommendation,omitempty"`
	Analysis       cdxAnalysis    `json:"analysis"`
	Affects        []cdxAffects   `json:"affects"`
	Properties     []cdxProperty  `json:"properties,omitempty"`
}

type cdxSource struct {
	Name string `json:"name"`
	URL  string `json:"url,omitempty"`
}

type cdxReference struct {
	ID     string    `json:"id"`
	Source cdxSource `json:"source"`
}

type cdxRating struct {
	Source   *cdxSource `json:"source,omitempty"`
	Score    float64    `json:"score"`
	Severity string     `json:"severity"`
	Method   string     `json:"method"`
	Vector   string     `json:"vector"`
}

type cdxAnalysis struct {
	State    string   `json:"state"`
	Response []string `json:"response,omitempty"`
	Detail   string   `json:"detail,omitempty"`
}

type cdxAffects struct {
	Ref      string            `json:"ref"`
	Versions []cdxAffectedVers `json:"versions"`
}

type cdxAffectedVers struct {
	Version string `json:"version"`
	Status  string `json:"status"`
}

type cdxProperty struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// CycloneDX writes a CycloneDX 1.6 VEX document: the affected packages as
// components and one vulnerability per advisory id, with its CVSS ratings,
// the components it affects (by bom-ref, the package URL when known) and an
// analysis.
//
// The analysis state is "exploitable" for malicious packages and
// KEV-listed vulnerabilities (exploitation is known) and "in_triage" for
// the rest: a version match alone does not say whether the code is
// reachable. The response is "update" when a fixed version exists. Ranking
// data (priority, rank, EPSS, KEV dates) are properties named bulwark:*.
// The serial number is derived from the content, so the same scan gives
// the same document.
func CycloneDX(w io.Writer, findings []supply.Finding, opts Options) error {
	bom := buildCycloneDX(findings, opts)
	body, err := json.Marshal(bom.Vulnerabilities)
	if err != nil {
		return err
	}
	comps, err := json.Marshal(bom.Components)
	if err != nil {
		return err
	}
	bom.SerialNumber = contentUUID(append(body, comps...))
	return writeJSON(w, bom)
}

func buildCycloneDX(findings []supply.Finding, opts Options) cdxBOM {
	bom := cdxBOM{
		BOMFormat:   "CycloneDX",
		SpecVersion: "1.6",
		Version:     1,
		Metadata: cdxMetadata{Tools: cdxTools{Components: []cdxComp{
			{Type: "application", Name: opts.toolName(), Version: opts.toolVersion()}}}},
		Components:      []cdxComp{},
		Vulnerabilities: []cdxVuln{},
	}
	if !opts.Generated.IsZero() {
		bom.Metadata.Timestamp = opts.Generated.UTC().Format("2006-01-02T15:04:05Z")
	}
	refs := map[string]string{} // package key -> bom-ref
	vulnIndex := map[string]int{}
	for _, f := range findings {
		key := f.Package.Ecosystem + "\x00" + f.Package.Name + "\x00" + f.Package.Version
		ref, ok := refs[key]
		if !ok {
			ref = bomRef(f.Package)
			refs[key] = ref
			bom.Components = append(bom.Components, cdxComp{Type: "library", BOMRef: ref,
				Name: f.Package.Name, Version: f.Package.Version, PURL: f.Package.PURL})
		}
		i, ok := vulnIndex[f.ID]
		if !ok {
			i = len(bom.Vulnerabilities)
			vulnIndex[f.ID] = i
			bom.Vulnerabilities = append(bom.Vulnerabilities, newCDXVuln(f))
		}
		v := &bom.Vulnerabilities[i]
		v.Affects = append(v.Affects, cdxAffects{Ref: ref,
			Versions: []cdxAffectedVers{{Version: f.Package.Version, Status: "affected"}}})
	}
	return bom
}

func newCDXVuln(f supply.Finding) cdxVuln {
	v := cdxVuln{
		BOMRef:      "vuln:" + f.ID,
		ID:          f.ID,
		Source:      cdxSource{Name: "OSV", URL: advisoryURL(f.ID)},
		Description: f.Summary,
		Analysis:    cdxAnalysis{State: "in_triage", Detail: strings.Join(f.Reasons, "; ")},
	}
	for _, a := range f.Aliases {
		v.References = append(v.References, cdxReference{ID: a, Source: aliasSource(a)})
	}
	for _, s := range f.Severity {
		score, version, err := cvss.Score(s.Vector)
		if err != nil {
			continue // a vector we cannot read has no rating to give
		}
		v.Ratings = append(v.Ratings, cdxRating{Score: score, Severity: cvss.Rating(score),
			Method: cdxMethod(version), Vector: s.Vector})
	}
	switch {
	case f.Malicious:
		v.Analysis.State = "exploitable"
		v.Recommendation = "Remove the package: it is malicious, no version of it is safe."
	case len(f.Fixed) > 0:
		v.Analysis.Response = []string{"update"}
		v.Recommendation = "Upgrade to a fixed version: " + strings.Join(f.Fixed, ", ") + "."
	}
	if f.KEV != nil {
		v.Analysis.State = "exploitable"
	}
	v.Properties = append(v.Properties, cdxProperty{"bulwark:priority", priority(f)})
	if f.Rank > 0 {
		v.Properties = append(v.Properties, cdxProperty{"bulwark:rank", strconv.Itoa(f.Rank)})
	}
	if f.EPSS != nil {
		v.Properties = append(v.Properties,
			cdxProperty{"bulwark:epss", strconv.FormatFloat(f.EPSS.Score, 'f', -1, 64)},
			cdxProperty{"bulwark:epss_percentile", strconv.FormatFloat(f.EPSS.Percentile, 'f', -1, 64)})
	}
	if k := f.KEV; k != nil {
		v.Properties = append(v.Properties,
			cdxProperty{"bulwark:kev_cve", k.CVE},
			cdxProperty{"bulwark:kev_date_added", k.DateAdded},
			cdxProperty{"bulwark:kev_ransomware", strconv.FormatBool(k.Ransomware)})
	}
	if f.Malicious {
		v.Properties = append(v.Properties, cdxProperty{"bulwark:malicious", "true"})
	}
	return v
}

// aliasSource names the database an alias id belongs to.
func aliasSource(id string) cdxSource {
	switch {
	case strings.HasPrefix(id, "CVE-"):
		return cdxSource{Name: "NVD", URL: "https://nvd.nist.gov/vuln/detail/" + id}
	case strings.HasPrefix(id, "GHSA-"):
		return cdxSource{Name: "GitHub", URL: "https://github.com/advisories/" + id}
	}
	return cdxSource{Name: "OSV", URL: advisoryURL(id)}
}

// cdxMethod maps a CVSS version to CycloneDX's rating method.
func cdxMethod(version string) string {
	switch version {
	case cvss.V2:
		return "CVSSv2"
	case cvss.V30:
		return "CVSSv3"
	case cvss.V31:
		return "CVSSv31"
	case cvss.V40:
		return "CVSSv4"
	}
	return "other"
}

// bomRef identifies a component: its package URL when known, else a
// readable key that is unique per ecosystem, name and version.
func bomRef(p supply.Package) string {
	if p.PURL != "" {
		return p.PURL
	}
	return "pkg:" + strings.ToLower(p.Ecosystem) + "/" + p.Name + "@" + p.Version
}

// contentUUID derives an RFC 4122 name-based (version 5 layout) UUID URN
// from content, so the same scan has the same serial number.
func contentUUID(content []byte) string {
	sum := sha256.Sum256(content)
	b := sum[:16]
	b[6] = (b[6] & 0x0f) | 0x50
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
