// Package attack is the MITRE ATT&CK knowledge base, loaded from the STIX
// 2.1 bundle MITRE publishes (enterprise-attack.json, ics-attack.json):
// techniques with their names, tactics, a short description, how to detect
// them and the mitigations MITRE links to them, and the tactics in the order
// of the matrix. Triage uses it to see progression across tactics; the
// dashboard uses it for coverage; the copilot explains techniques with it
// and draws next steps from its mitigations.
//
// The bundle is read as a stream, object by object, keeping only the fields
// used here, so that loading the 34 MB enterprise bundle costs little more
// memory than the result.
package attack

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
)

// Technique is an ATT&CK technique or sub-technique.
type Technique struct {
	ID         string   `json:"id"` // T1059 or T1059.001
	Name       string   `json:"name"`
	Tactics    []string `json:"tactics"` // tactic short names: execution, persistence, ...
	Platforms  []string `json:"platforms,omitempty"`
	URL        string   `json:"url,omitempty"`
	Deprecated bool     `json:"deprecated,omitempty"` // deprecated or revoked
	// Description is the first paragraph of MITRE's description, as plain
	// text: citations, links and markup removed.
	Description string `json:"description,omitempty"`
	// Detection is how to detect the technique: the bundle's
	// x_mitre_detection when it has one (ATT&CK 17 and earlier), else the
	// detection strategies of ATT&CK 18 with their Windows analytics and
	// log sources, shortened.
	Detection string `json:"detection,omitempty"`
	// Mitigations are the current mitigations linked to the technique, by
	// id.
	Mitigations []Mitigation `json:"mitigations,omitempty"`
}

// Mitigation is a course of action against a technique.
type Mitigation struct {
	ID   string `json:"id"`   // M1043
	Name string `json:"name"` // Credential Access Protection
	// Description says how it applies to the technique (the relationship's
	// text, shortened to a sentence or two).
	Description string `json:"description,omitempty"`
}

// Tactic is an ATT&CK tactic, a column of the matrix.
type Tactic struct {
	ID    string `json:"id"`    // TA0002
	Short string `json:"short"` // execution
	Name  string `json:"name"`  // Execution
}

// KB is a loaded knowledge base.
type KB struct {
	// Matrix is the matrix's name ("Enterprise ATT&CK").
	Matrix     string
	tactics    []Tactic // in matrix order
	techniques map[string]*Technique
}

// maxObjects bounds the objects read from one bundle (the enterprise
// bundle has about 25,000).
const maxObjects = 1_000_000

// object is what is read of each STIX object.
type object struct {
	Type     string   `json:"type"`
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Short    string   `json:"x_mitre_shortname"`
	Revoked  bool     `json:"revoked"`
	Depr     bool     `json:"x_mitre_deprecated"`
	Refs     []ref    `json:"external_references"`
	RawPhase []phase  `json:"kill_chain_phases"`
	Tactics  []string `json:"tactic_refs"`
	Platform []string `json:"x_mitre_platforms"`

	Description string `json:"description"`
	Detection   string `json:"x_mitre_detection"`
	// Relationships.
	RelType   string `json:"relationship_type"`
	SourceRef string `json:"source_ref"`
	TargetRef string `json:"target_ref"`
	// Detection strategies and their analytics (ATT&CK 18).
	AnalyticRefs []string    `json:"x_mitre_analytic_refs"`
	LogSources   []logSource `json:"x_mitre_log_source_references"`
}

type logSource struct {
	Name    string `json:"name"`    // WinEventLog:Sysmon
	Channel string `json:"channel"` // EventCode=10
}

type ref struct {
	Source string `json:"source_name"`
	ID     string `json:"external_id"`
	URL    string `json:"url"`
}

type phase struct {
	Chain string `json:"kill_chain_name"`
	Name  string `json:"phase_name"`
}

// mitreID returns the object's ATT&CK id and URL.
func (o *object) mitreID() (string, string) {
	for _, r := range o.Refs {
		if strings.HasPrefix(r.Source, "mitre-") && r.ID != "" {
			return r.ID, r.URL
		}
	}
	return "", ""
}

// LoadFile loads a bundle file, gzip-compressed or not.
func LoadFile(path string) (*KB, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("attack: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	var magic [2]byte
	if n, _ := io.ReadFull(f, magic[:]); n == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, fmt.Errorf("attack: %w", err)
		}
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("attack: %s: %w", path, err)
		}
		defer gz.Close()
		r = gz
	} else if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("attack: %w", err)
	}
	kb, err := Load(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return kb, nil
}

// Load reads a STIX 2.1 bundle.
func Load(r io.Reader) (*KB, error) {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	kb := &KB{techniques: map[string]*Technique{}}
	tacticByRef := map[string]Tactic{}
	var order []string
	links := newLinker()
	found := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, syntaxError(dec, err)
		}
		if key, _ := tok.(string); key != "objects" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, syntaxError(dec, err)
			}
			continue
		}
		found = true
		if err := expectDelim(dec, '['); err != nil {
			return nil, err
		}
		for n := 0; dec.More(); n++ {
			if n >= maxObjects {
				return nil, fmt.Errorf("attack: more than %d objects", maxObjects)
			}
			var o object
			if err := dec.Decode(&o); err != nil {
				return nil, fmt.Errorf("attack: object %d: %w", n, syntaxError(dec, err))
			}
			switch o.Type {
			case "attack-pattern":
				if t := kb.addTechnique(&o); t != nil {
					links.techniques[o.ID] = t
				}
			case "course-of-action", "relationship", "x-mitre-detection-strategy", "x-mitre-analytic":
				links.add(&o)
			case "x-mitre-tactic":
				id, _ := o.mitreID()
				tacticByRef[o.ID] = Tactic{ID: id, Short: o.Short, Name: o.Name}
			case "x-mitre-matrix":
				if kb.Matrix == "" {
					kb.Matrix, order = o.Name, o.Tactics
				}
			}
		}
		if _, err := dec.Token(); err != nil { // ]
			return nil, syntaxError(dec, err)
		}
	}
	if !found {
		return nil, errors.New("attack: not a STIX bundle: no objects")
	}
	for _, ref := range order {
		if t, ok := tacticByRef[ref]; ok {
			kb.tactics = append(kb.tactics, t)
			delete(tacticByRef, ref)
		}
	}
	// Tactics the matrix does not list (none in MITRE's bundles) go last,
	// in a stable order.
	rest := make([]Tactic, 0, len(tacticByRef))
	for _, t := range tacticByRef {
		rest = append(rest, t)
	}
	slices.SortFunc(rest, func(a, b Tactic) int { return strings.Compare(a.ID, b.ID) })
	kb.tactics = append(kb.tactics, rest...)
	if len(kb.techniques) == 0 {
		return nil, errors.New("attack: the bundle holds no techniques")
	}
	links.resolve()
	return kb, nil
}

// addTechnique adds a technique object and returns it, or nil when it has
// no ATT&CK id or an object already holds its id.
func (kb *KB) addTechnique(o *object) *Technique {
	id, url := o.mitreID()
	if id == "" {
		return nil
	}
	t := &Technique{ID: id, Name: o.Name, Platforms: o.Platform, URL: url, Deprecated: o.Revoked || o.Depr,
		Description: firstParagraph(o.Description, maxDescription),
		Detection:   plainText(o.Detection, maxDetection)}
	for _, p := range o.RawPhase {
		if strings.HasPrefix(p.Chain, "mitre-") {
			t.Tactics = append(t.Tactics, p.Name)
		}
	}
	// A revoked object and its replacement can share an id: the current
	// one wins.
	if old, ok := kb.techniques[id]; ok && !old.Deprecated && t.Deprecated {
		return nil
	}
	kb.techniques[id] = t
	return t
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return syntaxError(dec, err)
	}
	if tok != want {
		return fmt.Errorf("attack: at byte %d: expected %q", dec.InputOffset(), want)
	}
	return nil
}

func syntaxError(dec *json.Decoder, err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("attack: at byte %d: %w", dec.InputOffset(), err)
}

// Tactics returns the tactics in matrix order.
func (kb *KB) Tactics() []Tactic { return kb.tactics }

// Techniques returns the number of techniques, deprecated ones included.
func (kb *KB) Techniques() int { return len(kb.techniques) }

// List returns every technique that is neither deprecated nor revoked,
// ordered by id.
func (kb *KB) List() []Technique {
	out := make([]Technique, 0, len(kb.techniques))
	for _, t := range kb.techniques {
		if !t.Deprecated {
			out = append(out, *t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Technique looks a technique up by id ("T1059.001", any case). An unknown
// sub-technique falls back to its parent, whose tactics it shares.
func (kb *KB) Technique(id string) (Technique, bool) {
	id = strings.ToUpper(strings.TrimSpace(id))
	if t, ok := kb.techniques[id]; ok {
		return t.clone(), true
	}
	if parent, _, ok := strings.Cut(id, "."); ok {
		if t, ok := kb.techniques[parent]; ok {
			return t.clone(), true
		}
	}
	return Technique{}, false
}

// clone copies t so that callers cannot change the knowledge base through
// its slices.
func (t *Technique) clone() Technique {
	c := *t
	c.Tactics = slices.Clone(t.Tactics)
	c.Platforms = slices.Clone(t.Platforms)
	c.Mitigations = slices.Clone(t.Mitigations)
	return c
}

// Tactic returns the tactic with the short name ("execution") or id
// ("TA0002").
func (kb *KB) Tactic(name string) (Tactic, bool) {
	for _, t := range kb.tactics {
		if strings.EqualFold(t.Short, name) || strings.EqualFold(t.ID, name) {
			return t, true
		}
	}
	return Tactic{}, false
}

// TacticIndex returns a tactic's column in the matrix, or -1: later
// columns are later stages of an intrusion, which is how progression is
// measured.
func (kb *KB) TacticIndex(short string) int {
	for i, t := range kb.tactics {
		if t.Short == short {
			return i
		}
	}
	return -1
}

// TechniquesOf returns the current (not deprecated) parent techniques of a
// tactic, by id: the cells of the matrix's column.
func (kb *KB) TechniquesOf(tactic string) []Technique {
	var out []Technique
	for _, t := range kb.techniques {
		if t.Deprecated || strings.Contains(t.ID, ".") || !slices.Contains(t.Tactics, tactic) {
			continue
		}
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b Technique) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// FromTags reads Sigma's ATT&CK tags ("attack.t1059.001",
// "attack.execution") and returns the techniques and tactic short names
// they name, each once, in order.
func (kb *KB) FromTags(tags []string) (techniques []Technique, tactics []string) {
	seen := map[string]bool{}
	addTactic := func(s string) {
		if !seen[s] {
			seen[s] = true
			tactics = append(tactics, s)
		}
	}
	for _, tag := range tags {
		v, ok := strings.CutPrefix(strings.ToLower(tag), "attack.")
		if !ok {
			continue
		}
		if len(v) > 1 && v[0] == 't' && v[1] >= '0' && v[1] <= '9' {
			if t, ok := kb.Technique(v); ok && !seen[t.ID] {
				seen[t.ID] = true
				techniques = append(techniques, t)
				for _, s := range t.Tactics {
					addTactic(s)
				}
			}
			continue
		}
		if t, ok := kb.Tactic(strings.ReplaceAll(v, "_", "-")); ok {
			addTactic(t.Short)
		}
	}
	return techniques, tactics
}
