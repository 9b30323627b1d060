package triage

import (
	"fmt"
	"os"
	"path"
	"strings"
)

// Asset is an entry of an asset list: hosts (a name or a shell-style
// pattern such as "dc*") and how much they matter. Cases on critical
// assets rank higher.
type Asset struct {
	Host        string `json:"host"`
	Criticality string `json:"criticality"` // low, medium, high, critical
	Note        string `json:"note,omitempty"`
}

// Assets is an asset list; the first matching entry counts.
type Assets []Asset

// criticalityFactor is how criticality weighs on a case's score.
var criticalityFactor = map[string]float64{"low": 0.8, "medium": 1, "high": 1.3, "critical": 1.6}

// Check reports the first bad entry.
func (as Assets) Check() error {
	if len(as) > 10000 {
		return fmt.Errorf("at most 10000 assets")
	}
	for i, a := range as {
		if _, ok := criticalityFactor[a.Criticality]; !ok {
			return fmt.Errorf("asset %d: criticality %q: use low, medium, high or critical", i+1, a.Criticality)
		}
		if a.Host == "" {
			return fmt.Errorf("asset %d: host is required", i+1)
		}
		if _, err := path.Match(strings.ToLower(a.Host), ""); err != nil {
			return fmt.Errorf("asset %d: host pattern %q: %v", i+1, a.Host, err)
		}
	}
	return nil
}

// Lookup returns the first entry whose pattern matches host, by its full
// or its short name, ignoring case.
func (as Assets) Lookup(host string) (Asset, bool) {
	h := strings.ToLower(host)
	short, _, _ := strings.Cut(h, ".")
	for _, a := range as {
		p := strings.ToLower(a.Host)
		if ok, _ := path.Match(p, h); ok {
			return a, true
		}
		if ok, _ := path.Match(p, short); ok {
			return a, true
		}
	}
	return Asset{}, false
}

// Weigh scales a case's score by the most critical of its hosts and says
// why.
func (as Assets) Weigh(hosts []string, score float64, reasons []string) (float64, []string) {
	best, which, host := 1.0, Asset{}, ""
	for _, h := range hosts {
		if a, ok := as.Lookup(h); ok {
			if f := criticalityFactor[a.Criticality]; host == "" || f > best {
				best, which, host = f, a, h
			}
		}
	}
	if host == "" || best == 1 {
		return score, reasons
	}
	reason := fmt.Sprintf("host %q is a %s asset", host, which.Criticality)
	if which.Note != "" {
		reason += " (" + which.Note + ")"
	}
	return score * best, append(reasons, fmt.Sprintf("%s: score ×%.1f", reason, best))
}

// ParseAssets reads an asset list, one entry a line: host, criticality,
// note. Blank lines and lines starting with # are skipped.
func ParseAssets(text string) (Assets, error) {
	var as Assets
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, ",", 3)
		if len(parts) < 2 {
			return nil, fmt.Errorf("line %d: want host, criticality[, note]", i+1)
		}
		a := Asset{Host: strings.TrimSpace(parts[0]), Criticality: strings.ToLower(strings.TrimSpace(parts[1]))}
		if len(parts) == 3 {
			a.Note = strings.TrimSpace(parts[2])
		}
		as = append(as, a)
	}
	return as, as.Check()
}

// ReadAssets reads an asset list file.
func ReadAssets(file string) (Assets, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	as, err := ParseAssets(string(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return as, nil
}

// Text renders the list as ParseAssets reads it.
func (as Assets) Text() string {
	var b strings.Builder
	for _, a := range as {
		b.WriteString(a.Host + ", " + a.Criticality)
		if a.Note != "" {
			b.WriteString(", " + a.Note)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// WeighCases applies the asset list to a result's cases and orders them
// again by score.
func (r *Result) WeighCases(as Assets) {
	if len(as) == 0 {
		return
	}
	for _, c := range r.Cases {
		c.Score, c.Reasons = as.Weigh(c.Entities[Host], c.Score, c.Reasons)
	}
	sortCases(r.Cases)
}
