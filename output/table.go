package output

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bulwarkhq/bulwark/alert"
)

// table prints each alert as a header line (time, level, rule, host, where
// it came from) followed by indented evidence lines: readable in a terminal
// and in a pager, and easy to grep.
type table struct {
	w     *bufio.Writer
	opts  Options
	count int
}

func newTable(w io.Writer, opts Options) *table {
	if opts.Width <= 0 {
		opts.Width = 120
	}
	return &table{w: bufio.NewWriter(w), opts: opts}
}

// ANSI colours per level.
var levelColor = map[string]string{
	"critical":      "\x1b[1;97;41m",
	"high":          "\x1b[1;31m",
	"medium":        "\x1b[33m",
	"low":           "\x1b[36m",
	"informational": "\x1b[2m",
}

const (
	reset = "\x1b[0m"
	dim   = "\x1b[2m"
	bold  = "\x1b[1m"
)

func (t *table) paint(style, s string) string {
	if !t.opts.Color || style == "" {
		return s
	}
	return style + s + reset
}

func (t *table) Alert(a *alert.Alert) error {
	t.count++
	ts := "-"
	if !a.Time.IsZero() {
		ts = a.Time.UTC().Format("2006-01-02 15:04:05Z")
	}
	level := fmt.Sprintf("%-8s", strings.ToUpper(shortLevel(a.Rule.Level)))
	fmt.Fprintf(t.w, "%s  %s  %s", t.paint(dim, ts), t.paint(levelColor[a.Rule.Level], level), t.paint(bold, a.Rule.Title))
	if len(a.Rule.Attack) > 0 {
		fmt.Fprintf(t.w, "  %s", t.paint(dim, "["+strings.Join(a.Rule.Attack, " ")+"]"))
	}
	fmt.Fprintln(t.w)
	var where []string
	if a.Host != "" {
		where = append(where, "host "+quote(a.Host))
	}
	if a.Channel != "" {
		where = append(where, strings.TrimPrefix(quote(a.Channel), "Microsoft-Windows-"))
	}
	if a.EventID != "" {
		where = append(where, "EventID "+quote(a.EventID))
	}
	src := quote(a.Source.Path)
	if a.Source.Record > 0 {
		src += " record " + strconv.FormatInt(a.Source.Record, 10)
	}
	where = append(where, src)
	fmt.Fprintf(t.w, "    %s\n", t.paint(dim, strings.Join(where, " · ")))
	if c := a.Correlation; c != nil {
		fmt.Fprintf(t.w, "    %s: %d within %s", c.Type, c.Count, c.Last.Sub(c.First).Round(time.Second))
		keys := make([]string, 0, len(c.Group))
		for k := range c.Group {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(t.w, "  %s=%s", k, quote(c.Group[k]))
		}
		fmt.Fprintln(t.w)
		if len(c.Values) > 0 {
			fmt.Fprintf(t.w, "    values: %s\n", t.clip(strings.Join(c.Values, ", "), 10))
		}
	} else {
		for _, m := range a.Matches {
			label := m.Field
			if m.Condition != m.Field && m.Condition != "" {
				label = m.Condition
				if !strings.HasPrefix(m.Condition, m.Field) {
					label = m.Field + " (" + m.Condition + ")"
				}
			}
			fmt.Fprintf(t.w, "    %s %s\n", t.paint(dim, label+":"), t.clip(quote(m.Value), len(label)+6))
		}
	}
	if a.Rule.Author != "" || a.Rule.Link != "" {
		meta := "by " + a.Rule.Author
		if a.Rule.Link != "" {
			meta += "  " + a.Rule.Link
		}
		fmt.Fprintf(t.w, "    %s\n", t.paint(dim, t.clip(meta, 4)))
	}
	return nil
}

func shortLevel(l string) string {
	if l == "informational" {
		return "info"
	}
	return l
}

// quote shows values with control characters escaped, so an attacker's
// crafted log text cannot move the cursor or recolour the terminal.
func quote(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			fmt.Fprintf(&b, `\x%02x`, r)
		case r == utf8.RuneError:
			b.WriteString(`\ufffd`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// clip shortens s to the terminal width left after indent columns.
func (t *table) clip(s string, indent int) string {
	max := t.opts.Width - indent
	if max < 20 {
		max = 20
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}

func (t *table) Close() error {
	if t.count == 0 {
		fmt.Fprintln(t.w, "No alerts.")
	}
	return t.w.Flush()
}
