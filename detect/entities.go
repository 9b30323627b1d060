package detect

import (
	"strings"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/event"
)

// entityFields are, per kind of entity (the user first: entitiesOf relies
// on it), the fields that name it in the
// formats Bulwark reads, best first: Windows (EVTX, Sysmon, Security),
// ECS and Winlogbeat, Zeek, Suricata EVE and CloudTrail.
var entityFields = []struct {
	kind   string
	fields []string
}{
	{alert.EntityUser, []string{"TargetUserName", "User", "SubjectUserName", "AccountName", "user.name", "userIdentity.userName", "user"}},
	{alert.EntitySrcIP, []string{"IpAddress", "SourceIp", "SourceAddress", "ClientAddress", "src_ip", "source.ip", "id.orig_h", "sourceIPAddress"}},
	{alert.EntityDstIP, []string{"DestinationIp", "DestAddress", "dest_ip", "destination.ip", "id.resp_h"}},
	{alert.EntityProcess, []string{"Image", "NewProcessName", "ProcessName", "process.executable"}},
	{alert.EntityFile, []string{"TargetFilename", "file.path"}},
	{alert.EntityHash, []string{"Hashes", "file.hash.sha256", "hash.sha256", "sha256"}},
}

// entityRank maps a field name to its kind (index in entityFields) and
// rank among that kind's fields, so that an alert's entities come from one
// pass over the event.
var entityRank = func() map[string][2]int {
	m := map[string][2]int{}
	for k, e := range entityFields {
		for r, f := range e.fields {
			m[f] = [2]int{k, r}
		}
	}
	return m
}()

// entitiesOf returns the entities an event names, or nil.
func entitiesOf(ev *event.Event) map[string]string {
	var best [8]int // per kind: rank+1 of the field chosen, 0 for none
	var vals [8]string
	group := false
	for i := range ev.Fields {
		f := &ev.Fields[i]
		if f.Name == "MemberSid" {
			group = true
		}
		kr, ok := entityRank[f.Name]
		if !ok || !meaningful(f.Value.Str) {
			continue
		}
		if best[kr[0]] == 0 || kr[1]+1 < best[kr[0]] {
			best[kr[0]], vals[kr[0]] = kr[1]+1, f.Value.Str
		}
	}
	if group {
		// Group membership changes (4728, 4732, 4756) put the group in
		// TargetUserName; the user who acted is the subject.
		best[0], vals[0] = 0, ""
		if v := ev.GetString("SubjectUserName"); meaningful(v) {
			best[0], vals[0] = 1, v
		}
	}
	var m map[string]string
	for k, e := range entityFields {
		if best[k] == 0 {
			continue
		}
		if m == nil {
			m = make(map[string]string, 4)
		}
		m[e.kind] = entityValue(e.kind, vals[k])
	}
	return m
}

// meaningful leaves out the placeholders Windows writes for "none".
func meaningful(s string) bool {
	switch s {
	case "", "-", "::1", "127.0.0.1", "0.0.0.0", "NULL", "(null)":
		return false
	}
	return true
}

// entityValue normalises a value: Sysmon's Hashes field lists several
// ("SHA1=...,MD5=...,SHA256=..."), of which the SHA256 is the one to match
// on, then MD5, then whatever comes first.
func entityValue(kind, v string) string {
	if kind != alert.EntityHash || !strings.Contains(v, "=") {
		return v
	}
	for _, want := range []string{"SHA256=", "MD5="} {
		for _, part := range strings.Split(v, ",") {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(part), want); ok {
				return strings.ToLower(rest)
			}
		}
	}
	if _, rest, ok := strings.Cut(v, "="); ok {
		rest, _, _ = strings.Cut(rest, ",")
		return strings.ToLower(rest)
	}
	return v
}
