package sigma

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Options control how documents are compiled.
type Options struct {
	// Mapping resolves log sources; nil means DefaultMapping().
	Mapping *Mapping
	// Placeholders add to (and override) the mapping's placeholder values.
	Placeholders map[string][]string
}

// Status is the health of one document after loading: Err is nil when it
// compiled. Broken documents are reported, never silently dropped, and the
// rest of the rule set keeps working.
type Status struct {
	Path  string   `json:"path"`
	Line  int      `json:"line,omitempty"`
	Kind  string   `json:"kind"` // rule, correlation, filter, or file for unreadable files
	Title string   `json:"title,omitempty"`
	ID    string   `json:"id,omitempty"`
	Err   error    `json:"-"`
	Notes []string `json:"notes,omitempty"`
	// Unmapped is set for rules whose log source no mapping entry covers:
	// they run against every event.
	Unmapped bool `json:"unmapped,omitempty"`
}

// Error returns the error text, or "".
func (s Status) Error() string {
	if s.Err == nil {
		return ""
	}
	return s.Err.Error()
}

// RuleSet is a compiled collection of rules, correlations and filters.
type RuleSet struct {
	Rules        []*Rule
	Compiled     []*Compiled
	Correlations []*CompiledCorrelation
	Filters      []*Filter
	Status       []Status
	// Correlated holds the refs of rules that correlations consume and that
	// therefore raise no alerts of their own (unless a correlation sets
	// generate: true).
	Correlated map[*Rule]bool
}

// Loaded counts documents that compiled.
func (rs *RuleSet) Loaded() int {
	n := 0
	for _, s := range rs.Status {
		if s.Err == nil {
			n++
		}
	}
	return n
}

// Failed returns the statuses of documents that did not compile.
func (rs *RuleSet) Failed() []Status {
	var out []Status
	for _, s := range rs.Status {
		if s.Err != nil {
			out = append(out, s)
		}
	}
	return out
}

// IsRuleFile reports whether a file name looks like a Sigma document.
func IsRuleFile(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".yml" || ext == ".yaml"
}

// ParseFS reads every .yml and .yaml file under root in fsys, in lexical
// order. Files that cannot be read become documents with an error.
func ParseFS(fsys fs.FS, root string) ([]Document, error) {
	var docs []Document
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			docs = append(docs, Document{Err: &Error{Path: p, Msg: err.Error()}})
			return nil
		}
		if d.IsDir() {
			if p != root && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		if !IsRuleFile(p) {
			return nil
		}
		data, rerr := fs.ReadFile(fsys, p)
		if rerr != nil {
			docs = append(docs, Document{Err: &Error{Path: p, Msg: rerr.Error()}})
			return nil
		}
		docs = append(docs, Parse(p, data)...)
		return nil
	})
	return docs, err
}

// Compile builds a rule set from parsed documents.
func Compile(docs []Document, opts Options) *RuleSet {
	m := opts.Mapping
	if m == nil {
		m = DefaultMapping()
	}
	placeholders := map[string][]string{}
	for k, v := range m.Placeholders {
		placeholders[k] = v
	}
	for k, v := range opts.Placeholders {
		placeholders[k] = v
	}
	rs := &RuleSet{Correlated: map[*Rule]bool{}}
	var corrs []*Correlation
	var corrStatus []int
	ruleStatus := map[*Rule]int{}
	for _, d := range docs {
		st := Status{Path: docPath(d), Line: d.Line, Title: d.Meta.Title, ID: d.Meta.ID}
		switch {
		case d.Err != nil:
			st.Kind = "rule"
			st.Err = d.Err
			if d.Err.Line > 0 && st.Line == 0 {
				st.Line = d.Err.Line
			}
		case d.Rule != nil:
			st.Kind = "rule"
			rs.Rules = append(rs.Rules, d.Rule)
			ruleStatus[d.Rule] = len(rs.Status)
		case d.Correlation != nil:
			st.Kind = "correlation"
			corrs = append(corrs, d.Correlation)
			corrStatus = append(corrStatus, len(rs.Status))
		case d.Filter != nil:
			st.Kind = "filter"
			rs.Filters = append(rs.Filters, d.Filter)
		}
		rs.Status = append(rs.Status, st)
	}
	seen := map[string]string{}
	sets := setCache{}
	for _, r := range rs.Rules {
		st := &rs.Status[ruleStatus[r]]
		if r.ID != "" {
			if prev, dup := seen[r.ID]; dup {
				st.Notes = append(st.Notes, fmt.Sprintf("rule id %s is also used by %s", r.ID, prev))
			}
			seen[r.ID] = r.Path
		}
		compiled, notes, unmapped, err := compileRule(r, rs.Filters, m, placeholders, sets)
		st.Notes = append(st.Notes, notes...)
		st.Unmapped = unmapped
		if err != nil {
			st.Err = &Error{Path: r.Path, Line: r.Line, Msg: err.Error()}
			continue
		}
		rs.Compiled = append(rs.Compiled, compiled...)
	}
	rs.compileCorrelations(corrs, corrStatus, ruleStatus)
	return rs
}

func docPath(d Document) string {
	switch {
	case d.Rule != nil:
		return d.Rule.Path
	case d.Correlation != nil:
		return d.Correlation.Path
	case d.Filter != nil:
		return d.Filter.Path
	case d.Err != nil:
		return d.Err.Path
	}
	return ""
}

// compileRule compiles a rule once per branch of its log source, with the
// filters that apply to it ANDed to its detection.
func compileRule(r *Rule, filters []*Filter, m *Mapping, placeholders map[string][]string, sets setCache) ([]*Compiled, []string, bool, error) {
	branches, mapped := m.Resolve(r.Logsource)
	var applicable []*Filter
	for _, f := range filters {
		if f.appliesTo(r) {
			applicable = append(applicable, f)
		}
	}
	var out []*Compiled
	notes := map[string]bool{}
	for i := range branches {
		b := &branches[i]
		c := &compiler{fieldMap: b.FieldMap, placeholders: placeholders, sets: sets}
		det, err := c.compileDetection(&r.Detection)
		if err != nil {
			return nil, nil, !mapped, err
		}
		if len(applicable) > 0 {
			all := andNode{det}
			for _, f := range applicable {
				fc := &compiler{fieldMap: b.FieldMap, placeholders: placeholders, sets: sets}
				fn, err := fc.compileDetection(&f.Detection)
				if err != nil {
					return nil, nil, !mapped, fmt.Errorf("filter %s (%s): %w", f.Title, f.Path, err)
				}
				all = append(all, fn)
			}
			det = all
		}
		for _, n := range c.Notes() {
			notes[n] = true
		}
		out = append(out, &Compiled{
			Rule: r, Branch: b,
			Channels:   lowerAll(b.Channels),
			EventIDs:   b.EventIDs,
			Formats:    lowerAll(b.Formats),
			constraint: compileBranch(b),
			detection:  det,
		})
	}
	var ns []string
	for n := range notes {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	if !mapped && r.Logsource != (Logsource{}) {
		ns = append(ns, fmt.Sprintf("log source %s is not in the mapping: the rule runs against every event", r.Logsource))
	}
	return out, ns, !mapped, nil
}

func (f *Filter) appliesTo(r *Rule) bool {
	if !f.Logsource.Contains(r.Logsource) {
		return false
	}
	if len(f.Rules) == 0 {
		return true
	}
	for _, ref := range f.Rules {
		if ref == r.ID || (r.Name != "" && ref == r.Name) || ref == r.Title {
			return true
		}
	}
	return false
}
