// Package ioc matches events against threat-intel indicators fast, for
// the indicators whose pattern is simple: one comparison per observation,
// everything joined by OR, on an address, CIDR, domain, URL, e-mail
// address or file digest. That is most of what feeds share, and it can be
// answered with lookups instead of evaluating each pattern against each
// event. Other patterns are reported by Compile for the full STIX
// evaluator (intel/pattern).
//
// Use:
//
//	set, rep := ioc.Compile(indicators, ioc.Options{})
//	// rep.NotSimple go to intel/pattern; rep.Invalid are logged.
//	m := set.NewMatcher() // one per goroutine
//	hits = m.Match(&ev, hits[:0])
//
// Comparison semantics, chosen to match how analysts read indicators:
//
//   - ipv4-addr/ipv6-addr: equality with an address, or ISSUBSET (or
//     equality) with a CIDR; IPv4-mapped IPv6 addresses in events
//     ("::ffff:10.0.0.5") are compared as IPv4.
//   - domain-name: matches the domain and its subdomains, at label
//     boundaries: evil.example matches a.evil.example, not notevil.example.
//     Compared lower-cased, without a trailing dot (ASCII; IDNs as
//     punycode).
//   - url: compared normalised (RFC 3986 6.2.2-6.2.3): scheme and host
//     lower-cased, default port removed, empty path "/", percent-encodings
//     of unreserved characters decoded and the rest's hex upper-cased,
//     fragment dropped. Dot segments are not removed.
//   - file:hashes (MD5, SHA-1, SHA-256, SHA-512): compared as bytes, so the
//     case of the hex does not matter; an MD5 only matches an MD5.
//   - email-addr: compared lower-cased.
//
// An indicator matches only while valid (valid_from to valid_until) at the
// event's time, so replayed old events see the intel valid then.
//
// Observables are read from the fields in fieldKinds (match.go): addresses
// from SourceIp, DestinationIp, IpAddress, src_ip, dest_ip, id.orig_h,
// id.resp_h, source.ip, ...; hosts (domain or address, port allowed) from
// QueryName, DestinationHostname, query, rrname, dns.rrname, host, Host,
// tls.sni, ...; URLs from url, http.url, url.full, ... (their hosts are
// looked up too); request paths (uri, cs-uri-stem) joined to the event's
// host field; digests from Sysmon's Hashes ("SHA256=…,MD5=…", IMPHASH
// skipped) and from md5, sha1, sha256, hash, file.hash.*, ... (algorithm
// told by length); e-mail addresses from sender, recipient, from, to,
// smtp.mail_from, ... and, when the set has e-mail indicators, from any
// other field whose whole value is an address. List values are read
// element by element.
package ioc
