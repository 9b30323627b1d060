package main

// This file starts the real bulwark binary for the end-to-end tests and
// talks to it over HTTP as a user would.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/internal/testbin"
)

// binary builds bulwark once per test run.
func binary(t testing.TB) string { return testbin.Build(t) }

// proc is a running server.
type proc struct {
	*testbin.Server
	t testing.TB
}

// startServer runs `bulwark serve --data dir` on a free loopback port with
// extra args, and waits until it listens.
func startServer(t testing.TB, dir string, args ...string) *proc {
	t.Helper()
	bin := binary(t)
	args = append([]string{"serve", "--data", dir, "--listen", "127.0.0.1:0"}, args...)
	// BULWARK_E2E_WRAP runs the server under another command, such as
	// "/usr/bin/time -v" for a whole-process measurement; its report
	// lands in the server log.
	var cmd *exec.Cmd
	if wrap := strings.Fields(os.Getenv("BULWARK_E2E_WRAP")); len(wrap) > 0 {
		cmd = exec.Command(wrap[0], append(append(wrap[1:], bin), args...)...)
	} else {
		cmd = exec.Command(bin, args...)
	}
	// A process group of its own, so that signals reach the server through
	// any wrapper.
	// Pdeathsig: a test binary killed half-way leaves no server behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	// Keep the tests off the downloaded rules of whoever runs them.
	cmd.Env = append(os.Environ(), "BULWARK_DATA_DIR="+filepath.Join(dir, "userdata"))
	cmd.Stdout = io.Discard
	p := &proc{testbin.Start(t, "server", cmd), t}
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("server log:\n%s", p.Log())
		}
	})
	return p
}

// PeakRSS returns the process's peak resident set (VmHWM) in KiB.
func (p *proc) PeakRSS() int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Cmd.Process.Pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb)
			return kb
		}
	}
	return -1
}

// client is an API client authenticated one way or another.
type client struct {
	t     testing.TB
	base  string
	http  *http.Client
	token string // Bearer token, if any
	csrf  string // for session clients
}

// login logs in as user and returns a session client.
func (p *proc) login(user, password string) *client {
	p.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &client{t: p.t, base: p.Base, http: &http.Client{Jar: jar, Timeout: time.Minute}}
	var me struct {
		CSRF string `json:"csrf_token"`
	}
	status := c.do("POST", "/api/v1/login", map[string]string{"user": user, "password": password}, &me)
	if status != http.StatusOK {
		p.t.Fatalf("login as %s: status %d", user, status)
	}
	c.csrf = me.CSRF
	return c
}

// admin logs in as the first-start admin.
func (p *proc) admin() *client {
	p.t.Helper()
	if p.Password() == "" {
		p.t.Fatal("no admin password captured (not a first start?)")
	}
	return p.login("admin", p.Password())
}

// newToken creates an API token with role and returns a client using it.
func (c *client) newToken(name, role string) *client {
	c.t.Helper()
	var out struct {
		Secret string `json:"secret"`
	}
	if st := c.do("POST", "/api/v1/tokens", map[string]string{"name": name, "role": role}, &out); st != http.StatusCreated {
		c.t.Fatalf("create token %s: status %d", name, st)
	}
	return &client{t: c.t, base: c.base, http: &http.Client{Timeout: time.Minute}, token: out.Secret}
}

// do sends a JSON request and decodes a JSON response into out (if not
// nil); it returns the status.
func (c *client) do(method, path string, body, out any) int {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	resp, err := c.raw(method, path, rd, "application/json")
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			c.t.Fatalf("%s %s: decode %q: %v", method, path, data, err)
		}
	}
	return resp.StatusCode
}

// raw sends a request with the client's credentials.
func (c *client) raw(method, path string, body io.Reader, contentType string) (*http.Response, error) {
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	return c.http.Do(req)
}

// stats is GET /api/v1/stats.
type stats struct {
	Events int64 `json:"events"`
	Alerts int64 `json:"alerts"`
	Queue  int64 `json:"queue_events"`
	Lag    int64 `json:"detection_lag_events"`
}

// waitIngested waits until the server has stored and run detection over n
// events.
func (c *client) waitIngested(n int64, timeout time.Duration) stats {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	var s stats
	for {
		if st := c.do("GET", "/api/v1/stats", nil, &s); st != http.StatusOK {
			c.t.Fatalf("stats: status %d", st)
		}
		if s.Events >= n && s.Lag == 0 && s.Queue == 0 {
			return s
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("after %v: %+v, want %d events detected", timeout, s, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// runCLI runs the binary with args and returns its standard output.
func runCLI(t testing.TB, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return append(out, stderr.Bytes()...), err
	}
	return out, nil
}
