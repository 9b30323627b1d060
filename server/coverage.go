package server

import (
	"net/http"
	"path/filepath"
	"sort"
	"sync"

	"github.com/bulwarkhq/bulwark/attack"
	"github.com/bulwarkhq/bulwark/rules"
)

// The ATT&CK knowledge base is read once, on first use, from where
// `bulwark attack import` keeps it; without it the coverage page says how
// to import it.
var (
	kbOnce sync.Once
	kb     *attack.KB
)

func attackKB() *attack.KB {
	kbOnce.Do(func() {
		if d, err := rules.DataDir(); err == nil {
			kb, _ = attack.LoadFile(filepath.Join(d, "attack", "enterprise-attack.json"))
		}
	})
	return kb
}

// coverageCell is one technique in the matrix.
type coverageCell struct {
	ID, Name string
	Rules    int
}

// coverageColumn is one tactic with its techniques, covered ones first.
type coverageColumn struct {
	Tactic     attack.Tactic
	Techniques []coverageCell
	Covered    int
}

// coverage maps the running rules onto the ATT&CK matrix: for each tactic,
// which of its techniques (sub-techniques counted with their parent) some
// enabled rule detects.
func (s *Server) coverage(k *attack.KB) []coverageColumn {
	byTech := map[string]int{}
	rs := s.pipe.Engine().RuleSet()
	for _, r := range rs.Rules {
		techs, _ := k.FromTags(r.Tags)
		seen := map[string]bool{}
		for _, t := range techs {
			parent := t.ID
			if i := len(parent); i > 5 && parent[5] == '.' {
				parent = parent[:5]
			}
			if !seen[parent] {
				seen[parent] = true
				byTech[parent]++
			}
		}
	}
	var cols []coverageColumn
	for _, tac := range k.Tactics() {
		col := coverageColumn{Tactic: tac}
		for _, t := range k.TechniquesOf(tac.Short) {
			cell := coverageCell{ID: t.ID, Name: t.Name, Rules: byTech[t.ID]}
			if cell.Rules > 0 {
				col.Covered++
			}
			col.Techniques = append(col.Techniques, cell)
		}
		sort.SliceStable(col.Techniques, func(i, j int) bool { return col.Techniques[i].Rules > col.Techniques[j].Rules })
		cols = append(cols, col)
	}
	return cols
}

func (s *Server) coveragePage(w http.ResponseWriter, r *http.Request, v view) error {
	v.Title = "ATT&CK coverage"
	k := attackKB()
	if k == nil {
		v.Data = map[string]any{"Missing": true}
		s.render(w, http.StatusOK, "coverage", v)
		return nil
	}
	cols := s.coverage(k)
	covered, total := 0, 0
	for _, c := range cols {
		covered += c.Covered
		total += len(c.Techniques)
	}
	v.Data = map[string]any{"Columns": cols, "Covered": covered, "Total": total, "Matrix": k.Matrix}
	s.render(w, http.StatusOK, "coverage", v)
	return nil
}
