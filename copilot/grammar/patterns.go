package grammar

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"sync"
)

// pattern is one question form.
type pattern struct {
	name string
	re   *regexp.Regexp
	// needsScope: the clause alone would match a large share of all
	// events, so the question must also name a host, a time or (through
	// match.scoped) a user or program.
	needsScope bool
	// build returns the query clause and the words explaining it.
	build func(m *match) (clause, what string, ok bool)
	// note is a sentence added to the explanation.
	note string
}

// Pieces of patterns: the values questions name.
const (
	userRE   = `(?:the\s+)?(?:user\s+|account\s+|username\s+)?(?P<user>[A-Za-z0-9][A-Za-z0-9._$-]*(?:[\\@][A-Za-z0-9][A-Za-z0-9._$-]*)?)`
	imageRE  = `(?P<image>[A-Za-z0-9_][A-Za-z0-9_.-]*)`
	logonRE  = `(?:log-?ons?|log-?ins?|sign-?ins?|authentications?)`
	byRE     = `(?:by|of|for|from)`
	ipRE     = `(?P<ip>[0-9A-Fa-f.:]+)`
	domainRE = `(?P<domain>\*?\.?[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+\.?)`
	pathRE   = `(?P<path>(?:[A-Za-z]:\\|\\\\|%[A-Za-z_]+%\\?|/)[^"*?<>|]*)`
	hashRE   = `(?P<hash>[0-9A-Fa-f]{32}|[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})`
	termRE   = `["']?(?P<term>[^"']{1,120}?)["']?`
)

// Clauses reused by several patterns. Process creation is Sysmon 1 or
// Security 4688 (whose names for the image and parent differ).
const (
	processCreation = `EventID:(1 OR 4688)`
	logonSuccess    = `EventID:4624`
	logonFailure    = `EventID:4625`
)

func p(name string, needsScope bool, re string, build func(m *match) (string, string, bool), note ...string) pattern {
	return pattern{name: name, re: regexp.MustCompile(`(?i)^(?:` + re + `)$`), needsScope: needsScope, build: build, note: strings.Join(note, " ")}
}

// patterns are tried in order; the first that matches and builds wins, so
// specific forms come before general ones. The table is compiled on first
// use: its regular expressions take 1.5 MB, which a bulwark command that
// never asks a question should not pay at start-up.
var patterns = sync.OnceValue(func() []pattern {
	return []pattern{
		p("rdp-logons", false, `(?:rdp|remote\s+desktop|terminal\s+services)\s+(?:`+logonRE+`|sessions?|connections?)(?:\s+`+byRE+`\s+`+userRE+`)?`,
			func(m *match) (string, string, bool) {
				clause, what := logonSuccess+" LogonType:10", "remote desktop (RDP) logons, Security 4624 with logon type 10"
				return withUser(m, clause, what)
			}),
		p("failed-logons", false, `(?:failed|unsuccessful|bad|wrong)\s+(?:`+logonRE+`|passwords?|password\s+attempts?|logon\s+attempts?)(?:\s+`+byRE+`\s+`+userRE+`)?`,
			func(m *match) (string, string, bool) {
				return withUser(m, logonFailure, "failed logons (Security 4625)")
			}),
		p("who-logged-on", true, `who\s+(?:has\s+|have\s+)?(?:logged|logs|log|signed|was\s+logged)\s*(?:on|in)(?:\s+(?:to|on))?|(?:users|accounts)\s+(?:that\s+|who\s+)?(?:logged|signed)\s*(?:on|in)`,
			func(m *match) (string, string, bool) {
				return logonSuccess + ` -TargetUserName:*$`, "successful logons (Security 4624) of users (not machine accounts)", true
			}),
		p("logons-by-user", false, `(?:successful\s+)?`+logonRE+`(?:\s+`+byRE+`\s+`+userRE+`)?|when\s+did\s+`+userRE+`\s+(?:log|sign)\s*(?:on|in)|where\s+(?:did|has)\s+`+userRE+`\s+(?:logged|log|signed|sign)\s*(?:on|in)`,
			func(m *match) (string, string, bool) {
				if m.get("user") == "" && !m.hasHost && !m.hasTime {
					return "", "", false
				}
				return withUser(m, logonSuccess, "successful logons (Security 4624)")
			}),
		p("account-lockouts", false, `(?:account\s+)?lock-?outs?|(?:locked|locked-out)\s+(?:out\s+)?accounts?|accounts?\s+locked(?:\s+out)?`,
			func(m *match) (string, string, bool) {
				return "EventID:4740", "accounts locked out (Security 4740)", true
			}),
		p("accounts-created", false, `(?:new\s+)?(?:user\s+|local\s+|domain\s+)?accounts?\s+(?:created|added|made)|new\s+(?:user\s+|local\s+|domain\s+)?(?:accounts|users)|(?:user\s+)?account\s+creations?|(?:users|accounts)\s+that\s+were\s+created`,
			func(m *match) (string, string, bool) {
				return "EventID:4720", "user accounts created (Security 4720)", true
			}),
		p("group-changes", false, `(?:users|members|accounts)\s+added\s+to\s+(?:a\s+|the\s+)?(?:security\s+|admin\s+|privileged\s+|local\s+|domain\s+)?groups?|group\s+membership\s+changes`,
			func(m *match) (string, string, bool) {
				return "EventID:(4728 OR 4732 OR 4756)", "members added to security groups (Security 4728, 4732, 4756)", true
			}),
		p("services-installed", false, `(?:new\s+)?services?\s+(?:installed|created|added|registered)|new\s+services|service\s+(?:installs?|installations?|creations?)`,
			func(m *match) (string, string, bool) {
				return "EventID:(7045 OR 4697)", "services installed (System 7045, Security 4697)", true
			}),
		p("scheduled-tasks", false, `(?:new\s+)?scheduled\s+tasks?(?:\s+(?:created|registered|added|made))?|(?:new\s+)?tasks?\s+(?:scheduled|registered)`,
			func(m *match) (string, string, bool) {
				return `(EventID:4698 OR (Channel:"Microsoft-Windows-TaskScheduler/Operational" EventID:106))`,
					"scheduled tasks created (Security 4698, Task Scheduler 106)", true
			}),
		p("log-cleared", false, `(?:(?:event\s+|security\s+|audit\s+)?logs?\s+(?:cleared|wiped|deleted)|cleared\s+(?:event\s+|security\s+|audit\s+)?logs?)`,
			func(m *match) (string, string, bool) {
				return "EventID:(1102 OR 104)", "event logs cleared (Security 1102, System 104)", true
			}),
		p("lsass-access", false, `(?:processes\s+)?(?:accessing|opening|reading|that\s+accessed|that\s+opened)\s+lsass(?:\.exe)?(?:\s+memory)?|lsass\s+(?:access|reads|dumps?|dumping)`,
			func(m *match) (string, string, bool) {
				return `EventID:10 TargetImage:*\lsass.exe`, "processes opening LSASS (Sysmon 10)", true
			}),
		p("powershell-encoded", false, `(?:powershell|pwsh|ps)(?:\s+(?:commands?|command\s+lines?|processes|executions?|runs?|scripts?))?\s+(?:with|using|that\s+use|containing)\s+(?:an?\s+)?(?:-?e|-?enc|-?encodedcommand|encoded(?:\s+commands?)?|base64)`,
			func(m *match) (string, string, bool) {
				return `Image:(*\powershell.exe OR *\pwsh.exe) CommandLine:/(?i)\s-e(nc(odedcommand)?)?\s/`,
					"PowerShell started with an encoded command (-enc, -EncodedCommand)", true
			}),
		p("powershell-with", false, `(?:powershell|pwsh)(?:\s+(?:commands?|command\s+lines?|processes|executions?|runs?))?\s+(?:with|using|containing|mentioning)\s+`+termRE,
			func(m *match) (string, string, bool) {
				term := strings.TrimSpace(m.get("term"))
				if term == "" {
					return "", "", false
				}
				return `Image:(*\powershell.exe OR *\pwsh.exe) CommandLine:` + escapeValue(term, "*", "*"),
					fmt.Sprintf("PowerShell command lines containing %q", term), true
			}),
		p("child-processes", false, `(?:processes|programs|children|child\s+processes|commands|things|what)\s+(?:were\s+|was\s+)?(?:started|spawned|launched|created|run|executed)\s+by\s+`+imageRE+`|what\s+did\s+`+imageRE+`\s+(?:start|spawn|launch|run)|children\s+of\s+`+imageRE+`|`+imageRE+`\s+child\s+processes`,
			func(m *match) (string, string, bool) {
				img, ok := imageName(m.get("image"))
				if !ok {
					return "", "", false
				}
				v := escapeValue(`\`+img, "*", "")
				return processCreation + " (ParentImage:" + v + " OR ParentProcessName:" + v + ")",
					"processes started by " + img + " (Sysmon 1, Security 4688)", true
			}),
		p("process-executions", false, `(?:executions?|runs|launches|starts)\s+of\s+`+imageRE+`|(?:when|where)\s+(?:did|was|has)\s+`+imageRE+`\s+(?:run|ran|been\s+run|executed|started|launched)|`+imageRE+`\s+(?:executions?|runs|launches)`,
			func(m *match) (string, string, bool) {
				img, ok := imageName(m.get("image"))
				if !ok {
					return "", "", false
				}
				v := escapeValue(`\`+img, "*", "")
				return processCreation + " (Image:" + v + " OR NewProcessName:" + v + ")", "runs of " + img + " (Sysmon 1, Security 4688)", true
			}),
		p("hash", false, `(?:(?:processes|files|executables|binaries|images|programs|events)\s+)?(?:with|having|matching|for)\s+(?:the\s+)?(?:file\s+)?(?:hash|sha-?256|sha-?1|md5|imphash)\s+`+hashRE+`|(?:hash|sha-?256|sha-?1|md5|imphash)\s+`+hashRE+`|where\s+(?:else\s+)?(?:is|was|did)\s+`+hashRE+`(?:\s+(?:seen|run|found))?`,
			func(m *match) (string, string, bool) {
				h := m.get("hash")
				return "Hashes:*" + h + "*", "processes and files with hash " + h + " (Sysmon Hashes)", true
			}),
		p("commands-containing", false, `(?:commands?|command\s+lines?|processes|cmdlines?)\s+(?:containing|with|that\s+contain|mentioning|matching|including)\s+`+termRE,
			func(m *match) (string, string, bool) {
				term := strings.TrimSpace(m.get("term"))
				if term == "" || hashWord.MatchString(term) { // a malformed hash, not a command line
					return "", "", false
				}
				return processCreation + " CommandLine:" + escapeValue(term, "*", "*"), fmt.Sprintf("processes whose command line contains %q", term), true
			}),
		p("what-ran", true, `what\s+(?:ran|was\s+run|was\s+executed|executed|was\s+started|started|programs?\s+ran|processes\s+ran)|(?:which\s+)?(?:processes|programs|executables)(?:\s+(?:ran|started|executed|were\s+started|were\s+run))?|process\s+(?:creations?|starts|executions)`,
			func(m *match) (string, string, bool) {
				return processCreation, "processes started (Sysmon 1, Security 4688)", true
			}),
		p("network-connections", false, `(?:outbound\s+|inbound\s+)?(?:network\s+)?(?:connections?|traffic|flows?|sessions)\s+(?P<dir>from|to|with|involving)\s+(?:ip\s+|address\s+|host\s+)?`+ipRE+`|(?:who|what)\s+(?:talked|connected)\s+to\s+`+ipRE,
			func(m *match) (string, string, bool) {
				ip := m.get("ip")
				if !isIP(ip) {
					return "", "", false
				}
				v := escapeValue(ip, "", "")
				switch strings.ToLower(m.get("dir")) {
				case "from":
					return "(SourceIp:" + v + " OR SourceAddress:" + v + ")", "network connections from " + ip + " (Sysmon 3, Windows Filtering Platform 5156)", true
				case "with", "involving":
					return "(SourceIp:" + v + " OR DestinationIp:" + v + " OR SourceAddress:" + v + " OR DestAddress:" + v + ")", "network connections with " + ip, true
				}
				return "(DestinationIp:" + v + " OR DestAddress:" + v + ")", "network connections to " + ip + " (Sysmon 3, Windows Filtering Platform 5156)", true
			}),
		p("connections-to-port", false, `(?:outbound\s+|inbound\s+)?(?:network\s+)?(?:connections?|traffic)\s+(?:to|on)\s+(?:port\s+|tcp\s+port\s+|udp\s+port\s+)(?P<port>\d{1,5})`,
			func(m *match) (string, string, bool) {
				port := m.get("port")
				if n := atoi(port); n <= 0 || n > 65535 {
					return "", "", false
				}
				return "DestinationPort:" + port, "network connections to port " + port + " (Sysmon 3)", true
			}),
		p("dns-queries", false, `(?:dns\s+)?(?:queries|query|lookups?|requests|resolutions?)\s+(?:for|of|to)\s+(?:the\s+)?(?:domain\s+)?`+domainRE+`|who\s+(?:resolved|looked\s+up|queried)\s+`+domainRE,
			func(m *match) (string, string, bool) {
				d := strings.Trim(strings.TrimPrefix(m.get("domain"), "*"), ".")
				if d == "" || !strings.Contains(d, ".") {
					return "", "", false
				}
				v := escapeValue(d, "", "")
				return "QueryName:(" + v + " OR " + escapeValue("."+d, "*", "") + ")", "DNS queries (Sysmon 22) for " + d + " and its subdomains", true
			}),
		p("files-written", false, `(?:files?|executables|scripts|dlls)\s+(?:written|created|dropped|saved|placed|added)\s+(?:to|in|into|under|below)\s+(?:the\s+)?(?:folder\s+|directory\s+)?`+pathRE,
			func(m *match) (string, string, bool) {
				path := strings.TrimRight(strings.TrimSpace(m.get("path")), `\/`)
				if path == "" {
					return "", "", false
				}
				sep := `\`
				if strings.HasPrefix(path, "/") {
					sep = "/"
				}
				return "EventID:11 TargetFilename:" + escapeValue(path+sep, "", "*"), "files created (Sysmon 11) under " + path, true
			}),
		p("alerts", true, `(?:security\s+|antivirus\s+|av\s+|defender\s+|ids\s+)?(?:alerts?|detections?|threats?)`,
			func(m *match) (string, string, bool) {
				return `((Channel:"Microsoft-Windows-Windows Defender/Operational" EventID:(1116 OR 1117)) OR event_type:alert)`,
					"alerts other products logged as events (Defender 1116 and 1117, Suricata)", true
			}, "Bulwark's own alerts are not events: see the Alerts page, filtered by host."),
		p("user-activity", false, `(?:events|activity|everything|actions|logs)\s+`+byRE+`\s+`+userRE+`|what\s+did\s+`+userRE+`\s+do`,
			func(m *match) (string, string, bool) {
				u, ok := userName(m.get("user"))
				if !ok {
					return "", "", false
				}
				v := escapeValue(u, "", "")
				m.scoped = true
				return "(TargetUserName:" + v + " OR SubjectUserName:" + v + " OR User:" + escapeValue(`\`+u, "*", "") + ")",
					"events of user " + u + " (as the target or subject of Security events, or the user of Sysmon events)", true
			}),
		p("host-events", true, `(?:events|activity|everything|logs|what\s+happened)`,
			func(m *match) (string, string, bool) {
				if !m.hasHost {
					return "", "", false
				}
				return "", "all events", true
			}),
	}
})

var hashWord = regexp.MustCompile(`(?i)^(?:the\s+)?(?:file\s+)?(?:hash|sha-?256|sha-?1|md5|imphash)\b`)

// withUser narrows a logon clause to the question's user, if it named one.
func withUser(m *match, clause, what string) (string, string, bool) {
	raw := m.get("user")
	if raw == "" {
		return clause, what, true
	}
	u, ok := userName(raw)
	if !ok {
		return "", "", false
	}
	m.scoped = true
	return clause + " TargetUserName:" + escapeValue(u, "", ""), what + " of account " + u, true
}

// Words that the user pattern catches but that name no user: "failed
// logons in ..." leaves "in" when a time phrase was not recognised.
var notUsers = map[string]bool{"the": true, "a": true, "an": true, "in": true, "on": true, "at": true, "to": true,
	"any": true, "all": true, "users": true, "user": true, "accounts": true, "account": true, "everyone": true,
	"anyone": true, "me": true, "last": true, "since": true, "today": true, "yesterday": true, "host": true}

// userName takes the account name of DOMAIN\user or user@domain: Security
// events keep the domain in a field of its own.
func userName(s string) (string, bool) {
	if i := strings.LastIndexByte(s, '\\'); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.IndexByte(s, '@'); i >= 0 {
		s = s[:i]
	}
	if s == "" || notUsers[strings.ToLower(s)] {
		return "", false
	}
	return s, true
}

// imageName is a program as a file name: powershell → powershell.exe.
func imageName(s string) (string, bool) {
	s = strings.Trim(s, ".")
	if s == "" || notUsers[strings.ToLower(s)] {
		return "", false
	}
	if !strings.Contains(s, ".") {
		s += ".exe"
	}
	return strings.ToLower(s), true
}

func isIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s) && i < 6; i++ {
		if s[i] < '0' || s[i] > '9' {
			return -1
		}
		n = n*10 + int(s[i]-'0')
	}
	return n
}
