package provider

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/bulwarkhq/bulwark/copilot"
)

// Environment variables read by ConfigFromEnv.
const (
	EnvBaseURL     = "BULWARK_LLM_BASE_URL"
	EnvModel       = "BULWARK_LLM_MODEL"
	EnvAPIKey      = "BULWARK_LLM_API_KEY"
	EnvOpenAIKey   = "OPENAI_API_KEY" // read when EnvAPIKey is unset
	EnvDailyTokens = "BULWARK_LLM_DAILY_TOKENS"
)

// ConfigFromEnv builds a Config from BULWARK_LLM_BASE_URL,
// BULWARK_LLM_MODEL, BULWARK_LLM_API_KEY (or OPENAI_API_KEY) and
// BULWARK_LLM_DAILY_TOKENS. It fails with copilot.ErrNoProvider when the
// base URL or the model is unset, which callers take as "answer offline".
//
// The key stays in the environment: the Config names the variable
// (APIKeyEnv) rather than holding the secret, so printing a Config leaks
// nothing.
func ConfigFromEnv() (Config, error) {
	cfg := Config{
		BaseURL: strings.TrimSpace(os.Getenv(EnvBaseURL)),
		Model:   strings.TrimSpace(os.Getenv(EnvModel)),
	}
	if cfg.BaseURL == "" || cfg.Model == "" {
		return Config{}, fmt.Errorf("provider: %s and %s must both be set: %w", EnvBaseURL, EnvModel, copilot.ErrNoProvider)
	}
	switch {
	case os.Getenv(EnvAPIKey) != "":
		cfg.APIKeyEnv = EnvAPIKey
	case os.Getenv(EnvOpenAIKey) != "":
		cfg.APIKeyEnv = EnvOpenAIKey
	}
	if s := strings.TrimSpace(os.Getenv(EnvDailyTokens)); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return Config{}, fmt.Errorf("provider: %s=%q is not a token count", EnvDailyTokens, s)
		}
		cfg.DailyTokenBudget = n
	}
	return cfg, nil
}

// FromEnv is New(ConfigFromEnv()).
func FromEnv() (*Provider, error) {
	cfg, err := ConfigFromEnv()
	if err != nil {
		return nil, err
	}
	return New(cfg)
}
