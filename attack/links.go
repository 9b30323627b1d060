package attack

import (
	"slices"
	"strings"
)

// Bounds on the text kept per technique, so that the knowledge base stays
// small (a few MB for the enterprise bundle) and answers built from it stay
// readable.
const (
	maxDescription    = 1200 // bytes of a technique's first paragraph
	maxDetection      = 1200 // bytes of detection text
	maxMitigationText = 300  // bytes of how a mitigation applies
	maxAnalytics      = 2    // analytics quoted per detection strategy
	maxStrategies     = 2    // detection strategies quoted per technique
	maxLogSources     = 6    // log sources listed per technique
)

// linker collects the objects that refer to techniques by STIX id
// (mitigations, detection strategies and the relationships between them),
// which a bundle may list before or after the techniques themselves, and
// attaches them once the whole bundle is read.
type linker struct {
	techniques map[string]*Technique // by STIX id
	mitigation map[string]Mitigation // course-of-action by STIX id
	mitigates  []relation
	detects    []relation
	strategies map[string]strategy // x-mitre-detection-strategy by STIX id
	analytics  map[string]analytic // x-mitre-analytic by STIX id
}

// relation is a relationship from a source to a technique.
type relation struct {
	source, target string
	text           string // the relationship's description, shortened
}

type strategy struct {
	id, name  string
	analytics []string
}

type analytic struct {
	text       string
	windows    bool
	logSources []string
}

func newLinker() *linker {
	return &linker{
		techniques: map[string]*Technique{},
		mitigation: map[string]Mitigation{},
		strategies: map[string]strategy{},
		analytics:  map[string]analytic{},
	}
}

// add keeps what is needed of a non-technique object. Deprecated and
// revoked objects are dropped: ATT&CK keeps old technique-style
// mitigations (ids like T1003) only as deprecated objects.
func (l *linker) add(o *object) {
	if o.Revoked || o.Depr {
		return
	}
	switch o.Type {
	case "course-of-action":
		if id, _ := o.mitreID(); strings.HasPrefix(id, "M") {
			l.mitigation[o.ID] = Mitigation{ID: id, Name: o.Name}
		}
	case "relationship":
		switch o.RelType {
		case "mitigates":
			l.mitigates = append(l.mitigates, relation{source: o.SourceRef, target: o.TargetRef, text: sentences(o.Description, 2, maxMitigationText)})
		case "detects":
			l.detects = append(l.detects, relation{source: o.SourceRef, target: o.TargetRef})
		}
	case "x-mitre-detection-strategy":
		id, _ := o.mitreID()
		l.strategies[o.ID] = strategy{id: id, name: o.Name, analytics: o.AnalyticRefs}
	case "x-mitre-analytic":
		a := analytic{text: sentences(o.Description, 2, 400), windows: slices.Contains(o.Platform, "Windows")}
		for _, s := range o.LogSources {
			if s.Name != "" {
				a.logSources = append(a.logSources, strings.TrimSpace(s.Name+" "+s.Channel))
			}
		}
		l.analytics[o.ID] = a
	}
}

// resolve attaches mitigations and detection strategies to techniques.
func (l *linker) resolve() {
	for _, r := range l.mitigates {
		t := l.techniques[r.target]
		m, ok := l.mitigation[r.source]
		if !ok || t == nil || slices.ContainsFunc(t.Mitigations, func(x Mitigation) bool { return x.ID == m.ID }) {
			continue
		}
		m.Description = r.text
		t.Mitigations = append(t.Mitigations, m)
	}
	byTechnique := map[*Technique][]strategy{}
	for _, r := range l.detects {
		t, s := l.techniques[r.target], l.strategies[r.source]
		if t != nil && s.name != "" {
			byTechnique[t] = append(byTechnique[t], s)
		}
	}
	for _, t := range l.techniques {
		slices.SortFunc(t.Mitigations, func(a, b Mitigation) int { return strings.Compare(a.ID, b.ID) })
		if t.Detection != "" {
			continue
		}
		ss := byTechnique[t]
		slices.SortFunc(ss, func(a, b strategy) int { return strings.Compare(a.id, b.id) })
		t.Detection = l.detectionText(ss)
	}
}

// detectionText writes ATT&CK 18 detection strategies as a paragraph:
// each strategy's name with its Windows analytics (Bulwark reads Windows
// logs first; other platforms when a strategy has no Windows analytic),
// then the log sources they read.
func (l *linker) detectionText(ss []strategy) string {
	var b strings.Builder
	var sources []string
	for i, s := range ss {
		if i == maxStrategies {
			break
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strings.TrimSuffix(s.name, "."))
		b.WriteString(".")
		var picked []analytic
		for _, windowsOnly := range []bool{true, false} {
			for _, ref := range s.analytics {
				a, ok := l.analytics[ref]
				if !ok || a.windows != windowsOnly || len(picked) == maxAnalytics || a.text == "" {
					continue
				}
				picked = append(picked, a)
			}
			if len(picked) > 0 {
				break
			}
		}
		for _, a := range picked {
			b.WriteByte(' ')
			b.WriteString(a.text)
			for _, src := range a.logSources {
				if !slices.Contains(sources, src) && len(sources) < maxLogSources {
					sources = append(sources, src)
				}
			}
		}
	}
	if len(sources) > 0 {
		b.WriteString(" Log sources: ")
		b.WriteString(strings.Join(sources, "; "))
		b.WriteString(".")
	}
	return truncate(b.String(), maxDetection)
}
