package pattern

import (
	"cmp"
	"slices"
	"strings"
)

// part is one piece of a token shape: either a literal or a run of bytes
// from a charset with a length range.
type part struct {
	lit      string
	set      uint16
	min, max int
}

// tokenRule is a secret format recognised by a fixed prefix at a word start
// followed by a shape. Rules with no prefix start with any byte of firsts.
type tokenRule struct {
	kind   string
	what   string // words for the finding's Detail
	prefix string
	firsts string
	parts  []part
	score  float64
	// url marks rules whose token is the host and path of a URL, so the
	// span is widened to take in the scheme.
	url bool
}

// match returns the end of the token starting at s[i], or -1. The run for
// a part reads at most max+1 bytes, which both bounds the work and enforces
// the length: a run longer than max is a different, longer token.
func (r *tokenRule) match(s string, i int) int {
	j := i
	if r.prefix != "" {
		if !strings.HasPrefix(s[j:], r.prefix) {
			return -1
		}
		j += len(r.prefix)
	}
	for k, p := range r.parts {
		if p.lit != "" {
			if !strings.HasPrefix(s[j:], p.lit) {
				return -1
			}
			j += len(p.lit)
			continue
		}
		// Before a literal the run stops at max, since the literal's bytes
		// may belong to the set (OpenAI's "T3BlbkFJ" inside alphanumerics).
		limit := p.max + 1
		if k+1 < len(r.parts) && r.parts[k+1].lit != "" {
			limit = p.max
		}
		e := run(s, j, p.set, limit)
		if n := e - j; n < p.min || n > p.max {
			return -1
		}
		j = e
	}
	// A token glued to further letters or digits (a hex body followed by
	// "g", say) is some other string.
	if j < len(s) && isAlnum(s[j]) {
		return -1
	}
	return j
}

func body(set uint16, lo, hi int) []part { return []part{{set: set, min: lo, max: hi}} }

// prefixed builds one rule per prefix sharing kind and body.
func prefixed(kind, what string, score float64, parts []part, prefixes ...string) []tokenRule {
	rs := make([]tokenRule, len(prefixes))
	for i, p := range prefixes {
		rs[i] = tokenRule{kind: kind, what: what, prefix: p, parts: parts, score: score}
	}
	return rs
}

// tokenRules are the prefixed secret formats. Lengths and alphabets follow
// the vendors' published token formats; where a vendor documents only a
// prefix the body range is kept generous but bounded.
var tokenRules = slices.Concat(
	prefixed("aws_access_key", "AWS access key ID", 0.95, body(setUpperNum, 16, 16), "AKIA", "ASIA", "ABIA", "ACCA"),
	prefixed("github_token", "GitHub token", 0.95, body(setAlnum, 36, 36), "ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
	prefixed("github_token", "GitHub fine-grained token", 0.95, body(setWord, 70, 255), "github_pat_"),
	prefixed("gitlab_token", "GitLab token", 0.95, body(setB64URL|cDot, 20, 128), "glpat-", "gldt-", "glrt-", "glcbt-", "glptt-", "gloas-"),
	prefixed("slack_token", "Slack token", 0.95, body(setAlnum|cDash, 10, 250), "xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-", "xoxe-", "xoxe.xoxp-", "xapp-"),
	[]tokenRule{{kind: "slack_webhook", what: "Slack incoming webhook URL", prefix: "hooks.slack.com/", url: true, score: 0.95,
		parts: []part{{lit: "services/"}, {set: setUpperNum, min: 8, max: 12}, {lit: "/"}, {set: setUpperNum, min: 8, max: 12}, {lit: "/"}, {set: setAlnum, min: 20, max: 32}}}},
	prefixed("stripe_secret_key", "Stripe live secret key", 0.95, body(setAlnum, 20, 250), "sk_live_", "rk_live_"),
	prefixed("stripe_test_key", "Stripe test secret key", 0.7, body(setAlnum, 20, 250), "sk_test_", "rk_test_"),
	prefixed("stripe_webhook_secret", "Stripe webhook signing secret", 0.9, body(setAlnum, 32, 64), "whsec_"),
	prefixed("google_api_key", "Google API key", 0.9, body(setB64URL, 35, 35), "AIza"),
	prefixed("google_oauth_secret", "Google OAuth client secret", 0.95, body(setB64URL, 28, 28), "GOCSPX-"),
	prefixed("google_oauth_token", "Google OAuth access token", 0.85, body(setB64URL, 30, 2048), "ya29."),
	prefixed("openai_api_key", "OpenAI API key", 0.95, body(setB64URL, 20, 300), "sk-proj-", "sk-svcacct-", "sk-admin-"),
	[]tokenRule{{kind: "openai_api_key", what: "OpenAI API key", prefix: "sk-", score: 0.9,
		parts: []part{{set: setAlnum, min: 20, max: 20}, {lit: "T3BlbkFJ"}, {set: setAlnum, min: 20, max: 20}}}},
	prefixed("api_key", "API key with an sk- prefix", 0.75, body(setAlnum, 32, 64), "sk-"),
	prefixed("anthropic_api_key", "Anthropic API key", 0.95, body(setB64URL, 32, 300), "sk-ant-"),
	prefixed("huggingface_token", "Hugging Face token", 0.9, body(setAlnum, 34, 34), "hf_", "api_org_"),
	prefixed("npm_token", "npm access token", 0.95, body(setAlnum, 36, 36), "npm_"),
	prefixed("pypi_token", "PyPI upload token", 0.95, body(setB64URL, 50, 1000), "pypi-AgEIcHlwaS5vcmc", "pypi-AgENdGVzdC5weXBpLm9yZw"),
	prefixed("twilio_api_key", "Twilio API key SID", 0.8, body(setHex, 32, 32), "SK"),
	prefixed("twilio_account_sid", "Twilio account SID", 0.55, body(setHex, 32, 32), "AC"),
	[]tokenRule{{kind: "sendgrid_api_key", what: "SendGrid API key", prefix: "SG.", score: 0.95,
		parts: []part{{set: setB64URL, min: 22, max: 22}, {lit: "."}, {set: setB64URL, min: 43, max: 43}}}},
	prefixed("mailgun_api_key", "Mailgun API key", 0.8, body(setLowerNum, 32, 32), "key-"),
	prefixed("shopify_token", "Shopify access token", 0.95, body(setHexAny, 32, 32), "shpat_", "shpca_", "shppa_", "shpss_"),
	[]tokenRule{{kind: "discord_bot_token", what: "Discord bot token", firsts: "MNO", score: 0.85,
		parts: []part{{set: setAlnum, min: 24, max: 26}, {lit: "."}, {set: setB64URL, min: 6, max: 6}, {lit: "."}, {set: setB64URL, min: 27, max: 38}}}},
	prefixed("discord_webhook", "Discord webhook URL", 0.95,
		[]part{{lit: "api/webhooks/"}, {set: cDigit, min: 17, max: 20}, {lit: "/"}, {set: setB64URL, min: 60, max: 68}},
		"discord.com/", "discordapp.com/"),
	[]tokenRule{{kind: "telegram_bot_token", what: "Telegram bot token", firsts: "123456789", score: 0.9,
		parts: []part{{set: cDigit, min: 8, max: 10}, {lit: ":"}, {set: setB64URL, min: 35, max: 35}}}},
	// In Bot API URLs the token follows "bot": api.telegram.org/bot<token>/getMe.
	[]tokenRule{{kind: "telegram_bot_token", what: "Telegram bot token", prefix: "bot", score: 0.9,
		parts: []part{{set: cDigit, min: 8, max: 10}, {lit: ":"}, {set: setB64URL, min: 35, max: 35}}}},
	[]tokenRule{{kind: "jwt", what: "JSON Web Token", prefix: "eyJ", score: 0.9,
		parts: []part{{set: setB64URL, min: 10, max: 8192}, {lit: "."}, {set: setB64URL, min: 10, max: 16384}, {lit: "."}, {set: setB64URL, min: 0, max: 8192}}}},
	prefixed("digitalocean_token", "DigitalOcean token", 0.95, body(setHex, 64, 64), "dop_v1_", "doo_v1_", "dor_v1_"),
	prefixed("heroku_api_key", "Heroku API key", 0.9, body(setB64URL, 36, 70), "HRKU-"),
	prefixed("square_token", "Square access token", 0.95, body(setB64URL, 22, 22), "sq0atp-"),
	prefixed("square_token", "Square OAuth secret", 0.95, body(setB64URL, 43, 43), "sq0csp-"),
	prefixed("atlassian_api_token", "Atlassian API token", 0.95, body(setB64URL|cEq, 150, 300), "ATATT3", "ATCTT3"),
	prefixed("bitbucket_app_password", "Bitbucket app password", 0.85, body(setAlnum, 32, 32), "ATBB"),
	prefixed("databricks_token", "Databricks access token", 0.9, body(setHex, 32, 32), "dapi"),
	prefixed("doppler_token", "Doppler token", 0.95, body(setAlnum, 40, 44), "dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "dp.scim.", "dp.audit."),
	[]tokenRule{{kind: "postman_api_key", what: "Postman API key", prefix: "PMAK-", score: 0.95,
		parts: []part{{set: setHexAny, min: 24, max: 24}, {lit: "-"}, {set: setHexAny, min: 34, max: 34}}}},
	prefixed("age_secret_key", "age secret key", 0.99, body(setUpperNum, 58, 58), "AGE-SECRET-KEY-1"),
	prefixed("vault_token", "HashiCorp Vault token", 0.9, body(setB64URL, 24, 512), "hvs.", "hvb."),
	[]tokenRule{{kind: "grafana_token", what: "Grafana service account token", prefix: "glsa_", score: 0.95,
		parts: []part{{set: setAlnum, min: 32, max: 32}, {lit: "_"}, {set: setHexAny, min: 8, max: 8}}}},
	prefixed("grafana_token", "Grafana Cloud token", 0.9, body(setB64|cEq, 32, 400), "glc_"),
	prefixed("linear_api_key", "Linear API key", 0.95, body(setAlnum, 40, 40), "lin_api_"),
	prefixed("notion_token", "Notion integration token", 0.9, body(setAlnum, 40, 50), "ntn_"),
	prefixed("sentry_token", "Sentry auth token", 0.95, body(setB64|cEq|cUnder, 60, 400), "sntrys_"),
	prefixed("sentry_token", "Sentry user token", 0.95, body(setHex, 64, 64), "sntryu_"),
	prefixed("newrelic_api_key", "New Relic API key", 0.9, body(setUpperNum, 27, 27), "NRAK-"),
	[]tokenRule{{kind: "dynatrace_token", what: "Dynatrace token", prefix: "dt0c01.", score: 0.95,
		parts: []part{{set: setUpperNum, min: 24, max: 24}, {lit: "."}, {set: setUpperNum, min: 64, max: 64}}}},
	prefixed("figma_token", "Figma personal access token", 0.9, body(setB64URL, 40, 40), "figd_"),
	prefixed("planetscale_token", "PlanetScale token", 0.95, body(setB64URL|cDot, 32, 64), "pscale_tkn_", "pscale_pw_", "pscale_oauth_"),
	prefixed("groq_api_key", "Groq API key", 0.95, body(setAlnum, 52, 52), "gsk_"),
	prefixed("xai_api_key", "xAI API key", 0.95, body(setAlnum, 80, 80), "xai-"),
	prefixed("replicate_token", "Replicate API token", 0.9, body(setAlnum, 37, 37), "r8_"),
	prefixed("perplexity_api_key", "Perplexity API key", 0.95, body(setAlnum, 48, 48), "pplx-"),
	prefixed("alibaba_access_key", "Alibaba Cloud AccessKey ID", 0.85, body(setAlnum, 20, 20), "LTAI"),
	[]tokenRule{{kind: "mapbox_secret_token", what: "Mapbox secret token", prefix: "sk.eyJ", score: 0.9,
		parts: []part{{set: setB64URL, min: 20, max: 512}, {lit: "."}, {set: setB64URL, min: 10, max: 128}}}},
	prefixed("onepassword_token", "1Password service account token", 0.95, body(setB64|cEq, 250, 4096), "ops_eyJ"),
	prefixed("supabase_token", "Supabase access token", 0.9, body(setHex, 40, 40), "sbp_"),
	prefixed("tailscale_key", "Tailscale key", 0.9, body(setAlnum|cDash, 20, 100), "tskey-"),
	prefixed("pulumi_token", "Pulumi access token", 0.95, body(setHex, 40, 40), "pul-"),
	prefixed("buildkite_token", "Buildkite API token", 0.95, body(setHex, 40, 40), "bkua_"),
	prefixed("facebook_token", "Facebook access token", 0.85, body(setAlnum, 20, 400), "EAACEdEose0cBA"),
	prefixed("adobe_client_secret", "Adobe client secret", 0.9, body(setAlnum, 32, 32), "p8e-"),
	prefixed("dropbox_token", "Dropbox short-lived token", 0.85, body(setB64URL, 130, 160), "sl."),
	prefixed("netlify_token", "Netlify access token", 0.9, body(setB64URL, 36, 64), "nfp_"),
	[]tokenRule{{kind: "langsmith_api_key", what: "LangSmith API key", prefix: "lsv2_", score: 0.95,
		parts: []part{{set: cLower, min: 2, max: 2}, {lit: "_"}, {set: setHex, min: 32, max: 32}, {lit: "_"}, {set: setHex, min: 10, max: 10}}}},
	prefixed("elevenlabs_api_key", "ElevenLabs API key", 0.85, body(setHex, 48, 48), "sk_"),
	prefixed("shippo_token", "Shippo API token", 0.95, body(setHex, 40, 40), "shippo_live_", "shippo_test_"),
)

// byFirst indexes the rules by the byte a token starts with; within a byte
// longer prefixes come first so that "sk-ant-" wins over "sk-".
var byFirst = func() (t [256][]*tokenRule) {
	for i := range tokenRules {
		r := &tokenRules[i]
		firsts := r.firsts
		if r.prefix != "" {
			firsts = r.prefix[:1]
		}
		for j := 0; j < len(firsts); j++ {
			t[firsts[j]] = append(t[firsts[j]], r)
		}
	}
	for c := range t {
		slices.SortStableFunc(t[c], func(a, b *tokenRule) int { return cmp.Compare(len(b.prefix), len(a.prefix)) })
	}
	return t
}()

// matchToken returns the first rule matching a token at s[i] and its end.
func matchToken(s string, i int) (*tokenRule, int) {
	if i >= len(s) || !wordStart(s, i) {
		return nil, -1
	}
	for _, r := range byFirst[s[i]] {
		if e := r.match(s, i); e > i {
			return r, e
		}
	}
	return nil, -1
}
