package offline

import (
	"cmp"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/copilot"
	"github.com/bulwarkhq/bulwark/copilot/grammar"
	"github.com/bulwarkhq/bulwark/search"
	"github.com/bulwarkhq/bulwark/store"
)

func (f *facts) whyItMatters() []Claim {
	var claims []Claim
	// Severity, with what the most severe rules say they detect.
	byLevel := map[string]int{}
	for _, a := range f.ev.Alerts {
		byLevel[strings.ToLower(a.Rule.Level)]++
	}
	var counts []string
	for _, l := range []string{"critical", "high", "medium", "low", "informational"} {
		if byLevel[l] > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", byLevel[l], l))
		}
	}
	sev := "Severity: " + strings.Join(counts, ", ") + "."
	if c := f.ev.Case; c.Severity != "" {
		sev = fmt.Sprintf("The case is rated %s (score %.0f). Its alerts: %s.", c.Severity, c.Score, strings.Join(counts, ", "))
		if len(c.Reasons) > 0 {
			sev += " Triage: " + strings.Join(c.Reasons[:min(3, len(c.Reasons))], "; ") + "."
		}
	}
	claims = append(claims, Claim{Text: sev})

	groups := slices.Clone(f.groups)
	slices.SortStableFunc(groups, func(a, b *ruleGroup) int { return cmp.Compare(levelRank(b.rule.Level), levelRank(a.rule.Level)) })
	for _, g := range groups {
		if levelRank(g.rule.Level) < levelRank("high") || g.rule.Description == "" {
			continue
		}
		text := fmt.Sprintf("%q (%s): %s", g.rule.Title, g.rule.Level, sentence(g.rule.Description, 300))
		if len(g.rule.FalsePositives) > 0 {
			text += " Known false positives: " + strings.Join(g.rule.FalsePositives[:min(3, len(g.rule.FalsePositives))], "; ") + "."
		}
		claims = append(claims, Claim{Text: text, Citations: alertCites(g.alerts...)})
	}

	// The techniques, in the order of the matrix.
	techs := f.techniques()
	var tactics []string
	for i, t := range techs {
		for _, tac := range t.info.Tactics {
			if !slices.Contains(tactics, tac) {
				tactics = append(tactics, tac)
			}
		}
		if i >= maxTechniques {
			continue
		}
		text := t.info.ID
		if t.info.Name != "" {
			text += " " + t.info.Name
		}
		if len(t.info.Tactics) > 0 {
			names := make([]string, len(t.info.Tactics))
			for j, tac := range t.info.Tactics {
				names[j] = tacticName(tac)
			}
			text += " (" + strings.Join(names, ", ") + ")"
		}
		if t.info.Description != "" {
			text += ": " + sentence(t.info.Description, 400)
		} else {
			text += " is what the rules tag these alerts with."
		}
		claims = append(claims, Claim{Text: text, Citations: alertCites(t.alerts...)})
	}
	if len(techs) > maxTechniques {
		claims = append(claims, Claim{Text: fmt.Sprintf("%d more techniques are tagged.", len(techs)-maxTechniques)})
	}
	if len(tactics) >= 3 {
		slices.SortFunc(tactics, func(a, b string) int { return cmp.Compare(tacticIndex(a), tacticIndex(b)) })
		claims = append(claims, Claim{Text: fmt.Sprintf("The alerts span %d ATT&CK tactics, from %s to %s: the shape of an intrusion progressing, not of one noisy rule.",
			len(tactics), tacticName(tactics[0]), tacticName(tactics[len(tactics)-1]))})
	}
	if f.ev.Truncated {
		claims = append(claims, Claim{Text: "The case holds more alerts or events than this summary read: the most severe and newest were kept."})
	}
	return claims
}

// techniqueAlerts is a technique with the alerts tagged with it.
type techniqueAlerts struct {
	info   copilot.TechniqueInfo
	alerts []store.StoredAlert
}

// techniques returns the techniques of the case's rules by tactic order,
// then id.
func (f *facts) techniques() []techniqueAlerts {
	byID := map[string]*techniqueAlerts{}
	var out []*techniqueAlerts
	for _, g := range f.groups {
		for _, id := range g.rule.Techniques {
			t := byID[id]
			if t == nil {
				info, ok := f.ev.Techniques[id]
				if !ok {
					info = copilot.TechniqueInfo{ID: id}
				}
				t = &techniqueAlerts{info: info}
				byID[id] = t
				out = append(out, t)
			}
			t.alerts = append(t.alerts, g.alerts...)
		}
	}
	first := func(t *techniqueAlerts) int {
		i := len(tacticOrder)
		for _, tac := range t.info.Tactics {
			i = min(i, tacticIndex(tac))
		}
		return i
	}
	slices.SortStableFunc(out, func(a, b *techniqueAlerts) int {
		if c := cmp.Compare(first(a), first(b)); c != 0 {
			return c
		}
		return strings.Compare(a.info.ID, b.info.ID)
	})
	res := make([]techniqueAlerts, len(out))
	for i, t := range out {
		res[i] = *t
		evidenceOrder(res[i].alerts)
	}
	return res
}

func evidenceOrder(alerts []store.StoredAlert) {
	slices.SortFunc(alerts, func(a, b store.StoredAlert) int { return cmp.Compare(a.ID, b.ID) })
}

func levelRank(level string) int {
	return slices.Index([]string{"informational", "low", "medium", "high", "critical"}, strings.ToLower(level))
}

// queryTime is the "now" hunting queries are validated at: their relative
// times are left for the search to resolve when it runs.
var queryTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// hunt returns the query for a grammar question, checked to parse, or "".
func hunt(question string) string {
	t, ok := grammar.Translate(question, queryTime)
	if !ok {
		return ""
	}
	if _, err := search.ParseAt(t.Query, queryTime); err != nil {
		return ""
	}
	return t.Query
}

func (f *facts) nextSteps() []Claim {
	var claims []Claim
	// Contain the hosts with severe alerts, worst first.
	hostLevel := map[string]int{}
	hostAlerts := map[string][]store.StoredAlert{}
	for _, a := range f.ev.Alerts {
		if a.Host == "" {
			continue
		}
		hostLevel[a.Host] = max(hostLevel[a.Host], levelRank(a.Rule.Level))
		hostAlerts[a.Host] = append(hostAlerts[a.Host], a)
	}
	hosts := f.entities(func(a store.StoredAlert) []string { return []string{a.Host} })
	slices.SortStableFunc(hosts, func(a, b string) int { return cmp.Compare(hostLevel[b], hostLevel[a]) })
	for i, h := range hosts {
		if i == maxEntities || hostLevel[h] < levelRank("high") {
			break
		}
		text := fmt.Sprintf("Isolate %s from the network (it raised %s, the worst %s) and preserve its memory and disk before cleaning it.",
			code(h, 80), plural(len(hostAlerts[h]), "alert"), levelName(hostLevel[h]))
		if q := hunt("what ran on " + shortHost(h) + " in the last day"); q != "" {
			text += " Review what ran on it: " + code(q, 400) + "."
		}
		claims = append(claims, Claim{Text: text, Citations: alertCites(hostAlerts[h]...)})
	}
	// Credentials: stolen when the case shows credential access, at risk
	// in any case for accounts that ran the intruder's commands.
	credTheft := false
	for _, t := range f.techniques() {
		if slices.Contains(t.info.Tactics, "credential-access") || strings.HasPrefix(t.info.ID, "T1003") || strings.HasPrefix(t.info.ID, "T1110") {
			credTheft = true
		}
	}
	users := f.entities(f.usersOf)
	for i, u := range users {
		if i == maxEntities {
			break
		}
		cites := f.alertsWith(f.usersOf, u)
		text := fmt.Sprintf("Check the account %s: ", code(u, 80))
		if credTheft {
			text = fmt.Sprintf("Reset the credentials of %s and end its sessions: the case shows credential theft. ", code(u, 80))
		}
		if q := hunt("events from user " + accountName(u) + " in the last week"); q != "" {
			text += "Search its recent activity: " + code(q, 400) + "."
		}
		claims = append(claims, Claim{Text: strings.TrimSuffix(strings.TrimSpace(text), ":"), Citations: cites})
	}
	// Indicators to sweep for on other hosts.
	for _, h := range f.hashes() {
		if q := hunt("processes with hash " + h.value); q != "" {
			claims = append(claims, Claim{Text: fmt.Sprintf("Search every host for %s (hash of %s): %s.", code(h.value, 80), code(h.image, 120), code(q, 400)), Citations: h.cites})
		}
	}
	for _, ip := range f.entities(f.remoteAddresses) {
		if q := hunt("connections to " + ip); q != "" {
			claims = append(claims, Claim{Text: fmt.Sprintf("Block %s at the perimeter and find every host that talked to it: %s.", code(ip, 60), code(q, 400)),
				Citations: f.alertsWith(f.remoteAddresses, ip)})
		}
	}
	claims = append(claims, f.techniqueSteps()...)
	return claims
}

// urlHost finds the host of URLs in command lines and matched values
// (download cradles, certutil -urlcache).
var urlHost = regexp.MustCompile(`(?i)\bhttps?://\[?([0-9a-f.:]+)\]?[:/]`)

// remoteAddresses are the public addresses an alert names, in its
// entities, its event or the URLs its command line fetches.
func (f *facts) remoteAddresses(a store.StoredAlert) []string {
	cands := []string{a.Entities[alert.EntityDstIP], a.Entities[alert.EntitySrcIP], f.field(a, "DestinationIp")}
	texts := []string{f.field(a, "CommandLine")}
	for _, m := range a.Matches {
		texts = append(texts, m.Value)
	}
	for _, t := range texts {
		for _, m := range urlHost.FindAllStringSubmatch(t, 4) {
			cands = append(cands, m[1])
		}
	}
	var out []string
	for _, s := range cands {
		if ip, err := netip.ParseAddr(strings.TrimSpace(s)); err == nil && ip.IsGlobalUnicast() && !ip.IsPrivate() && !slices.Contains(out, ip.String()) {
			out = append(out, ip.String())
		}
	}
	return out
}

// fileHash is a hash seen in the case, with the image it belongs to.
type fileHash struct {
	value, image string
	cites        []string
}

// hashes returns the SHA256 (else first) hash of each distinct image
// behind an alert, for the images that are not Windows' own.
func (f *facts) hashes() []fileHash {
	var out []fileHash
	seen := map[string]bool{}
	for _, a := range f.ev.Alerts {
		raw, image := f.field(a, "Hashes"), f.field(a, "Image")
		if raw == "" {
			raw = a.Entities[alert.EntityHash]
		}
		h := pickHash(raw)
		if h == "" || seen[h] || isWindowsBinary(image) {
			continue
		}
		seen[h] = true
		out = append(out, fileHash{value: h, image: image, cites: []string{cite("alert", a.ID), cite("event", a.EventID)}})
		if len(out) == maxEntities {
			break
		}
	}
	return out
}

// pickHash reads Sysmon's "SHA1=…,MD5=…,SHA256=…,IMPHASH=…" and returns
// the SHA256, else the first hash; a bare hash is returned as it is.
func pickHash(s string) string {
	first := ""
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			k, v = "", k
		}
		if !isHex(v) || strings.EqualFold(k, "IMPHASH") {
			continue
		}
		if strings.EqualFold(k, "SHA256") {
			return v
		}
		if first == "" {
			first = v
		}
	}
	return first
}

func isHex(s string) bool {
	if len(s) != 32 && len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// isWindowsBinary: a hash of cmd.exe or rundll32.exe finds every host, so
// sweeping for it says nothing.
func isWindowsBinary(image string) bool {
	l := strings.ToLower(image)
	return strings.HasPrefix(l, `c:\windows\`) || strings.HasPrefix(l, `c:\program files`)
}

// techniqueSteps draws steps from the mitigations and detection advice
// of the techniques, those of the most severe alerts first, a few per
// technique so that one technique cannot crowd out the others.
func (f *facts) techniqueSteps() []Claim {
	techs := f.techniques()
	worst := func(t techniqueAlerts) int {
		w := -1
		for _, a := range t.alerts {
			w = max(w, levelRank(a.Rule.Level))
		}
		return w
	}
	slices.SortStableFunc(techs, func(a, b techniqueAlerts) int { return cmp.Compare(worst(b), worst(a)) })
	var claims []Claim
	seen := map[string]bool{}
	detections := 0
	for _, t := range techs {
		perTechnique := 0
		for _, m := range t.info.Mitigations {
			id, _, _ := strings.Cut(m, " ")
			if seen[id] || len(seen) >= maxMitigations || perTechnique == 2 {
				continue
			}
			seen[id] = true
			perTechnique++
			claims = append(claims, Claim{Text: fmt.Sprintf("Against %s: %s", techniqueLabel(t.info), sentence(m, 300)), Citations: alertCites(t.alerts...)})
		}
		if t.info.Detection != "" && detections < maxDetections {
			detections++
			claims = append(claims, Claim{Text: fmt.Sprintf("To find more of %s: %s", techniqueLabel(t.info), inline(t.info.Detection, 500)), Citations: alertCites(t.alerts...)})
		}
	}
	return claims
}

func techniqueLabel(t copilot.TechniqueInfo) string {
	if t.Name == "" {
		return t.ID
	}
	return t.ID + " " + t.Name
}

func levelName(rank int) string {
	names := []string{"informational", "low", "medium", "high", "critical"}
	if rank >= 0 && rank < len(names) {
		return names[rank]
	}
	return "unknown"
}

// shortHost is a host's first label, which the grammar's host term
// matches with a wildcard.
func shortHost(h string) string {
	s, _, _ := strings.Cut(h, ".")
	return s
}

// accountName drops the domain of DOMAIN\user.
func accountName(u string) string { return u[strings.LastIndexByte(u, '\\')+1:] }
