package enrich

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/supply"
)

// The fields CISA's schema (known_exploited_vulnerabilities_schema.json)
// requires of the catalogue and of each vulnerability.
var (
	kevRequiredTop   = []string{"catalogVersion", "dateReleased", "count", "vulnerabilities"}
	kevRequiredEntry = []string{"cveID", "vendorProject", "product", "vulnerabilityName",
		"dateAdded", "shortDescription", "requiredAction", "dueDate"}
	cvePattern = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,19}$`)
)

// ParseKEV reads a CISA KEV catalogue (JSON), checking it against the
// fields the schema requires. A catalogue without its required top-level
// fields is an error; an entry that lacks a required field, has a malformed
// CVE id or date, or repeats a CVE is rejected and listed, and the others
// are kept. The returned Source has no ImportedAt.
func ParseKEV(r io.Reader) ([]supply.KEVEntry, Source, error) {
	src := Source{Name: SourceKEV}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, src, fmt.Errorf("kev: read: %w", err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, src, fmt.Errorf("kev: not a JSON object: %w", err)
	}
	for _, field := range kevRequiredTop {
		if _, ok := top[field]; !ok {
			return nil, src, fmt.Errorf("kev: required field %q missing", field)
		}
	}
	var header struct {
		CatalogVersion string            `json:"catalogVersion"`
		DateReleased   string            `json:"dateReleased"`
		Count          int               `json:"count"`
		Vulns          []json.RawMessage `json:"vulnerabilities"`
	}
	if err := json.Unmarshal(data, &header); err != nil {
		return nil, src, fmt.Errorf("kev: catalogue fields: %w", err)
	}
	src.Version = header.CatalogVersion
	src.SourceDate = header.DateReleased
	if t, err := time.Parse(time.RFC3339Nano, header.DateReleased); err == nil {
		src.SourceDate = t.UTC().Format(time.DateOnly)
	}

	seen := make(map[string]bool, len(header.Vulns))
	entries := make([]supply.KEVEntry, 0, len(header.Vulns))
	for i, raw := range header.Vulns {
		entry, reason := parseKEVEntry(raw)
		if reason == "" && seen[entry.CVE] {
			reason = "CVE listed more than once"
		}
		if reason != "" {
			src.reject(Reject{Index: i, ID: entry.CVE, Reason: reason})
			continue
		}
		seen[entry.CVE] = true
		entries = append(entries, entry)
	}
	if header.Count != len(header.Vulns) {
		src.Notes = append(src.Notes, fmt.Sprintf("catalogue count says %d, it holds %d", header.Count, len(header.Vulns)))
	}
	if len(entries) == 0 {
		return nil, src, fmt.Errorf("kev: no valid entries (%d rejected)", src.Rejects)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].CVE < entries[j].CVE })
	src.Entries = len(entries)
	return entries, src, nil
}

// parseKEVEntry returns the entry, or a reason to reject it.
func parseKEVEntry(raw json.RawMessage) (supply.KEVEntry, string) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return supply.KEVEntry{}, "not a JSON object"
	}
	str := make(map[string]string, len(fields))
	for name, value := range fields {
		var s string
		if bytes.HasPrefix(bytes.TrimSpace(value), []byte(`"`)) && json.Unmarshal(value, &s) == nil {
			str[name] = s
		}
	}
	entry := supply.KEVEntry{
		CVE:            str["cveID"],
		DateAdded:      str["dateAdded"],
		DueDate:        str["dueDate"],
		Ransomware:     strings.EqualFold(str["knownRansomwareCampaignUse"], "Known"),
		VendorProject:  str["vendorProject"],
		Product:        str["product"],
		RequiredAction: str["requiredAction"],
	}
	var missing []string
	for _, name := range kevRequiredEntry {
		if _, present := fields[name]; !present {
			missing = append(missing, name)
		} else if _, isString := str[name]; !isString {
			return entry, fmt.Sprintf("field %s is not a string", name)
		}
	}
	if len(missing) > 0 {
		return entry, "required field missing: " + strings.Join(missing, ", ")
	}
	if !cvePattern.MatchString(entry.CVE) {
		return entry, fmt.Sprintf("cveID %q is not CVE-YYYY-NNNN", entry.CVE)
	}
	for name, value := range map[string]string{"dateAdded": entry.DateAdded, "dueDate": entry.DueDate} {
		if _, err := time.Parse(time.DateOnly, value); err != nil {
			return entry, fmt.Sprintf("%s %q is not a YYYY-MM-DD date", name, value)
		}
	}
	return entry, ""
}
