package pattern

import (
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/guard"
)

func TestSecretsPositive(t *testing.T) {
	pem := func(label string) string {
		return "-----BEGIN " + label + "-----\n" + fake(alB64, 64) + "\n" + fake(alB64, 64) + "\n-----END " + label + "-----"
	}
	uuid := fake(alHex, 8) + "-" + fake(alHex, 4) + "-4" + fake(alHex, 3) + "-a" + fake(alHex, 3) + "-" + fake(alHex, 12)
	tests := []struct {
		kind, text, match string
	}{
		{"aws_access_key", "key id AKIA" + fake(alUpperNum, 16) + " in us-east-1", "AKIA"},
		{"aws_access_key", "ASIA" + fake(alUpperNum, 16), "ASIA"},
		{"aws_secret_key", "aws_secret_access_key = " + fake(alB64, 40), ""},
		{"aws_secret_key", `{"SecretAccessKey": "` + fake(alB64, 40) + `"}`, ""},
		{"github_token", "token ghp_" + fake(alAlnum, 36), "ghp_"},
		{"github_token", "gho_" + fake(alAlnum, 36), "gho_"},
		{"github_token", "ghs_" + fake(alAlnum, 36), "ghs_"},
		{"github_token", "github_pat_" + fake(alAlnum, 22) + "_" + fake(alAlnum, 59), "github_pat_"},
		{"gitlab_token", "export GITLAB=glpat-" + fake(alB64URL, 20), "glpat-"},
		{"slack_token", "xoxb-" + "123456789012-1234567890123-" + fake(alAlnum, 24), "xoxb-"},
		{"slack_webhook", "post to https://hooks.slack.com/services/T" + fake(alUpperNum, 8) + "/B" + fake(alUpperNum, 10) + "/" + fake(alAlnum, 24) + " now", "https://hooks.slack.com/services/T"},
		{"stripe_secret_key", "sk_live_" + fake(alAlnum, 24), "sk_live_"},
		{"stripe_secret_key", "rk_live_" + fake(alAlnum, 24), "rk_live_"},
		{"google_api_key", "key=AIza" + fake(alB64URL, 35), "AIza"},
		{"gcp_service_account_key", `{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\n` + fake(alB64, 64) + `\n` + fake(alB64, 64) + `\n-----END PRIVATE KEY-----\n"}`, "BEGIN PRIVATE KEY"},
		{"azure_storage_key", "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=" + fake(alB64, 86) + "==;EndpointSuffix=core.windows.net", "=="},
		{"openai_api_key", "OPENAI_API_KEY=sk-proj-" + fake(alB64URL, 100), "sk-proj-"},
		{"openai_api_key", "sk-" + fake(alAlnum, 20) + "T3BlbkFJ" + fake(alAlnum, 20), "T3BlbkFJ"},
		{"anthropic_api_key", "sk-ant-api03-" + fake(alB64URL, 93) + "AA", "sk-ant-"},
		{"huggingface_token", "hf_" + fake(alAlnum, 34), "hf_"},
		{"npm_token", "//registry.npmjs.org/:_authToken=npm_" + fake(alAlnum, 36), "npm_"},
		{"pypi_token", "password = pypi-AgEIcHlwaS5vcmc" + fake(alB64URL, 60), "pypi-"},
		{"twilio_api_key", "SK" + fake(alHex, 32), "SK"},
		{"twilio_account_sid", "AC" + fake(alHex, 32), "AC"},
		{"sendgrid_api_key", "SG." + fake(alB64URL, 22) + "." + fake(alB64URL, 43), "SG."},
		{"mailgun_api_key", "key-" + fake(alHex, 32), "key-"},
		{"shopify_token", "shpat_" + fake(alHex, 32), "shpat_"},
		{"discord_bot_token", "Bot M" + fake(alAlnum, 23) + "." + fake(alB64URL, 6) + "." + fake(alB64URL, 27), "M"},
		{"discord_webhook", "https://discord.com/api/webhooks/123456789012345678/" + fake(alB64URL, 68), "discord.com"},
		{"telegram_bot_token", "bot123456789:AA" + fake(alB64URL, 33) + "/getMe", "123456789:"},
		{"jwt", "Authorization: Bearer eyJ" + fake(alB64URL, 30) + ".eyJ" + fake(alB64URL, 40) + "." + fake(alB64URL, 43), "eyJ"},
		{"private_key", pem("RSA PRIVATE KEY"), "BEGIN RSA"},
		{"private_key", "cut short: -----BEGIN EC PRIVATE KEY-----\n" + fake(alB64, 120), "BEGIN EC"},
		{"ssh_private_key", pem("OPENSSH PRIVATE KEY"), "OPENSSH"},
		{"ssh_private_key", "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nPrivate-Lines: 1\n" + fake(alB64, 60) + "\nPrivate-MAC: " + fake(alHex, 64), "Private-MAC"},
		{"pgp_private_key", pem("PGP PRIVATE KEY BLOCK"), "PGP"},
		{"digitalocean_token", "dop_v1_" + fake(alHex, 64), "dop_v1_"},
		{"heroku_api_key", "HRKU-" + fake(alB64URL, 60), "HRKU-"},
		{"heroku_api_key", "HEROKU_API_KEY=" + uuid, uuid},
		{"square_token", "sq0atp-" + fake(alB64URL, 22), "sq0atp-"},
		{"square_token", "sq0csp-" + fake(alB64URL, 43), "sq0csp-"},
		{"atlassian_api_token", "ATATT3" + fake(alB64URL, 180), "ATATT3"},
		{"databricks_token", "dapi" + fake(alHex, 32), "dapi"},
		{"doppler_token", "dp.pt." + fake(alAlnum, 43), "dp.pt."},
		{"postman_api_key", "PMAK-" + fake(alHex, 24) + "-" + fake(alHex, 34), "PMAK-"},
		{"age_secret_key", "AGE-SECRET-KEY-1" + fake(alUpperNum, 58), "AGE-"},
		{"vault_token", "VAULT_TOKEN=hvs." + fake(alB64URL, 90), "hvs."},
		{"grafana_token", "glsa_" + fake(alAlnum, 32) + "_" + fake(alHex, 8), "glsa_"},
		{"linear_api_key", "lin_api_" + fake(alAlnum, 40), "lin_api_"},
		{"groq_api_key", "gsk_" + fake(alAlnum, 52), "gsk_"},
		{"perplexity_api_key", "pplx-" + fake(alAlnum, 48), "pplx-"},
		{"google_oauth_secret", "GOCSPX-" + fake(alB64URL, 28), "GOCSPX-"},
		{"newrelic_api_key", "NRAK-" + fake(alUpperNum, 27), "NRAK-"},
		{"supabase_token", "sbp_" + fake(alHex, 40), "sbp_"},
		{"url_password", "connect to postgres://admin:S3cr3tPassw0rd@db.internal:5432/app", "S3cr3tPassw0rd"},
		{"url_password", "https://bob:hunter2x@example.com/", "hunter2x"},
		{"password_assignment", `DB_PASSWORD="hunter2!x"`, "hunter2!x"},
		{"password_assignment", "my password: Tr0ub4dor&3 please keep it", "Tr0ub4dor&3"},
		{"password_assignment", "passwd=correcthorsebatterystaple", "correcthorse"},
		{"secret_assignment", `client_secret = "` + fake(alAlnum, 32) + `"`, ""},
		{"secret_assignment", "api_key: " + fake(alAlnum, 24), ""},
		{"secret_assignment", "webhookSecret => '" + fake(alAlnum, 20) + "'", ""},
		{"authorization_header", "Authorization: Basic " + "dXNlcjpwYXNzd29yZDEyMzQ=", "dXNlcjpw"},
		{"high_entropy_string", "use this one: " + fake(alAlnum, 32) + " thanks", ""},
		{"high_entropy_hex", "the signing key is " + fake(alHex, 64), ""},
	}
	s := NewSecrets()
	for _, tc := range tests {
		t.Run(tc.kind, func(t *testing.T) {
			expectOne(t, s, tc.text, tc.kind, tc.match)
		})
	}
}

// TestSecretsKinds keeps the promise of at least 30 formats.
func TestSecretsKinds(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range tokenRules {
		seen[r.kind] = true
	}
	// Formats found outside the token table.
	for _, k := range []string{"aws_secret_key", "azure_storage_key", "private_key", "ssh_private_key", "pgp_private_key",
		"gcp_service_account_key", "url_password", "password_assignment", "secret_assignment", "authorization_header",
		"high_entropy_string", "high_entropy_hex"} {
		seen[k] = true
	}
	if len(seen) < 30 {
		t.Fatalf("only %d secret kinds", len(seen))
	}
	t.Logf("%d secret kinds", len(seen))
}

func TestSecretsNegative(t *testing.T) {
	tests := []string{
		"password := os.Getenv(\"DB_PASSWORD\")", // code, not a value
		"password: ${DB_PASSWORD}",
		"password=changeme",
		"Password: required",
		"postgres://user:password@localhost/db",
		"postgres://user:${PGPASS}@localhost/db",
		"max_tokens: 4096",
		"tokenizer: cl100k_base",
		"secret: always",
		"if password == \"\" {",
		"-----BEGIN CERTIFICATE-----\nMIIB" + fake(alB64, 60) + "\n-----END CERTIFICATE-----",
		"-----BEGIN PUBLIC KEY-----\nMIIB" + fake(alB64, 60) + "\n-----END PUBLIC KEY-----",
		"commit 3f2a9c8e1b7d4f6a0c5e2b9d8a7f6e5d4c3b2a19",
		"id 123e4567-e89b-12d3-a456-426614174000",
		"getUserAccountInformationFromDatabase2 and parseHTTPResponseHeaders64",
		"SGVsbG8sIHRoaXMgaXMganVzdCBhIGdyZWV0aW5nIG1lc3NhZ2U=", // base64 of text: obfuscation's business
		"see https://docs.google.com/document/d/1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms/edit",
		"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
		"/usr/local/lib/python3.12/site-packages/Kx9Qm2Lp7Zr4Tb8Wn3Vc6Yh1",
	}
	s := NewSecrets()
	for _, text := range tests {
		if fs := s.Scan(guard.Segment{Text: text}); len(fs) > 0 {
			t.Errorf("%q: want nothing, got %s", text, describe(fs))
		}
	}
	// Near misses of token formats. They may still read as high-entropy
	// strings, but not as the format.
	near := []struct{ text, kind string }{
		{"ghp_" + fake(alAlnum, 35), "github_token"},      // one short
		{"xghp_" + fake(alAlnum, 36), "github_token"},     // glued to a word
		{"AKIA" + fake(alUpperNum, 17), "aws_access_key"}, // one long
		{"dapi" + fake(alHex, 32) + "g", "databricks_token"},
		{"sk-" + fake(alAlnum, 20) + "T3BlbkFX" + fake(alAlnum, 20), "openai_api_key"},
	}
	for _, tc := range near {
		for _, f := range s.Scan(guard.Segment{Text: tc.text}) {
			if f.Kind == tc.kind {
				t.Errorf("%q: want no %s", tc.text, tc.kind)
			}
		}
	}
}

// TestSecretsRedaction checks that a redacted segment no longer holds the
// secret and keeps the key name.
func TestSecretsRedaction(t *testing.T) {
	tok := "ghp_" + fake(alAlnum, 36)
	text := "GITHUB_TOKEN=" + tok + "\npassword: Sup3r-Secret!"
	fs := NewSecrets().Scan(guard.Segment{Text: text})
	got := guard.RedactText(text, fs)
	if strings.Contains(got, tok) || strings.Contains(got, "Sup3r") || !strings.Contains(got, "GITHUB_TOKEN=") {
		t.Fatalf("redacted: %q", got)
	}
	for _, f := range fs {
		if strings.Contains(f.Detail, tok) || strings.Contains(f.Detail, "Sup3r") {
			t.Fatalf("detail leaks the secret: %q", f.Detail)
		}
	}
}
