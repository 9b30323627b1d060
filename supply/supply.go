// Package supply is Bulwark's software supply-chain scanner: it takes an
// inventory of the packages a project or image uses (lockfiles, manifests,
// SBOMs), matches them against an offline OSV database with OSV's exact
// semantics, and ranks what it finds by real exploitation: malicious
// packages first, then CISA KEV, then EPSS, then CVSS.
//
// This file holds the types every part shares. The parts:
// supply/inventory (extraction and SBOMs), supply/osv (the vulnerability
// database and matching), supply/version (each ecosystem's version order),
// supply/enrich (KEV, EPSS, CVSS and ranking) and supply/report (outputs).
package supply

// Ecosystems, spelled as OSV spells them.
const (
	Npm       = "npm"
	PyPI      = "PyPI"
	Go        = "Go"
	CratesIO  = "crates.io"
	Maven     = "Maven"
	NuGet     = "NuGet"
	Packagist = "Packagist"
	RubyGems  = "RubyGems"
	Pub       = "Pub"
	Hex       = "Hex"
	CocoaPods = "CocoaPods"
	SwiftURL  = "SwiftURL"
)

// Location is where a package was found.
type Location struct {
	File string `json:"file"`
	Line int    `json:"line,omitempty"` // 1-based; 0 when the format has no lines (zip, binary)
}

// Package is one dependency at one version.
type Package struct {
	Ecosystem string `json:"ecosystem"`
	// Name as the ecosystem writes it (npm scopes kept: "@babel/core";
	// Maven as "group:artifact"; Go as the module path).
	Name    string `json:"name"`
	Version string `json:"version"`
	// PURL is the package URL (purl spec), namespaces kept.
	PURL string `json:"purl,omitempty"`
	// Direct is set for dependencies the project names itself, when the
	// format says so.
	Direct    bool       `json:"direct,omitempty"`
	Dev       bool       `json:"dev,omitempty"` // development-only, when the format says so
	Locations []Location `json:"locations"`
}

// Severity is a CVSS base score and its vector.
type Severity struct {
	Type   string  `json:"type"`   // CVSS_V3, CVSS_V4, CVSS_V2
	Vector string  `json:"vector"` // as the advisory gives it
	Score  float64 `json:"score"`  // base score computed from the vector; 0 when it could not be
}

// Finding is one advisory that affects one package.
type Finding struct {
	Package Package `json:"package"`
	// ID is the OSV id (GHSA-..., PYSEC-..., GO-..., RUSTSEC-..., MAL-...);
	// Aliases are the other ids of the same advisory (CVE-...).
	ID      string   `json:"id"`
	Aliases []string `json:"aliases,omitempty"`
	// Related are ids OSV lists as related but not the same: KEV sometimes
	// lists a vulnerability under one of them.
	Related []string `json:"related,omitempty"`
	Summary string   `json:"summary,omitempty"`
	// Malicious is set for malicious-package advisories (MAL- ids or OSV's
	// malicious-package database): the answer is "remove now".
	Malicious bool `json:"malicious,omitempty"`
	// Fixed lists the versions that fix it, in the package's ecosystem
	// order, lowest first.
	Fixed    []string   `json:"fixed,omitempty"`
	Severity []Severity `json:"severity,omitempty"`
	// Enrichment, filled by supply/enrich.
	KEV      *KEVEntry `json:"kev,omitempty"`
	EPSS     *EPSS     `json:"epss,omitempty"`
	CVSS     float64   `json:"cvss,omitempty"` // highest base score of Severity
	Rank     int       `json:"rank,omitempty"` // 1 is the most urgent
	Priority string    `json:"priority,omitempty"`
	Reasons  []string  `json:"reasons,omitempty"` // why it ranks where it does, in words
}

// KEVEntry is a CISA Known Exploited Vulnerabilities catalogue entry.
type KEVEntry struct {
	CVE            string `json:"cve"`
	DateAdded      string `json:"date_added"`
	DueDate        string `json:"due_date,omitempty"`
	Ransomware     bool   `json:"ransomware,omitempty"` // knownRansomwareCampaignUse is "Known"
	VendorProject  string `json:"vendor_project,omitempty"`
	Product        string `json:"product,omitempty"`
	RequiredAction string `json:"required_action,omitempty"`
}

// EPSS is FIRST's exploit prediction score for a CVE.
type EPSS struct {
	CVE        string  `json:"cve"`
	Score      float64 `json:"score"`      // probability of exploitation in the next 30 days
	Percentile float64 `json:"percentile"` // among all scored CVEs
	Date       string  `json:"date,omitempty"`
}
