// Package provider is the copilot's model provider for any OpenAI-compatible
// chat completions API (OpenAI, Ollama at http://127.0.0.1:11434/v1, vLLM,
// llama.cpp's server), built on the official openai-go SDK.
//
// Around the SDK it adds what an analyst-facing assistant needs: a timeout
// per call, retries with back-off on transient failures, a daily token
// budget, an LRU cache of answers, and a ledger of tokens per feature that
// can be kept across restarts. Errors satisfy errors.Is with
// copilot.ErrProvider, copilot.ErrBudget or context.DeadlineExceeded.
package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/param"

	"github.com/bulwarkhq/bulwark/copilot"
)

// Defaults for the zero values of Config.
const (
	DefaultTimeout      = 60 * time.Second
	DefaultMaxRetries   = 2
	DefaultCacheEntries = 256
)

// NoRetries and NoCache switch retries and the response cache off; the zero
// value of their fields means the default instead.
const (
	NoRetries = -1
	NoCache   = -1
)

// maxResponseBytes bounds what is read of one answer, streamed or not: no
// chat answer comes near it, and a broken server must not fill memory.
const maxResponseBytes = 16 << 20

// Config configures a Provider.
type Config struct {
	// BaseURL of the API, ending in /v1 for most servers:
	// https://api.openai.com/v1, http://127.0.0.1:11434/v1 (Ollama).
	BaseURL string
	// Model to ask: "gpt-4o-mini", "llama3.1", ...
	Model string
	// APIKey is sent as a bearer token; APIKeyEnv names an environment
	// variable to read it from when APIKey is empty. Local servers need
	// none.
	APIKey    string
	APIKeyEnv string
	// Name prefixes the model in Name() ("openai", "ollama"); guessed from
	// BaseURL when empty.
	Name string

	// Timeout bounds one Complete or Stream call, retries, back-off and the
	// whole stream included. 0 means DefaultTimeout.
	Timeout time.Duration
	// MaxRetries is how often a call is retried after a connection error or
	// an HTTP 408, 409, 429 or 5xx answer, with exponential back-off and
	// jitter, waiting as long as a Retry-After header asks. Other 4xx
	// answers are never retried. 0 means DefaultMaxRetries; NoRetries none.
	MaxRetries int

	// DailyTokenBudget bounds prompt+completion tokens per UTC day: once
	// the day's total reached it, calls fail with copilot.ErrBudget before
	// anything is sent. 0 is unlimited.
	DailyTokenBudget int
	// CacheEntries sizes the LRU cache of answers, keyed by the request's
	// model, messages, tools, max tokens and temperature. Cached answers
	// cost no budget. 0 means DefaultCacheEntries; NoCache disables it.
	CacheEntries int

	// LedgerStore, when set, keeps the token ledger across restarts.
	LedgerStore LedgerStore
	// Logger receives the ledger's load and save failures; slog.Default()
	// when nil.
	Logger *slog.Logger
	// Clock is the time source of the ledger and budget; time.Now when nil.
	Clock func() time.Time
	// HTTPClient sends the requests; a client of its own when nil.
	HTTPClient *http.Client
}

// Provider is a copilot.Provider for an OpenAI-compatible API. It is safe
// for concurrent use.
type Provider struct {
	cfg    Config
	name   string
	chat   openai.ChatCompletionService
	clock  func() time.Time
	logger *slog.Logger
	cache  *responseCache // nil when disabled

	mu     sync.Mutex // guards ledger
	ledger ledgerState
	saveMu sync.Mutex // serialises ledger saves
}

var _ copilot.Provider = (*Provider)(nil)

// New checks cfg, fills in defaults, loads the ledger from cfg.LedgerStore
// and returns the provider. It sends nothing to the API.
func New(cfg Config) (*Provider, error) {
	if cfg.BaseURL == "" || cfg.Model == "" {
		return nil, fmt.Errorf("provider: base URL and model are required: %w", copilot.ErrNoProvider)
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("provider: base URL %q is not an http(s) URL", cfg.BaseURL)
	}
	if cfg.APIKey == "" && cfg.APIKeyEnv != "" {
		cfg.APIKey = os.Getenv(cfg.APIKeyEnv)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = DefaultMaxRetries
	case cfg.MaxRetries < 0:
		cfg.MaxRetries = 0
	}
	if cfg.CacheEntries == 0 {
		cfg.CacheEntries = DefaultCacheEntries
	}
	if cfg.DailyTokenBudget < 0 {
		cfg.DailyTokenBudget = 0
	}
	p := &Provider{
		cfg:    cfg,
		name:   displayName(cfg, base),
		clock:  cfg.Clock,
		logger: cfg.Logger,
		ledger: newLedgerState(),
	}
	if p.clock == nil {
		p.clock = time.Now
	}
	if p.logger == nil {
		p.logger = slog.Default()
	}
	if cfg.CacheEntries > 0 {
		p.cache = newResponseCache(cfg.CacheEntries)
	}
	httpClient := cfg.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{}
	}
	// The chat service alone, not openai.NewClient: the client reads
	// OPENAI_API_KEY, OPENAI_BASE_URL and more from the environment, and an
	// OpenAI key must not be sent to whatever server BaseURL names.
	opts := []option.RequestOption{
		option.WithHTTPClient(httpClient),
		option.WithBaseURL(cfg.BaseURL),
		option.WithMaxRetries(cfg.MaxRetries),
		option.WithMiddleware(limitResponseBody),
	}
	if cfg.APIKey != "" {
		opts = append(opts, option.WithAPIKey(cfg.APIKey))
	}
	p.chat = openai.NewChatCompletionService(opts...)
	p.loadLedger()
	return p, nil
}

// displayName is "prefix:model", the prefix guessed from the URL when the
// config names none.
func displayName(cfg Config, base *url.URL) string {
	prefix := cfg.Name
	switch {
	case prefix != "":
	case base.Hostname() == "api.openai.com":
		prefix = "openai"
	case base.Port() == "11434" || strings.Contains(base.Hostname(), "ollama"):
		prefix = "ollama"
	default:
		prefix = "openai-compatible"
	}
	return prefix + ":" + cfg.Model
}

// Name identifies the provider and model: "openai:gpt-4o-mini".
func (p *Provider) Name() string { return p.name }

// Complete returns the whole answer.
func (p *Provider) Complete(ctx context.Context, req copilot.Request) (copilot.Response, error) {
	return p.call(ctx, req, nil)
}

// Stream calls onDelta with each piece of answer text as it arrives and
// returns the whole answer, tool calls included. An answer from the cache
// arrives as one delta. An error from onDelta ends the stream and is
// returned.
func (p *Provider) Stream(ctx context.Context, req copilot.Request, onDelta func(text string) error) (copilot.Response, error) {
	if onDelta == nil {
		onDelta = func(string) error { return nil }
	}
	return p.call(ctx, req, onDelta)
}

// call answers from the cache or the API; onDelta nil means not streamed.
func (p *Provider) call(ctx context.Context, req copilot.Request, onDelta func(string) error) (copilot.Response, error) {
	feature := featureName(req)
	if len(req.Messages) == 0 {
		return copilot.Response{}, errors.New("provider: request has no messages")
	}
	params, err := chatParams(p.cfg.Model, req)
	if err != nil {
		return copilot.Response{}, fmt.Errorf("provider: %w", err)
	}

	var key cacheKey
	if p.cache != nil {
		if key, err = requestKey(p.cfg.Model, req); err != nil {
			return copilot.Response{}, fmt.Errorf("provider: cache key: %w", err)
		}
		if resp, ok := p.cache.get(key); ok {
			if onDelta != nil && resp.Message.Content != "" {
				if err := onDelta(resp.Message.Content); err != nil {
					return copilot.Response{}, err
				}
			}
			resp.Cached = true
			p.account(ctx, feature, FeatureUsage{Calls: 1, CachedCalls: 1})
			return resp, nil
		}
	}
	if err := p.checkBudget(feature); err != nil {
		return copilot.Response{}, err
	}

	callCtx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	var (
		resp      copilot.Response
		estimated bool
	)
	if onDelta == nil {
		resp, estimated, err = p.complete(callCtx, params)
	} else {
		resp, estimated, err = p.stream(callCtx, params, onDelta)
	}
	if err != nil {
		var aborted *callbackError
		if errors.As(err, &aborted) {
			// The caller stopped the stream; what the server counted is
			// unknown, so the call is recorded without tokens.
			p.account(ctx, feature, FeatureUsage{Calls: 1})
			return copilot.Response{}, aborted.err
		}
		p.account(ctx, feature, FeatureUsage{FailedCalls: 1})
		return copilot.Response{}, p.callError(ctx, callCtx, err)
	}
	if estimated {
		resp.Usage = estimateUsage(req, resp.Message)
	}
	p.account(ctx, feature, usageEntry(resp.Usage, estimated))
	if p.cache != nil {
		p.cache.put(key, resp)
	}
	return resp, nil
}

func (p *Provider) complete(ctx context.Context, params openai.ChatCompletionNewParams) (copilot.Response, bool, error) {
	completion, err := p.chat.New(ctx, params)
	if err != nil {
		return copilot.Response{}, false, err
	}
	return fromCompletion(completion)
}

// callbackError carries an error returned by onDelta, which is the
// caller's own and is handed back unwrapped.
type callbackError struct{ err error }

func (e *callbackError) Error() string { return e.err.Error() }

func (p *Provider) stream(ctx context.Context, params openai.ChatCompletionNewParams, onDelta func(string) error) (copilot.Response, bool, error) {
	params.StreamOptions.IncludeUsage = param.NewOpt(true)
	stream := p.chat.NewStreaming(ctx, params)
	defer stream.Close()
	var acc streamAccumulator
	for stream.Next() {
		delta, err := acc.add(stream.Current())
		if err != nil {
			return copilot.Response{}, false, err
		}
		if delta == "" {
			continue
		}
		if err := onDelta(delta); err != nil {
			return copilot.Response{}, false, &callbackError{err: err}
		}
	}
	if err := stream.Err(); err != nil {
		return copilot.Response{}, false, err
	}
	// The SDK ends a stream quietly when the connection drops; every
	// OpenAI-compatible server sends a finish reason before [DONE].
	if acc.finishReason == "" {
		return copilot.Response{}, false, errors.New("stream ended before the answer was finished")
	}
	resp, estimated := acc.response()
	return resp, estimated, nil
}

// callError wraps a failed call: copilot.ErrProvider always, with the HTTP
// status and the server's message when there was an answer, and
// context.DeadlineExceeded or context.Canceled when the call's time ran out
// or its caller gave up.
func (p *Provider) callError(ctx, callCtx context.Context, err error) error {
	var apiErr *openai.Error
	switch {
	case errors.As(err, &apiErr):
		return fmt.Errorf("%w: %s: %s", copilot.ErrProvider, p.name, describeAPIError(apiErr))
	case ctx.Err() != nil:
		return fmt.Errorf("%w: %s: %w", copilot.ErrProvider, p.name, ctx.Err())
	case callCtx.Err() != nil:
		return fmt.Errorf("%w: %s: no answer within %s: %w", copilot.ErrProvider, p.name, p.cfg.Timeout, context.DeadlineExceeded)
	default:
		return fmt.Errorf("%w: %s: %w", copilot.ErrProvider, p.name, err)
	}
}

// describeAPIError names the HTTP status and the server's own message,
// which openai.Error's Error method leaves out.
func describeAPIError(e *openai.Error) string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d", e.StatusCode)
	if text := http.StatusText(e.StatusCode); text != "" {
		b.WriteString(" " + text)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	var details []string
	if e.Type != "" {
		details = append(details, "type "+e.Type)
	}
	if e.Code != "" {
		details = append(details, "code "+e.Code)
	}
	if len(details) > 0 {
		b.WriteString(" (" + strings.Join(details, ", ") + ")")
	}
	return b.String()
}

// limitResponseBody caps every answer body at maxResponseBytes.
func limitResponseBody(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
	resp, err := next(req)
	if resp != nil && resp.Body != nil {
		resp.Body = &limitedBody{rc: resp.Body, left: maxResponseBytes}
	}
	return resp, err
}

// limitedBody fails reads past its limit instead of truncating quietly, so
// an oversized answer is an error, not a shorter answer.
type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, fmt.Errorf("answer larger than %d bytes", maxResponseBytes)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }
