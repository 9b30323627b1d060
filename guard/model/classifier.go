package model

import (
	_ "embed"
	"fmt"
	"sync"

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
	s := c.General.scoreNormalized(text)
	if !IsDocumentRole(role) {
		return s
	}
	s.Misuse = 0
	if c.Document != nil {
		s.Injection = max(s.Injection, c.scoreDocument(text))
	}
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
	forEachUnit(text, func(u string) {
		sc.fs, sc.words = featurize(sc.fs[:0], sc.words[:0], u, m.buckets)
		if len(sc.fs) > 0 {
			top = max(top, m.scoreFeatures(sc, len(u)).Injection)
		}
	})
	return top
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
