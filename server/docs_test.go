package server

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the route table in docs/api.md")

const apiDoc = "../docs/api.md"

// routeTable renders the routes as a Markdown table.
func routeTable(routes []Route) string {
	var b strings.Builder
	b.WriteString("| method | path | least role | what |\n|---|---|---|---|\n")
	for _, r := range routes {
		role := string(r.Role)
		if role == "" {
			role = "none"
		}
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s |\n", r.Method, r.Path, role, r.Summary)
	}
	return b.String()
}

// TestRoutesDocumented checks that docs/api.md lists every route the
// server serves, with its role.
func TestRoutesDocumented(t *testing.T) {
	s, _ := newTestServer(t)
	doc, err := os.ReadFile(apiDoc)
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- routes:begin -->\n", "<!-- routes:end -->"
	text := string(doc)
	i, j := strings.Index(text, begin), strings.Index(text, end)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the route table markers", apiDoc)
	}
	want := routeTable(s.Routes())
	if got := text[i+len(begin) : j]; got != want {
		if *update {
			text = text[:i+len(begin)] + want + text[j:]
			if err := os.WriteFile(apiDoc, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("%s is out of date with the routes; run go test ./server -run RoutesDocumented -update", apiDoc)
	}
}
