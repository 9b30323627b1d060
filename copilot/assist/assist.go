// Package assist holds the copilot's features on top of a language model:
// case summaries that cite their evidence (Summarize), natural language to
// search queries (ToQuery) and free-form questions answered as a stream
// (Ask).
//
// Every feature works without a model. When no Provider is configured,
// when it fails, or when the daily token budget is spent, the answer comes
// from a function the caller passes in (the offline summary, the grammar
// that turns questions into queries), with a note saying why; assist does
// not depend on how those are built.
//
// Everything from logs reaches the model through a spotlight.Session:
// allow-listed, scanned by the guard and datamarked. What the model writes
// is checked too: summaries must cite ids present in the evidence, queries
// must parse, and output that would leak data through a link is withheld.
package assist

import (
	"context"
	"errors"
	"fmt"

	"github.com/bulwarkhq/bulwark/copilot"
	"github.com/bulwarkhq/bulwark/copilot/spotlight"
)

// Features, as set in copilot.Request.Feature for token accounting.
const (
	FeatureSummary = "summary"
	FeatureQuery   = "query"
	FeatureAsk     = "ask"
)

// Sources of an answer.
const (
	SourceModel   = "model"
	SourceOffline = "offline"
)

// OfflineSummary summarizes a case from its structured data alone.
type OfflineSummary func(ctx context.Context, ev copilot.Evidence) (Summary, error)

// GrammarQuery turns a question into a search query without a model.
type GrammarQuery func(question string) (string, error)

// OfflineAnswer answers a free-form question without a model; ev is nil
// for a question about no case.
type OfflineAnswer func(ctx context.Context, question string, ev *copilot.Evidence) (string, error)

// Config configures an Assistant.
type Config struct {
	// Provider is the model; nil answers everything offline.
	Provider copilot.Provider
	// Spotlight prepares evidence for the model. nil uses the default
	// allow-list and marking with no guard; the server passes one built
	// on the standard guard.
	Spotlight *spotlight.Spotlighter
	// Offline, Grammar and Answer are the fallbacks; a nil one makes the
	// feature fail when the model cannot answer.
	Offline OfflineSummary
	Grammar GrammarQuery
	Answer  OfflineAnswer
	// MaxTokens bounds each answer; 0 is 1024.
	MaxTokens int
}

// Assistant runs the features. It is safe for concurrent use.
type Assistant struct {
	cfg Config
}

// New returns an Assistant.
func New(cfg Config) *Assistant {
	if cfg.Spotlight == nil {
		cfg.Spotlight = spotlight.New(spotlight.Options{})
	}
	if cfg.MaxTokens <= 0 {
		cfg.MaxTokens = 1024
	}
	return &Assistant{cfg: cfg}
}

// temperature keeps answers close to the evidence.
var temperature = 0.2

func (a *Assistant) request(feature string, msgs []copilot.Message) copilot.Request {
	t := temperature
	return copilot.Request{Feature: feature, Messages: msgs, MaxTokens: a.cfg.MaxTokens, Temperature: &t}
}

// fallbackNote says why an answer came from the offline path, or returns
// ok=false when err must be returned as it is (the caller gave up).
func fallbackNote(ctx context.Context, err error) (note string, ok bool) {
	switch {
	case ctx.Err() != nil:
		return "", false
	case errors.Is(err, copilot.ErrNoProvider):
		return "no model configured; answered offline", true
	case errors.Is(err, copilot.ErrBudget):
		return "the daily token budget is spent; answered offline", true
	default:
		return fmt.Sprintf("the model is unavailable (%v); answered offline", err), true
	}
}

// complete calls the provider, treating a missing one as ErrNoProvider.
func (a *Assistant) complete(ctx context.Context, req copilot.Request) (copilot.Response, error) {
	if a.cfg.Provider == nil {
		return copilot.Response{}, copilot.ErrNoProvider
	}
	return a.cfg.Provider.Complete(ctx, req)
}

func addUsage(u *copilot.Usage, v copilot.Usage) {
	u.PromptTokens += v.PromptTokens
	u.CompletionTokens += v.CompletionTokens
}

// assistantRole is the part of every system prompt that says who the
// model is working for.
const assistantRole = "You are Bulwark's security copilot, helping a SOC analyst investigate alerts from Windows, Linux, " +
	"network and cloud logs. Be precise and brief, say when the evidence is not enough, and never invent ids, " +
	"hosts, users or events. Write plain text: no links and no images."
