package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/copilot"
	"github.com/bulwarkhq/bulwark/copilot/spotlight"
	"github.com/bulwarkhq/bulwark/search"
	"github.com/bulwarkhq/bulwark/store"
)

// Names of the read-only tools.
const (
	ToolSearchEvents    = "search_events"
	ToolGetCase         = "get_case"
	ToolGetAlert        = "get_alert"
	ToolEntityTimeline  = "entity_timeline"
	ToolAttackLookup    = "attack_lookup"
	ToolIndicatorLookup = "indicator_lookup"
	ToolRuleLookup      = "rule_lookup"
	// ToolProposeAction records an action for a human to approve; it is
	// always offered, and it never acts.
	ToolProposeAction = "propose_action"
)

// DefaultTools are every read-only tool.
var DefaultTools = []string{ToolSearchEvents, ToolGetCase, ToolGetAlert, ToolEntityTimeline, ToolAttackLookup, ToolIndicatorLookup, ToolRuleLookup}

// Limits on what one tool call returns.
const (
	DefaultMaxResults = 20
	maxResultsCap     = 50
	maxTimelineHours  = 7 * 24
)

// toolContext is what a tool runs with: the investigation's backend and
// spotlight session, and where proposals go.
type toolContext struct {
	backend    Backend
	indicators Indicators
	session    *spotlight.Session
	maxResults int
	propose    func(Proposal)
}

// tool is one tool: its description for the model and its code. run
// returns the text for the model, already spotlighted; an error is shown
// to the model as the result (it may retry with other arguments).
type tool struct {
	spec copilot.ToolSpec
	run  func(ctx context.Context, tc *toolContext, args json.RawMessage) (string, error)
}

func schema(props string, required ...string) json.RawMessage {
	req, _ := json.Marshal(required)
	return json.RawMessage(`{"type":"object","properties":{` + props + `},"required":` + string(req) + `,"additionalProperties":false}`)
}

// tools are every tool the agent can have, by name. Nothing here writes:
// there is no tool to close, delete, suppress or block, only
// propose_action.
var tools = map[string]tool{
	ToolSearchEvents: {spec: copilot.ToolSpec{Name: ToolSearchEvents,
		Description: "Search stored events with Bulwark's search language (field:value, wildcards, AND/OR/NOT, time:>now-24h, host:name). Returns the newest matching events.",
		Parameters:  schema(`"query":{"type":"string"},"limit":{"type":"integer","minimum":1,"maximum":50}`, "query")},
		run: runSearchEvents},
	ToolGetCase: {spec: copilot.ToolSpec{Name: ToolGetCase, Description: "Get a case by id: title, status, severity, entities and alert ids.",
		Parameters: schema(`"id":{"type":"integer"}`, "id")}, run: runGetCase},
	ToolGetAlert: {spec: copilot.ToolSpec{Name: ToolGetAlert, Description: "Get an alert by id: the rule, host, matched values and entities.",
		Parameters: schema(`"id":{"type":"integer"}`, "id")}, run: runGetAlert},
	ToolEntityTimeline: {spec: copilot.ToolSpec{Name: ToolEntityTimeline,
		Description: "Alerts and events about a host, user or IP address within `hours` (default 12, at most 168) either side of `around` (RFC 3339; default now, looking back).",
		Parameters:  schema(`"kind":{"type":"string","enum":["host","user","ip"]},"value":{"type":"string"},"around":{"type":"string"},"hours":{"type":"integer"}`, "kind", "value")},
		run: runEntityTimeline},
	ToolAttackLookup: {spec: copilot.ToolSpec{Name: ToolAttackLookup, Description: "Look up a MITRE ATT&CK technique by id (T1059.001): name, tactics, description, mitigations.",
		Parameters: schema(`"id":{"type":"string"}`, "id")}, run: runAttackLookup},
	ToolIndicatorLookup: {spec: copilot.ToolSpec{Name: ToolIndicatorLookup, Description: "Look up an indicator (IP, domain, hash, URL) in threat intelligence.",
		Parameters: schema(`"indicator":{"type":"string"}`, "indicator")}, run: runIndicatorLookup},
	ToolRuleLookup: {spec: copilot.ToolSpec{Name: ToolRuleLookup, Description: "Look up a detection rule by id: title, description, level, techniques, false positives.",
		Parameters: schema(`"id":{"type":"string"}`, "id")}, run: runRuleLookup},
	ToolProposeAction: {spec: copilot.ToolSpec{Name: ToolProposeAction,
		Description: "Propose an action that changes something (close a case, set a verdict, add a suppression, isolate a host, ...). It is recorded for an analyst to approve; nothing is done.",
		Parameters:  schema(`"action":{"type":"string"},"target":{"type":"string"},"reason":{"type":"string"}`, "action", "target", "reason")},
		run: runProposeAction},
}

func decodeArgs(args json.RawMessage, v any) error {
	if len(args) == 0 {
		args = json.RawMessage("{}")
	}
	if err := json.Unmarshal(args, v); err != nil {
		return fmt.Errorf("arguments are not the JSON object asked for: %v", err)
	}
	return nil
}

// header is the tool's own line about its answer: the arguments it echoes
// were written by the model, possibly under an injection's influence, so
// they are marked like any other untrusted text.
func header(tc *toolContext, fields ...spotlight.Field) string {
	return tc.session.Render(spotlight.Record{Kind: spotlight.KindResult, Fields: fields})
}

func (tc *toolContext) limit(n int) int {
	if n <= 0 || n > tc.maxResults {
		return tc.maxResults
	}
	return n
}

func runSearchEvents(ctx context.Context, tc *toolContext, args json.RawMessage) (string, error) {
	var a struct {
		Query string `json:"query"`
		Limit int    `json:"limit"`
	}
	if err := decodeArgs(args, &a); err != nil {
		return "", err
	}
	q, err := search.Parse(a.Query)
	if err != nil {
		return "", fmt.Errorf("the query does not parse: %v", err)
	}
	if strings.TrimSpace(a.Query) == "" {
		return "", errors.New("the query is empty; say what to look for")
	}
	evs, truncated, err := tc.backend.SearchEvents(ctx, q, tc.limit(a.Limit))
	if err != nil {
		return "", err
	}
	recs := make([]spotlight.Record, len(evs))
	for i, e := range evs {
		recs[i] = spotlight.EventRecord(e)
	}
	return header(tc, spotlight.Field{Name: "query", Value: q.String()}, spotlight.Field{Name: "events", Value: strconv.Itoa(len(evs))},
		spotlight.Field{Name: "more", Value: strconv.FormatBool(truncated)}) + tc.session.Render(recs...), nil
}

// idArg reads the "id" argument: a number, or a string holding one
// ("12", "alert:12"), as models write both.
func idArg(args json.RawMessage) (int64, error) {
	var a struct {
		ID any `json:"id"`
	}
	if err := decodeArgs(args, &a); err != nil {
		return 0, err
	}
	var s string
	switch v := a.ID.(type) {
	case float64:
		s = strconv.FormatFloat(v, 'f', -1, 64)
	case string:
		s = strings.TrimSpace(v)
		if i := strings.LastIndexByte(s, ':'); i >= 0 {
			s = strings.TrimSpace(s[i+1:])
		}
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("id must be a positive integer, not %v", a.ID)
	}
	return id, nil
}

func runGetCase(ctx context.Context, tc *toolContext, args json.RawMessage) (string, error) {
	id, err := idArg(args)
	if err != nil {
		return "", err
	}
	c, err := tc.backend.GetCase(ctx, id)
	if err != nil {
		return "", err
	}
	return tc.session.Render(spotlight.CaseRecord(c)), nil
}

func runGetAlert(ctx context.Context, tc *toolContext, args json.RawMessage) (string, error) {
	id, err := idArg(args)
	if err != nil {
		return "", err
	}
	a, err := tc.backend.GetAlert(ctx, id)
	if err != nil {
		return "", err
	}
	return tc.session.Render(spotlight.AlertRecord(a)), nil
}

func runEntityTimeline(ctx context.Context, tc *toolContext, args json.RawMessage) (string, error) {
	var a struct {
		Kind   string `json:"kind"`
		Value  string `json:"value"`
		Around string `json:"around"`
		Hours  int    `json:"hours"`
	}
	if err := decodeArgs(args, &a); err != nil {
		return "", err
	}
	if strings.TrimSpace(a.Value) == "" {
		return "", errors.New("value is empty")
	}
	hours := a.Hours
	if hours <= 0 {
		hours = 12
	}
	hours = min(hours, maxTimelineHours)
	span := time.Duration(hours) * time.Hour
	from, to := time.Now().Add(-span), time.Now().Add(time.Minute)
	if a.Around != "" {
		at, err := time.Parse(time.RFC3339, a.Around)
		if err != nil {
			return "", fmt.Errorf("around must be an RFC 3339 time: %v", err)
		}
		from, to = at.Add(-span), at.Add(span)
	}
	tl, err := tc.backend.EntityTimeline(ctx, a.Kind, a.Value, from, to, tc.maxResults)
	if err != nil {
		return "", err
	}
	recs := make([]spotlight.Record, 0, len(tl.Alerts)+len(tl.Events))
	for _, al := range tl.Alerts {
		recs = append(recs, spotlight.AlertRecord(al))
	}
	for _, e := range tl.Events {
		recs = append(recs, spotlight.EventRecord(e))
	}
	// Kind and value go in fields of their own: the guard's classifier
	// reads "user bob" as a chat role and would withhold it.
	return header(tc, spotlight.Field{Name: "kind", Value: a.Kind}, spotlight.Field{Name: "value", Value: a.Value},
		spotlight.Field{Name: "window", Value: from.UTC().Format(time.RFC3339) + " to " + to.UTC().Format(time.RFC3339)},
		spotlight.Field{Name: "alerts", Value: strconv.Itoa(len(tl.Alerts))}, spotlight.Field{Name: "events", Value: strconv.Itoa(len(tl.Events))},
		spotlight.Field{Name: "more", Value: strconv.FormatBool(tl.Truncated)}) + tc.session.Render(recs...), nil
}

func stringArg(args json.RawMessage, name string) (string, error) {
	var a map[string]any
	if err := decodeArgs(args, &a); err != nil {
		return "", err
	}
	s, _ := a[name].(string)
	if s = strings.TrimSpace(s); s == "" {
		return "", fmt.Errorf("%s is missing", name)
	}
	return s, nil
}

func runAttackLookup(ctx context.Context, tc *toolContext, args json.RawMessage) (string, error) {
	id, err := stringArg(args, "id")
	if err != nil {
		return "", err
	}
	t, err := tc.backend.Technique(ctx, id)
	if err != nil {
		return "", err
	}
	return tc.session.Render(spotlight.TechniqueRecord(t)), nil
}

func runRuleLookup(ctx context.Context, tc *toolContext, args json.RawMessage) (string, error) {
	id, err := stringArg(args, "id")
	if err != nil {
		return "", err
	}
	r, err := tc.backend.Rule(ctx, id)
	if err != nil {
		return "", err
	}
	return tc.session.Render(spotlight.RuleRecord(r)), nil
}

// NoIntel is indicator_lookup's answer when no threat intelligence is
// configured.
const NoIntel = "no intel configured"

func runIndicatorLookup(ctx context.Context, tc *toolContext, args json.RawMessage) (string, error) {
	ind, err := stringArg(args, "indicator")
	if err != nil {
		return "", err
	}
	if tc.indicators == nil {
		return NoIntel, nil
	}
	found, err := tc.indicators.Lookup(ctx, ind)
	if err != nil {
		return "", err
	}
	if len(found) == 0 {
		return "no intel on this indicator", nil
	}
	recs := make([]spotlight.Record, len(found))
	for i, in := range found {
		recs[i] = spotlight.Record{Kind: spotlight.KindResult, Fields: []spotlight.Field{
			{Name: "indicator", Value: in.Indicator}, {Name: "kind", Value: in.Kind}, {Name: "verdict", Value: in.Verdict},
			{Name: "sources", Value: strings.Join(in.Sources, ", ")}, {Name: "detail", Value: in.Detail}}}
	}
	return tc.session.Render(recs...), nil
}

// Proposal is an action the agent suggests; an analyst approves or
// rejects it in the UI. The agent never carries one out.
type Proposal struct {
	Action string `json:"action"`
	Target string `json:"target"`
	Reason string `json:"reason"`
	Turn   int    `json:"turn"`
}

// Proposed is propose_action's answer.
const Proposed = "proposed, awaiting approval by an analyst; nothing has been done"

func runProposeAction(_ context.Context, tc *toolContext, args json.RawMessage) (string, error) {
	var p Proposal
	if err := decodeArgs(args, &p); err != nil {
		return "", err
	}
	if strings.TrimSpace(p.Action) == "" {
		return "", errors.New("action is missing")
	}
	const maxLen = 500 // a proposal is a line in a list, not a document
	p.Action, p.Target, p.Reason = clip(p.Action, 100), clip(p.Target, maxLen), clip(p.Reason, maxLen)
	tc.propose(p)
	return Proposed, nil
}

func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	r := []rune(s[:n])
	return string(r[:len(r)-1]) + "…"
}

// notFoundText turns a backend's not-found error into words for the
// model.
func errorText(err error) string {
	if errors.Is(err, store.ErrNotFound) {
		return "error: not found"
	}
	return "error: " + err.Error()
}
