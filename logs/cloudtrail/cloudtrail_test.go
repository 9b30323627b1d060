package cloudtrail

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/internal/logtest"
	"github.com/bulwarkhq/bulwark/logs"
	"github.com/bulwarkhq/bulwark/logs/internal/jsonflat"
)

var inputs = []string{"s3.json", "pretty.json", "lines.jsonl"}

func TestGolden(t *testing.T) {
	for _, name := range inputs {
		t.Run(name, func(t *testing.T) {
			res := logtest.RunFile(t, New(), filepath.Join("testdata", name))
			logtest.Golden(t, name+".golden", logtest.Format(res))
		})
	}
}

func TestRecords(t *testing.T) {
	res := logtest.RunFile(t, New(), "testdata/s3.json")
	if res.Err != nil || len(res.Warnings) != 0 || len(res.Events) != 2 {
		t.Fatalf("%d events, warnings %v, error %v", len(res.Events), res.Warnings, res.Err)
	}
	e := res.Events[0]
	for name, want := range map[string]string{
		"eventName":                    `string "PutBucketPolicy"`,
		"userIdentity.arn":             `string "arn:aws:iam::111122223333:user/alice"`,
		"requestParameters.bucketName": `string "corp-logs"`,
		"requestParameters.bucketPolicy.Statement.Principal": `[string "*"]`,
		"resources.ARN":    `[string "arn:aws:s3:::corp-logs"]`,
		"responseElements": "null",
		"readOnly":         `bool "false"`,
	} {
		v, ok := e.Get(name)
		if got := logtest.FormatValue(v); !ok || got != want {
			t.Errorf("%s = %s, want %s", name, got, want)
		}
	}
	if e.Time.Format("2006-01-02T15:04:05Z") != "2024-05-01T10:00:00Z" || e.Source.Record != 1 || e.Source.Offset != 12 {
		t.Errorf("time %v, source %+v", e.Time, e.Source)
	}
	if !bytes.HasPrefix(e.Raw, []byte(`{"eventVersion"`)) || !bytes.HasSuffix(e.Raw, []byte(`"111122223333"}`)) {
		t.Errorf("Raw %.60q", e.Raw)
	}

	res = logtest.RunFile(t, New(), "testdata/pretty.json")
	var names []string
	for _, e := range res.Events {
		names = append(names, e.GetString("eventName"))
	}
	if strings.Join(names, " ") != "CreateAccessKey StopLogging RunInstances" || len(res.Warnings) != 2 {
		t.Errorf("events %v, warnings %v", names, res.Warnings)
	}
}

// TestGzipStream reads a large gzipped file through logs.Open, in bounded
// memory, as CloudTrail delivers it.
func TestGzipStream(t *testing.T) {
	var raw bytes.Buffer
	raw.WriteString(`{"Records":[`)
	const n = 20000
	for i := range n {
		if i > 0 {
			raw.WriteByte(',')
		}
		raw.WriteString(`{"eventTime":"2024-05-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","requestParameters":{"key":"` + strings.Repeat("k", i%50) + `"}}`)
	}
	raw.WriteString(`]}`)
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(raw.Bytes())
	w.Close()
	p := filepath.Join(t.TempDir(), "111122223333_CloudTrail_eu-west-1_20240501T1000Z_x.json.gz")
	os.WriteFile(p, gz.Bytes(), 0o644)
	f, err := logs.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !New().Sniff(f.Head) {
		t.Error("Sniff = false")
	}
	res := logtest.RunReader(New(), p, f)
	if res.Err != nil || len(res.Warnings) != 0 || len(res.Events) != n || res.Events[n-1].Source.Record != n {
		t.Fatalf("%d events, warnings %v, error %v", len(res.Events), res.Warnings, res.Err)
	}
}

func TestOversizedRecord(t *testing.T) {
	big := `{"eventName":"Big","x":"` + strings.Repeat("x", jsonflat.MaxRecord) + `"}`
	in := `{"Records":[{"eventName":"A"},` + big + `,{"eventName":"B"}]}`
	res := logtest.Run(New(), "big", []byte(in))
	if res.Err != nil || len(res.Events) != 2 || res.Events[1].GetString("eventName") != "B" || res.Events[1].Source.Record != 3 {
		t.Fatalf("%d events, error %v", len(res.Events), res.Err)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Msg, "record 2 is") {
		t.Errorf("warnings %v", res.Warnings)
	}
}

func TestSniff(t *testing.T) {
	for s, want := range map[string]bool{
		`{"Records":[{"eventVersion":"1.08","eventTime":"x"}]}`:                  true,
		"\xef\xbb\xbf {\n \"Records\" : [\n ]\n}":                                true,
		`{"Records":[{"foo":1}]}`:                                                false,
		`{"eventTime":"2024-05-01T12:00:00Z","eventSource":"s","eventName":"n"}`: true,
		`{"eventTime":"2024-05-01T12:00:00Z","eventName":"n"}`:                   false,
		`{"awsAccountId":"1","digestStartTime":"2024-05-01T12:00:00Z"}`:          false,
		`{"timestamp":"2024-05-01T10:00:00Z","event_type":"alert"}`:              false,
	} {
		if got := New().Sniff([]byte(s)); got != want {
			t.Errorf("Sniff(%q) = %v", s, got)
		}
	}
}

func FuzzRead(f *testing.F) {
	for _, name := range inputs {
		if b, err := os.ReadFile(filepath.Join("testdata", name)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"Records":[{"a":1},2,"x",[],{"b":{"c":[1]}}],"Other":{"Records":[]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		logtest.CheckInvariants(t, New(), data)
		New().Sniff(data)
		io.Discard.Write(data)
	})
}
