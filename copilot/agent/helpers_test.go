package agent_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/attack"
	"github.com/bulwarkhq/bulwark/copilot"
	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/store/sqlite"
)

// turnFunc is one scripted model turn: it sees the request and answers.
type turnFunc func(req copilot.Request) (copilot.Message, error)

// scripted is an in-process copilot.Provider: each Complete runs the next
// turn of the script (the last one repeats), and every request is kept.
type scripted struct {
	mu       sync.Mutex
	turns    []turnFunc
	requests []copilot.Request
}

func (p *scripted) Name() string { return "scripted:test" }

func (p *scripted) Complete(ctx context.Context, req copilot.Request) (copilot.Response, error) {
	p.mu.Lock()
	p.requests = append(p.requests, req)
	n := len(p.requests)
	p.mu.Unlock()
	if len(p.turns) == 0 {
		return copilot.Response{}, fmt.Errorf("%w: empty script", copilot.ErrProvider)
	}
	turn := p.turns[min(n, len(p.turns))-1]
	msg, err := turn(req)
	if err != nil {
		return copilot.Response{}, err
	}
	msg.Role = copilot.RoleAssistant
	return copilot.Response{Message: msg, Model: "test-model", Usage: copilot.Usage{PromptTokens: 50, CompletionTokens: 5}}, nil
}

func (p *scripted) Stream(ctx context.Context, req copilot.Request, onDelta func(string) error) (copilot.Response, error) {
	resp, err := p.Complete(ctx, req)
	if err == nil && resp.Message.Content != "" {
		err = onDelta(resp.Message.Content)
	}
	return resp, err
}

// call builds a tool call with JSON arguments.
func call(id, name string, args any) copilot.ToolCall {
	b, _ := json.Marshal(args)
	return copilot.ToolCall{ID: id, Name: name, Arguments: string(b)}
}

func calls(cs ...copilot.ToolCall) turnFunc {
	return func(copilot.Request) (copilot.Message, error) { return copilot.Message{ToolCalls: cs}, nil }
}

func answer(text string) turnFunc {
	return func(copilot.Request) (copilot.Message, error) { return copilot.Message{Content: text}, nil }
}

// lastToolResult returns the content of the request's last tool message.
func lastToolResult(req copilot.Request) string {
	for i := len(req.Messages) - 1; i >= 0; i-- {
		if req.Messages[i].Role == copilot.RoleTool {
			return req.Messages[i].Content
		}
	}
	return ""
}

// testKB is a two-technique ATT&CK bundle with one mitigation.
func testKB(t testing.TB) *attack.KB {
	t.Helper()
	const bundle = `{"type":"bundle","objects":[
{"type":"x-mitre-matrix","name":"Enterprise ATT&CK","tactic_refs":["x-mitre-tactic--ca"]},
{"type":"x-mitre-tactic","id":"x-mitre-tactic--ca","name":"Credential Access","x_mitre_shortname":"credential-access","external_references":[{"source_name":"mitre-attack","external_id":"TA0006"}]},
{"type":"attack-pattern","id":"attack-pattern--1","name":"OS Credential Dumping","description":"Adversaries may attempt to dump credentials.","external_references":[{"source_name":"mitre-attack","external_id":"T1003"}],"kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"credential-access"}]},
{"type":"attack-pattern","id":"attack-pattern--2","name":"LSASS Memory","description":"Adversaries may access LSASS memory.","external_references":[{"source_name":"mitre-attack","external_id":"T1003.001"}],"kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"credential-access"}]},
{"type":"course-of-action","id":"course-of-action--1","name":"Credential Access Protection","external_references":[{"source_name":"mitre-attack","external_id":"M1043"}]},
{"type":"relationship","id":"relationship--1","relationship_type":"mitigates","source_ref":"course-of-action--1","target_ref":"attack-pattern--2","description":"Enable Credential Guard."}
]}`
	kb, err := attack.Load(strings.NewReader(bundle))
	if err != nil {
		t.Fatal(err)
	}
	return kb
}

func testRules(id string) (copilot.RuleInfo, bool) {
	if id == "r-mimi" {
		return copilot.RuleInfo{ID: id, Title: "Mimikatz use", Level: "high", Techniques: []string{"T1003.001"}}, true
	}
	return copilot.RuleInfo{}, false
}

func openStore(t testing.TB) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// writeFailingStore is a store whose every write fails the test: the
// agent and the features must only read.
type writeFailingStore struct {
	store.Store
	t      testing.TB
	writes *int // counts attempted writes when set
}

func (s writeFailingStore) fail(what string) error {
	if s.writes != nil {
		*s.writes++
	}
	s.t.Errorf("the copilot wrote to the store: %s", what)
	return fmt.Errorf("write refused: %s", what)
}

func (s writeFailingStore) AppendEvents(context.Context, []event.Event) (int64, error) {
	return 0, s.fail("AppendEvents")
}
func (s writeFailingStore) DeleteEventsBefore(context.Context, time.Time) (int64, error) {
	return 0, s.fail("DeleteEventsBefore")
}
func (s writeFailingStore) AddAlerts(context.Context, []store.StoredAlert, int64) error {
	return s.fail("AddAlerts")
}
func (s writeFailingStore) DeleteAlert(context.Context, int64) error { return s.fail("DeleteAlert") }
func (s writeFailingStore) CreateCase(context.Context, *store.Case) error {
	return s.fail("CreateCase")
}
func (s writeFailingStore) UpdateCase(context.Context, *store.Case) error {
	return s.fail("UpdateCase")
}
func (s writeFailingStore) DeleteCase(context.Context, int64) error { return s.fail("DeleteCase") }
func (s writeFailingStore) AddCaseComment(context.Context, *store.CaseComment) error {
	return s.fail("AddCaseComment")
}
func (s writeFailingStore) CreateSuppression(context.Context, *store.Suppression) error {
	return s.fail("CreateSuppression")
}
func (s writeFailingStore) DeleteSuppression(context.Context, int64) error {
	return s.fail("DeleteSuppression")
}
func (s writeFailingStore) AppendAudit(context.Context, store.AuditEntry) error {
	return s.fail("AppendAudit")
}
func (s writeFailingStore) SetSetting(context.Context, string, string) error {
	return s.fail("SetSetting")
}
func (s writeFailingStore) CreateUser(context.Context, store.User) error { return s.fail("CreateUser") }
func (s writeFailingStore) UpdateUser(context.Context, store.User) error { return s.fail("UpdateUser") }
func (s writeFailingStore) DeleteUser(context.Context, string) error     { return s.fail("DeleteUser") }
func (s writeFailingStore) CreateToken(context.Context, *store.Token) error {
	return s.fail("CreateToken")
}
func (s writeFailingStore) DeleteToken(context.Context, int64) error { return s.fail("DeleteToken") }
func (s writeFailingStore) TouchToken(context.Context, int64, time.Time) error {
	return s.fail("TouchToken")
}
func (s writeFailingStore) CreateSession(context.Context, store.Session) error {
	return s.fail("CreateSession")
}
func (s writeFailingStore) DeleteSession(context.Context, string) error {
	return s.fail("DeleteSession")
}
