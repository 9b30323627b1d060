package spotlight

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/copilot"
	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/store"
)

// Record kinds.
const (
	KindAlert     = "alert"
	KindEvent     = "event"
	KindCase      = "case"
	KindRule      = "rule"
	KindTechnique = "technique"
	KindResult    = "result" // a tool's answer that is none of the above
)

// AllowList names, per record kind, the fields that may reach a model.
// Names compare ignoring case; a name ending in "*" allows every field
// it prefixes ("entities.*"). A kind that is absent allows nothing.
type AllowList map[string][]string

// Allows reports whether field name of a record of kind may be sent.
func (a AllowList) Allows(kind, name string) bool {
	for _, p := range a[kind] {
		if prefix, ok := strings.CutSuffix(p, "*"); ok {
			if len(name) >= len(prefix) && strings.EqualFold(name[:len(prefix)], prefix) {
				return true
			}
			continue
		}
		if strings.EqualFold(p, name) {
			return true
		}
	}
	return false
}

// Clone returns a deep copy, for changing a default.
func (a AllowList) Clone() AllowList {
	c := maps.Clone(a)
	for k, v := range c {
		c[k] = slices.Clone(v)
	}
	return c
}

// DefaultEventFields are the event fields sent to a model by default:
// what an analyst needs to understand process, logon, network, file,
// registry, DNS and web activity. Free-text fields that exist to carry
// arbitrary content (script blocks, message bodies, raw payloads) are left
// out: they are where injected text hides and are rarely needed to judge
// an alert.
var DefaultEventFields = []string{
	// Where and what.
	"time", "host", "EventID", "Channel", "Provider_Name", "event.code", "event.action", "event_type",
	// Processes.
	"Image", "CommandLine", "ParentImage", "ParentCommandLine", "OriginalFileName", "CurrentDirectory",
	"IntegrityLevel", "Hashes", "ProcessId", "ParentProcessId", "NewProcessName", "ParentProcessName",
	"process.executable", "process.command_line", "process.parent.executable",
	// Accounts and logons.
	"User", "TargetUserName", "TargetDomainName", "SubjectUserName", "SubjectDomainName", "LogonType",
	"WorkstationName", "AuthenticationPackageName", "Status", "SubStatus", "user.name",
	// Network.
	"IpAddress", "IpPort", "SourceIp", "SourcePort", "DestinationIp", "DestinationPort", "DestinationHostname",
	"Protocol", "src_ip", "dest_ip", "dest_port", "source.ip", "destination.ip", "destination.port",
	// Files, registry, services, tasks, DNS.
	"TargetFilename", "file.path", "TargetObject", "Details", "ServiceName", "ImagePath", "ServiceFileName",
	"TaskName", "QueryName", "QueryResults", "dns.question.name",
	// Web.
	"url.original", "http.request.method", "http.response.status_code", "user_agent.original", "UserAgent",
	"cs-uri-stem", "cs-method", "sc-status", "cs(User-Agent)",
}

// DefaultFields returns the default allow-list: the alert's rule, time,
// host, entities and the values that matched (for allowed event fields),
// a case's summary fields, the rule and technique descriptions Bulwark
// itself holds, and DefaultEventFields.
func DefaultFields() AllowList {
	alertFields := []string{"rule.id", "rule.title", "rule.level", "rule.attack", "time", "host", "channel", "event_id", "entities.*", "correlation.*", "stored_event"}
	for _, f := range DefaultEventFields {
		alertFields = append(alertFields, "matches."+f)
	}
	return AllowList{
		KindEvent:     slices.Clone(DefaultEventFields),
		KindAlert:     alertFields,
		KindCase:      {"title", "status", "severity", "score", "verdict", "reasons", "entities.*", "first_seen", "last_seen", "alerts"},
		KindRule:      {"id", "title", "description", "level", "techniques", "falsepositives"},
		KindTechnique: {"id", "name", "tactics", "description", "mitigations", "detection"},
		// Tool answers are built by the agent from the records above; the
		// fields it adds of its own (counts, notes, intel) are listed here.
		KindResult: {"*"},
	}
}

// timeText writes times the same way everywhere, in UTC.
func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// EventRecord returns a stored event as a record: its time, host and
// every field in order.
func EventRecord(e store.StoredEvent) Record {
	r := Record{Kind: KindEvent, ID: strconv.FormatInt(e.ID, 10)}
	r.Fields = append(r.Fields, Field{"time", timeText(e.Time)}, Field{"host", e.Host()})
	for _, f := range e.Fields {
		r.Fields = append(r.Fields, Field{f.Name, valueText(f.Value)})
	}
	return r
}

func valueText(v event.Value) string {
	if v.Kind == event.KindNull {
		return ""
	}
	return v.Str
}

// AlertRecord returns a stored alert as a record.
func AlertRecord(a store.StoredAlert) Record {
	r := Record{Kind: KindAlert, ID: strconv.FormatInt(a.ID, 10)}
	add := func(name, value string) { r.Fields = append(r.Fields, Field{name, value}) }
	add("rule.id", a.Rule.ID)
	add("rule.title", a.Rule.Title)
	add("rule.level", a.Rule.Level)
	add("rule.attack", strings.Join(a.Rule.Attack, ", "))
	add("rule.description", a.Rule.Description)
	add("rule.author", a.Rule.Author)
	add("time", timeText(a.Time))
	add("host", a.Host)
	add("channel", a.Channel)
	add("event_id", a.Alert.EventID) // the Windows event id
	add("source.path", a.Source.Path)
	if a.EventID != 0 { // the stored event that raised it
		add("stored_event", "event:"+strconv.FormatInt(a.EventID, 10))
	}
	for _, m := range a.Matches {
		add("matches."+m.Field, m.Value)
	}
	for _, k := range slices.Sorted(maps.Keys(a.Entities)) {
		add("entities."+k, a.Entities[k])
	}
	if c := a.Correlation; c != nil {
		add("correlation.type", c.Type)
		add("correlation.count", strconv.FormatInt(c.Count, 10))
		add("correlation.first", timeText(c.First))
		add("correlation.last", timeText(c.Last))
		for _, k := range slices.Sorted(maps.Keys(c.Group)) {
			add("correlation.group."+k, c.Group[k])
		}
		add("correlation.values", strings.Join(c.Values, ", "))
	}
	return r
}

// CaseRecord returns a case as a record.
func CaseRecord(c store.Case) Record {
	r := Record{Kind: KindCase, ID: strconv.FormatInt(c.ID, 10)}
	add := func(name, value string) { r.Fields = append(r.Fields, Field{name, value}) }
	add("title", c.Title)
	add("status", c.Status)
	add("severity", c.Severity)
	add("score", strconv.FormatFloat(c.Score, 'f', -1, 64))
	add("verdict", c.Verdict)
	add("assignee", c.Assignee)
	add("reasons", strings.Join(c.Reasons, "; "))
	for _, k := range slices.Sorted(maps.Keys(c.Entities)) {
		add("entities."+k, c.Entities[k])
	}
	add("first_seen", timeText(c.FirstSeen))
	add("last_seen", timeText(c.LastSeen))
	ids := make([]string, len(c.AlertIDs))
	for i, id := range c.AlertIDs {
		ids[i] = "alert:" + strconv.FormatInt(id, 10)
	}
	add("alerts", strings.Join(ids, ", "))
	return r
}

// RuleRecord returns what Bulwark knows of a rule as a record. Rules are
// the team's own or a community's, so they are marked like everything
// else: a rule file can carry injected text too.
func RuleRecord(r copilot.RuleInfo) Record {
	return Record{Kind: KindRule, ID: r.ID, Fields: []Field{
		{"id", r.ID}, {"title", r.Title}, {"description", r.Description}, {"level", r.Level},
		{"techniques", strings.Join(r.Techniques, ", ")}, {"falsepositives", strings.Join(r.FalsePositives, "; ")},
	}}
}

// TechniqueRecord returns an ATT&CK technique as a record.
func TechniqueRecord(t copilot.TechniqueInfo) Record {
	return Record{Kind: KindTechnique, ID: t.ID, Fields: []Field{
		{"id", t.ID}, {"name", t.Name}, {"tactics", strings.Join(t.Tactics, ", ")}, {"description", t.Description},
		{"mitigations", strings.Join(t.Mitigations, "; ")}, {"detection", t.Detection},
	}}
}

// EvidenceRecords returns a case's evidence as records, in the order a
// reader needs them: the case, the rules and techniques that explain the
// alerts, the alerts, then their events.
func EvidenceRecords(ev copilot.Evidence) []Record {
	out := []Record{CaseRecord(ev.Case)}
	for _, id := range slices.Sorted(maps.Keys(ev.Rules)) {
		out = append(out, RuleRecord(ev.Rules[id]))
	}
	for _, id := range slices.Sorted(maps.Keys(ev.Techniques)) {
		out = append(out, TechniqueRecord(ev.Techniques[id]))
	}
	for _, a := range ev.Alerts {
		out = append(out, AlertRecord(a))
	}
	for _, e := range ev.Events {
		out = append(out, EventRecord(e))
	}
	return out
}

// EvidenceIDs returns the citation ids the evidence holds: its case,
// alerts and events.
func EvidenceIDs(ev copilot.Evidence) map[string]bool {
	ids := map[string]bool{}
	if ev.Case.ID != 0 {
		ids["case:"+strconv.FormatInt(ev.Case.ID, 10)] = true
	}
	for _, a := range ev.Alerts {
		ids["alert:"+strconv.FormatInt(a.ID, 10)] = true
	}
	for _, e := range ev.Events {
		ids["event:"+strconv.FormatInt(e.ID, 10)] = true
	}
	return ids
}
