package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bulwarkhq/bulwark/demo"
	"github.com/bulwarkhq/bulwark/server"
	"github.com/bulwarkhq/bulwark/server/auth"
	"github.com/bulwarkhq/bulwark/store"
)

// demoReplayedKey marks a data directory the demo has been replayed into.
const demoReplayedKey = "demo.replayed"

func newDemoCmd(e *env) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the server with a simulated intrusion to explore",
		Long: `Demo starts the server on 127.0.0.1:8080 with its data in ./bulwark-data
and, on first start, replays a built-in simulated intrusion on a small
organisation through the real ingest path (Splunk HEC): phishing to
PowerShell, credential dumping, lateral movement, ransomware-style file
activity and a password-guessing burst. The alerts it raises are what a
newcomer sees first.

It takes every flag of 'bulwark serve'.`,
		Example: `  bulwark demo
  # then, with the admin password it printed:
  curl -s -c jar -H 'Content-Type: application/json' \
    -d '{"user":"admin","password":"..."}' http://127.0.0.1:8080/api/v1/login
  curl -s -b jar 'http://127.0.0.1:8080/api/v1/alerts?limit=5'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.demo = true
			return runServe(cmd.Context(), e, cmd.Flags(), &o)
		},
	}
	o.register(cmd)
	cmd.Flags().BoolVar(&o.replay, "replay", false, "replay the intrusion again even if this data directory has it")
	return cmd
}

// replayDemo sends the scenario to the running server over HEC, with an
// ingest token it creates for the purpose and revokes afterwards.
func replayDemo(ctx context.Context, e *env, srv *server.Server, base string, force bool, log *slog.Logger) {
	st := srv.Store()
	if _, done, err := st.GetSetting(ctx, demoReplayedKey); err != nil || (done && !force) {
		if done {
			fmt.Fprintln(e.stderr, "Demo data is already in this data directory (use --replay to send it again).")
		}
		return
	}
	n, err := sendDemo(ctx, st, base)
	if err != nil {
		log.Error("demo replay failed", "err", err)
		return
	}
	if err := st.SetSetting(ctx, demoReplayedKey, time.Now().UTC().Format(time.RFC3339)); err != nil {
		log.Warn("demo replay not recorded", "err", err)
	}
	fmt.Fprintf(e.stderr, "Replayed the simulated intrusion: %d events sent over HEC. Open %s and log in as admin: its cases appear within seconds.\n", n, base)
}

func sendDemo(ctx context.Context, st store.Store, base string) (int, error) {
	secret, hash := auth.NewToken()
	tok := store.Token{Name: "demo-replay", Role: store.RoleIngest, Hash: hash, Owner: "bulwark demo", Created: time.Now().UTC()}
	if err := st.CreateToken(ctx, &tok); err != nil {
		return 0, err
	}
	defer st.DeleteToken(context.WithoutCancel(ctx), tok.ID)

	// The intrusion ends a few minutes before now, so it reads as recent.
	evs := demo.Scenario(time.Now().Add(-demo.Duration - 5*time.Minute).Truncate(time.Second))
	var body bytes.Buffer
	if err := demo.NDJSON(&body, evs); err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/services/collector/raw?sourcetype=_json&source=bulwark-demo", &body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Splunk "+secret)
	client := &http.Client{Timeout: time.Minute}
	if t, ok := http.DefaultTransport.(*http.Transport); ok && strings.HasPrefix(base, "https:") {
		// The demo talks to itself; a self-signed certificate is expected.
		tr := t.Clone()
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} // #nosec: our own listener
		client.Transport = tr
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("HEC answered %s: %s", resp.Status, bytes.TrimSpace(msg))
	}
	return len(evs), nil
}
