package assist

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/bulwarkhq/bulwark/copilot"
	"github.com/bulwarkhq/bulwark/copilot/spotlight"
	"github.com/bulwarkhq/bulwark/guard"
)

// AskRequest is a free-form question.
type AskRequest struct {
	Question string
	// Evidence is the case the question is about; nil for a general
	// question.
	Evidence *copilot.Evidence
	// History holds the conversation's earlier turns; only user and
	// assistant turns are kept, so a client cannot slip in a system
	// message.
	History []copilot.Message
}

// Answer is the answer to a question.
type Answer struct {
	Text   string `json:"text"`
	Source string `json:"source"`
	Model  string `json:"model,omitempty"`
	Note   string `json:"note,omitempty"`
	// Cut says the guard stopped the answer part way (it began to put
	// data in a link); Text holds what was sent before.
	Cut       bool             `json:"cut,omitempty"`
	Spotlight spotlight.Report `json:"spotlight"`
	Usage     copilot.Usage    `json:"usage"`
}

// errCut stops a stream the guard blocked.
var errCut = errors.New("assist: answer cut by the guard")

// Ask answers a question, streaming the answer's text to onDelta as it
// arrives. The stream passes through the guard's output scan: secrets are
// redacted before they are sent, and a link that would carry data away
// cuts the answer. Without a usable model the offline answer is sent as
// one piece.
func (a *Assistant) Ask(ctx context.Context, req AskRequest, onDelta func(text string) error) (Answer, error) {
	question := strings.TrimSpace(req.Question)
	if question == "" {
		return Answer{}, errors.New("assist: ask: empty question")
	}
	if onDelta == nil {
		onDelta = func(string) error { return nil }
	}
	ss := a.cfg.Spotlight.Begin()
	system := assistantRole
	user := question
	if req.Evidence != nil {
		system += "\n\n" + ss.SystemPrompt()
		user = "Question about the case below: " + question + "\n\nEvidence (cite ids such as alert:12 when you use it):\n" +
			ss.Render(spotlight.EvidenceRecords(*req.Evidence)...)
	}
	msgs := []copilot.Message{{Role: copilot.RoleSystem, Content: system}}
	for _, m := range req.History {
		if (m.Role == copilot.RoleUser || m.Role == copilot.RoleAssistant) && m.Content != "" {
			msgs = append(msgs, copilot.Message{Role: m.Role, Content: m.Content})
		}
	}
	msgs = append(msgs, copilot.Message{Role: copilot.RoleUser, Content: user})

	if a.cfg.Provider == nil {
		return a.offlineAnswer(ctx, req, "no model configured; answered offline", onDelta)
	}
	var out strings.Builder
	var stream *guard.Stream
	if g := a.cfg.Spotlight.Guard(); g != nil {
		stream = g.NewStream(a.cfg.Spotlight.App())
	}
	send := func(text string) error {
		if text == "" {
			return nil
		}
		out.WriteString(text)
		return onDelta(text)
	}
	resp, err := a.cfg.Provider.Stream(ctx, a.request(FeatureAsk, msgs), func(delta string) error {
		if stream == nil {
			return send(delta)
		}
		emit, v := stream.Write(delta)
		if v.Action == guard.Block {
			return errCut
		}
		return send(emit)
	})
	ans := Answer{Source: SourceModel, Model: resp.Model, Usage: resp.Usage, Spotlight: ss.Report()}
	switch {
	case errors.Is(err, errCut):
		ans.Cut, ans.Note = true, "the guard cut the answer: it tried to put data in a link"
	case err != nil && out.Len() == 0:
		note, ok := fallbackNote(ctx, err)
		if !ok {
			return Answer{}, err
		}
		return a.offlineAnswer(ctx, req, note, onDelta)
	case err != nil:
		// Part of the answer is already on the analyst's screen: say it
		// broke off rather than start again offline.
		ans.Text, ans.Note = out.String(), fmt.Sprintf("the answer broke off: %v", err)
		return ans, nil
	case stream != nil:
		emit, v := stream.Flush()
		if v.Action == guard.Block {
			ans.Cut, ans.Note = true, "the guard cut the answer: it tried to put data in a link"
		} else if err := send(emit); err != nil {
			return Answer{}, err
		}
	}
	ans.Text = out.String()
	return ans, nil
}

func (a *Assistant) offlineAnswer(ctx context.Context, req AskRequest, note string, onDelta func(string) error) (Answer, error) {
	if a.cfg.Answer == nil {
		return Answer{}, fmt.Errorf("assist: ask: %s (no offline answer configured): %w", note, copilot.ErrNoProvider)
	}
	text, err := a.cfg.Answer(ctx, req.Question, req.Evidence)
	if err != nil {
		return Answer{}, fmt.Errorf("assist: offline answer: %w", err)
	}
	if err := onDelta(text); err != nil {
		return Answer{}, err
	}
	return Answer{Text: text, Source: SourceOffline, Note: note}, nil
}
