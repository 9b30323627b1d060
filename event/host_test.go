package event

import "testing"

func TestHost(t *testing.T) {
	for _, tc := range []struct {
		fields []Field
		want   string
	}{
		{nil, ""},
		{[]Field{{"host", String("h1")}}, "h1"},
		{[]Field{{"host", String("h1")}, {"Computer", String("PC.corp")}}, "PC.corp"},
		{[]Field{{"Computer", String("")}, {"hostname", String("web1")}}, "web1"},
		{[]Field{{"computer_name", String("c")}, {"agent.hostname", String("a")}}, "a"},
		{[]Field{{"HOST", String("x")}}, ""},
	} {
		e := Event{Fields: tc.fields}
		if got := e.Host(); got != tc.want {
			t.Errorf("%v: Host() = %q, want %q", tc.fields, got, tc.want)
		}
	}
}
