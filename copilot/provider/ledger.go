package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/bulwarkhq/bulwark/copilot"
)

// LedgerStore keeps the token ledger across restarts, so that a restart
// neither resets the daily budget nor loses the all-time counts. The
// provider loads it once in New and saves it after each call; both are
// best effort: errors are logged, never returned to callers.
type LedgerStore interface {
	LoadLedger(ctx context.Context) ([]byte, error)
	SaveLedger(ctx context.Context, data []byte) error
}

// FeatureUsage counts the calls and tokens of one feature.
type FeatureUsage struct {
	Calls            int `json:"calls"`             // answered calls, cached ones included
	CachedCalls      int `json:"cached_calls"`      // answered from the response cache, at no token cost
	RefusedCalls     int `json:"refused_calls"`     // refused with copilot.ErrBudget
	FailedCalls      int `json:"failed_calls"`      // the provider failed
	PromptTokens     int `json:"prompt_tokens"`     // counted in the budget
	CompletionTokens int `json:"completion_tokens"` // counted in the budget
	// EstimatedTokens is the part of the tokens above that was estimated
	// because the server reported no usage.
	EstimatedTokens int `json:"estimated_tokens"`
}

// Total is prompt plus completion tokens.
func (u FeatureUsage) Total() int { return u.PromptTokens + u.CompletionTokens }

func (u *FeatureUsage) add(v FeatureUsage) {
	u.Calls += v.Calls
	u.CachedCalls += v.CachedCalls
	u.RefusedCalls += v.RefusedCalls
	u.FailedCalls += v.FailedCalls
	u.PromptTokens += v.PromptTokens
	u.CompletionTokens += v.CompletionTokens
	u.EstimatedTokens += v.EstimatedTokens
}

// Ledger is the token accounting of a provider: per Request.Feature for the
// current UTC day and for all time since the ledger began, and the daily
// budget.
type Ledger struct {
	// Day is the current UTC day, "2006-01-02".
	Day   string                  `json:"day"`
	Today map[string]FeatureUsage `json:"today"`
	// AllTime counts since Since, the first call ever recorded (kept across
	// restarts through a LedgerStore).
	AllTime map[string]FeatureUsage `json:"all_time"`
	Since   time.Time               `json:"since"`
	// DailyBudget in prompt+completion tokens; 0 is unlimited.
	DailyBudget int `json:"daily_budget"`
	// TodayTokens is today's total over every feature.
	TodayTokens int `json:"today_tokens"`
	// Remaining is what is left of today's budget, never below 0; -1 when
	// the budget is unlimited.
	Remaining int `json:"remaining"`
}

// ledgerState is what the provider keeps and persists: the counts without
// the derived fields of Ledger.
type ledgerState struct {
	Version int                     `json:"version"`
	Day     string                  `json:"day"`
	Today   map[string]FeatureUsage `json:"today"`
	AllTime map[string]FeatureUsage `json:"all_time"`
	Since   time.Time               `json:"since,omitzero"`
}

const ledgerVersion = 1

func newLedgerState() ledgerState {
	return ledgerState{Version: ledgerVersion, Today: map[string]FeatureUsage{}, AllTime: map[string]FeatureUsage{}}
}

func dayOf(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// rollover starts a new day's counts when now is past the ledger's day.
func (s *ledgerState) rollover(now time.Time) {
	if day := dayOf(now); s.Day != day {
		s.Day = day
		s.Today = map[string]FeatureUsage{}
	}
}

func (s *ledgerState) todayTokens() int {
	total := 0
	for _, u := range s.Today {
		total += u.Total()
	}
	return total
}

// record adds v under feature for today and for all time.
func (s *ledgerState) record(now time.Time, feature string, v FeatureUsage) {
	s.rollover(now)
	if s.Since.IsZero() {
		s.Since = now.UTC()
	}
	today := s.Today[feature]
	today.add(v)
	s.Today[feature] = today
	all := s.AllTime[feature]
	all.add(v)
	s.AllTime[feature] = all
}

func (s *ledgerState) snapshot(budget int) Ledger {
	l := Ledger{
		Day:         s.Day,
		Today:       maps.Clone(s.Today),
		AllTime:     maps.Clone(s.AllTime),
		Since:       s.Since,
		DailyBudget: budget,
		TodayTokens: s.todayTokens(),
		Remaining:   -1,
	}
	if budget > 0 {
		l.Remaining = max(0, budget-l.TodayTokens)
	}
	return l
}

func decodeLedgerState(data []byte) (ledgerState, error) {
	s := newLedgerState()
	if err := json.Unmarshal(data, &s); err != nil {
		return newLedgerState(), fmt.Errorf("decode ledger: %w", err)
	}
	if s.Version != ledgerVersion {
		return newLedgerState(), fmt.Errorf("decode ledger: version %d, want %d", s.Version, ledgerVersion)
	}
	if s.Today == nil {
		s.Today = map[string]FeatureUsage{}
	}
	if s.AllTime == nil {
		s.AllTime = map[string]FeatureUsage{}
	}
	return s, nil
}

// Usage returns the provider's token ledger.
func (p *Provider) Usage() Ledger {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ledger.rollover(p.clock())
	return p.ledger.snapshot(p.cfg.DailyTokenBudget)
}

// featureName is the ledger key of a request's feature.
func featureName(req copilot.Request) string {
	if req.Feature == "" {
		return "unnamed"
	}
	return req.Feature
}

// checkBudget refuses a call once today's tokens reached the budget.
func (p *Provider) checkBudget(feature string) error {
	if p.cfg.DailyTokenBudget <= 0 {
		return nil
	}
	p.mu.Lock()
	now := p.clock()
	p.ledger.rollover(now)
	spent := p.ledger.todayTokens()
	if spent < p.cfg.DailyTokenBudget {
		p.mu.Unlock()
		return nil
	}
	p.ledger.record(now, feature, FeatureUsage{RefusedCalls: 1})
	p.mu.Unlock()
	return fmt.Errorf("%w: %d of %d tokens used on %s (UTC)", copilot.ErrBudget, spent, p.cfg.DailyTokenBudget, dayOf(now))
}

// account records one call under its feature and saves the ledger.
func (p *Provider) account(ctx context.Context, feature string, v FeatureUsage) {
	p.mu.Lock()
	p.ledger.record(p.clock(), feature, v)
	p.mu.Unlock()
	p.saveLedger(ctx)
}

// usageEntry is the ledger entry of an answered call.
func usageEntry(u copilot.Usage, estimated bool) FeatureUsage {
	e := FeatureUsage{Calls: 1, PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens}
	if estimated {
		e.EstimatedTokens = u.Total()
	}
	return e
}

// ledgerIOTimeout bounds loading and saving the ledger: a slow store must
// not hold up answers.
const ledgerIOTimeout = 5 * time.Second

func (p *Provider) loadLedger() {
	if p.cfg.LedgerStore == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), ledgerIOTimeout)
	defer cancel()
	data, err := p.cfg.LedgerStore.LoadLedger(ctx)
	if err != nil {
		p.logger.Warn("copilot provider: loading the token ledger failed; starting empty", "err", err)
		return
	}
	if len(data) == 0 {
		return
	}
	s, err := decodeLedgerState(data)
	if err != nil {
		p.logger.Warn("copilot provider: the stored token ledger is unreadable; starting empty", "err", err)
		return
	}
	p.ledger = s
}

// saveLedger writes the ledger to the store. Saves are serialised so that a
// slower save of an older snapshot cannot overwrite a newer one; the call's
// context is detached from cancellation because the call has already
// happened and its tokens must be kept.
func (p *Provider) saveLedger(ctx context.Context) {
	if p.cfg.LedgerStore == nil {
		return
	}
	p.saveMu.Lock()
	defer p.saveMu.Unlock()
	p.mu.Lock()
	data, err := json.Marshal(p.ledger)
	p.mu.Unlock()
	if err != nil {
		p.logger.Warn("copilot provider: encoding the token ledger failed", "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ledgerIOTimeout)
	defer cancel()
	if err := p.cfg.LedgerStore.SaveLedger(ctx, data); err != nil {
		p.logger.Warn("copilot provider: saving the token ledger failed", "err", err)
	}
}
