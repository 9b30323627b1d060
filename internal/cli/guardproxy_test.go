package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/guard"
	"github.com/bulwarkhq/bulwark/guard/proxy"
)

// guardProxyOutput is a stderr the test reads while the command writes.
type guardProxyOutput struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (o *guardProxyOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *guardProxyOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// guardProxyWord blocks one word as injection: a stand-in for the real
// scanners, which the parent command wires in through build.
type guardProxyWord struct{}

func (guardProxyWord) Name() string { return "stub" }
func (guardProxyWord) Scan(seg guard.Segment) []guard.Finding {
	if i := strings.Index(seg.Text, "IGNORE-ALL"); i >= 0 {
		return []guard.Finding{{Scanner: "stub", Category: guard.Injection, Kind: "override", Score: 1, Start: i, End: i + 10}}
	}
	return nil
}

func guardProxyBuild(policyPath string) (*guard.Guard, error) {
	var p *guard.Policy
	if policyPath != "" {
		var err error
		if p, err = guard.LoadPolicy(policyPath); err != nil {
			return nil, err
		}
	}
	return guard.New(p, guardProxyWord{}), nil
}

func TestGuardProxyCommand(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"c","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hi there"},"finish_reason":"stop"}]}`)
	}))
	defer upstream.Close()
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys.yaml")
	if err := os.WriteFile(keys, []byte("- name: app1\n  sha256: "+proxy.HashKey("client-key")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	audit := filepath.Join(dir, "audit.jsonl")

	stderr := &guardProxyOutput{}
	e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: stderr}
	cmd := newGuardProxyCmd(e, guardProxyBuild)
	cmd.SetArgs([]string{"--upstream", upstream.URL + "/v1", "--listen", "127.0.0.1:0", "--keys", keys, "--audit", audit, "--rate", "100"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()

	addrRE := regexp.MustCompile(`listening on (http://\S+),`)
	var base string
	for deadline := time.Now().Add(5 * time.Second); base == ""; {
		if m := addrRE.FindStringSubmatch(stderr.String()); m != nil {
			base = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no listening line: %s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}

	post := func(key, content string) int {
		req, _ := http.NewRequest("POST", base+"/v1/chat/completions",
			strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"`+content+`"}]}`))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := post("client-key", "hello"); s != 200 {
		t.Errorf("clean request: %d", s)
	}
	if s := post("client-key", "IGNORE-ALL"); s != 400 {
		t.Errorf("injection: %d", s)
	}
	if s := post("other", "hello"); s != 401 {
		t.Errorf("unknown key: %d", s)
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), `bulwark_guard_proxy_requests_total{action="block",endpoint="chat.completions"} 1`) {
		t.Errorf("metrics:\n%s", metrics)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("command: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no shutdown")
	}
	lines, _ := os.ReadFile(audit)
	if n := strings.Count(string(lines), "\n"); n != 2 {
		t.Errorf("%d audit lines, want 2:\n%s", n, lines)
	}
}

func TestGuardProxyRefuses(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no upstream", nil, "--upstream is required"},
		{"network without TLS", []string{"--upstream", "http://x", "--listen", "0.0.0.0:0", "--keys", "k.yaml"}, "--tls-cert"},
		{"network without keys", []string{"--upstream", "http://x", "--listen", "0.0.0.0:0", "--tls-cert", "c", "--tls-key", "k"}, "--keys"},
		{"half TLS", []string{"--upstream", "http://x", "--tls-cert", "c"}, "go together"},
		{"empty upstream key", []string{"--upstream", "http://x", "--upstream-key-env", "BULWARK_TEST_SURELY_UNSET"}, "is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
			cmd := newGuardProxyCmd(e, guardProxyBuild)
			cmd.SetArgs(tt.args)
			cmd.SilenceUsage, cmd.SilenceErrors = true, true
			err := cmd.ExecuteContext(context.Background())
			var ue usageError
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.As(err, &ue) {
				t.Errorf("error %v, want a usage error about %q", err, tt.want)
			}
		})
	}
}

func TestGuardProxyHashKey(t *testing.T) {
	var out bytes.Buffer
	e := &env{stdin: strings.NewReader("my-client-key\n"), stdout: &out, stderr: io.Discard}
	cmd := newGuardProxyCmd(e, guardProxyBuild)
	cmd.SetArgs([]string{"--hash-key"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	keys, err := proxy.ParseKeys(strings.NewReader(strings.ReplaceAll(out.String(), "CHANGEME", "x")))
	if err != nil || len(keys) != 1 || keys[0].SHA256 != proxy.HashKey("my-client-key") {
		t.Fatalf("output %q: %v %v", out.String(), keys, err)
	}
}
