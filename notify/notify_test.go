package notify

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var sample = Message{
	CaseID: 7, Title: "Credential dumping on ws-finance02", Score: 87.5, Severity: "high",
	Reasons:  []string{"LSASS memory read by rundll32", "3 tactics in 20 minutes"},
	Entities: map[string]string{"host": "ws-finance02", "user": "RIVERSIDE\\amy"},
	Alerts:   12, First: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC), Last: time.Date(2026, 11, 27, 9, 20, 0, 0, time.UTC),
	URL: "https://bulwark.example/cases/7",
}

func TestWebhookJSONSigned(t *testing.T) {
	var got Message
	var sig string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, []byte("s3cret"))
		mac.Write(body)
		if r.Header.Get("X-Bulwark-Signature") != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		sig = r.Header.Get("X-Bulwark-Signature")
		json.Unmarshal(body, &got)
	}))
	defer srv.Close()
	w := &Webhook{URL: srv.URL + "/hook/TOKEN", Secret: "s3cret"}
	if err := w.Notify(context.Background(), sample); err != nil {
		t.Fatal(err)
	}
	if sig == "" || got.CaseID != 7 || got.Entities["user"] != `RIVERSIDE\amy` || len(got.Reasons) != 2 {
		t.Errorf("received %+v", got)
	}
	if strings.Contains(w.Name(), "TOKEN") {
		t.Errorf("Name %q shows the hook's path", w.Name())
	}
}

func TestWebhookSlack(t *testing.T) {
	var got map[string]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewDecoder(r.Body).Decode(&got)
	}))
	defer srv.Close()
	if err := (&Webhook{URL: srv.URL, Slack: true}).Notify(context.Background(), sample); err != nil {
		t.Fatal(err)
	}
	text := got["text"]
	if !strings.HasPrefix(text, "*<https://bulwark.example/cases/7|Case 7: Credential dumping") || !strings.Contains(text, "- LSASS memory") {
		t.Errorf("slack text:\n%s", text)
	}
}

func TestWebhookRetries(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			http.Error(w, "busy", http.StatusServiceUnavailable)
		case 2:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	defer srv.Close()
	if err := (&Webhook{URL: srv.URL}).Notify(context.Background(), sample); err != nil || calls.Load() != 2 {
		t.Errorf("after a 503: %v, %d calls; want success on the second", err, calls.Load())
	}
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "no such hook", http.StatusNotFound)
	}))
	defer bad.Close()
	calls.Store(0)
	err := (&Webhook{URL: bad.URL}).Notify(context.Background(), sample)
	if err == nil || !strings.Contains(err.Error(), "no such hook") || calls.Load() != 1 {
		t.Errorf("404: %v after %d calls; want the receiver's words after one", err, calls.Load())
	}
}

// smtpServer is a minimal SMTP receiver on loopback for the test: it
// speaks just enough of RFC 5321 for net/smtp and keeps the DATA.
func smtpServer(t *testing.T) (addr string, got chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	got = make(chan string, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		say := func(s string) { io.WriteString(conn, s+"\r\n") }
		say("220 test ESMTP")
		var data strings.Builder
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			cmd := strings.ToUpper(strings.TrimSpace(line))
			switch {
			case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
				say("250 test")
			case strings.HasPrefix(cmd, "MAIL"), strings.HasPrefix(cmd, "RCPT"):
				say("250 ok")
			case cmd == "DATA":
				say("354 go on")
				for {
					l, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if l == ".\r\n" {
						break
					}
					data.WriteString(l)
				}
				got <- data.String()
				say("250 queued")
			case cmd == "QUIT":
				say("221 bye")
				return
			default:
				say("502 no")
			}
		}
	}()
	return ln.Addr().String(), got
}

func TestEmail(t *testing.T) {
	addr, got := smtpServer(t)
	m := sample
	m.Title = "Injected\r\nBcc: victim@example.com"
	e := &Email{Addr: addr, From: "bulwark@riverside.example", To: []string{"soc@riverside.example"}, Security: "none"}
	if err := e.Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	msg := <-got
	head, _, _ := strings.Cut(msg, "\r\n\r\n")
	for _, want := range []string{"From: bulwark@riverside.example\r\n", "To: soc@riverside.example\r\n",
		"Subject: [Bulwark] Case 7 (score 88): Injected  Bcc: victim@example.com\r\n", "- LSASS memory read by rundll32\r\n"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(head, "\r\nBcc:") {
		t.Error("a line break in the title added a header")
	}
}

func TestEmailRefusesPlainToRemote(t *testing.T) {
	e := &Email{Addr: "mail.example.com:25", From: "a@b", To: []string{"c@d"}, Security: "none"}
	if err := e.Notify(context.Background(), sample); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("plain SMTP to a remote server: %v", err)
	}
}
