package model

import (
	_ "embed"
	"fmt"
	"sync"
	"unicode/utf8"

	"github.com/bulwarkhq/bulwark/guard"
)

// Classifier is the guard's classifier: a general model for what users
// type, and a document model for what an app reads on the user's behalf
// (tool results, retrieved documents).
//
// Two models, because the role changes what a text means: "In your answer,
// use bullet points" is a request for formatting from a user and an attack
// planted in an email the assistant was asked to summarise, and one
// bag-of-features model cannot learn both. And a planted instruction is a
// sentence among many ordinary ones, which outweigh it in any window of
// the general model; the document model scores a document sentence by
// sentence (see Units), so the planted one is judged on its own words.
// Documents take the higher injection score of the two models, and a
// document that addresses the AI reading it scores as a phrase rule match
// (see addressedToAI).
type Classifier struct {
	General  *Model
	Document *Model // nil: documents are scored by the general model alone
}

// Score scores text as a user turn.
func (c *Classifier) Score(text string) Scores { return c.General.Score(text) }

// ScoreRole scores text as a segment of the given role. Tool results and
// documents take the higher injection score of the two models, and have
// no misuse score: a document does not ask for anything on the user's
// behalf, and a threat report that describes ransomware is not a request
// for it.
func (c *Classifier) ScoreRole(text string, role guard.Role) Scores {
	text = Normalize(text) // once, for both models
	if !IsDocumentRole(role) {
		return c.General.scoreNormalized(text)
	}
	var s Scores
	if c.Document != nil && len(text) <= sliceBytes && c.Document.buckets == c.General.buckets {
		// One featurization for both models (see scoreDocumentShared).
		sc := c.General.pool.Get().(*scratch)
		s = c.General.scoreSlice(sc, text)
		s.Injection = max(s.Injection, c.scoreDocumentShared(text, sc.fs, sc.prev))
		c.General.pool.Put(sc)
	} else {
		s = c.General.scoreNormalized(text)
		if c.Document != nil {
			s.Injection = max(s.Injection, c.scoreDocument(text))
		}
	}
	s.Misuse = 0
	if addressedToAI(text) {
		s.Injection = max(s.Injection, phraseScore)
	}
	return s
}

// scoreDocument is the document model's highest injection score over the
// units of text, already normalised (see Units). Each unit is scored from
// its features as Score would, without the phrase rules: the general
// model has applied them to the whole text already.
func (c *Classifier) scoreDocument(text string) float64 {
	m := c.Document
	sc := m.pool.Get().(*scratch)
	defer m.pool.Put(sc)
	var top float64
	forEachUnit(text, func(u string, _ int) {
		sc.fs, sc.words = featurize(sc.fs[:0], sc.words[:0], u, m.buckets)
		if len(sc.fs) > 0 {
			top = max(top, m.scoreFeatures(sc, len(u)).Injection)
		}
	})
	return top
}

// scoreDocumentShared is scoreDocument from the features of the whole
// text, fs, which the general model has scored already (prev are their
// links to previous instances, see scratch): a unit's features are those
// positioned in it that depend on no word before it, which is exactly
// what featurizing the unit alone gives, at half the cost. A unit whose
// edge cuts a word (a long run of Chinese) is featurized alone.
func (c *Classifier) scoreDocumentShared(text string, fs []feature, prev []int32) float64 {
	m := c.Document
	sc := m.pool.Get().(*scratch)
	defer m.pool.Put(sc)
	var top float64
	lo := 0
	forEachUnit(text, func(u string, at int) {
		end := at + len(u)
		for lo < len(fs) && int(fs[lo].pos) < at {
			lo++
		}
		switch {
		case cutsWord(text, at) || cutsWord(text, end):
			sc.fs, sc.words = featurize(sc.fs[:0], sc.words[:0], u, m.buckets)
		case len(u) <= windowBytes+windowStep/2 && !m.cue:
			// One window, no cue: the unit's distinct features are
			// known from prev without a table of its own.
			if s, ok := m.scoreUnit(fs, prev, lo, at, end); ok {
				top = max(top, s.Injection)
			}
			return
		default:
			sc.fs, sc.words = sc.fs[:0], sc.words[:0]
			last := int32(-1)
			for _, f := range fs[lo:] {
				if int(f.pos) >= end {
					break
				}
				if int(f.dep) < at {
					continue
				}
				f.pos -= int32(at)
				f.dep -= int32(at)
				sc.fs = append(sc.fs, f)
				if f.pos != last { // a word's features share its position
					sc.words = append(sc.words, 0)
					last = f.pos
				}
			}
		}
		if len(sc.fs) > 0 {
			top = max(top, m.scoreFeatures(sc, len(u)).Injection)
		}
	})
	return top
}

// scoreUnit scores the unit [at, end) of a text from the text's features
// fs (the unit's start at fs[lo]) and their links prev, as scoreFeatures
// would score the unit featurized alone; false when it has no features.
func (m *Model) scoreUnit(fs []feature, prev []int32, lo, at, end int) (Scores, bool) {
	var sum [NumClasses]int32
	distinct, words := 0, 0
	last := int32(-1)
	for k := lo; k < len(fs) && int(fs[k].pos) < end; k++ {
		f := fs[k]
		if int(f.dep) < at {
			continue
		}
		if f.pos != last { // a word's features share its position
			words++
			last = f.pos
		}
		if firstInUnit(fs, prev, k, at) {
			m.addRow(&sum, f.index, 1)
			distinct++
		}
	}
	if words == 0 {
		return Scores{}, false
	}
	return m.wholeProbs(sum, distinct, words), true
}

// firstInUnit reports whether fs[k] is the first instance of its feature
// in the unit starting at byte at: no earlier instance lies in the unit,
// except ones the unit does not have (those depending on a word before
// it).
func firstInUnit(fs []feature, prev []int32, k, at int) bool {
	for j := prev[k]; j >= 0 && int(fs[j].pos) >= at; j = prev[j] {
		if int(fs[j].dep) >= at {
			return false
		}
	}
	return true
}

// cutsWord reports whether offset i of text falls inside a word.
func cutsWord(text string, i int) bool {
	if i <= 0 || i >= len(text) {
		return false
	}
	before, _ := utf8.DecodeLastRuneInString(text[:i])
	after, _ := utf8.DecodeRuneInString(text[i:])
	return isWordRune(before) && isWordRune(after)
}

// IsDocumentRole reports whether a role carries text the app reads rather
// than text the user types.
func IsDocumentRole(role guard.Role) bool {
	return role == guard.RoleTool || role == guard.RoleDocument
}

//go:embed document.bin
var embeddedDocument []byte

// DefaultClassifier returns the classifier embedded in the binary.
var DefaultClassifier = sync.OnceValues(func() (*Classifier, error) {
	general, err := Default()
	if err != nil {
		return nil, err
	}
	document, err := Read(embeddedDocument)
	if err != nil {
		return nil, fmt.Errorf("document model: %w", err)
	}
	return &Classifier{General: general, Document: document}, nil
})
