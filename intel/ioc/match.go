package ioc

import (
	"net/netip"
	"strings"
	"time"
	"unsafe"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/intel"
)

// fieldKind says how a field's value is read for observables.
type fieldKind uint8

const (
	fIP     fieldKind = iota + 1 // an address
	fHost                        // a host: domain or address, maybe with a port
	fURL                         // an absolute URL; its host is also looked up
	fPath                        // a request path, joined to the event's host field
	fHash                        // a hex digest, algorithm told by its length
	fHashes                      // Sysmon's "SHA1=…,MD5=…,SHA256=…,IMPHASH=…"
	fEmail                       // an e-mail address
	fNone                        // never holds an observable: not even scanned for e-mail
)

// fieldKinds is the table of fields observables are read from. Names are
// the sources' own (docs/windows-fields.md for Windows; Zeek, Suricata EVE,
// ECS and common proxy logs otherwise). Fields not listed are only
// looked at for e-mail addresses, and only when the set has any.
var fieldKinds = map[string]fieldKind{
	// Addresses: Sysmon 3, Security 4624/4625/5156, Zeek, Suricata, ECS,
	// web and proxy logs.
	"SourceIp": fIP, "DestinationIp": fIP, "IpAddress": fIP, "ClientIP": fIP, "ClientIp": fIP,
	"SourceAddress": fIP, "DestAddress": fIP, "RemoteAddress": fIP, "LocalAddress": fIP,
	"src_ip": fIP, "dest_ip": fIP, "dst_ip": fIP, "src": fIP, "dst": fIP,
	"id.orig_h": fIP, "id.resp_h": fIP, "source.ip": fIP, "destination.ip": fIP,
	"client.ip": fIP, "server.ip": fIP, "c-ip": fIP, "s-ip": fIP, "remote_addr": fIP,
	"client_ip": fIP, "server_ip": fIP, "ip": fIP,
	// Hosts: Sysmon 22 and 3, Zeek dns/http/ssl, Suricata dns/http/tls, ECS.
	"QueryName": fHost, "DestinationHostname": fHost, "SourceHostname": fHost,
	"query": fHost, "rrname": fHost, "dns.rrname": fHost, "dns.query": fHost, "dns.question.name": fHost,
	"host": fHost, "Host": fHost, "hostname": fHost, "http.hostname": fHost, "http.host": fHost,
	"server_name": fHost, "tls.sni": fHost, "sni": fHost, "destination.domain": fHost,
	"url.domain": fHost, "cs-host": fHost, "dest_host": fHost, "domain": fHost,
	// URLs.
	"url": fURL, "URL": fURL, "http.url": fURL, "url.full": fURL, "url.original": fURL,
	"request_url": fURL, "RequestUrl": fURL, "c-uri": fURL, "uri": fPath, "http.uri": fPath,
	"cs-uri-stem": fPath,
	// Digests.
	"Hashes": fHashes, "Hash": fHashes, "hashes": fHashes,
	"md5": fHash, "sha1": fHash, "sha256": fHash, "sha512": fHash, "hash": fHash,
	"MD5": fHash, "SHA1": fHash, "SHA256": fHash, "SHA512": fHash, "FileHash": fHash,
	"file.hash.md5": fHash, "file.hash.sha1": fHash, "file.hash.sha256": fHash, "file.hash.sha512": fHash,
	"process.hash.md5": fHash, "process.hash.sha1": fHash, "process.hash.sha256": fHash,
	"fileinfo.md5": fHash, "fileinfo.sha1": fHash, "fileinfo.sha256": fHash,
	// E-mail addresses.
	"sender": fEmail, "recipient": fEmail, "from": fEmail, "to": fEmail, "mailfrom": fEmail,
	"rcptto": fEmail, "SenderAddress": fEmail, "RecipientAddress": fEmail, "email": fEmail,
	"email.from.address": fEmail, "email.to.address": fEmail, "smtp.mail_from": fEmail,
	"smtp.rcpt_to": fEmail, "user.email": fEmail,
	// Frequent fields that are never an observable, listed so that they
	// are not scanned for e-mail addresses.
	"CommandLine": fNone, "ParentCommandLine": fNone, "Image": fNone, "ParentImage": fNone,
	"CurrentDirectory": fNone, "UtcTime": fNone, "ProcessGuid": fNone, "ParentProcessGuid": fNone,
	"IntegrityLevel": fNone, "Provider_Name": fNone, "Channel": fNone, "Computer": fNone,
	"TimeCreated_SystemTime": fNone, "Correlation_ActivityID": fNone, "LogonGuid": fNone,
	"TargetFilename": fNone, "ScriptBlockText": fNone, "Payload": fNone, "Message": fNone,
	"QueryResults": fNone, "cs(User-Agent)": fNone, "user_agent": fNone, "Description": fNone,
}

// pathHosts are the fields a request path (fPath) takes its host from.
var pathHosts = []string{"host", "Host", "cs-host", "http.hostname", "http.host"}

// Hit is one indicator matched by one observable of an event.
type Hit struct {
	// Indicator is the indicator matched. Its strings and slices share
	// the Set's memory: do not modify its Labels or KillChain.
	Indicator intel.Indicator
	Kind      Kind // the comparison's type
	// Field and Value are what matched in the event: the field's name
	// and its text (for a list, the element; for Sysmon's Hashes, the
	// "SHA256=…" part).
	Field string
	Value string
	// Match is the indicator's value that matched, normalised: the
	// address, the CIDR, the domain (a suffix of the event's), the URL,
	// the address, the hex digest.
	Match string

	ind int32 // the indicator's index in the Set, for reporting each once
}

// Observed renders the hit as intel.Sighting.Observed does:
// "ipv4-addr:value = '203.0.113.45'".
func (h *Hit) Observed() string {
	op := " = '"
	if (h.Kind == KindIPv4 || h.Kind == KindIPv6) && strings.IndexByte(h.Match, '/') >= 0 {
		op = " ISSUBSET '"
	}
	v := strings.ReplaceAll(strings.ReplaceAll(h.Match, `\`, `\\`), `'`, `\'`)
	return h.Kind.Path() + op + v + "'"
}

// Matcher matches events against a Set. It holds scratch space, so each
// goroutine needs its own; they are cheap.
type Matcher struct {
	s    *Set
	buf  []byte
	ev   *event.Event
	hits []Hit
	base int // where this event's hits start in hits
	// field and value are the observable being looked up, for hits.
	field, value string
	names        [256]nameSlot
}

// nameSlot caches one field name's kind, keyed by the address of the
// name's bytes. Readers give every event of a source the same name
// strings (literals, or names interned by logs/internal/jsonflat), so
// this replaces a map look-up per field, a good part of the cost of an
// event with no hit, by a pointer compare. A name at a new address just
// misses and goes to the map. Holding the pointer keeps the name's
// memory from being reused, so an equal pointer means an equal name as
// long as names are ordinary immutable strings, never unsafe views of a
// reused buffer.
type nameSlot struct {
	p    *byte
	n    int
	kind fieldKind
	ok   bool
}

// kindOf returns the kind of field name.
func (m *Matcher) kindOf(name string) (fieldKind, bool) {
	p := unsafe.StringData(name)
	sl := &m.names[(uintptr(unsafe.Pointer(p))>>3^uintptr(len(name)))&255]
	if sl.p == p && sl.n == len(name) && p != nil {
		return sl.kind, sl.ok
	}
	k, ok := fieldKinds[name]
	*sl = nameSlot{p: p, n: len(name), kind: k, ok: ok}
	return k, ok
}

// NewMatcher returns a Matcher over s.
func (s *Set) NewMatcher() *Matcher { return &Matcher{s: s, buf: make([]byte, 0, 1024)} }

// Match appends to dst a hit for each indicator that matches one of ev's
// observables and is valid at ev.Time (at the current time when ev has
// none), and returns it. An indicator is reported once per event, with
// the first observable that matched. Matching an event with no hit
// allocates nothing.
func (m *Matcher) Match(ev *event.Event, dst []Hit) []Hit {
	m.ev, m.hits, m.base = ev, dst, len(dst)
	checkEmail := m.s.has[KindEmail]
	for i := range ev.Fields {
		f := &ev.Fields[i]
		k, ok := m.kindOf(f.Name)
		if !ok {
			if !checkEmail || f.Value.Kind != event.KindString {
				continue
			}
			k = fEmail
		}
		if f.Value.Kind == event.KindList {
			for j := range f.Value.List {
				m.observable(k, f.Name, f.Value.List[j].Str)
			}
			continue
		}
		m.observable(k, f.Name, f.Value.Str)
	}
	dst, m.hits, m.ev = m.hits, nil, nil
	return dst
}

func (m *Matcher) observable(k fieldKind, field, v string) {
	if v == "" {
		return
	}
	m.field, m.value = field, v
	switch k {
	case fNone:
	case fIP:
		if a, ok := parseAddr(v); ok {
			m.addr(a)
		}
	case fHost:
		m.host(v)
	case fURL:
		m.url(v)
	case fPath:
		m.path(v)
	case fHash:
		m.digest(hashKindOfLen(len(v)), v)
	case fHashes:
		m.hashes(v)
	case fEmail:
		if m.s.has[KindEmail] && strings.IndexByte(v, '@') > 0 {
			var ok bool
			if m.buf, ok = appendEmail(m.buf[:0], v); ok {
				m.exact(KindEmail, m.buf)
			}
		}
	}
}

// addr looks an address up, exactly and in the CIDRs.
func (m *Matcher) addr(a netip.Addr) {
	k := KindIPv6
	if a.Is4() {
		k = KindIPv4
	}
	if m.s.has[k] {
		m.buf = addrKey(m.buf[:0], a)
		m.exact(k, m.buf)
	}
	if !m.s.hasCIDR {
		return
	}
	c := &m.s.cidr
	for n := c.find(addrU128(a)); n >= 0; n = c.parent[n] {
		for e := c.head[n]; e >= 0; e = m.s.entries[e].next {
			// An IPv6 prefix containing the v4-mapped space (::/0) is not
			// an IPv4 indicator.
			if m.s.entries[e].kind == k {
				m.hit(&m.s.entries[e])
			}
		}
	}
}

// looksLikeAddr rejects most host names before netip's parser, whose
// errors allocate: an address is digits and dots, or has a colon.
func looksLikeAddr(s string) bool {
	colon := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c == '.':
		case c == ':':
			colon = true
		case c >= 'a' && c <= 'f', c >= 'A' && c <= 'F', c == '%', c == '[', c == ']':
			if !colon && strings.IndexByte(s[i:], ':') < 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// host looks up a host name or address, with or without a port.
func (m *Matcher) host(v string) {
	if looksLikeAddr(v) {
		if a, ok := parseAddr(v); ok {
			m.addr(a)
			return
		}
		h, _ := hostPort(v)
		if a, ok := parseAddr(h); ok {
			m.addr(a)
		}
		return
	}
	if !m.s.has[KindDomain] {
		return
	}
	h, _ := hostPort(v)
	var ok bool
	if m.buf, ok = appendDomain(m.buf[:0], h); !ok {
		return
	}
	// The domain and each parent at a label boundary: "a.evil.example"
	// matches evil.example, "notevil.example" does not.
	b := m.buf
	for i := 0; i < len(b); i++ {
		if i == 0 || b[i-1] == '.' {
			m.exact(KindDomain, b[i:])
		}
	}
}

// url looks up a URL, normalised, and its host.
func (m *Matcher) url(v string) {
	i := strings.Index(v, "://")
	if i <= 0 {
		return
	}
	if m.s.has[KindURL] {
		var ok bool
		if m.buf, _, _, ok = appendURL(m.buf[:0], v); ok {
			m.exact(KindURL, m.buf)
		}
	}
	auth := v[i+3:]
	if j := strings.IndexAny(auth, "/?#"); j >= 0 {
		auth = auth[:j]
	}
	if j := strings.LastIndexByte(auth, '@'); j >= 0 {
		auth = auth[j+1:]
	}
	if auth != "" {
		m.host(auth)
	}
}

// path joins a request path (Zeek's http uri, IIS's cs-uri-stem) to the
// event's host field and looks the URL up. Such logs do not record the
// scheme; http is assumed, as for Zeek's http.log.
func (m *Matcher) path(v string) {
	if strings.Contains(v, "://") {
		m.url(v) // a proxy's absolute-form request target
		return
	}
	if !m.s.has[KindURL] || v[0] != '/' {
		return
	}
	var host string
	for _, name := range pathHosts {
		if host = m.ev.GetString(name); host != "" {
			break
		}
	}
	if host == "" {
		return
	}
	b := append(m.buf[:0], "http://"...)
	b = append(b, host...)
	b = append(b, v...)
	// Normalise after the raw join; appendURL reads its input as a string,
	// so the join sits after the normalised copy in the same buffer.
	n := len(b)
	b, _, _, ok := appendURL(b, string(b)) // one small allocation, on the rare path-only logs
	m.buf = b
	if ok {
		m.exact(KindURL, b[n:])
	}
}

// hashes reads Sysmon's "SHA1=…,MD5=…,SHA256=…,IMPHASH=…". IMPHASH is not
// a digest of the file and is skipped, though it has an MD5's length.
func (m *Matcher) hashes(v string) {
	if strings.IndexByte(v, '=') < 0 {
		m.digest(hashKindOfLen(len(v)), v)
		return
	}
	for v != "" {
		part := v
		if i := strings.IndexByte(v, ','); i >= 0 {
			part, v = v[:i], v[i+1:]
		} else {
			v = ""
		}
		eq := strings.IndexByte(part, '=')
		if eq < 0 {
			continue
		}
		var k Kind
		switch name := strings.TrimSpace(part[:eq]); {
		case strings.EqualFold(name, "MD5"):
			k = KindMD5
		case strings.EqualFold(name, "SHA1"), strings.EqualFold(name, "SHA-1"):
			k = KindSHA1
		case strings.EqualFold(name, "SHA256"), strings.EqualFold(name, "SHA-256"):
			k = KindSHA256
		case strings.EqualFold(name, "SHA512"), strings.EqualFold(name, "SHA-512"):
			k = KindSHA512
		default:
			continue
		}
		m.value = part
		m.digest(k, strings.TrimSpace(part[eq+1:]))
	}
}

func (m *Matcher) digest(k Kind, hexv string) {
	if k == 0 || !m.s.has[k] {
		return
	}
	var ok bool
	if m.buf, ok = appendHash(m.buf[:0], hexv, k.hashLen()); ok {
		m.exact(k, m.buf)
	}
}

// exact looks key up as a kind k value.
func (m *Matcher) exact(k Kind, key []byte) {
	s := m.s
	h := s.hash(k, key)
	if !s.filter.has(h) {
		return
	}
	for e := s.buckets[h&uint64(len(s.buckets)-1)]; e >= 0; e = s.entries[e].next {
		en := &s.entries[e]
		if en.hash == h && en.kind == k && string(s.arena[en.off:en.off+uint32(en.n)]) == string(key) {
			m.hit(en)
		}
	}
}

// hit records entry e unless its indicator is not valid at the event's
// time or already hit this event.
func (m *Matcher) hit(e *entry) {
	for i := m.base; i < len(m.hits); i++ {
		if m.hits[i].ind == e.ind {
			return
		}
	}
	t := m.ev.Time
	if t.IsZero() {
		t = time.Now()
	}
	if !m.s.tab.valid(e.ind, t) {
		return
	}
	m.hits = append(m.hits, Hit{Indicator: m.s.tab.indicator(e.ind), Kind: e.kind, Field: m.field, Value: m.value, Match: m.s.matched(e), ind: e.ind})
}
