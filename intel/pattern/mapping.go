package pattern

import (
	"net/netip"
	"strings"
)

// Kind says how a bound value compares.
type Kind uint8

// Binding kinds.
const (
	Text Kind = iota // case-sensitive text (and numbers)
	Fold             // case-insensitive text: hashes, domains, registry keys
	IPv4             // an IPv4 address: only v4 values, '= a/32' equals 'a'
	IPv6             // an IPv6 address
	IP               // either family (network-traffic refs)
)

// Source is one event field that carries an object path's value.
type Source struct {
	Field string
	// Conv derives the values to compare from the field's text (a base
	// name, one hash out of Sysmon's list). Nil compares the value as is,
	// numbers included.
	Conv func(string) []string
}

// Binding ties an object path to the event fields that carry it.
type Binding struct {
	Kind    Kind
	Sources []Source
}

// Mapping maps object paths, written as Path.Key gives them
// ("file:hashes.SHA-256", "network-traffic:protocols[*]"), to bindings.
// A path with no binding never matches; Compiled.Unmapped lists them.
type Mapping struct {
	m map[string]*Binding
}

// NewMapping returns an empty mapping.
func NewMapping() *Mapping { return &Mapping{m: map[string]*Binding{}} }

// Bind adds sources to path, creating the binding with kind k when it is
// new (an existing binding keeps its kind). This is how a deployment adds
// its own field names.
func (m *Mapping) Bind(path string, k Kind, src ...Source) {
	b := m.m[path]
	if b == nil {
		b = &Binding{Kind: k}
		m.m[path] = b
	}
	b.Sources = append(b.Sources, src...)
}

// Lookup returns the binding of path.
func (m *Mapping) Lookup(path string) (*Binding, bool) {
	b, ok := m.m[path]
	return b, ok
}

// Paths returns the bound paths.
func (m *Mapping) Paths() []string {
	out := make([]string, 0, len(m.m))
	for k := range m.m {
		out = append(out, k)
	}
	return out
}

// Row is one line of the default mapping table.
type Row struct {
	Paths  []string // object paths (aliases share the row)
	Kind   Kind
	Fields []string // event fields, as is
	Conv   func(string) []string
	// ConvFields are fields whose values go through Conv.
	ConvFields []string
}

// The field lists follow docs/windows-fields.md (Sysmon and Security
// EventData names), Zeek (id.orig_h), Suricata EVE (src_ip, dns.rrname)
// and ECS (source.ip). Aliases exist because feeds differ: STIX 2.0 wrote
// win-registry-key, and many feeds write hashes.SHA256 unquoted.
var (
	ipSrcFields = []string{"SourceIp", "SourceAddress", "IpAddress", "src_ip", "id.orig_h", "source.ip", "client.ip"}
	ipDstFields = []string{"DestinationIp", "DestAddress", "dest_ip", "id.resp_h", "destination.ip", "server.ip"}
	ipAll       = append(append([]string{}, ipSrcFields...), ipDstFields...)
	hostFields  = []string{"DestinationHostname", "QueryName", "dns.rrname", "query", "dns.question.name", "url.domain", "server_name", "tls.sni", "host", "http.hostname"}
	sha256      = hashRow([]string{"file:hashes.SHA-256", "file:hashes.SHA256", "process:binary_ref.hashes.SHA-256"}, "SHA256", "sha256", "hash.sha256", "file.hash.sha256", "process.hash.sha256")
	sha1        = hashRow([]string{"file:hashes.SHA-1", "file:hashes.SHA1", "process:binary_ref.hashes.SHA-1"}, "SHA1", "sha1", "hash.sha1", "file.hash.sha1", "process.hash.sha1")
	md5         = hashRow([]string{"file:hashes.MD5", "process:binary_ref.hashes.MD5"}, "MD5", "md5", "hash.md5", "file.hash.md5", "process.hash.md5")
)

// DefaultTable is the documented mapping from STIX object paths to the
// event fields Bulwark's readers produce.
var DefaultTable = []Row{
	{Paths: []string{"ipv4-addr:value"}, Kind: IPv4, Fields: ipAll},
	{Paths: []string{"ipv6-addr:value"}, Kind: IPv6, Fields: ipAll},
	{Paths: []string{"domain-name:value"}, Kind: Fold, Fields: hostFields},
	{Paths: []string{"url:value"}, Fields: []string{"url", "URL", "http.url", "url.full", "url.original"}},
	sha256, sha1, md5,
	{Paths: []string{"file:name"}, Fields: []string{"file.name", "FileName", "filename"},
		Conv: BaseName, ConvFields: []string{"TargetFilename", "Image", "ImageLoaded", "file.path"}},
	{Paths: []string{"file:parent_directory_ref.path", "directory:path"}, Conv: DirName,
		ConvFields: []string{"TargetFilename", "Image", "ImageLoaded", "file.path"}},
	{Paths: []string{"file:size"}, Fields: []string{"FileSize", "file.size"}},
	{Paths: []string{"process:command_line"}, Fields: []string{"CommandLine", "process.command_line"}},
	{Paths: []string{"process:name", "process:binary_ref.name"}, Fields: []string{"process.name"},
		Conv: BaseName, ConvFields: []string{"Image", "NewProcessName", "process.executable"}},
	{Paths: []string{"process:pid"}, Fields: []string{"ProcessId", "NewProcessId", "process.pid"}},
	{Paths: []string{"process:cwd"}, Fields: []string{"CurrentDirectory", "process.working_directory"}},
	{Paths: []string{"process:parent_ref.name"}, Fields: []string{"process.parent.name"},
		Conv: BaseName, ConvFields: []string{"ParentImage", "ParentProcessName"}},
	{Paths: []string{"process:parent_ref.command_line"}, Fields: []string{"ParentCommandLine", "process.parent.command_line"}},
	{Paths: []string{"user-account:account_login"}, Fields: []string{"TargetUserName", "SubjectUserName", "user.name"},
		Conv: AccountName, ConvFields: []string{"User"}},
	{Paths: []string{"user-account:user_id"}, Fields: []string{"TargetUserSid", "SubjectUserSid", "user.id", "TargetUserName"},
		Conv: AccountName, ConvFields: []string{"User"}},
	{Paths: []string{"network-traffic:src_ref.value"}, Kind: IP, Fields: ipSrcFields},
	{Paths: []string{"network-traffic:dst_ref.value"}, Kind: IP, Fields: append([]string{"DestinationHostname"}, ipDstFields...)},
	{Paths: []string{"network-traffic:src_ref.type"}, Conv: AddrType, ConvFields: ipSrcFields},
	{Paths: []string{"network-traffic:dst_ref.type"}, Conv: AddrType, ConvFields: append([]string{"DestinationHostname"}, ipDstFields...)},
	{Paths: []string{"network-traffic:src_port"}, Fields: []string{"SourcePort", "IpPort", "src_port", "id.orig_p", "source.port"}},
	{Paths: []string{"network-traffic:dst_port"}, Fields: []string{"DestinationPort", "DestPort", "dest_port", "id.resp_p", "destination.port"}},
	{Paths: []string{"network-traffic:protocols[*]"}, Kind: Fold, Fields: []string{"Protocol", "proto", "app_proto", "service", "network.transport", "network.protocol"}},
	{Paths: []string{"email-addr:value"}, Kind: Fold, Fields: []string{"from", "to", "sender", "mailfrom", "rcptto", "email.from.address", "email.to.address"}},
	{Paths: []string{"email-message:from_ref.value"}, Kind: Fold, Fields: []string{"from", "mailfrom", "email.from.address"}},
	// What a name resolved to: Sysmon 22's QueryResults ("type: 5 x;::ffff:1.2.3.4;"),
	// Zeek's and Suricata's answer lists.
	{Paths: []string{"domain-name:resolves_to_refs[*].value"}, Kind: IP, Fields: []string{"answers", "dns.answers", "dns.resolved_ip"},
		Conv: QueryResults, ConvFields: []string{"QueryResults"}},
	{Paths: []string{"email-message:sender_ref.value"}, Kind: Fold, Fields: []string{"sender", "mailfrom", "email.sender.address"}},
	{Paths: []string{"email-message:to_refs[*].value"}, Kind: Fold, Fields: []string{"to", "rcptto", "email.to.address"}},
	{Paths: []string{"email-message:subject"}, Fields: []string{"subject", "email.subject"}},
	{Paths: []string{"windows-registry-key:key", "win-registry-key:key"}, Kind: Fold,
		Conv: RegistryKey, ConvFields: []string{"TargetObject", "ObjectName", "registry.path"}},
	{Paths: []string{"windows-registry-key:values[*].data", "win-registry-key:values[*].data"}, Fields: []string{"Details", "registry.data.strings"}},
	{Paths: []string{"x509-certificate:serial_number"}, Kind: Fold, Fields: []string{"certificate.serial", "tls.x509.serial_number", "serial"}},
	{Paths: []string{"x509-certificate:issuer"}, Fields: []string{"certificate.issuer", "tls.issuerdn", "tls.x509.issuer.distinguished_name", "issuer"}},
	{Paths: []string{"x509-certificate:subject"}, Fields: []string{"certificate.subject", "tls.subject", "tls.x509.subject.distinguished_name", "subject"}},
	{Paths: []string{"mutex:name"}, Fields: []string{"MutexName", "mutex"}},
}

func hashRow(paths []string, sysmonName string, fields ...string) Row {
	return Row{Paths: paths, Kind: Fold, Fields: fields, Conv: SysmonHash(sysmonName), ConvFields: []string{"Hashes", "Hash"}}
}

// DefaultMapping returns a fresh mapping built from DefaultTable; callers
// may Bind more paths or fields to it.
func DefaultMapping() *Mapping {
	m := NewMapping()
	for _, r := range DefaultTable {
		for _, p := range r.Paths {
			for _, f := range r.Fields {
				m.Bind(p, r.Kind, Source{Field: f})
			}
			for _, f := range r.ConvFields {
				m.Bind(p, r.Kind, Source{Field: f, Conv: r.Conv})
			}
		}
	}
	return m
}

// BaseName returns the last element of a Windows or POSIX path.
func BaseName(s string) []string {
	if i := strings.LastIndexAny(s, `\/`); i >= 0 {
		s = s[i+1:]
	}
	if s == "" {
		return nil
	}
	return []string{s}
}

// DirName returns the directory of a Windows or POSIX path, without the
// trailing separator ("C:\Windows\System32").
func DirName(s string) []string {
	i := strings.LastIndexAny(s, `\/`)
	if i <= 0 {
		return nil
	}
	return []string{s[:i]}
}

// SysmonHash returns a Conv that picks one algorithm out of Sysmon's
// "SHA1=…,MD5=…,SHA256=…,IMPHASH=…" list (names as Sysmon spells them).
func SysmonHash(name string) func(string) []string {
	return func(s string) []string {
		for s != "" {
			var item string
			item, s, _ = strings.Cut(s, ",")
			k, v, ok := strings.Cut(item, "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), name) {
				return []string{strings.TrimSpace(v)}
			}
		}
		return nil
	}
}

// AccountName returns both "DOMAIN\user" and "user" for Sysmon's User
// field, since STIX account_login carries the bare name.
func AccountName(s string) []string {
	if i := strings.LastIndexByte(s, '\\'); i >= 0 {
		return []string{s, s[i+1:]}
	}
	return []string{s}
}

// AddrType names the STIX type of an address value: ipv4-addr, ipv6-addr
// or domain-name.
func AddrType(s string) []string {
	a, err := netip.ParseAddr(s)
	switch {
	case s == "":
		return nil
	case err != nil:
		return []string{"domain-name"}
	case a.Unmap().Is4():
		return []string{"ipv4-addr"}
	}
	return []string{"ipv6-addr"}
}

// registryRoots expands the abbreviations Sysmon writes (HKLM\…) to the
// hive names STIX uses (HKEY_LOCAL_MACHINE\…).
var registryRoots = []struct{ short, long string }{
	{`HKLM\`, `HKEY_LOCAL_MACHINE\`},
	{`HKCU\`, `HKEY_CURRENT_USER\`},
	{`HKCR\`, `HKEY_CLASSES_ROOT\`},
	{`HKU\`, `HKEY_USERS\`},
	{`HKCC\`, `HKEY_CURRENT_CONFIG\`},
}

// RegistryKey returns the key as written and with its hive spelled out.
// Sysmon writes a user's hive as HKU\<SID>\…, which is what STIX calls
// HKEY_CURRENT_USER\… for that user, so that form is returned too.
func RegistryKey(s string) []string {
	out := []string{s}
	for _, r := range registryRoots {
		if len(s) >= len(r.short) && strings.EqualFold(s[:len(r.short)], r.short) {
			out = append(out, r.long+s[len(r.short):])
			if r.short == `HKU\` {
				if _, rest, ok := strings.Cut(s[len(r.short):], `\`); ok {
					out = append(out, `HKEY_CURRENT_USER\`+rest)
				}
			}
			break
		}
	}
	return out
}

// QueryResults splits Sysmon's DNS QueryResults ("type: 5 cname;::ffff:1.2.3.4;")
// into the addresses it lists, IPv4-mapped IPv6 written as IPv4.
func QueryResults(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ";") {
		item = strings.TrimSpace(item)
		if item == "" || strings.HasPrefix(item, "type:") {
			continue
		}
		out = append(out, strings.TrimPrefix(item, "::ffff:"))
	}
	return out
}
