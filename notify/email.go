package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/smtp"
	"strings"
	"time"
)

// Email sends messages over SMTP.
type Email struct {
	// Addr is the server's host:port (587 for STARTTLS, 465 for TLS).
	Addr string
	From string
	To   []string
	// Username and Password authenticate (PLAIN), only ever over TLS.
	Username, Password string
	// Security is "starttls" (the default), "tls" (implicit TLS, port
	// 465) or "none", which is allowed only to a loopback server (a local
	// relay).
	Security string
	// TLSConfig overrides the default (verify the server's name).
	TLSConfig *tls.Config
	// Timeout bounds one delivery (default 30 s).
	Timeout time.Duration
}

// Name implements Notifier.
func (e *Email) Name() string { return "email via " + e.Addr }

// Notify implements Notifier.
func (e *Email) Notify(ctx context.Context, m Message) error {
	if len(e.To) == 0 || e.From == "" {
		return errors.New("email: From and To are required")
	}
	msg := e.compose(m, time.Now())
	return retry(ctx, 2, func() (bool, error) {
		err := e.send(ctx, msg)
		var ne net.Error
		return errors.As(err, &ne), err // retry network trouble, not refusals
	})
}

// compose builds the RFC 5322 message.
func (e *Email) compose(m Message, now time.Time) []byte {
	var id [12]byte
	rand.Read(id[:])
	host := "bulwark"
	if _, d, ok := strings.Cut(e.From, "@"); ok {
		host = strings.Trim(d, "> ")
	}
	subject := fmt.Sprintf("[Bulwark] Case %d (score %.0f): %s", m.CaseID, m.Score, oneLine(m.Title))
	var b bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, oneLine(v)) }
	header("From", e.From)
	header("To", strings.Join(e.To, ", "))
	header("Subject", mime.QEncoding.Encode("utf-8", subject))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", "<"+hex.EncodeToString(id[:])+"@"+host+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "8bit")
	b.WriteString("\r\n")
	// net/smtp's DATA writer dot-stuffs lines that start with a dot.
	for _, line := range strings.Split(strings.TrimRight(m.Text(), "\n"), "\n") {
		b.WriteString(line + "\r\n")
	}
	return b.Bytes()
}

// oneLine removes line breaks: a case title comes from log data and must
// not be able to add headers.
func oneLine(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}

func (e *Email) send(ctx context.Context, msg []byte) error {
	host, _, err := net.SplitHostPort(e.Addr)
	if err != nil {
		return fmt.Errorf("email: address %q: %w", e.Addr, err)
	}
	security := e.Security
	if security == "" {
		security = "starttls"
	}
	tlsConfig := e.TLSConfig
	if tlsConfig == nil {
		tlsConfig = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	timeout := e.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	dialer := &net.Dialer{Timeout: timeout}
	var conn net.Conn
	switch security {
	case "tls":
		conn, err = tls.DialWithDialer(dialer, "tcp", e.Addr, tlsConfig)
	case "starttls":
		conn, err = dialer.DialContext(ctx, "tcp", e.Addr)
	case "none":
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return fmt.Errorf("email: plain SMTP only to a loopback relay, not %s", host)
		}
		conn, err = dialer.DialContext(ctx, "tcp", e.Addr)
	default:
		return fmt.Errorf("email: security %q: use starttls, tls or none", security)
	}
	if err != nil {
		return fmt.Errorf("email: %w", err)
	}
	conn.SetDeadline(time.Now().Add(timeout))
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("email: %w", err)
	}
	defer c.Close()
	if security == "starttls" {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("email: %s does not offer STARTTLS", e.Addr)
		}
		if err := c.StartTLS(tlsConfig); err != nil {
			return fmt.Errorf("email: STARTTLS: %w", err)
		}
	}
	if e.Username != "" {
		if security == "none" {
			return errors.New("email: no password over plain SMTP")
		}
		if err := c.Auth(smtp.PlainAuth("", e.Username, e.Password, host)); err != nil {
			return fmt.Errorf("email: authentication: %w", err)
		}
	}
	if err := c.Mail(e.From); err != nil {
		return fmt.Errorf("email: MAIL FROM: %w", err)
	}
	for _, to := range e.To {
		if err := c.Rcpt(to); err != nil {
			return fmt.Errorf("email: RCPT TO %s: %w", to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("email: DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("email: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("email: %w", err)
	}
	return c.Quit()
}
