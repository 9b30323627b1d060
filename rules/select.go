package rules

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/bulwarkhq/bulwark/sigma"
)

// Selection says which rules to load: the CLI's --rules, --no-builtin and
// --mapping flags, and the server's configuration of the same name.
type Selection struct {
	Dirs      []string // rule files or directories; none means the downloaded SigmaHQ rules, if any
	NoBuiltin bool     // leave out the built-in rules
	Mapping   string   // log source mapping file; "" means the built-in mapping
	// Disabled lists rule ids to leave out (an analyst turned them off).
	Disabled map[string]bool
}

// Source says where some of the loaded rules came from, for summaries.
type Source struct {
	Name  string
	Count int
}

// ErrNoRules is returned when a selection names no rules at all.
var ErrNoRules = errors.New("no rules: drop --no-builtin, pass --rules DIR, or run 'bulwark rules update'")

// Load reads and compiles the selected rules. Rules that fail to parse or
// compile are recorded in the rule set's status, not returned as errors;
// an error means a directory or the mapping could not be read at all.
func (s Selection) Load() (*sigma.RuleSet, []Source, error) {
	var docs []sigma.Document
	var sources []Source
	if !s.NoBuiltin {
		b := Builtin()
		docs = append(docs, b...)
		sources = append(sources, Source{"built-in", len(b)})
	}
	dirs := s.Dirs
	if len(dirs) == 0 {
		if d, err := SigmaHQDir(); err == nil {
			if st, err := os.Stat(d); err == nil && st.IsDir() {
				dirs = []string{d}
			}
		}
	}
	for _, d := range dirs {
		ds, err := LoadDir(d)
		if err != nil {
			return nil, nil, err
		}
		docs = append(docs, ds...)
		sources = append(sources, Source{d, len(ds)})
	}
	if len(docs) == 0 {
		return nil, nil, ErrNoRules
	}
	if len(s.Disabled) > 0 {
		kept := docs[:0]
		for _, d := range docs {
			if d.Meta.ID == "" || !s.Disabled[d.Meta.ID] {
				kept = append(kept, d)
			}
		}
		docs = kept
	}
	opts := sigma.Options{}
	if s.Mapping != "" {
		data, err := os.ReadFile(s.Mapping)
		if err != nil {
			return nil, nil, fmt.Errorf("mapping: %w", err)
		}
		m, err := sigma.ParseMapping(filepath.Base(s.Mapping), data)
		if err != nil {
			return nil, nil, fmt.Errorf("mapping: %w", err)
		}
		opts.Mapping = m
	}
	return sigma.Compile(docs, opts), sources, nil
}
