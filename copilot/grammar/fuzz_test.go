package grammar

import (
	"testing"

	"github.com/bulwarkhq/bulwark/search"
)

// FuzzTranslate: Translate never panics, and every query it returns parses
// and comes with a pattern and an explanation.
func FuzzTranslate(f *testing.F) {
	for _, tc := range translateTests {
		f.Add(tc.question)
	}
	for _, s := range []string{"", "files written to C:\\", `files written to \\`, "commands containing \\", "commands containing \"",
		"commands containing )", "commands containing AND", "logons by OR", "failed logons for NOT", "powershell with -", "logons by a$ on b-",
		"connections from ::1", "DNS queries for *.x.y.", "events from user -x on -y", "logons in the last 9999 months"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, question string) {
		tr, ok := Translate(question, testNow)
		if !ok {
			return
		}
		if _, err := search.ParseAt(tr.Query, testNow); err != nil {
			t.Fatalf("%q → %q: %v", question, tr.Query, err)
		}
		if tr.Pattern == "" || tr.Explanation == "" || tr.Query == "" {
			t.Fatalf("%q: incomplete %+v", question, tr)
		}
	})
}
