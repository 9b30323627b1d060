package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bulwarkhq/bulwark/supply"
)

// Table writes one row per package (priority, package, version,
// ecosystem, fix) followed by its advisories, each with its rank, ids and
// reasons, then the summary line.
func Table(w io.Writer, findings []supply.Finding, opts Options) error {
	groups := Group(findings, opts)
	var b strings.Builder
	if len(groups) > 0 {
		header := []string{"PRIORITY", "PACKAGE", "VERSION", "ECOSYSTEM", "FIX"}
		rows := [][]string{header}
		for _, g := range groups {
			rows = append(rows, []string{g.Priority, g.Package.Name, g.Package.Version, g.Package.Ecosystem, fixText(g)})
		}
		widths := make([]int, len(header))
		for _, row := range rows {
			for i, cell := range row {
				widths[i] = max(widths[i], utf8.RuneCountInString(cell))
			}
		}
		writeRow(&b, rows[0], widths)
		for i, g := range groups {
			writeRow(&b, rows[i+1], widths)
			for _, f := range g.Findings {
				fmt.Fprintf(&b, "    %s%s\n", rankPrefix(f), advisoryTitle(f))
				for _, r := range f.Reasons {
					fmt.Fprintf(&b, "        - %s\n", r)
				}
			}
		}
		b.WriteString("\n")
	}
	b.WriteString(Summarize(findings, opts).String() + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func writeRow(b *strings.Builder, cells []string, widths []int) {
	for i, cell := range cells {
		if i == len(cells)-1 {
			b.WriteString(cell)
			break
		}
		b.WriteString(cell)
		b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell)+2))
	}
	b.WriteString("\n")
}

// fixText says what to do about a package.
func fixText(g PackageGroup) string {
	switch {
	case g.Remove:
		return "remove the package"
	case g.FixVersion != "":
		return "upgrade to " + g.FixVersion
	}
	return "no single fixed version"
}

func rankPrefix(f supply.Finding) string {
	if f.Rank == 0 {
		return ""
	}
	return "#" + strconv.Itoa(f.Rank) + " "
}

// advisoryTitle is "ID (ALIAS, ...): summary".
func advisoryTitle(f supply.Finding) string {
	s := f.ID
	if len(f.Aliases) > 0 {
		s += " (" + strings.Join(f.Aliases, ", ") + ")"
	}
	if f.Summary != "" {
		s += ": " + f.Summary
	}
	return s
}

// Markdown writes a pull-request comment: the summary, a table of packages
// and, folded, every advisory with its reasons.
func Markdown(w io.Writer, findings []supply.Finding, opts Options) error {
	groups := Group(findings, opts)
	var b strings.Builder
	b.WriteString("## Supply-chain scan\n\n")
	b.WriteString("**" + mdEscape(Summarize(findings, opts).String()) + "**\n")
	if len(groups) == 0 {
		_, err := io.WriteString(w, b.String())
		return err
	}
	b.WriteString("\n| Priority | Package | Version | Ecosystem | Advisories | Fix |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, g := range groups {
		var ids []string
		for _, f := range g.Findings {
			ids = append(ids, "["+mdEscape(f.ID)+"]("+advisoryURL(f.ID)+")")
		}
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s | %s |\n",
			mdPriority(g.Priority), mdCode(g.Package.Name), mdEscape(g.Package.Version),
			mdEscape(g.Package.Ecosystem), strings.Join(ids, ", "), mdEscape(fixText(g)))
	}
	b.WriteString("\n<details>\n<summary>Why each advisory ranks where it does</summary>\n\n")
	for _, g := range groups {
		fmt.Fprintf(&b, "#### `%s` %s (%s)\n\n", mdCode(g.Package.Name), mdEscape(g.Package.Version), mdEscape(g.Package.Ecosystem))
		for _, f := range g.Findings {
			fmt.Fprintf(&b, "- %s**[%s](%s)**", mdEscape(rankPrefix(f)), mdEscape(f.ID), advisoryURL(f.ID))
			if len(f.Aliases) > 0 {
				b.WriteString(" (" + mdEscape(strings.Join(f.Aliases, ", ")) + ")")
			}
			if f.Summary != "" {
				b.WriteString(": " + mdEscape(f.Summary))
			}
			b.WriteString(" — " + priority(f) + "\n")
			for _, r := range f.Reasons {
				b.WriteString("  - " + mdEscape(r) + "\n")
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("</details>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func mdPriority(p string) string {
	if p == "critical" || p == "high" {
		return "**" + p + "**"
	}
	return p
}

// mdEscape keeps advisory text (which comes from third parties) from
// breaking the table or injecting markup: pipes, brackets, angle brackets,
// emphasis and backticks are escaped, newlines flattened.
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\n', '\r':
			b.WriteRune(' ')
		case '|', '[', ']', '<', '>', '*', '_', '`', '\\', '#':
			b.WriteRune('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdCode makes a string safe inside single backticks.
func mdCode(s string) string {
	return strings.NewReplacer("`", "'", "\n", " ", "|", "\\|").Replace(s)
}
