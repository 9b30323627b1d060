package provider

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/copilot"
	"github.com/bulwarkhq/bulwark/copilot/llmtest"
)

// fakeClock is a settable Config.Clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// fixedUsage answers every request with the given token counts.
func fixedUsage(prompt, completion int) llmtest.Script {
	return func(req llmtest.ChatRequest) llmtest.Reply {
		return llmtest.Reply{Text: "answer to " + req.LastMessage().Content, Usage: &llmtest.Usage{PromptTokens: prompt, CompletionTokens: completion}}
	}
}

func TestBudgetExhaustion(t *testing.T) {
	srv := llmtest.New(t, fixedUsage(8, 4))
	p := newTestProvider(t, srv, func(c *Config) { c.DailyTokenBudget = 20 })
	ctx := context.Background()
	for i, q := range []string{"first", "second"} { // 12, then 24 tokens
		if _, err := p.Complete(ctx, ask("summary", q)); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	for _, streamed := range []bool{false, true} {
		var err error
		if streamed {
			_, err = p.Stream(ctx, ask("query", "third"), nil)
		} else {
			_, err = p.Complete(ctx, ask("query", "third"))
		}
		if !errors.Is(err, copilot.ErrBudget) {
			t.Fatalf("streamed=%v: err = %v, want ErrBudget", streamed, err)
		}
	}
	if n := srv.RequestCount(); n != 2 {
		t.Errorf("%d requests sent, want 2: refused calls must not reach the server", n)
	}
	l := p.Usage()
	if l.DailyBudget != 20 || l.TodayTokens != 24 || l.Remaining != 0 {
		t.Errorf("ledger budget %d today %d remaining %d", l.DailyBudget, l.TodayTokens, l.Remaining)
	}
	if u := l.Today["query"]; u.RefusedCalls != 2 || u.Calls != 0 {
		t.Errorf("query usage %+v", u)
	}
}

func TestBudgetResetsOnNewUTCDay(t *testing.T) {
	// 23:30 in New York on 1 March is 04:30 UTC on 2 March: days are UTC.
	ny := time.FixedZone("EST", -5*3600)
	clock := &fakeClock{now: time.Date(2026, 3, 1, 23, 30, 0, 0, ny)}
	srv := llmtest.New(t, fixedUsage(10, 10))
	p := newTestProvider(t, srv, func(c *Config) { c.DailyTokenBudget = 20; c.Clock = clock.Now })
	ctx := context.Background()
	if _, err := p.Complete(ctx, ask("ask", "one")); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Complete(ctx, ask("ask", "two")); !errors.Is(err, copilot.ErrBudget) {
		t.Fatalf("err = %v, want ErrBudget", err)
	}
	if day := p.Usage().Day; day != "2026-03-02" {
		t.Errorf("day %q, want the UTC day 2026-03-02", day)
	}
	clock.Set(time.Date(2026, 3, 2, 23, 59, 0, 0, time.UTC)) // still the same UTC day
	if _, err := p.Complete(ctx, ask("ask", "two")); !errors.Is(err, copilot.ErrBudget) {
		t.Fatalf("same UTC day: err = %v, want ErrBudget", err)
	}
	clock.Set(time.Date(2026, 3, 3, 0, 0, 1, 0, time.UTC))
	if _, err := p.Complete(ctx, ask("ask", "two")); err != nil {
		t.Fatalf("new UTC day: %v", err)
	}
	l := p.Usage()
	if l.Day != "2026-03-03" || l.TodayTokens != 20 || l.AllTime["ask"].Total() != 40 || l.Remaining != 0 {
		t.Errorf("ledger %+v", l)
	}
	// A day passing without calls resets the budget shown too.
	clock.Set(time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC))
	if l := p.Usage(); l.TodayTokens != 0 || l.Remaining != 20 || len(l.Today) != 0 {
		t.Errorf("next day's ledger %+v", l)
	}
}

func TestCacheHit(t *testing.T) {
	srv := llmtest.New(t, func(req llmtest.ChatRequest) llmtest.Reply {
		return llmtest.Reply{
			Text:      "cached answer",
			ToolCalls: []llmtest.ToolCall{llmtest.Call("call_1", "lookup", `{}`)},
			Usage:     &llmtest.Usage{PromptTokens: 7, CompletionTokens: 5},
		}
	})
	// A budget that the first call spends: the second must still be answered.
	p := newTestProvider(t, srv, func(c *Config) { c.DailyTokenBudget = 12 })
	ctx := context.Background()
	first, err := p.Complete(ctx, ask("summary", "same question"))
	if err != nil {
		t.Fatal(err)
	}
	if first.Cached {
		t.Error("first answer marked cached")
	}
	first.Message.ToolCalls[0].Name = "edited by the caller"
	second, err := p.Complete(ctx, ask("query", "same question")) // another feature, same request
	if err != nil {
		t.Fatal(err)
	}
	if !second.Cached || second.Message.Content != "cached answer" || second.Usage.Total() != 12 {
		t.Errorf("second answer %+v", second)
	}
	if second.Message.ToolCalls[0].Name != "lookup" {
		t.Errorf("the cache handed out the caller's edit: %+v", second.Message.ToolCalls)
	}
	var deltas []string
	third, err := p.Stream(ctx, ask("query", "same question"), func(d string) error {
		deltas = append(deltas, d)
		return nil
	})
	if err != nil || !third.Cached || strings.Join(deltas, "") != "cached answer" {
		t.Errorf("streamed from cache: %+v, deltas %q, err %v", third, deltas, err)
	}
	if n := srv.RequestCount(); n != 1 {
		t.Errorf("%d upstream requests, want 1", n)
	}
	l := p.Usage()
	if l.TodayTokens != 12 {
		t.Errorf("today's tokens %d, want 12: cached answers cost nothing", l.TodayTokens)
	}
	if u := l.Today["query"]; u.Calls != 2 || u.CachedCalls != 2 || u.Total() != 0 {
		t.Errorf("query usage %+v", u)
	}
}

func TestCacheKey(t *testing.T) {
	srv := llmtest.New(t, nil)
	p := newTestProvider(t, srv, nil)
	ctx := context.Background()
	hot, cold := 0.9, 0.0
	base := ask("ask", "q")
	variants := []func(*copilot.Request){
		func(*copilot.Request) {},
		func(r *copilot.Request) { r.Temperature = &hot },
		func(r *copilot.Request) { r.Temperature = &cold },
		func(r *copilot.Request) { r.MaxTokens = 50 },
		func(r *copilot.Request) { r.Tools = []copilot.ToolSpec{{Name: "t"}} },
		func(r *copilot.Request) {
			r.Messages = append([]copilot.Message{{Role: copilot.RoleSystem, Content: "s"}}, r.Messages...)
		},
	}
	for _, edit := range variants {
		req := base
		req.Messages = append([]copilot.Message(nil), base.Messages...)
		edit(&req)
		if resp, err := p.Complete(ctx, req); err != nil || resp.Cached {
			t.Fatalf("variant answered from cache (%v) or failed: %v", resp.Cached, err)
		}
	}
	if n := srv.RequestCount(); n != len(variants) {
		t.Errorf("%d requests, want %d", n, len(variants))
	}
}

func TestCacheDisabled(t *testing.T) {
	srv := llmtest.New(t, nil)
	p := newTestProvider(t, srv, func(c *Config) { c.CacheEntries = NoCache })
	for range 2 {
		if resp, err := p.Complete(context.Background(), ask("ask", "q")); err != nil || resp.Cached {
			t.Fatalf("cached=%v err=%v", resp.Cached, err)
		}
	}
	if n := srv.RequestCount(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := newResponseCache(2)
	key := func(s string) cacheKey {
		k, err := requestKey("m", ask("", s))
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	answer := func(s string) copilot.Response {
		return copilot.Response{Message: copilot.Message{Role: copilot.RoleAssistant, Content: s}}
	}
	c.put(key("a"), answer("a"))
	c.put(key("b"), answer("b"))
	c.get(key("a")) // a is now the most recently used
	c.put(key("c"), answer("c"))
	if _, ok := c.get(key("b")); ok {
		t.Error("b survived though it was least recently used")
	}
	for _, s := range []string{"a", "c"} {
		if got, ok := c.get(key(s)); !ok || got.Message.Content != s {
			t.Errorf("%s: %+v, %v", s, got, ok)
		}
	}
}

func TestLedgerPerFeature(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	srv := llmtest.New(t, func(req llmtest.ChatRequest) llmtest.Reply {
		n := len(req.LastMessage().Content)
		return llmtest.Reply{Text: "a", Usage: &llmtest.Usage{PromptTokens: n, CompletionTokens: 1}}
	})
	p := newTestProvider(t, srv, func(c *Config) { c.Clock = clock.Now; c.DailyTokenBudget = 1000 })
	ctx := context.Background()
	calls := []struct{ feature, text string }{
		{"summary", "1234567890"}, // 11 tokens
		{"summary", "12345"},      // 6
		{"query", "123"},          // 4
		{"", "12"},                // 3, unnamed
	}
	for _, c := range calls {
		if _, err := p.Complete(ctx, ask(c.feature, c.text)); err != nil {
			t.Fatal(err)
		}
	}
	clock.Set(clock.Now().Add(24 * time.Hour))
	if _, err := p.Complete(ctx, ask("query", "1234")); err != nil { // 5, the next day
		t.Fatal(err)
	}
	l := p.Usage()
	want := map[string]FeatureUsage{"query": {Calls: 1, PromptTokens: 4, CompletionTokens: 1}}
	if !equalUsage(l.Today, want) {
		t.Errorf("today %+v, want %+v", l.Today, want)
	}
	wantAll := map[string]FeatureUsage{
		"summary": {Calls: 2, PromptTokens: 15, CompletionTokens: 2},
		"query":   {Calls: 2, PromptTokens: 7, CompletionTokens: 2},
		"unnamed": {Calls: 1, PromptTokens: 2, CompletionTokens: 1},
	}
	if !equalUsage(l.AllTime, wantAll) {
		t.Errorf("all time %+v, want %+v", l.AllTime, wantAll)
	}
	if l.TodayTokens != 5 || l.Remaining != 995 || !l.Since.Equal(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("ledger %+v", l)
	}
	// The snapshot is the caller's: editing it leaves the provider's alone.
	l.AllTime["summary"] = FeatureUsage{}
	if p.Usage().AllTime["summary"].Calls != 2 {
		t.Error("Usage() shares its maps with the provider")
	}
}

func equalUsage(a, b map[string]FeatureUsage) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// memoryStore is a LedgerStore in memory; fail makes every call fail.
type memoryStore struct {
	mu    sync.Mutex
	data  []byte
	saves int
	fail  error
}

func (s *memoryStore) LoadLedger(context.Context) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.data), s.fail
}

func (s *memoryStore) SaveLedger(_ context.Context, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.data = bytes.Clone(data)
	s.saves++
	return nil
}

func TestLedgerPersistence(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)}
	srv := llmtest.New(t, fixedUsage(30, 10))
	store := &memoryStore{}
	edit := func(c *Config) { c.Clock = clock.Now; c.LedgerStore = store; c.DailyTokenBudget = 100 }
	ctx := context.Background()

	first := newTestProvider(t, srv, edit)
	for _, q := range []string{"a", "b"} {
		if _, err := first.Complete(ctx, ask("summary", q)); err != nil {
			t.Fatal(err)
		}
	}
	if store.saves != 2 {
		t.Errorf("%d saves, want one per call", store.saves)
	}

	// A restart keeps today's spending: 80 of 100 tokens are gone.
	restarted := newTestProvider(t, srv, edit)
	if got, want := restarted.Usage(), first.Usage(); got.TodayTokens != 80 || !equalUsage(got.AllTime, want.AllTime) || !got.Since.Equal(want.Since) {
		t.Errorf("after restart %+v, want %+v", got, want)
	}
	if _, err := restarted.Complete(ctx, ask("summary", "c")); err != nil { // 120 now
		t.Fatal(err)
	}
	if _, err := restarted.Complete(ctx, ask("summary", "d")); !errors.Is(err, copilot.ErrBudget) {
		t.Errorf("err = %v, want ErrBudget carried across the restart", err)
	}

	// The next UTC day starts fresh, all-time counts kept.
	clock.Set(time.Date(2026, 5, 2, 8, 0, 0, 0, time.UTC))
	again := newTestProvider(t, srv, edit)
	if l := again.Usage(); l.TodayTokens != 0 || l.AllTime["summary"].Total() != 120 {
		t.Errorf("next day %+v", l)
	}
}

func TestLedgerStoreFailuresAreLoggedNotReturned(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	srv := llmtest.New(t, fixedUsage(1, 1))
	ctx := context.Background()

	failing := &memoryStore{fail: errors.New("disk full")}
	p := newTestProvider(t, srv, func(c *Config) { c.LedgerStore = failing; c.Logger = logger })
	if _, err := p.Complete(ctx, ask("ask", "q")); err != nil {
		t.Fatalf("a failing ledger store failed the call: %v", err)
	}
	if !strings.Contains(logs.String(), "disk full") {
		t.Errorf("store failure not logged: %s", logs.String())
	}

	logs.Reset()
	corrupt := &memoryStore{data: []byte("{not json")}
	p = newTestProvider(t, srv, func(c *Config) { c.LedgerStore = corrupt; c.Logger = logger })
	if l := p.Usage(); len(l.AllTime) != 0 {
		t.Errorf("corrupt ledger loaded: %+v", l)
	}
	if !strings.Contains(logs.String(), "unreadable") {
		t.Errorf("corrupt ledger not logged: %s", logs.String())
	}
	if _, err := p.Complete(ctx, ask("ask", "q2")); err != nil {
		t.Fatal(err)
	}
	if _, err := decodeLedgerState(corrupt.data); err != nil {
		t.Errorf("the corrupt ledger was not replaced by a good one: %v", err)
	}
}

func TestConfigFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		want    Config
		wantErr error // nil: success; otherwise errors.Is target, or errAny
	}{
		{
			name:    "nothing set",
			env:     map[string]string{},
			wantErr: copilot.ErrNoProvider,
		},
		{
			name:    "model missing",
			env:     map[string]string{EnvBaseURL: "http://127.0.0.1:11434/v1"},
			wantErr: copilot.ErrNoProvider,
		},
		{
			name: "ollama without key",
			env:  map[string]string{EnvBaseURL: "http://127.0.0.1:11434/v1", EnvModel: "llama3.1"},
			want: Config{BaseURL: "http://127.0.0.1:11434/v1", Model: "llama3.1"},
		},
		{
			name: "openai key as fallback, budget",
			env:  map[string]string{EnvBaseURL: "https://api.openai.com/v1", EnvModel: "gpt-4o-mini", EnvOpenAIKey: "sk-o", EnvDailyTokens: "200000"},
			want: Config{BaseURL: "https://api.openai.com/v1", Model: "gpt-4o-mini", APIKeyEnv: EnvOpenAIKey, DailyTokenBudget: 200000},
		},
		{
			name: "bulwark key first",
			env:  map[string]string{EnvBaseURL: "https://api.openai.com/v1", EnvModel: "gpt-4o-mini", EnvOpenAIKey: "sk-o", EnvAPIKey: "sk-b"},
			want: Config{BaseURL: "https://api.openai.com/v1", Model: "gpt-4o-mini", APIKeyEnv: EnvAPIKey},
		},
		{
			name:    "bad budget",
			env:     map[string]string{EnvBaseURL: "http://x/v1", EnvModel: "m", EnvDailyTokens: "lots"},
			wantErr: errAny,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{EnvBaseURL, EnvModel, EnvAPIKey, EnvOpenAIKey, EnvDailyTokens} {
				t.Setenv(k, tc.env[k])
			}
			cfg, err := ConfigFromEnv()
			switch {
			case tc.wantErr == errAny && err != nil:
			case tc.wantErr != nil && errors.Is(err, tc.wantErr):
			case tc.wantErr == nil && err == nil:
				if cfg.BaseURL != tc.want.BaseURL || cfg.Model != tc.want.Model || cfg.APIKeyEnv != tc.want.APIKeyEnv || cfg.APIKey != "" || cfg.DailyTokenBudget != tc.want.DailyTokenBudget {
					t.Errorf("config %+v, want %+v", cfg, tc.want)
				}
			default:
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

var errAny = errors.New("any error")

func TestFromEnvSendsTheKey(t *testing.T) {
	srv := llmtest.New(t, nil)
	t.Setenv(EnvBaseURL, srv.URL)
	t.Setenv(EnvModel, "env-model")
	t.Setenv(EnvAPIKey, "sk-env")
	t.Setenv(EnvOpenAIKey, "")
	t.Setenv(EnvDailyTokens, "")
	p, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Complete(context.Background(), ask("ask", "q")); err != nil {
		t.Fatal(err)
	}
	got := srv.Requests()[0]
	if got.Model != "env-model" || got.Header.Get("Authorization") != "Bearer sk-env" {
		t.Errorf("model %q, Authorization %q", got.Model, got.Header.Get("Authorization"))
	}
}

func TestConcurrentCallsAreAllCounted(t *testing.T) {
	srv := llmtest.New(t, fixedUsage(2, 1))
	store := &memoryStore{}
	p := newTestProvider(t, srv, func(c *Config) { c.LedgerStore = store })
	const calls = 20
	var wg sync.WaitGroup
	for i := range calls {
		wg.Go(func() {
			feature := []string{"summary", "query"}[i%2]
			if _, err := p.Complete(context.Background(), ask(feature, strings.Repeat("q", i+1))); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	l := p.Usage()
	if l.TodayTokens != 3*calls || l.AllTime["summary"].Calls+l.AllTime["query"].Calls != calls {
		t.Errorf("ledger %+v", l)
	}
	// The last save holds every call.
	s, err := decodeLedgerState(store.data)
	if err != nil || s.todayTokens() != 3*calls {
		t.Errorf("saved ledger has %d tokens, err %v", s.todayTokens(), err)
	}
}
