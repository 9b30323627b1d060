package proxy

import (
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/guard"
)

func TestParseRequestSegments(t *testing.T) {
	tests := []struct {
		name string
		ep   endpoint
		body string
		want []string // role:where
	}{
		{"chat roles", chatCompletions,
			`{"messages":[{"role":"developer","content":"d"},{"role":"system","content":"s"},{"role":"user","content":"u"},` +
				`{"role":"assistant","content":"a","tool_calls":[{"function":{"arguments":"{}"}}]},{"role":"tool","content":"t"},` +
				`{"role":"function","content":"f"},{"role":"weird","content":"w"}]}`,
			[]string{"system:messages[0].content", "system:messages[1].content", "user:messages[2].content",
				"assistant:messages[3].content", "assistant:messages[3].tool_calls[0].function.arguments",
				"tool:messages[4].content", "tool:messages[5].content", "user:messages[6].content"}},
		{"chat parts", chatCompletions,
			`{"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"u"}},{"type":"input_audio"},{"type":"text","text":"b"}]}]}`,
			[]string{"user:messages[0].content[0].text", "user:messages[0].content[3].text"}},
		{"responses string", responses, `{"instructions":"i","input":"hi"}`, []string{"system:instructions", "user:input"}},
		{"responses items", responses,
			`{"input":[{"role":"developer","content":"d"},{"type":"message","role":"user","content":[{"type":"input_text","text":"u"},{"type":"input_image","image_url":"x"}]},` +
				`{"type":"function_call","arguments":"{}"},{"type":"function_call_output","output":"o"},{"type":"reasoning","summary":[]}]}`,
			[]string{"system:input[0].content", "user:input[1].content[0].text", "assistant:input[2].arguments", "tool:input[3].output"}},
		{"completions", completions, `{"prompt":["a",[1,2],"b"],"suffix":"s"}`, []string{"user:prompt[0]", "user:prompt[2]", "user:suffix"}},
		{"embeddings", embeddings, `{"input":"x"}`, []string{"document:input"}},
		{"wrong types ignored", chatCompletions, `{"messages":{"role":"user"},"model":3}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := parseRequest(tt.ep, []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range r.segs {
				got = append(got, string(s.Role)+":"+s.Where)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("segments\n%v\nwant\n%v", got, tt.want)
			}
		})
	}
}

func TestRewriteKeepsOtherFields(t *testing.T) {
	body := `{"model":"m","n":1.50,"big":12345678901234567890,"messages":[{"role":"user","content":"a <b> & secret"}],"extra":{"x":[1,"y"]}}`
	r, err := parseRequest(chatCompletions, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	segs := append([]guard.Segment(nil), r.segs...)
	segs[0].Text = "a <b> & [REDACTED:x]"
	out, err := r.rewrite(segs)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"big":12345678901234567890,"extra":{"x":[1,"y"]},"messages":[{"content":"a <b> & [REDACTED:x]","role":"user"}],"model":"m","n":1.50}`
	if string(out) != want {
		t.Errorf("rewritten\n%s\nwant\n%s", out, want)
	}
}

// FuzzSegments feeds any body to the request parser of every endpoint and
// the answer collectors: none may panic, and a rewrite must give JSON back.
func FuzzSegments(f *testing.F) {
	seeds := []string{
		`{"model":"m","messages":[{"role":"user","content":"hi"}]}`,
		`{"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url"}]},{"role":"assistant","tool_calls":[{"function":{"arguments":"{}"}}],"function_call":{"arguments":"x"}}]}`,
		`{"input":[{"type":"function_call_output","output":[{"type":"input_text","text":"o"}]},{"type":"message","role":"user","content":"x"}],"instructions":"i"}`,
		`{"input":"x","prompt":["a",[1],"b"],"suffix":"s"}`,
		`{"choices":[{"message":{"content":"x","tool_calls":[{"function":{"arguments":"a"}}]},"text":"t"}],"output":[{"type":"message","content":[{"type":"output_text","text":"x"}]},{"type":"reasoning","summary":[{"type":"summary_text","text":"s"}]}]}`,
		`{"messages":null}`, `[]`, `"x"`, `{"a":1}{"b":2}`, `{"messages":[1,"x",null,{"content":{}}]}`, ``, `{`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, ep := range []endpoint{chatCompletions, responses, completions, embeddings} {
			r, err := parseRequest(ep, body)
			if err != nil {
				continue
			}
			segs := append([]guard.Segment(nil), r.segs...)
			for i := range segs {
				segs[i].Text = "[REDACTED]"
			}
			if out, err := r.rewrite(segs); err == nil {
				if _, err := decodeObject(out); err != nil {
					t.Fatalf("rewrite gave invalid JSON %q: %v", out, err)
				}
			}
			if doc, err := decodeObject(body); err == nil {
				c := collectOutput(ep, doc)
				c.apply(segs)
			}
		}
	})
}
