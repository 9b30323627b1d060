package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNetworkNeedsTLS checks that the server refuses a network address
// without TLS, and serves HTTPS on one with a certificate.
func TestNetworkNeedsTLS(t *testing.T) {
	dir := t.TempDir()
	out, err := runCLI(t, "serve", "--data", filepath.Join(dir, "data"), "--listen", "0.0.0.0:0")
	if err == nil || !strings.Contains(string(out), "reachable from the network") {
		t.Fatalf("serve on 0.0.0.0 without TLS: err %v, output %s", err, out)
	}

	cert, key := selfSigned(t, dir)
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
	login := strings.NewReader(`{"user":"admin","password":"` + srv.Password + `"}`)
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

// selfSigned writes a certificate and key for 127.0.0.1 and returns their paths.
func selfSigned(t *testing.T, dir string) (certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "bulwark test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certPath, keyPath
}
