package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/spf13/cobra"
)

// askOptions are the flags of 'bulwark ask'.
type askOptions struct {
	server   string
	token    string
	caseID   int64
	run      bool
	limit    int
	json     bool
	insecure bool
}

// Environment variables 'bulwark ask' reads when the flags are not given.
const (
	envServer = "BULWARK_SERVER"
	envToken  = "BULWARK_TOKEN"
)

// askTimeout bounds one request: a model may take a while, a hung server
// must not hang the shell.
const askTimeout = 3 * time.Minute

func newAskCmd(e *env) *cobra.Command {
	var o askOptions
	cmd := &cobra.Command{
		Use:   "ask [flags] QUESTION",
		Short: "Ask the copilot of a running server: a question to a search query, or about a case",
		Long: `Ask sends a question to a running Bulwark server's copilot.

Without --case the question is translated into a search query, which is
printed with its explanation and not run; --run runs it too and prints the
newest matching events. With --case the question is about that case; no
question (or "summary") prints the case's summary with its citations.

The server answers with its configured model, or offline when it has none
(hunting questions through the built-in grammar, listed in
copilot/grammar/QUESTIONS.md; summaries from the case's data). The token is
an API token with the viewer role or more (bulwark token create --role
viewer); --token or BULWARK_TOKEN. The server is --server or BULWARK_SERVER
(default http://127.0.0.1:8080); plain HTTP is refused beyond loopback
unless --insecure, since the token would travel in clear.`,
		Example: `  export BULWARK_TOKEN=$(bulwark token create --name me --role viewer | jq -r .secret)

  # A question to a query, shown with its explanation
  bulwark ask "failed logons for bob since yesterday"

  # ... and run it
  bulwark ask --run "what ran on ws-finance02 in the last hour"

  # The summary of case 12, then a question about it
  bulwark ask --case 12
  bulwark ask --case 12 "which account did the intruder use?"

  # JSON for scripts, against a remote server
  bulwark ask --server https://bulwark.example.org --json "DNS queries for evil.example"`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAsk(cmd.Context(), e, &o, strings.TrimSpace(strings.Join(args, " ")))
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.server, "server", "", "server URL (default $"+envServer+", else http://127.0.0.1:8080)")
	f.StringVar(&o.token, "token", "", "API token (default $"+envToken+")")
	f.Int64Var(&o.caseID, "case", 0, "ask about this case (no question: its summary)")
	f.BoolVar(&o.run, "run", false, "run the translated query and print the events")
	f.IntVar(&o.limit, "limit", 20, "events --run prints at most")
	f.BoolVar(&o.json, "json", false, "print the server's JSON answer")
	f.BoolVar(&o.insecure, "insecure", false, "allow plain HTTP to a server beyond loopback")
	return cmd
}

func runAsk(ctx context.Context, e *env, o *askOptions, question string) error {
	c, err := newAskClient(o)
	if err != nil {
		return err
	}
	switch {
	case o.caseID < 0:
		return usagef("--case %d is not a case id", o.caseID)
	case o.caseID > 0 && o.run:
		return usagef("--run runs a translated query; it does not go with --case")
	case o.caseID > 0 && (question == "" || strings.EqualFold(question, "summary")):
		return askSummary(ctx, e, c, o)
	case o.caseID > 0:
		return askCase(ctx, e, c, o, question)
	case question == "":
		return usagef("a question is needed, e.g. bulwark ask \"failed logons for bob since yesterday\"")
	}
	return askQuery(ctx, e, c, o, question)
}

// askClient calls the server's API with a bearer token.
type askClient struct {
	base  string
	token string
	http  *http.Client
}

func newAskClient(o *askOptions) (*askClient, error) {
	server := o.server
	if server == "" {
		server = os.Getenv(envServer)
	}
	if server == "" {
		server = "http://127.0.0.1:8080"
	}
	u, err := url.Parse(strings.TrimRight(server, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("--server %q: give an http(s) URL such as https://bulwark.example.org", server)
	}
	if u.Scheme == "http" && !o.insecure && !loopbackHost(u.Hostname()) {
		return nil, usagef("--server %s: plain HTTP beyond loopback would send the token in clear; use https, or --insecure", server)
	}
	token := o.token
	if token == "" {
		token = os.Getenv(envToken)
	}
	if token == "" {
		return nil, usagef("a token is needed: --token or %s (bulwark token create --name me --role viewer)", envToken)
	}
	return &askClient{base: u.String(), token: token, http: &http.Client{Timeout: askTimeout}}, nil
}

func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// call sends a request and returns the answer's body, or the server's
// error message.
func (c *askClient) call(ctx context.Context, method, path string, body any, accept string) (*http.Response, error) {
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		var e struct {
			Error string `json:"error"`
		}
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if json.Unmarshal(data, &e) != nil || e.Error == "" {
			e.Error = strings.TrimSpace(string(data))
		}
		return nil, fmt.Errorf("server: %s (HTTP %d)", clean(e.Error), resp.StatusCode)
	}
	return resp, nil
}

// get decodes a JSON answer into out and returns its raw bytes.
func (c *askClient) get(ctx context.Context, method, path string, body, out any) ([]byte, error) {
	resp, err := c.call(ctx, method, path, body, "application/json")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return nil, fmt.Errorf("server: unreadable answer: %w", err)
		}
	}
	return data, nil
}

// clean makes text from the server (a model wrote some of it) safe for a
// terminal: control characters, escape sequences among them, become
// spaces; line breaks and tabs stay.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, s)
}

func askQuery(ctx context.Context, e *env, c *askClient, o *askOptions, question string) error {
	var q struct {
		Query       string `json:"query"`
		Explanation string `json:"explanation"`
		Source      string `json:"source"`
		Model       string `json:"model"`
		Note        string `json:"note"`
	}
	raw, err := c.get(ctx, "POST", "/api/v1/copilot/query", map[string]string{"question": question}, &q)
	if err != nil {
		return err
	}
	var events json.RawMessage
	if o.run {
		path := "/api/v1/events?q=" + url.QueryEscape(q.Query) + "&limit=" + strconv.Itoa(max(1, o.limit))
		if events, err = c.get(ctx, "GET", path, nil, nil); err != nil {
			return err
		}
	}
	if o.json {
		out := json.RawMessage(raw)
		if o.run {
			b, _ := json.Marshal(map[string]json.RawMessage{"translation": raw, "search": events})
			out = b
		}
		var buf bytes.Buffer
		if err := json.Indent(&buf, out, "", "  "); err != nil {
			return err
		}
		buf.WriteByte('\n')
		_, err := e.stdout.Write(buf.Bytes())
		return err
	}
	source := q.Source
	if q.Model != "" {
		source += " (" + q.Model + ")"
	}
	fmt.Fprintf(e.stdout, "query:       %s\n", clean(q.Query))
	if q.Explanation != "" {
		fmt.Fprintf(e.stdout, "explanation: %s\n", clean(q.Explanation))
	}
	fmt.Fprintf(e.stdout, "source:      %s\n", clean(source))
	if q.Note != "" {
		fmt.Fprintf(e.stdout, "note:        %s\n", clean(q.Note))
	}
	if !o.run {
		return nil
	}
	return printEvents(e.stdout, events)
}

// printEvents prints a search answer as a table.
func printEvents(w io.Writer, data []byte) error {
	var res struct {
		Events []struct {
			ID    int64 `json:"id"`
			Event struct {
				Time   time.Time      `json:"time"`
				Fields map[string]any `json:"fields"`
			} `json:"event"`
		} `json:"events"`
		Truncated bool `json:"truncated"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		return fmt.Errorf("server: unreadable search answer: %w", err)
	}
	fmt.Fprintln(w)
	if len(res.Events) == 0 {
		fmt.Fprintln(w, "No event matches.")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTIME\tHOST\tEVENT")
	for _, ev := range res.Events {
		host := ""
		for _, k := range []string{"Computer", "hostname", "host.name", "host"} {
			if h, ok := ev.Event.Fields[k].(string); ok && h != "" {
				host = h
				break
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", ev.ID, ev.Event.Time.UTC().Format(time.DateTime), clean(host), clean(eventSummary(ev.Event.Fields)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if res.Truncated {
		fmt.Fprintln(w, "(the search stopped early: narrow the query)")
	}
	return nil
}

// eventSummary is the fields an analyst reads first, on one line.
func eventSummary(fields map[string]any) string {
	var parts []string
	for _, k := range []string{"EventID", "Image", "CommandLine", "TargetUserName", "IpAddress", "QueryName", "TargetFilename", "message"} {
		if v, ok := fields[k]; ok {
			s := strings.Join(strings.Fields(fmt.Sprint(v)), " ")
			if len(s) > 100 {
				s = s[:100] + "…"
			}
			parts = append(parts, k+"="+s)
		}
	}
	return strings.Join(parts, " ")
}

func askSummary(ctx context.Context, e *env, c *askClient, o *askOptions) error {
	type claim struct {
		Text      string   `json:"text"`
		Citations []string `json:"citations"`
	}
	var s struct {
		Source             string  `json:"source"`
		Model              string  `json:"model"`
		Note               string  `json:"note"`
		WhatHappened       []claim `json:"what_happened"`
		WhyItMatters       []claim `json:"why_it_matters"`
		NextSteps          []claim `json:"next_steps"`
		SuspectedInjection []struct {
			Path string `json:"path"`
		} `json:"suspected_injection"`
	}
	raw, err := c.get(ctx, "GET", "/api/v1/cases/"+strconv.FormatInt(o.caseID, 10)+"/summary", nil, &s)
	if err != nil {
		return err
	}
	if o.json {
		_, err := e.stdout.Write(raw)
		return err
	}
	w := e.stdout
	source := "offline"
	if s.Source == "model" {
		source = "by " + s.Model
	}
	fmt.Fprintf(w, "Case %d, summarized %s\n", o.caseID, clean(source))
	if s.Note != "" {
		fmt.Fprintf(w, "Note: %s\n", clean(s.Note))
	}
	for _, sus := range s.SuspectedInjection {
		fmt.Fprintf(w, "WARNING: suspected prompt injection in %s\n", clean(sus.Path))
	}
	for _, part := range []struct {
		name   string
		claims []claim
	}{{"What happened", s.WhatHappened}, {"Why it matters", s.WhyItMatters}, {"Next steps", s.NextSteps}} {
		fmt.Fprintf(w, "\n%s\n", part.name)
		for _, cl := range part.claims {
			cites := ""
			if len(cl.Citations) > 0 {
				cites = " [" + strings.Join(cl.Citations, " ") + "]"
			}
			fmt.Fprintf(w, "- %s%s\n", clean(cl.Text), clean(cites))
		}
	}
	return nil
}

// askCase asks a question about a case and prints the answer as it
// arrives (server-sent events), or the JSON answer with --json.
func askCase(ctx context.Context, e *env, c *askClient, o *askOptions, question string) error {
	body := map[string]any{"question": question, "case_id": o.caseID}
	if o.json {
		raw, err := c.get(ctx, "POST", "/api/v1/copilot/ask", body, nil)
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(raw)
		return err
	}
	resp, err := c.call(ctx, "POST", "/api/v1/copilot/ask", body, "text/event-stream")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	name := ""
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "event: "); ok {
			name = v
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		var m struct {
			Text  string `json:"text"`
			Note  string `json:"note"`
			Error string `json:"error"`
		}
		if err := json.Unmarshal([]byte(data), &m); err != nil {
			return fmt.Errorf("server: unreadable event: %w", err)
		}
		switch name {
		case "delta":
			fmt.Fprint(e.stdout, clean(m.Text))
		case "done":
			fmt.Fprintln(e.stdout)
			if m.Note != "" {
				fmt.Fprintf(e.stderr, "note: %s\n", clean(m.Note))
			}
			return nil
		case "error":
			return fmt.Errorf("server: %s", clean(m.Error))
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	return errors.New("server: the answer ended early")
}
