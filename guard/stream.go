package guard

import (
	"unicode/utf8"
)

// StreamWindow is how many bytes of streamed output a Stream holds back
// before sending: a secret or a link shorter than this that arrives split
// across chunks is seen whole before any of it leaves.
const StreamWindow = 256

// streamMaxHold bounds how far back a match that is still growing at the end
// of the text (a long key, a URL) keeps text held. Beyond it the match is
// redacted in pieces rather than holding output without bound.
const streamMaxHold = 16 * StreamWindow

// Stream scans model output that arrives in chunks. Each Write scans only the
// text still held back plus the new chunk, so the cost per chunk stays
// bounded however long the output grows, and returns the part that is safe
// to send. A Stream is not safe for concurrent use.
type Stream struct {
	g    *Guard
	app  string
	held string // raw text scanned but not yet sent
	// consumed counts the raw bytes before held, so findings carry offsets
	// into the whole output.
	consumed int
	blocked  bool
	// wholeSeen remembers whole-segment findings already reported: they
	// match every window again.
	wholeSeen map[string]bool
}

// NewStream starts scanning a stream of output for app.
func (g *Guard) NewStream(app string) *Stream {
	return &Stream{g: g, app: app}
}

// Blocked reports whether the stream hit a blocking finding; it emits
// nothing more once it has.
func (s *Stream) Blocked() bool { return s.blocked }

// Write adds a chunk and returns the text that may be sent now, with
// redactions applied, and the verdict on the findings in that text. When
// the verdict is Block nothing is emitted and the caller must cut the
// stream; every later call emits nothing and blocks again.
func (s *Stream) Write(chunk string) (emit string, v Verdict) {
	return s.step(chunk, false)
}

// Flush ends the stream and returns the text still held back.
func (s *Stream) Flush() (emit string, v Verdict) {
	return s.step("", true)
}

func (s *Stream) step(chunk string, final bool) (string, Verdict) {
	if s.blocked {
		return "", Verdict{Action: Block, Flagged: true}
	}
	text := s.held + chunk
	if text == "" {
		return "", Verdict{Action: Allow}
	}
	checked := s.g.Check(s.app, []Segment{{Role: RoleOutput, Where: "stream", Text: text}})
	if checked.Action == Block {
		s.blocked = true
		s.held = ""
		return "", s.verdict(checked, checked.Findings, s.consumed, "")
	}

	cut := len(text)
	if !final {
		cut = s.cutPoint(text, checked.Findings)
	}
	var report, redact []Finding
	for _, f := range checked.Findings {
		switch {
		case !f.Spanned():
			key := f.Scanner + "\x00" + string(f.Category) + "\x00" + f.Kind
			if s.wholeSeen[key] {
				continue
			}
			if s.wholeSeen == nil {
				s.wholeSeen = map[string]bool{}
			}
			s.wholeSeen[key] = true
			report = append(report, f)
		case f.End <= cut:
			report = append(report, f)
			if f.Action == Redact {
				redact = append(redact, f)
			}
		case f.Start < cut:
			// A match longer than streamMaxHold: send its first part
			// redacted; the rest stays held and is scanned again.
			f.End = cut
			report = append(report, f)
			if f.Action == Redact {
				redact = append(redact, f)
			}
		}
		// Findings wholly in the held text are reported once they are sent.
	}
	emit := RedactText(text[:cut], redact)
	base := s.consumed
	s.consumed += cut
	s.held = text[cut:]
	return emit, s.verdict(checked, report, base, emit)
}

// cutPoint chooses how much of text to send: all but the last StreamWindow
// bytes, never inside a finding, never before the start of a match that
// touches the end (it may still grow), and never inside a UTF-8 sequence.
func (s *Stream) cutPoint(text string, fs []Finding) int {
	cut := len(text) - StreamWindow
	floor := len(text) - streamMaxHold
	for _, f := range fs {
		if f.Spanned() && f.End == len(text) && f.Start >= floor && f.Start < cut {
			cut = f.Start
		}
	}
	// Moving the cut back may land it inside another finding; repeat until
	// no finding within reach straddles it.
	for moved := true; moved; {
		moved = false
		for _, f := range fs {
			if f.Spanned() && f.Start < cut && cut < f.End && f.Start >= floor {
				cut = f.Start
				moved = true
			}
		}
	}
	if cut <= 0 {
		return 0
	}
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return cut
}

// verdict builds the verdict for one step from the findings it reports,
// with offsets into the whole output (base is the offset of the text the
// step scanned).
func (s *Stream) verdict(checked Verdict, report []Finding, base int, emit string) Verdict {
	v := Verdict{Action: Allow, Scores: checked.Scores,
		Segments: []Segment{{Role: RoleOutput, Where: "stream", Text: emit}}}
	for _, f := range report {
		if f.Spanned() {
			f.Start += base
			f.End += base
		}
		v.Findings = append(v.Findings, f)
		if f.Action.Stronger(v.Action) {
			v.Action = f.Action
		}
	}
	if s.blocked {
		v.Action = Block
	}
	v.Flagged = v.Action != Allow
	return v
}
