package pattern

import (
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/guard"
)

// benign is ordinary text of the kinds people paste into prompts; no
// pattern scanner may find anything in it.
var benign = []string{
	"The meeting is on 2024-01-15 at 10:30; the follow-up is 15/01/2024 or 01.02.2024.",
	"Upgrade from v1.2.3 to version 2.10.0-rc1 and Go 1.26 before Friday.",
	"The server at 192.168.1.254 and 10.0.0.1 responded; IPv6 is 2001:db8::1 on port 8443.",
	"Fixed in commit 3f2a9c8e1b7d4f6a0c5e2b9d8a7f6e5d4c3b2a19 (see PR #1234, short 3f2a9c8).",
	"Request id 123e4567-e89b-12d3-a456-426614174000 failed with status 503.",
	"It costs $1,299.99 or €45.50; 3 for $10. Save 15% today.",
	"Order number 415-555-0132 has shipped; your order #100234567890 arrives Monday.",
	"Tracking 1Z999AA10123456784, invoice 2024-000123, SKU 8801643740689.",
	"func main() {\n\tx := map[string]int{\"a\": 1}\n\tfmt.Println(x[\"a\"], len(x))\n}",
	"password := os.Getenv(\"DB_PASSWORD\")\nif password == \"\" {\n\tlog.Fatal(\"no password\")\n}",
	"Set the token: <your token here> and the api_key to ${API_KEY}.",
	"max_tokens: 4096\ntemperature: 0.7\nmodel: gpt-4o-mini\ntokenizer: cl100k_base",
	"sha256sum: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  go1.26.linux-amd64.tar.gz",
	"The hash is d41d8cd98f00b204e9800998ecf8427e and the ISBN is 978-3-16-148410-0.",
	"Call me maybe, at 5 pm. Room 101, floor 3, building 7.",
	"In Java, getUserAccountInformationFromDatabase2 and parseHTTPResponseHeaders64 are bad names.",
	"See https://example.com/docs/getting-started?lang=en#install and https://go.dev/blog/generics.",
	"Timestamps 1700000000 and 1700000000123 are seconds and milliseconds since the epoch.",
	"Formats: 3x3 matrix, 1080p video, 4K screen, mp3, h264, x86_64, utf8, 2FA.",
	"Use the --password flag or the PASSWORD environment variable; never hard-code secrets.",
	"Temperature was 23.5°C and humidity 45%; pressure 1013 hPa.",
	"Emoji family 👨\u200d👩\u200d👧 and the flag 🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F are fine.",
	"Привет, как дела? Это обычный русский текст. Καλημέρα κόσμε.",
	"café, naïve, résumé, Zürich, São Paulo, Kraków.",
	"Read [the docs](https://golang.org/doc/effective_go) and [search](https://duckduckgo.com/?q=go+generics).",
	"ERROR 0x8007000E at address 0x7ffee4b3c9a0, errno 12.",
	"The card ending 4242 expired; extension 1234; PIN length 4.",
	"SELECT id, email_verified FROM users WHERE created_at > '2024-01-01' LIMIT 100;",
	"docker run -p 8080:80 -v /data:/var/lib/data nginx:1.25-alpine",
	"git log --oneline HEAD~3..HEAD && git rebase -i origin/main",
	"Between 1998 and 2024 the population grew from 5,123,456 to 6,234,567.",
	"Chapter 3.2.1, page 145-147, verse 12:30-45.",
	"-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUZ3JhcGhpY3MtYXJlLW5vdC1zZWNyZXQwCgYIKoZIzj0EAwIw\n-----END CERTIFICATE-----",
}

func TestBenignText(t *testing.T) {
	scanners := All(Options{AllowedHosts: []string{"*.example.com"}})
	for _, text := range benign {
		for _, s := range scanners {
			if fs := s.Scan(guard.Segment{Role: guard.RoleUser, Text: text}); len(fs) > 0 {
				t.Errorf("%s: %q: want nothing, got %s", s.Name(), text, describe(fs))
			}
		}
	}
}

// TestAllListed keeps All the one list of scanners: every scanner type in
// the package appears, with a distinct name.
func TestAllListed(t *testing.T) {
	names := map[string]bool{}
	for _, s := range All(Options{}) {
		if names[s.Name()] {
			t.Fatalf("duplicate scanner %s", s.Name())
		}
		names[s.Name()] = true
	}
	for _, n := range []string{SecretsName, PIIName, HiddenName, ObfuscationName, ExfilName} {
		if !names[n] {
			t.Errorf("All misses %s", n)
		}
	}
}

// TestGuardEndToEnd runs the standard set under the default policy.
func TestGuardEndToEnd(t *testing.T) {
	key := "ghp_" + fake(alAlnum, 36)
	g := guard.New(nil, All(Options{})...)
	v := g.CheckText("", "my token is "+key+", mail me at ana@example.org\u200B\u200B please")
	if v.Action != guard.Redact {
		t.Fatalf("action %s, findings %s", v.Action, describe(v.Findings))
	}
	got := v.Segments[0].Text
	for _, leak := range []string{key, "ana@example.org", "\u200B"} {
		if strings.Contains(got, leak) {
			t.Errorf("redacted text still holds %q: %q", leak, got)
		}
	}
}
