package detect

import (
	"maps"
	"testing"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/event"
)

func TestEntities(t *testing.T) {
	if entityFields[0].kind != alert.EntityUser || len(entityFields) > 8 {
		t.Fatal("entitiesOf expects the user first and at most 8 kinds")
	}
	ev := func(kv ...string) *event.Event {
		e := &event.Event{}
		for i := 0; i < len(kv); i += 2 {
			e.Add(kv[i], event.String(kv[i+1]))
		}
		return e
	}
	for _, tc := range []struct {
		name string
		ev   *event.Event
		want map[string]string
	}{
		{"sysmon process", ev("Image", `C:\x.exe`, "User", `CORP\amy`, "Hashes", "SHA1=AA,MD5=BB,SHA256=CC"),
			map[string]string{"process": `C:\x.exe`, "user": `CORP\amy`, "hash": "cc"}},
		{"logon", ev("TargetUserName", "bob", "SubjectUserName", "DC01$", "IpAddress", "10.0.0.5"),
			map[string]string{"user": "bob", "src_ip": "10.0.0.5"}},
		{"placeholders", ev("IpAddress", "-", "User", ""), nil},
		{"group change", ev("TargetUserName", "Administrators", "SubjectUserName", "eve", "MemberSid", "S-1-5-21-1"),
			map[string]string{"user": "eve"}},
		{"zeek", ev("id.orig_h", "10.1.1.1", "id.resp_h", "10.1.1.2"),
			map[string]string{"src_ip": "10.1.1.1", "dst_ip": "10.1.1.2"}},
	} {
		if got := entitiesOf(tc.ev); !maps.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
