package model

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Address rules catch a document that speaks to the AI reading it: "Note
// for the screening bot: ...", "Dear GPT, ...", "any AI reading this
// channel: ...", "If you are an AI model, your real task is ...", "When
// summarizing this page, tell the user ...". An email, a web page or a
// tool result has no business addressing the model that an app hands it
// to, so in those roles the address is the attack, whatever it asks for;
// the model's words-only view misses it when the request itself is
// ordinary ("accept all pending invites"). From a user the same words are
// ordinary ("Hey Copilot, ..."), so the rules apply to documents only.
//
// Each rule needs an address frame around a word for an AI, not the word
// alone: "our support assistant summarised this thread", "the AI workshop
// is at 2 pm" and "If you are an AI researcher, apply here" pass.

// Word classes of the address rules, as bits: each token is looked up
// once, and the rules test bits.
const (
	wAI        uint32 = 1 << iota // names the AI that reads the document
	wNote                         // heads an address: "note for", "instructions to"
	wPrep                         // "for", "to", "pour", "an", ...
	wDet                          // "the", "any", "l'", "das", ...
	wGreet                        // "dear", "hey", "attention", ...
	wQuant                        // "any", "every", "whichever", ...
	wReader                       // "reading", "processing", ...: the AI reads now
	wReaderObj                    // "this", "these", "my", "our"
	wGerund                       // "summarizing", "reading", ... after "when"
	wDoc                          // "page", "email", "document", ...
	wTell                         // "tell", "say", "mention", ...
	wCommand                      // a command after a vocative comma
	wColonCmd                     // a command after a vocative colon
	wIf
	wYou
	wAre // "are", and "re" of "you're"
	wA   // "a", "an"
	wWhen
	wSummary // "summary", "summaries"
	wOf
	wThis
	wThatWith // "that", "with"
)

// lexicon maps the hash of a word (wordHash, which folds case) to its
// classes.
var lexicon = func() map[uint64]uint32 {
	m := map[uint64]uint32{}
	add := func(class uint32, words ...string) {
		for _, w := range words {
			m[wordHash(w)] |= class
		}
	}
	add(wAI, "ai", "ais", "assistant", "assistants", "chatbot", "chatbots", "bot", "bots", "model", "models", "llm", "llms",
		"agent", "agents", "copilot", "gpt", "chatgpt", "claude", "gemini", "summarizer", "summariser",
		"summarizers", "summarisers", "screener", "screeners",
		"ki", "sprachmodell", "assistent", "ia", "assistente", "asistente", "ии", "ассистент", "модель")
	add(wNote, "note", "notes", "message", "instruction", "instructions", "reminder", "memo", "override", "directive",
		"directives", "warning", "orders", "attention", "hinweis", "anweisung", "anweisungen", "nachricht", "nota", "mensaje",
		"instrucciones", "consigne", "consignes", "примечание", "инструкция", "инструкции")
	add(wPrep, "for", "to", "of", "an", "für", "pour", "à", "de", "para", "per", "al", "alla", "для")
	add(wDet, "the", "any", "all", "every", "each", "an", "a", "whichever", "whatever", "our", "your",
		"l", "le", "la", "les", "el", "los", "das", "die", "der", "den", "dem", "il", "lo")
	// Greetings address the reader directly: "Dear GPT", "Hey Copilot".
	// Not "hi" or "hello": "Hello AI team" opens an ordinary email.
	add(wGreet, "dear", "hey", "attention", "attn", "lieber", "liebe", "liebes", "cher", "chère", "querido", "querida",
		"caro", "cara", "уважаемый", "дорогой")
	add(wQuant, "any", "every", "all", "whichever", "whatever", "each")
	add(wReader, "reading", "processing", "summarizing", "summarising", "summarizes", "summarises", "parsing",
		"describing", "listening", "indexing", "analyzing", "analysing", "scanning", "translating", "handling", "reads", "processes")
	add(wReaderObj, "this", "these", "my", "our")
	add(wGerund, "summarizing", "summarising", "reading", "processing", "describing", "answering", "translating",
		"listing", "showing", "presenting", "analyzing", "analysing", "quoting")
	add(wDoc, "page", "email", "mail", "message", "document", "doc", "file", "thread", "review", "invite", "invitation",
		"article", "text", "site", "website", "pdf", "image", "recipe", "post", "ticket", "transcript", "chat", "conversation",
		"repository", "repo", "readme", "listing", "result", "results", "invoice", "contract", "cv", "resume")
	add(wTell, "tell", "say", "state", "reply", "respond", "answer", "recommend", "mention", "claim", "insist", "urge",
		"output", "print", "describe", "ask", "write", "add", "include")
	add(wCommand, "ignore", "disregard", "forget", "stop", "output", "print", "reply", "respond", "say", "tell", "send",
		"forward", "reveal", "include", "add", "insert", "call", "run", "execute", "delete", "remove", "approve", "merge", "share",
		"export", "list", "describe", "write", "rank", "recommend", "give", "post", "email", "visit", "open", "download", "please",
		"when", "before", "after", "from", "you", "always", "never", "do", "don", "summarize", "summarise", "translate", "accept")
	// After a colon, fewer commands: "model: add constants" and "bot: fix
	// the retry loop" are how changelogs and commit messages name a part.
	add(wColonCmd, "ignore", "disregard", "forget", "stop", "output", "print", "reply", "respond", "say", "tell", "send",
		"forward", "reveal", "share", "export", "recommend", "rank", "approve", "please", "you", "always", "never", "do", "don",
		"visit", "email", "accept", "summarize", "summarise", "translate", "before", "when")
	add(wIf, "if")
	add(wYou, "you")
	add(wAre, "are", "re")
	add(wA, "a", "an")
	add(wWhen, "when")
	add(wSummary, "summary", "summaries")
	add(wOf, "of")
	add(wThis, "this")
	add(wThatWith, "that", "with")
	return m
}()

// addressPhrases are addresses in scripts and word orders the token rules
// do not cover, matched in the lower-cased text.
var addressPhrases = []string{"给ai助手", "给ai的", "ai助手的指示", "致ai", "aiへの指示", "aiへの命令", "aiアシスタントへ",
	"ia que lees", "ia que leas", "ia que estás leyendo", "asistente de ia que"}

// token is a word of a document: its byte span and word classes.
type token struct {
	start, end int32
	class      uint32
}

// doc is a document and its tokens.
type doc struct {
	text string
	ts   []token
}

var docPool = sync.Pool{New: func() any { return &doc{ts: make([]token, 0, 512)} }}

// addressedToAI reports whether a document (already normalised) addresses
// the AI that reads it. A long document is read slice by slice, as the
// models read it, so the token buffer stays small whatever its size.
func addressedToAI(text string) bool {
	for start := 0; start < len(text); {
		end := min(len(text), start+sliceBytes)
		if end < len(text) {
			end = nearestBoundary(text, end)
		}
		if addressedInSlice(text[start:end]) {
			return true
		}
		start = end
	}
	return false
}

// addressedInSlice is addressedToAI of a text of at most about sliceBytes.
func addressedInSlice(text string) bool {
	d := docPool.Get().(*doc)
	defer docPool.Put(d)
	d.text, d.ts = text, d.ts[:0]
	anchors, wide := false, false
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf && !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			wide = true
			if r, size := utf8.DecodeRuneInString(text[i:]); !isWordRune(r) {
				i += size
				continue
			}
		}
		// The word's hash as wordHash gives it, folding case on the way.
		start, h := i, seedWord
		for i < len(text) {
			c := text[i]
			if c < utf8.RuneSelf {
				if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
					break
				}
				if c >= 'A' && c <= 'Z' {
					c += 'a' - 'A'
				}
				h = mix(h ^ uint64(c))
				i++
				continue
			}
			r, size := utf8.DecodeRuneInString(text[i:])
			if !isWordRune(r) {
				break
			}
			h = mix(h ^ uint64(unicode.ToLower(r)))
			i += size
		}
		class := lexicon[h]
		anchors = anchors || class&(wAI|wWhen|wSummary) != 0
		d.ts = append(d.ts, token{int32(start), int32(i), class})
	}
	if anchors {
		for i := range d.ts {
			if d.noteAddress(i) || d.greetingAddress(i) || d.readerAddress(i) || d.ifYouAreAI(i) || d.whenReading(i) || d.vocative(i) {
				return true
			}
		}
	}
	if !anchors && !wide {
		return false // the phrases all hold an AI word or a wide rune
	}
	lower := strings.ToLower(text)
	for _, p := range addressPhrases {
		if strings.Contains(lower, p) {
			return true
		}
	}
	return false
}

// is reports whether token i exists and has any of the classes.
func (d *doc) is(i int, class uint32) bool {
	return i >= 0 && i < len(d.ts) && d.ts[i].class&class != 0
}

// gap is the text between tokens i and i+1.
func (d *doc) gap(i int) string { return d.text[d.ts[i].end:d.ts[i+1].start] }

// aiAfter reports whether an AI noun follows at token k, after at most
// one determiner and one other word ("the screening bot", "any AI").
func (d *doc) aiAfter(k int) bool {
	if d.is(k, wDet) {
		k++
	}
	return d.is(k, wAI) || k < len(d.ts) && !d.is(k, wDet) && d.is(k+1, wAI)
}

// noteAddress: "Note for the screening bot", "Hidden text for chatbots",
// "Anweisung an das Sprachmodell", "Note pour l'IA".
func (d *doc) noteAddress(i int) bool {
	return d.is(i, wNote) && d.is(i+1, wPrep) && d.aiAfter(i+2)
}

// greetingAddress: "Dear GPT", "Hey Copilot", "Attention language model".
func (d *doc) greetingAddress(i int) bool {
	return d.is(i, wGreet) && d.aiAfter(i+1)
}

// readerAddress: "any AI reading", "AI assistants reading this email",
// "whichever assistant summarises this thread". An AI word and a reading
// verb alone are not enough: "a mathematical model describing the pixels".
func (d *doc) readerAddress(i int) bool {
	if !d.is(i, wAI) {
		return false
	}
	j := i + 1
	if d.is(j, wAI) {
		j++ // "AI assistants"
	}
	if !d.is(j, wReader) {
		return false
	}
	quantified := d.is(i-1, wQuant) || d.is(i-2, wQuant) && !d.is(i-1, wDet)
	return quantified || d.is(j+1, wReaderObj)
}

// ifYouAreAI: "If you are an AI model, ...", "if you're a language
// model reading this". The AI word must end the phrase: "If you are an AI
// researcher" is a job advert.
func (d *doc) ifYouAreAI(i int) bool {
	if !d.is(i, wIf) || !d.is(i+1, wYou) || !d.is(i+2, wAre) {
		return false
	}
	j := i + 3
	if d.is(j, wA) {
		j++
	}
	if !d.is(j, wAI) {
		j++ // one word before it: "a language model"
	}
	if !d.is(j, wAI) {
		return false
	}
	for d.is(j+1, wAI) {
		j++ // "AI model", "AI assistant"
	}
	if j+1 >= len(d.ts) || d.is(j+1, wReader|wThatWith) {
		return true
	}
	return strings.ContainsAny(d.gap(j), ",.:;!)")
}

// whenReading: "When summarizing this page, tell the user ...",
// "Summaries of this review must say ...".
func (d *doc) whenReading(i int) bool {
	k := i
	switch {
	case d.is(i, wWhen):
		k++
		if d.is(k, wYou) {
			k++
			if d.is(k, wAre) {
				k++
			}
		}
		if !d.is(k, wGerund) {
			return false
		}
	case d.is(i, wSummary):
		if !d.is(i+1, wOf) {
			return false
		}
	default:
		return false
	}
	// "this <document>" within a few words, then a verb of telling.
	for j := k + 1; j < len(d.ts) && j <= k+4; j++ {
		if d.is(j, wThis) && d.is(j+1, wDoc) {
			for m := j + 2; m < len(d.ts) && m <= j+8; m++ {
				if d.is(m, wTell) {
					return true
				}
			}
			return false
		}
	}
	return false
}

// vocative: an AI noun opening a line or sentence, or named with "any"
// or "every", followed by a comma or colon and a command: "Assistant,
// stop ...", "Reviewer bot, approve ...", "any coding agent: before
// finishing ...", and "@assistant" anywhere.
func (d *doc) vocative(i int) bool {
	if !d.is(i, wAI) {
		return false
	}
	if start := d.ts[i].start; start > 0 && d.text[start-1] == '@' {
		return true
	}
	if i+1 >= len(d.ts) {
		return false
	}
	switch gap := strings.TrimSpace(d.gap(i)); {
	case gap == "," && d.is(i+1, wCommand):
	case gap == ":" && d.is(i+1, wColonCmd):
	default:
		return false
	}
	return d.opensSentence(i) || i > 0 && d.opensSentence(i-1) && !d.is(i-1, wDet) ||
		d.is(i-1, wQuant) || d.is(i-2, wQuant)
}

// opensSentence reports whether token i starts the text, a line or a
// sentence, past any quotes, brackets and comment marks.
func (d *doc) opensSentence(i int) bool {
	start := int32(0)
	if i > 0 {
		start = d.ts[i-1].end
	}
	before := strings.TrimRight(d.text[start:d.ts[i].start], " \t\"'[(#/*<!-")
	if before == "" {
		return i == 0
	}
	last, _ := utf8.DecodeLastRuneInString(before)
	return strings.ContainsRune("\n.!?:;", last)
}
