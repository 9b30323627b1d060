package cli

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/demo"
	"github.com/bulwarkhq/bulwark/server"
	"github.com/bulwarkhq/bulwark/server/auth"
	"github.com/bulwarkhq/bulwark/store"
)

// startServer runs a real server (empty data directory, pipeline running)
// behind an httptest server, stopped when the test ends.
func startServer(t *testing.T) (*server.Server, *httptest.Server) {
	t.Helper()
	s, err := server.New(context.Background(), server.Config{DataDir: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Pipeline().Run(ctx) }()
	<-s.Pipeline().Started()
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		hs.Close()
		cancel()
		<-done
		s.Store().Close()
	})
	return s, hs
}

// askServer runs the real server handler, with no model, over the demo
// intrusion triaged into cases, and returns its URL, a viewer token and
// the first case's id.
func askServer(t *testing.T) (string, string, int64) {
	t.Helper()
	isolate(t)
	for _, k := range []string{"BULWARK_LLM_BASE_URL", "BULWARK_LLM_MODEL", envServer, envToken} {
		t.Setenv(k, "")
	}
	s, hs := startServer(t)
	ctx := context.Background()
	if err := s.Pipeline().Submit(ctx, demo.Scenario(time.Now().Add(-demo.Duration)), true); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); s.Pipeline().Lag() > 0 || s.Pipeline().QueueDepth() > 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("detection did not catch up")
		}
	}
	if err := s.TriageNow(ctx); err != nil {
		t.Fatal(err)
	}
	cs, err := s.Store().ListCases(ctx, store.CaseFilter{Limit: 1})
	if err != nil || len(cs) == 0 {
		t.Fatalf("no case: %v", err)
	}
	secret, hash := auth.NewToken()
	if err := s.Store().CreateToken(ctx, &store.Token{Name: "cli", Role: store.RoleViewer, Hash: hash, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	return hs.URL, secret, cs[0].ID
}

func TestAsk(t *testing.T) {
	base, token, caseID := askServer(t)
	id := strconv.FormatInt(caseID, 10)
	for _, tc := range []struct {
		name string
		env  string // BULWARK_TOKEN
		args []string
		code int
		want []string
		not  []string
	}{
		{"query", "", []string{"--token", token, "what ran on ws-reception01 in the last day"}, 0,
			[]string{"query:       EventID:(1 OR 4688) host:ws-reception01*", "explanation: ", "source:      grammar"}, []string{"ID  "}},
		{"query words as arguments, token from the environment", token, []string{"failed", "logons", "for", "bob"}, 0,
			[]string{"EventID:4625", "TargetUserName:bob"}, nil},
		{"run", token, []string{"--run", "--limit", "3", "what ran on ws-reception01 in the last day"}, 0,
			[]string{"ID", "TIME", "HOST", "ws-reception01", "EventID="}, nil},
		{"case summary", token, []string{"--case", id}, 0,
			[]string{"Case " + id + ", summarized offline", "What happened", "Next steps", "[alert:"}, nil},
		{"question about a case", token, []string{"--case", id, "who did this?"}, 0,
			[]string{"Without a model I can only summarize the case", "## Next steps"}, nil},
		{"unknown question", token, []string{"compose a sonnet"}, 1, nil, nil},
		{"no question", token, nil, 2, nil, nil},
		{"no token", "", []string{"failed logons"}, 2, nil, nil},
		{"plain HTTP beyond loopback", token, []string{"--server", "http://10.9.8.7:8080", "failed logons"}, 2, nil, nil},
		{"bad token", "", []string{"--token", "bwk_wrong", "failed logons"}, 1, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(envToken, tc.env)
			args := append([]string{"ask"}, tc.args...)
			if !strings.Contains(strings.Join(tc.args, " "), "--server") {
				args = append([]string{"ask", "--server", base}, tc.args...)
			}
			code, out, errOut := run(t, args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s%s", code, tc.code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(out, w) {
					t.Errorf("output holds %q:\n%s", w, out)
				}
			}
		})
	}

	// --json prints the server's answer; with --run the search too.
	t.Setenv(envToken, token)
	code, out, errOut := run(t, "ask", "--server", base, "--json", "--run", "what ran on ws-reception01 in the last day")
	var res struct {
		Translation struct{ Query, Source string }
		Search      struct{ Events []json.RawMessage }
	}
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res.Translation.Source != "grammar" || len(res.Search.Events) == 0 {
		t.Errorf("--json --run: exit %d %s %s", code, out, errOut)
	}
}

func TestAskClean(t *testing.T) {
	for in, want := range map[string]string{
		"plain\ttext\n": "plain\ttext\n",
		"\x1b[31mred":   " [31mred",
		"a\u202eb\rc":   "a b c",
	} {
		if got := clean(in); got != want {
			t.Errorf("clean(%q) = %q, want %q", in, got, want)
		}
	}
}
