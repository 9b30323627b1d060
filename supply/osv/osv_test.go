package osv

import (
	"slices"
	"strings"
	"testing"
)

// entryJSON builds an entry with one affected package from its ranges and
// versions JSON.
func entryJSON(ecosystem, name, ranges, versions string) string {
	return `{"id":"TEST-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"` + ecosystem +
		`","name":"` + name + `"},"ranges":` + ranges + `,"versions":` + versions + `}]}`
}

func mustRecord(t *testing.T, js string) *Record {
	t.Helper()
	e, err := Decode([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	recs, rejects := Records("test.json", e)
	if len(rejects) > 0 || len(recs) != 1 {
		t.Fatalf("records %d, rejects %v", len(recs), rejects)
	}
	return recs[0]
}

// TestEvaluation follows the schema's examples (docs/schema.md, Examples).
func TestEvaluation(t *testing.T) {
	for _, tc := range []struct {
		name, ecosystem, ranges, versions string
		affected, unaffected              []string
	}{
		{"unfixed: every version", "npm", `[{"type":"SEMVER","events":[{"introduced":"0"}]}]`, `[]`,
			[]string{"0.0.1", "1.0.0", "99.0.0", "0.0.0-alpha"}, nil},
		{"fixed: everything before 1.0.2", "npm", `[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.2"}]}]`, `[]`,
			[]string{"0.1.0", "1.0.1", "1.0.2-rc.1"}, []string{"1.0.2", "1.0.3", "2.0.0"}},
		{"multiple ranges in one event list", "npm", `[{"type":"SEMVER","events":[{"introduced":"1.0.0"},{"fixed":"1.0.2"},{"introduced":"3.0.0"},{"fixed":"3.2.5"}]}]`, `[]`,
			[]string{"1.0.0", "1.0.1", "3.0.0", "3.2.4"}, []string{"0.9.0", "1.0.2", "2.5.0", "3.2.5", "4.0.0"}},
		{"events out of order are sorted", "npm", `[{"type":"SEMVER","events":[{"fixed":"3.2.5"},{"introduced":"3.0.0"},{"fixed":"1.0.2"},{"introduced":"1.0.0"}]}]`, `[]`,
			[]string{"1.0.1", "3.1.0"}, []string{"2.0.0", "3.2.5"}},
		{"last_affected is inclusive", "PyPI", `[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"last_affected":"2.1.214"}]}]`, `[]`,
			[]string{"1.0", "2.1.214", "2.1.214.0", "2.1.214rc1"}, []string{"2.1.214.post1", "2.1.215"}},
		{"fixed is exclusive", "PyPI", `[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.1.214"}]}]`, `[]`,
			[]string{"2.1.213", "2.1.214rc1"}, []string{"2.1.214", "2.1.214.0"}},
		{"limit bounds the range", "npm", `[{"type":"SEMVER","events":[{"introduced":"1.0.0"},{"limit":"2.0.0"}]}]`, `[]`,
			[]string{"1.0.0", "1.9.9"}, []string{"0.9.0", "2.0.0", "3.0.0"}},
		{"limit * is infinity", "npm", `[{"type":"SEMVER","events":[{"introduced":"1.0.0"},{"limit":"*"}]}]`, `[]`,
			[]string{"1.0.0", "9.0.0"}, []string{"0.1.0"}},
		{"any of several limits", "npm", `[{"type":"SEMVER","events":[{"introduced":"1.0.0"},{"limit":"1.5.0"},{"limit":"3.0.0"}]}]`, `[]`,
			[]string{"1.0.0", "2.0.0"}, []string{"3.0.0"}},
		{"introduced equal to fixed is empty", "npm", `[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"0"}]}]`, `[]`,
			nil, []string{"0.0.1", "1.0.0"}},
		{"introduced equal to last_affected is one version", "npm", `[{"type":"ECOSYSTEM","events":[{"introduced":"0.0.7"},{"last_affected":"0.0.7"}]}]`, `[]`,
			[]string{"0.0.7"}, []string{"0.0.6", "0.0.8"}},
		{"versions list only", "PyPI", `[]`, `["4.0","4.1"]`,
			[]string{"4.0", "4.0.0", "4.1"}, []string{"4.2", "3.9"}},
		{"GIT ranges never match versions", "PyPI", `[{"type":"GIT","repo":"https://example.com/r","events":[{"introduced":"0"},{"fixed":"abc"}]}]`, `["5.0"]`,
			[]string{"5.0"}, []string{"4.0", "abc"}},
		{"SEMVER compares as SemVer in PyPI", "PyPI", `[{"type":"SEMVER","events":[{"introduced":"1.0.0-alpha"},{"fixed":"1.0.0"}]}]`, `[]`,
			[]string{"1.0.0-beta"}, []string{"1.0.0", "1.0.1"}},
		{"ECOSYSTEM compares as PEP 440", "PyPI", `[{"type":"ECOSYSTEM","events":[{"introduced":"1.0a1"},{"fixed":"1.0"}]}]`, `[]`,
			[]string{"1.0b2", "1.0rc1"}, []string{"1.0", "1.0.post1", "1.0.dev1"}},
		{"Go SEMVER with v prefix and pseudo-versions", "Go", `[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.6.0"}]}]`, `[]`,
			[]string{"v1.5.0", "v0.0.0-20191109021931-daa7c04131f5", "v1.6.0-rc.1"}, []string{"v1.6.0", "v2.0.0+incompatible"}},
		{"Maven qualifiers", "Maven", `[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.4.11"}]}]`, `[]`,
			[]string{"1.4.7", "1.4.11-SNAPSHOT", "1.4.11.RC1"}, []string{"1.4.11", "1.4.11.Final", "1.4.11.1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRecord(t, entryJSON(tc.ecosystem, "pkg", tc.ranges, tc.versions))
			for _, v := range tc.affected {
				if ok, err := r.Affects(NewQuery(tc.ecosystem, v)); !ok {
					t.Errorf("%s not affected (%v), want affected", v, err)
				}
			}
			for _, v := range tc.unaffected {
				if ok, _ := r.Affects(NewQuery(tc.ecosystem, v)); ok {
					t.Errorf("%s affected, want not", v)
				}
			}
		})
	}
}

func TestUnparsableQueryIsReported(t *testing.T) {
	r := mustRecord(t, entryJSON("npm", "pkg", `[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.0.0"}]}]`, `[]`))
	ok, err := r.Affects(NewQuery("npm", "github:user/repo#abc"))
	if ok || err == nil {
		t.Errorf("Affects = %v, %v; want false and an error", ok, err)
	}
}

func TestValidationRejects(t *testing.T) {
	for _, tc := range []struct{ name, js, reason string }{
		{"no id", `{"modified":"2024-01-01T00:00:00Z","affected":[]}`, "no id"},
		{"malformed id", `{"id":"no dash","modified":"2024-01-01T00:00:00Z","affected":[]}`, "malformed id"},
		{"no modified", `{"id":"X-1","affected":[{"package":{"ecosystem":"npm","name":"a"},"versions":["1"]}]}`, "no modified"},
		{"no affected", `{"id":"X-1","modified":"2024-01-01T00:00:00Z"}`, "no affected"},
		{"unknown range type", entryJSON("npm", "a", `[{"type":"DATE","events":[{"introduced":"0"}]}]`, `[]`), `unknown range type "DATE"`},
		{"two keys in one event", entryJSON("npm", "a", `[{"type":"SEMVER","events":[{"introduced":"1.0.0","fixed":"1.0.2"}]}]`, `[]`), "2 event keys"},
		{"unknown event", entryJSON("npm", "a", `[{"type":"SEMVER","events":[{"introduced":"0"},{"patched":"1.0.2"}]}]`, `[]`), `unknown key "patched"`},
		{"no introduced", entryJSON("npm", "a", `[{"type":"SEMVER","events":[{"fixed":"1.0.2"}]}]`, `[]`), "no introduced"},
		{"unparsable bound", entryJSON("PyPI", "a", `[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"next release"}]}]`, `[]`), "not a PEP 440 version"},
		{"GIT without repo", entryJSON("PyPI", "a", `[{"type":"GIT","events":[{"introduced":"0"}]}]`, `[]`), "GIT range without repo"},
		{"no package name", entryJSON("npm", "", `[{"type":"SEMVER","events":[{"introduced":"0"}]}]`, `[]`), "without ecosystem or name"},
	} {
		e, err := Decode([]byte(tc.js))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		rej := Validate(tc.name+".json", e)
		if len(rej) == 0 || !strings.Contains(rej[0].Reason, tc.reason) || rej[0].File != tc.name+".json" {
			t.Errorf("%s: rejects %v, want reason containing %q", tc.name, rej, tc.reason)
		}
	}
}

func TestGitRangeNeedsNoVersionParse(t *testing.T) {
	e, _ := Decode([]byte(entryJSON("PyPI", "a", `[{"type":"GIT","repo":"https://x","events":[{"introduced":"0"},{"fixed":"b42dd4badf803bb9fb71ac34cd9cb0c249262f2c"}]}]`, `["1.0"]`)))
	if rej := Validate("x.json", e); len(rej) != 0 {
		t.Errorf("rejects %v", rej)
	}
}

func TestRejectOnlyTheBadPackage(t *testing.T) {
	js := `{"id":"X-1","modified":"2024-01-01T00:00:00Z","affected":[
	 {"package":{"ecosystem":"npm","name":"good"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]},
	 {"package":{"ecosystem":"npm","name":"bad"},"ranges":[{"type":"SEMVER","events":[{"fixed":"1.0.0"}]}]}]}`
	e, _ := Decode([]byte(js))
	recs, rej := Records("x.json", e)
	if len(recs) != 1 || recs[0].Name != "good" || len(rej) != 1 || rej[0].Affected != 1 {
		t.Errorf("records %v, rejects %v", recs, rej)
	}
}

func TestBadRangeKeepsVersionsList(t *testing.T) {
	js := entryJSON("PyPI", "steam", `[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2019-09-12"}]}]`, `["0.9","1.0"]`)
	e, _ := Decode([]byte(js))
	recs, rej := Records("x.json", e)
	if len(rej) != 1 || rej[0].Range != 0 || len(recs) != 1 || len(recs[0].Ranges) != 0 {
		t.Fatalf("records %v, rejects %v", recs, rej)
	}
	if ok, _ := recs[0].Affects(NewQuery("PyPI", "1.0")); !ok {
		t.Error("1.0 is listed and must still match")
	}
}

func TestBadTimestampIsKept(t *testing.T) {
	js := strings.Replace(entryJSON("npm", "a", `[{"type":"SEMVER","events":[{"introduced":"0"}]}]`, `[]`), "2024-01-01T00:00:00Z", "1-01-01T00:00:00Z", 1)
	e, _ := Decode([]byte(js))
	recs, rej := Records("x.json", e)
	if len(recs) != 1 || len(rej) != 1 || !rej[0].Kept {
		t.Errorf("records %v, rejects %v", recs, rej)
	}
}

func TestRecordsJoinAndFixed(t *testing.T) {
	js := `{"id":"GHSA-x","modified":"2024-01-01T00:00:00Z","aliases":["CVE-1"],"related":["X-2"],"affected":[
	 {"package":{"ecosystem":"npm","name":"Colors"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"2.0.0"},{"fixed":"2.10.0"}]}]},
	 {"package":{"ecosystem":"npm","name":"colors"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.9.0"}]},{"type":"ECOSYSTEM","events":[{"introduced":"2.10.0"},{"fixed":"2.9.0-x"}]}]}]}`
	e, _ := Decode([]byte(js))
	recs, rej := Records("x.json", e)
	if len(recs) != 1 || len(rej) != 0 {
		t.Fatalf("records %d, rejects %v", len(recs), rej)
	}
	r := recs[0]
	if want := []string{"1.9.0", "2.9.0-x", "2.10.0"}; !slices.Equal(r.Fixed(), want) {
		t.Errorf("Fixed = %v, want %v", r.Fixed(), want)
	}
	if eco, name := r.Key(); eco != "npm" || name != "colors" || r.Aliases[0] != "CVE-1" || r.Related[0] != "X-2" {
		t.Errorf("key %s/%s aliases %v related %v", eco, name, r.Aliases, r.Related)
	}
}

func TestMaliciousAndWithdrawn(t *testing.T) {
	for _, tc := range []struct {
		js        string
		malicious bool
	}{
		{`{"id":"MAL-2024-1","modified":"2024-01-01T00:00:00Z"}`, true},
		{`{"id":"GHSA-1","modified":"2024-01-01T00:00:00Z","database_specific":{"malicious-packages-origins":[{"source":"ossf"}]}}`, true},
		{`{"id":"GMS-2025-1","modified":"2024-01-01T00:00:00Z","database_specific":{"cwe_ids":["CWE-506"]}}`, true},
		{`{"id":"GHSA-2","modified":"2024-01-01T00:00:00Z","database_specific":{"cwe_ids":["CWE-79"]}}`, false},
	} {
		e, _ := Decode([]byte(tc.js))
		if IsMalicious(e) != tc.malicious {
			t.Errorf("IsMalicious(%s) = %v", tc.js, !tc.malicious)
		}
	}
	e, _ := Decode([]byte(`{"id":"X-1","modified":"2024-01-01T00:00:00Z","withdrawn":"2024-02-01T00:00:00Z"}`))
	if rej := Validate("w.json", e); len(rej) != 0 {
		t.Errorf("a withdrawn entry without affected is valid; got %v", rej)
	}
}

func TestCanonicalName(t *testing.T) {
	for _, tc := range []struct{ eco, in, want string }{
		{"PyPI", "Django", "django"},
		{"PyPI", "zope.interface", "zope-interface"},
		{"PyPI", "Foo__Bar-.baz", "foo-bar-baz"},
		{"npm", "@Babel/Core", "@babel/core"},
		{"crates.io", "Serde_JSON", "serde-json"},
		{"Go", "github.com/BurntSushi/toml", "github.com/BurntSushi/toml"},
		{"Maven", "org.Apache:Log4j", "org.apache:log4j"},
	} {
		if got := CanonicalName(tc.eco, tc.in); got != tc.want {
			t.Errorf("CanonicalName(%s, %q) = %q, want %q", tc.eco, tc.in, got, tc.want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(entryJSON("npm", "a", `[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.2"}]}]`, `["0.1.0"]`)))
	f.Add([]byte(entryJSON("PyPI", "a", `[{"type":"ECOSYSTEM","events":[{"introduced":"1.0"},{"limit":"*"}]}]`, `[]`)))
	f.Add([]byte(`{"id":"X-1","affected":[{"ranges":[{"events":[{}]}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Decode(data)
		if err != nil {
			return
		}
		recs, _ := Records("fuzz.json", e)
		for _, r := range recs {
			r.Affects(NewQuery(r.Ecosystem, "1.0.0"))
			r.Fixed()
		}
	})
}
