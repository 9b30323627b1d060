package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/bulwarkhq/bulwark/copilot"
	"github.com/bulwarkhq/bulwark/copilot/agent"
	"github.com/bulwarkhq/bulwark/copilot/assist"
	"github.com/bulwarkhq/bulwark/copilot/evidence"
	"github.com/bulwarkhq/bulwark/copilot/grammar"
	"github.com/bulwarkhq/bulwark/copilot/offline"
	"github.com/bulwarkhq/bulwark/copilot/provider"
	"github.com/bulwarkhq/bulwark/copilot/spotlight"
	"github.com/bulwarkhq/bulwark/guard/standard"
	"github.com/bulwarkhq/bulwark/search"
	"github.com/bulwarkhq/bulwark/sigma"
	"github.com/bulwarkhq/bulwark/store"
)

// The copilot inside the server: the parts of package copilot wired to the
// store, the running rules and the ATT&CK knowledge base. A model is
// optional; without one (or when it fails, or the day's token budget is
// spent) every feature answers offline and says why.

// copilotParts are the copilot's long-lived parts.
type copilotParts struct {
	provider *provider.Provider // nil: no model configured
	spot     *spotlight.Spotlighter
	// model answers with the provider when there is one; local never
	// calls a model, for what a page shows without anyone asking (the
	// case page's summary), which must cost no tokens.
	model, local *assist.Assistant
	// summaries keeps the model's summaries, offlineSums the offline
	// ones, by case and version.
	summaries, offlineSums *summaryCache
}

// Copilot limits.
const (
	// maxQuestion bounds a question's length: hunting questions are one
	// line, and a question is part of a prompt.
	maxQuestion = 2000
	// copilotAlerts bounds the alerts of a case that go into a prompt
	// (most severe and newest first).
	copilotAlerts = 60
	// askSearchLimit is how many events the offline answer to a question
	// lists.
	askSearchLimit = 10
	// ledgerSetting is the store setting the token ledger is kept in.
	ledgerSetting = "copilot.ledger"
)

// newCopilot builds the copilot: the standard guard for spotlighting, the
// provider (when configured) and the assistants with their offline
// fallbacks.
func (s *Server) newCopilot() error {
	g, err := standard.New(standard.Options{AllowedHosts: s.cfg.Guard.AllowedHosts})
	if err != nil {
		return fmt.Errorf("copilot: guard: %w", err)
	}
	c := &copilotParts{spot: spotlight.New(spotlight.Options{Guard: g}), summaries: newSummaryCache(256), offlineSums: newSummaryCache(256)}
	pcfg, err := s.cfg.Copilot.providerConfig()
	switch {
	case errors.Is(err, copilot.ErrNoProvider):
		s.log.Info("copilot: no model configured; answering offline")
	case err != nil:
		return fmt.Errorf("copilot: %w", err)
	default:
		pcfg.LedgerStore = settingsLedger{s.st}
		pcfg.Logger = s.log.With("component", "copilot")
		if pcfg.APIKeyEnv != "" && !envSet(pcfg.APIKeyEnv) {
			s.log.Warn("copilot: the API key variable is not set; calling the model without a key", "env", pcfg.APIKeyEnv)
		}
		if c.provider, err = provider.New(pcfg); err != nil {
			return fmt.Errorf("copilot: %w", err)
		}
		s.log.Info("copilot: model configured", "provider", c.provider.Name(), "daily_tokens", pcfg.DailyTokenBudget)
	}
	acfg := assist.Config{Spotlight: c.spot, Offline: offlineSummary, Grammar: grammarQuery, Answer: s.offlineAnswer}
	c.local = assist.New(acfg)
	c.model = c.local
	if c.provider != nil {
		acfg.Provider = c.provider // only when set: a nil *Provider in the interface would not be nil
		c.model = assist.New(acfg)
	}
	s.cop = c
	return nil
}

// providerConfig is the section as a provider.Config, or the BULWARK_LLM_*
// environment when the section names no model (its budget, timeout and
// retries still apply). copilot.ErrNoProvider means "answer offline".
func (c CopilotConfig) providerConfig() (provider.Config, error) {
	var pc provider.Config
	if c.configured() {
		pc = provider.Config{BaseURL: c.BaseURL, Model: c.Model, APIKeyEnv: c.APIKeyEnv}
	} else {
		var err error
		if pc, err = provider.ConfigFromEnv(); err != nil {
			return pc, err
		}
	}
	if c.DailyTokens > 0 {
		pc.DailyTokenBudget = c.DailyTokens
	}
	pc.Timeout = time.Duration(c.Timeout)
	switch {
	case c.MaxRetries < 0:
		pc.MaxRetries = provider.NoRetries
	case c.MaxRetries > 0:
		pc.MaxRetries = c.MaxRetries
	}
	return pc, nil
}

// providerName is the configured model's name, or "offline".
func (c *copilotParts) providerName() string {
	if c.provider == nil {
		return "offline"
	}
	return c.provider.Name()
}

// settingsLedger keeps the provider's token ledger in the store's
// settings, so a restart neither resets the daily budget nor loses counts.
type settingsLedger struct{ st store.Settings }

// LoadLedger implements provider.LedgerStore.
func (l settingsLedger) LoadLedger(ctx context.Context) ([]byte, error) {
	v, ok, err := l.st.GetSetting(ctx, ledgerSetting)
	if err != nil || !ok {
		return nil, err
	}
	return []byte(v), nil
}

// SaveLedger implements provider.LedgerStore.
func (l settingsLedger) SaveLedger(ctx context.Context, data []byte) error {
	return l.st.SetSetting(ctx, ledgerSetting, string(data))
}

// ruleIndex is what the copilot knows of the running rules; it is rebuilt
// when the rules are reloaded.
type ruleIndex struct{ lookup evidence.RuleLookup }

func (s *Server) setRuleIndex(rs *sigma.RuleSet) {
	s.ruleIdx.Store(&ruleIndex{lookup: evidence.RuleIndex(rs)})
}

// ruleInfo describes a running rule by id (or title, for rules without an
// id).
func (s *Server) ruleInfo(key string) (copilot.RuleInfo, bool) {
	idx := s.ruleIdx.Load()
	if idx == nil {
		return copilot.RuleInfo{}, false
	}
	return idx.lookup(key)
}

// gather reads a case's evidence for the copilot.
func (s *Server) gather(ctx context.Context, caseID int64) (copilot.Evidence, error) {
	src := evidence.FromStore(s.st, s.ruleInfo, attackKB())
	return evidence.Gather(ctx, src, caseID, evidence.Limits{MaxAlerts: copilotAlerts})
}

// offlineSummary is assist's offline fallback: offline.Summarize with its
// claims flattened. The server shows the claims themselves, with their
// citations (see summaryView).
func offlineSummary(_ context.Context, ev copilot.Evidence) (assist.Summary, error) {
	o := offline.Summarize(ev)
	s := assist.Summary{WhatHappened: claimsText(o.WhatHappened), WhyItMatters: claimsText(o.WhyItMatters), NextSteps: []assist.Step{}}
	for _, c := range o.NextSteps {
		s.NextSteps = append(s.NextSteps, assist.Step{Text: c.Text, Citations: c.Citations})
	}
	return s, nil
}

func claimsText(cs []offline.Claim) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.Text
	}
	return strings.Join(parts, " ")
}

// errNoGrammar says the built-in grammar does not know a question.
var errNoGrammar = errors.New("the built-in grammar does not know this question; copilot/grammar/QUESTIONS.md lists the ones it does")

// grammarQuery is assist's offline translation of questions to queries.
func grammarQuery(question string) (string, error) {
	t, ok := grammar.Translate(question, time.Now())
	if !ok {
		return "", errNoGrammar
	}
	return t.Query, nil
}

// offlineAnswer answers a question without a model: about a case, with
// its offline summary; otherwise by translating it with the grammar and
// running the search (a few events).
func (s *Server) offlineAnswer(ctx context.Context, question string, ev *copilot.Evidence) (string, error) {
	if ev != nil {
		return "Without a model I can only summarize the case.\n\n" + offline.Summarize(*ev).Markdown(), nil
	}
	t, ok := grammar.Translate(question, time.Now())
	if !ok {
		return "Without a model I answer hunting questions such as \"failed logons for bob since yesterday\" or " +
			"\"what ran on ws01 in the last hour\" (copilot/grammar/QUESTIONS.md lists them); this one I do not know.", nil
	}
	q, err := search.Parse(t.Query)
	if err != nil {
		return "", fmt.Errorf("grammar query %q: %w", t.Query, err)
	}
	evs, more, err := agent.NewStoreBackend(s.st, nil, nil).SearchEvents(ctx, q, askSearchLimit)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Query: `%s`\n%s\n\n", t.Query, t.Explanation)
	if len(evs) == 0 {
		b.WriteString("No stored event matches.\n")
		return b.String(), nil
	}
	fmt.Fprintf(&b, "The newest %d matching events:\n", len(evs))
	for _, e := range evs {
		fmt.Fprintf(&b, "- event:%d %s %s %s\n", e.ID, e.Time.UTC().Format(time.DateTime), e.Host(), eventLine(&e, 4))
	}
	if more {
		b.WriteString("(more match: run the query in Search)\n")
	}
	return b.String(), nil
}

// eventLine is a few of an event's fields on one line.
func eventLine(e *store.StoredEvent, n int) string {
	var parts []string
	for i, f := range e.Fields {
		if i == n {
			break
		}
		parts = append(parts, f.Name+"="+clipText(f.Value.Str, 120))
	}
	return strings.Join(parts, " ")
}

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func envSet(name string) bool { return os.Getenv(name) != "" }

// --- summaries as the API and the UI show them ---

// claimView is one statement of a summary with the evidence it cites.
type claimView struct {
	Text      string   `json:"text"`
	Citations []string `json:"citations"`
	// Invalid are ids the model cited that the evidence does not hold;
	// Unsupported marks a claim resting on such an id or on nothing.
	Invalid     []string `json:"invalid,omitempty"`
	Unsupported bool     `json:"unsupported,omitempty"`
}

// summaryView is a case summary for the API and the case page.
type summaryView struct {
	CaseID       int64       `json:"case_id"`
	Source       string      `json:"source"` // "model" or "offline"
	Model        string      `json:"model,omitempty"`
	Note         string      `json:"note,omitempty"`
	WhatHappened []claimView `json:"what_happened"`
	WhyItMatters []claimView `json:"why_it_matters"`
	NextSteps    []claimView `json:"next_steps"`
	// InvalidCitations are ids the model's text cites that the evidence
	// does not hold.
	InvalidCitations []string `json:"invalid_citations,omitempty"`
	// SuspectedInjection are the evidence values the guard flagged: text in
	// the logs that tries to talk to a model. The analyst should see them.
	SuspectedInjection []spotlight.Suspect `json:"suspected_injection"`
	Spotlight          spotlight.Report    `json:"spotlight"`
	Usage              copilot.Usage       `json:"usage"`
	// Truncated says the case holds more alerts than the summary read.
	Truncated bool `json:"truncated,omitempty"`
	// Cached says the model's summary was kept from an earlier request on
	// the same version of the case, at no token cost.
	Cached bool `json:"cached,omitempty"`
}

var citeRe = regexp.MustCompile(`(?i)\b(case|alert|event)\s*:\s*(\d+)\b`)

// citationsIn returns the ids a text cites that the evidence holds, and
// those it does not.
func citationsIn(text string, valid map[string]bool) (good, bad []string) {
	good = []string{}
	for _, m := range citeRe.FindAllStringSubmatch(text, -1) {
		id := strings.ToLower(m[1]) + ":" + m[2]
		switch {
		case valid[id] && !slices.Contains(good, id):
			good = append(good, id)
		case !valid[id] && !slices.Contains(bad, id):
			bad = append(bad, id)
		}
	}
	return good, bad
}

// summaryView builds the view of a summary. An offline summary's claims
// are taken from offline.Summarize, which is deterministic, so that each
// keeps its own citations; a model's prose cites ids inline.
func newSummaryView(ev copilot.Evidence, sum assist.Summary) summaryView {
	v := summaryView{CaseID: ev.Case.ID, Source: sum.Source, Model: sum.Model, Note: sum.Note,
		InvalidCitations: sum.InvalidCitations, Spotlight: sum.Spotlight, Usage: sum.Usage, Truncated: ev.Truncated,
		SuspectedInjection: sum.Spotlight.Suspects}
	if v.SuspectedInjection == nil {
		v.SuspectedInjection = []spotlight.Suspect{}
	}
	if sum.Source == assist.SourceOffline {
		o := offline.Summarize(ev)
		conv := func(cs []offline.Claim) []claimView {
			out := []claimView{}
			for _, c := range cs {
				out = append(out, claimView{Text: c.Text, Citations: append([]string{}, c.Citations...)})
			}
			return out
		}
		v.WhatHappened, v.WhyItMatters, v.NextSteps = conv(o.WhatHappened), conv(o.WhyItMatters), conv(o.NextSteps)
		return v
	}
	valid := spotlight.EvidenceIDs(ev)
	prose := func(text string) []claimView {
		if strings.TrimSpace(text) == "" {
			return []claimView{}
		}
		good, bad := citationsIn(text, valid)
		return []claimView{{Text: text, Citations: good, Invalid: bad, Unsupported: len(bad) > 0}}
	}
	v.WhatHappened, v.WhyItMatters = prose(sum.WhatHappened), prose(sum.WhyItMatters)
	v.NextSteps = []claimView{}
	for _, st := range sum.NextSteps {
		v.NextSteps = append(v.NextSteps, claimView{Text: st.Text, Citations: st.Citations, Invalid: st.Invalid, Unsupported: st.Unsupported})
	}
	return v
}

// summarize summarizes a case: with the model when useModel is set (a
// summary of the same version of the case is reused), else offline at no
// token cost, or the model's summary if one was made for this version.
// Offline summaries are kept too: the case page shows one on every view,
// and spotlighting the evidence (the guard reads every value) is the
// page's most expensive part.
func (s *Server) summarize(ctx context.Context, caseID int64, useModel bool) (summaryView, error) {
	c, err := s.st.GetCase(ctx, caseID)
	if err != nil {
		return summaryView{}, err
	}
	version := caseVersion(c)
	if v, ok := s.cop.summaries.get(caseID, version); ok {
		v.Cached = true
		return v, nil
	}
	if v, ok := s.cop.offlineSums.get(caseID, offlineVersion(c)); ok && !useModel {
		return v, nil
	}
	ev, err := s.gather(ctx, caseID)
	if err != nil {
		return summaryView{}, err
	}
	a := s.cop.local
	if useModel {
		a = s.cop.model
	}
	sum, err := a.Summarize(ctx, ev)
	if err != nil {
		return summaryView{}, err
	}
	v := newSummaryView(ev, sum)
	switch {
	case v.Source == assist.SourceModel:
		s.cop.summaries.put(caseID, caseVersion(ev.Case), v)
	case !useModel:
		if s.cop.provider != nil {
			v.Note = "summarized offline, at no token cost; ask " + s.cop.provider.Name() + " for its summary"
		}
		s.cop.offlineSums.put(caseID, offlineVersion(ev.Case), v)
	}
	return v, nil
}

// caseVersion changes whenever a case's summary by a model could: it is
// updated, or alerts are added.
func caseVersion(c store.Case) string {
	return c.Updated.UTC().Format(time.RFC3339Nano) + "/" + strconv.Itoa(len(c.AlertIDs))
}

// offlineVersion changes whenever the offline summary could: it is
// written from the alerts, their events and the case's title, not from the
// status, verdict or assignee an analyst sets.
func offlineVersion(c store.Case) string {
	return c.LastSeen.UTC().Format(time.RFC3339Nano) + "/" + strconv.Itoa(len(c.AlertIDs)) + "/" + c.Title
}

// summaryCache keeps the model's summaries by case and version: reading a
// case again must not spend tokens again.
type summaryCache struct {
	mu    sync.Mutex
	max   int
	order []int64 // oldest first
	items map[int64]cachedSummary
}

type cachedSummary struct {
	version string
	view    summaryView
}

func newSummaryCache(n int) *summaryCache {
	return &summaryCache{max: n, items: map[int64]cachedSummary{}}
}

func (c *summaryCache) get(id int64, version string) (summaryView, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.items[id]
	if !ok || it.version != version {
		return summaryView{}, false
	}
	return it.view, true
}

func (c *summaryCache) put(id int64, version string, v summaryView) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[id]; !ok {
		c.order = append(c.order, id)
	}
	c.items[id] = cachedSummary{version, v}
	for len(c.order) > c.max {
		delete(c.items, c.order[0])
		c.order = c.order[1:]
	}
}
