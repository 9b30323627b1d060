package main

import (
	"crypto/tls"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/internal/testcert"
)

// TestNetworkNeedsTLS checks that the server refuses a network address
// without TLS, and serves HTTPS on one with a certificate.
func TestNetworkNeedsTLS(t *testing.T) {
	dir := t.TempDir()
	out, err := runCLI(t, "serve", "--data", filepath.Join(dir, "data"), "--listen", "0.0.0.0:0")
	if err == nil || !strings.Contains(string(out), "reachable from the network") {
		t.Fatalf("serve on 0.0.0.0 without TLS: err %v, output %s", err, out)
	}

	cert, key := testcert.New(t).Files(t, dir)
	srv := startServer(t, filepath.Join(dir, "data"), "--tls-cert", cert, "--tls-key", key)
	if !strings.HasPrefix(srv.Base, "https://") {
		t.Fatalf("server at %s, want https", srv.Base)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // our own self-signed certificate
	}}
	resp, err := client.Get(srv.Base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("healthz over TLS: %s", resp.Status)
	}
	// The session cookie is Secure when the server speaks TLS.
	login := strings.NewReader(`{"user":"admin","password":"` + srv.Password() + `"}`)
	resp, err = client.Post(srv.Base+"/api/v1/login", "application/json", login)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookies := resp.Cookies()
	if resp.StatusCode != http.StatusOK || len(cookies) == 0 || !cookies[0].Secure || !cookies[0].HttpOnly {
		t.Errorf("login over TLS: %s, cookies %+v; want a Secure HttpOnly session cookie", resp.Status, cookies)
	}
}
