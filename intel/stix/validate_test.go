package stix

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// validSamples are objects the specification allows; each must pass both
// Validate and the OASIS schemas (schema_test.go).
var validSamples = []string{
	`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern":"[url:value = 'http://x.example/']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z","valid_until":"2017-01-01T00:00:00Z","confidence":100,"kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"execution"}],"x_acme":1}`,
	`{"type":"relationship","spec_version":"2.1","id":"relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad","created":"2016-04-06T20:06:37.000Z","modified":"2016-04-06T20:06:37.000Z","relationship_type":"indicates","source_ref":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","target_ref":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"}`,
	`{"type":"sighting","spec_version":"2.1","id":"sighting--ee20065d-2555-424f-ad9e-0f8428623c75","created":"2016-04-06T20:08:31.000Z","modified":"2016-04-06T20:08:31.000Z","sighting_of_ref":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","count":3,"where_sighted_refs":["identity--b67d30ff-02ac-498a-92f9-32f845f448ff"]}`,
	`{"type":"malware","spec_version":"2.1","id":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b","created":"2016-04-06T20:07:09.000Z","modified":"2016-04-06T20:07:09.000Z","name":"Poison Ivy","is_family":true}`,
	`{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da","created":"2017-01-20T00:00:00.000Z","definition_type":"tlp","name":"TLP:GREEN","definition":{"tlp":"green"}}`,
	`{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--fa42a846-8d90-4e51-bc29-71d5b4802168","created":"2017-06-01T00:00:00.000Z","definition_type":"statement","definition":{"statement":"Copyright The MITRE Corporation."}}`,
	`{"type":"location","spec_version":"2.1","id":"location--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64","created":"2016-04-06T20:03:00.000Z","modified":"2016-04-06T20:03:00.000Z","latitude":48.8566,"longitude":2.3522}`,
	`{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4","value":"198.51.100.3"}`,
	`{"type":"file","spec_version":"2.1","id":"file--06ce4029-bd3e-524d-bc97-61a81394c0d6","name":"qwerty.dll"}`,
	`{"type":"x-acme-widget","spec_version":"2.1","id":"x-acme-widget--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z"}`,
}

// invalidSamples each break one rule, at the path given.
var invalidSamples = []struct {
	obj, path string
	schema    bool // whether the OASIS schemas catch it too
}{
	{`{"type":"indicator","spec_version":"2.1","id":"malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern":"[x:y = 1]","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"}`, "id", true},
	{`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"}`, "pattern", true},
	{`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern":"[x:y = 1]","pattern_type":"stix","valid_from":"2016-01-01"}`, "valid_from", true},
	{`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern":"[x:y = 1]","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z","valid_until":"2015-01-01T00:00:00Z"}`, "valid_until", false},
	{`{"type":"malware","spec_version":"2.1","id":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b","created":"2016-04-06T20:07:09.000Z","modified":"2016-04-06T20:07:08.000Z","name":"x","is_family":false}`, "modified", false},
	{`{"type":"malware","spec_version":"2.1","id":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b","created":"2016-04-06T20:07:09Z","modified":"2016-04-06T20:07:09.000Z","name":"x","is_family":false}`, "created", true},
	{`{"type":"malware","spec_version":"2.1","id":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b","created":"2016-04-06T20:07:09.000Z","modified":"2016-04-06T20:07:09.000Z","name":"x","is_family":false,"confidence":101}`, "confidence", true},
	{`{"type":"malware","spec_version":"2.1","id":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b","created":"2016-04-06T20:07:09.000Z","modified":"2016-04-06T20:07:09.000Z","name":"x"}`, "is_family", true},
	{`{"type":"malware","id":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b","created":"2016-04-06T20:07:09.000Z","modified":"2016-04-06T20:07:09.000Z","name":"x","is_family":true}`, "spec_version", true},
	{`{"type":"relationship","spec_version":"2.1","id":"relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad","created":"2016-04-06T20:06:37.000Z","modified":"2016-04-06T20:06:37.000Z","relationship_type":"indicates","source_ref":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}`, "target_ref", true},
	{`{"type":"relationship","spec_version":"2.1","id":"relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad","created":"2016-04-06T20:06:37.000Z","modified":"2016-04-06T20:06:37.000Z","relationship_type":"indicates","source_ref":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","target_ref":"not-an-id"}`, "target_ref", true},
	{`{"type":"sighting","spec_version":"2.1","id":"sighting--ee20065d-2555-424f-ad9e-0f8428623c75","created":"2016-04-06T20:08:31.000Z","modified":"2016-04-06T20:08:31.000Z","sighting_of_ref":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","where_sighted_refs":["malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"]}`, "where_sighted_refs[0]", true},
	{`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern":"[x:y = 1]","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z","object_marking_refs":["identity--b67d30ff-02ac-498a-92f9-32f845f448ff"]}`, "object_marking_refs[0]", false},
	{`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern":"[x:y = 1]","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z","kill_chain_phases":[{"kill_chain_name":"k"}]}`, "kill_chain_phases[0].phase_name", true},
	{`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern":"[x:y = 1]","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z","external_references":[{"url":"https://x.example"}]}`, "external_references[0].source_name", true},
	{`{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da","created":"2017-01-20T00:00:00.000Z","definition_type":"tlp","definition":{"tlp":"purple"}}`, "definition.tlp", true},
	{`{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4"}`, "value", true},
	{`{"type":"file","spec_version":"2.1","id":"file--06ce4029-bd3e-524d-bc97-61a81394c0d6","size":1}`, "hashes", true},
	{`{"type":"location","spec_version":"2.1","id":"location--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64","created":"2016-04-06T20:03:00.000Z","modified":"2016-04-06T20:03:00.000Z","latitude":91,"longitude":2}`, "latitude", true},
	{`{"type":"Bad_Type","spec_version":"2.1","id":"Bad_Type--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64","created":"2016-04-06T20:03:00.000Z","modified":"2016-04-06T20:03:00.000Z"}`, "type", true},
}

func parseObj(t *testing.T, s string) Object {
	t.Helper()
	var o Object
	if err := json.Unmarshal([]byte(s), &o); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	return o
}

func TestValidate(t *testing.T) {
	for _, s := range validSamples {
		if err := Validate(parseObj(t, s)); err != nil {
			t.Errorf("valid sample rejected: %v", err)
		}
	}
	for _, tt := range invalidSamples {
		err := Validate(parseObj(t, tt.obj))
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("want a problem at %s, got %v: %s", tt.path, err, tt.obj)
			continue
		}
		found := false
		for _, p := range ve.Problems {
			found = found || p.Path == tt.path
		}
		if !found {
			t.Errorf("want a problem at %s, got %v", tt.path, err)
		}
	}
}

func TestValidateAllNamesIndex(t *testing.T) {
	objs := []Object{parseObj(t, validSamples[0]), parseObj(t, invalidSamples[0].obj)}
	errs := ValidateAll(objs)
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), "objects[1]: stix: invalid malware--") {
		t.Errorf("errs = %v", errs)
	}
}
