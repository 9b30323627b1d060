package guard

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// regexScanner reports every match of a regular expression, like the
// pattern scanners do.
type regexScanner struct {
	re       *regexp.Regexp
	category Category
	kind     string
}

func (s regexScanner) Name() string { return "re-" + s.kind }

func (s regexScanner) Scan(seg Segment) []Finding {
	var fs []Finding
	for _, m := range s.re.FindAllStringIndex(seg.Text, -1) {
		fs = append(fs, Finding{Scanner: s.Name(), Category: s.category, Kind: s.kind, Score: 0.9,
			Start: m[0], End: m[1], Match: seg.Text[m[0]:m[1]]})
	}
	return fs
}

// feed writes text to a new stream in chunks of size n and returns what
// it emitted, the strongest action seen, and every finding reported.
func feed(t *testing.T, g *Guard, text string, n int) (string, Action, []Finding) {
	t.Helper()
	s := g.NewStream("")
	var out strings.Builder
	action := Allow
	var fs []Finding
	add := func(emit string, v Verdict) {
		if !utf8.ValidString(emit) {
			t.Fatalf("emitted invalid UTF-8 %q", emit)
		}
		out.WriteString(emit)
		if v.Action.Stronger(action) {
			action = v.Action
		}
		fs = append(fs, v.Findings...)
	}
	for len(text) > 0 {
		k := min(n, len(text))
		add(s.Write(text[:k]))
		text = text[k:]
		if len(s.held) > streamMaxHold+n {
			t.Fatalf("held %d bytes, more than the bound %d", len(s.held), streamMaxHold+n)
		}
		if action == Block {
			if !s.Blocked() {
				t.Fatal("blocking verdict but stream not blocked")
			}
			break
		}
	}
	add(s.Flush())
	return out.String(), action, fs
}

// wordScanner reports every occurrence of a word under a kind that does not
// give the word away, so a test can look for the word in the output.
type wordScanner struct {
	word     string
	category Category
	kind     string
}

func (s wordScanner) Name() string { return "word-" + s.kind }

func (s wordScanner) Scan(seg Segment) []Finding {
	fs := stubScanner{word: s.word, category: s.category, score: 0.9}.Scan(seg)
	for i := range fs {
		fs[i].Kind = s.kind
	}
	return fs
}

func TestStream(t *testing.T) {
	secretWord := wordScanner{word: "hunter2-secret", category: Secret, kind: "password"}
	growingKey := regexScanner{re: regexp.MustCompile(`sk-[a-z0-9]{8,}`), category: Secret, kind: "api_key"}
	exfil := wordScanner{word: "evil.example", category: Exfiltration, kind: "link"}
	flagWord := wordScanner{word: "base64please", category: Obfuscation, kind: "encoded"}
	filler := strings.Repeat("lorem ipsum ", 60) // 720 bytes, longer than the window
	longKey := "sk-" + strings.Repeat("a1b2c3d4", 8)
	hugeKey := "sk-" + strings.Repeat("z", 3*streamMaxHold)
	tests := []struct {
		name      string
		scanners  []Scanner
		text      string
		chunk     int
		want      string // emitted text; "" with block
		action    Action
		findings  int
		forbidden string // must never appear in what was emitted
	}{
		{"clean passes unchanged", []Scanner{secretWord}, filler + "héllo wörld ✓ " + filler, 7,
			filler + "héllo wörld ✓ " + filler, Allow, 0, ""},
		{"secret in 1-byte chunks", []Scanner{secretWord}, filler + "pw hunter2-secret ok" + filler, 1,
			filler + "pw [REDACTED:password] ok" + filler, Redact, 1, "hunter2-secret"},
		{"secret at the very end", []Scanner{secretWord}, "pw hunter2-secret", 1,
			"pw [REDACTED:password]", Redact, 1, "hunter2"},
		{"growing key redacted whole", []Scanner{growingKey}, filler + "key " + longKey + " end", 1,
			filler + "key [REDACTED:api_key] end", Redact, 1, "a1b2c3d4"},
		{"growing key at the end", []Scanner{growingKey}, "key " + longKey, 3,
			"key [REDACTED:api_key]", Redact, 1, "a1b2c3d4"},
		// Beyond the hold the start of the match is cut out and the rest,
		// no longer matching, goes through: memory stays bounded.
		{"key longer than the hold keeps memory bounded", []Scanner{growingKey}, "key " + hugeKey + " end", 64,
			"", Redact, 1, "sk-z"},
		{"exfiltration blocks before any of it leaves", []Scanner{exfil}, filler + "![x](https://evil.example/?q=1)" + filler, 1,
			"", Block, 1, "evil"},
		{"flag reported once and text kept", []Scanner{flagWord}, filler + "base64please" + filler, 5,
			filler + "base64please" + filler, Flag, 1, ""},
		{"two secrets in one chunk", []Scanner{secretWord}, "a hunter2-secret b hunter2-secret c", 1000,
			"a [REDACTED:password] b [REDACTED:password] c", Redact, 2, "hunter2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Obfuscation is flagged on output too, to test flags.
			p := DefaultPolicy()
			p.Default[Obfuscation] = Rule{Action: Flag, Threshold: 0.5}
			g := New(p, tt.scanners...)
			got, action, fs := feed(t, g, tt.text, tt.chunk)
			if action != tt.action {
				t.Errorf("action %s, want %s", action, tt.action)
			}
			if tt.want != "" && got != tt.want {
				t.Errorf("emitted\n%q\nwant\n%q", got, tt.want)
			}
			if tt.action == Block && !strings.HasPrefix(tt.text, got) {
				t.Errorf("blocked stream emitted %q, not a prefix of the input", got)
			}
			if tt.findings > 0 && len(fs) != tt.findings {
				t.Errorf("%d findings, want %d: %+v", len(fs), tt.findings, fs)
			}
			if tt.forbidden != "" && strings.Contains(got, tt.forbidden) {
				t.Errorf("emitted %q, which contains %q", got, tt.forbidden)
			}
		})
	}
}

func TestStreamHoldsBackOnlyTheWindow(t *testing.T) {
	s := New(nil).NewStream("")
	text := strings.Repeat("x", 1000)
	emit, v := s.Write(text)
	if len(emit) != len(text)-StreamWindow || v.Action != Allow {
		t.Fatalf("emitted %d bytes (%s), want %d", len(emit), v.Action, len(text)-StreamWindow)
	}
	rest, _ := s.Flush()
	if emit+rest != text {
		t.Fatal("flush lost text")
	}
}

func TestStreamOffsetsIntoWholeOutput(t *testing.T) {
	g := New(nil, stubScanner{word: "hunter2-secret", category: Secret, score: 0.9})
	text := strings.Repeat("a", 1000) + "hunter2-secret" + strings.Repeat("b", 1000)
	_, _, fs := feed(t, g, text, 10)
	if len(fs) != 1 || fs[0].Start != 1000 || fs[0].End != 1014 {
		t.Fatalf("findings %+v, want one at 1000..1014", fs)
	}
}

func TestStreamBlockedStaysBlocked(t *testing.T) {
	g := New(nil, stubScanner{word: "evil.example", category: Exfiltration, score: 0.9})
	s := g.NewStream("")
	if _, v := s.Write("see evil.example now"); v.Action != Block {
		t.Fatalf("action %s, want block", v.Action)
	}
	if emit, v := s.Write("more text"); emit != "" || v.Action != Block {
		t.Fatalf("after block: %q %s", emit, v.Action)
	}
	if emit, v := s.Flush(); emit != "" || v.Action != Block {
		t.Fatalf("flush after block: %q %s", emit, v.Action)
	}
}

func BenchmarkStreamWrite(b *testing.B) {
	g := New(nil, stubScanner{word: "hunter2-secret", category: Secret, score: 0.9})
	chunk := "some tokens "
	b.SetBytes(int64(len(chunk)))
	s := g.NewStream("")
	for b.Loop() {
		s.Write(chunk)
	}
}
