package ioc

import (
	"net/netip"
	"strings"
)

// The normalisers below append to a caller's buffer so that matching can
// reuse one scratch buffer per Matcher and allocate nothing. Indicators and
// event values go through the same functions: that is what makes a lookup
// of one equal the other.

// appendLower appends s lower-cased (ASCII only: domain names reach us as
// punycode, and e-mail local parts are compared case-insensitively in
// practice even though RFC 5321 allows otherwise).
func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// appendDomain appends the normalised form of a domain name: lower-cased,
// without a trailing dot or a leading "*." wildcard (suffix matching makes
// it redundant). It reports false for what cannot be a domain name.
func appendDomain(dst []byte, s string) ([]byte, bool) {
	s = strings.TrimSuffix(s, ".")
	s = strings.TrimPrefix(s, "*.")
	if s == "" || len(s) > 253 {
		return dst, false
	}
	n := len(dst)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_', c >= 0x80:
		case c == '.':
			if i == 0 || s[i-1] == '.' {
				return dst[:n], false
			}
		default:
			return dst[:n], false
		}
		dst = append(dst, c)
	}
	return dst, true
}

// hostPort splits a Host header or authority "host:port" / "[v6]:port"
// into its host, and reports the port ("" when none).
func hostPort(s string) (host, port string) {
	if strings.HasPrefix(s, "[") {
		if i := strings.IndexByte(s, ']'); i > 0 {
			host, rest := s[1:i], s[i+1:]
			return host, strings.TrimPrefix(rest, ":")
		}
		return s, ""
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 && strings.IndexByte(s[:i], ':') < 0 {
		return s[:i], s[i+1:]
	}
	return s, ""
}

// defaultPort reports whether port is the default one of scheme, which
// normalisation drops.
func defaultPort(scheme, port string) bool {
	switch strings.ToLower(scheme) {
	case "http", "ws":
		return port == "80"
	case "https", "wss":
		return port == "443"
	case "ftp":
		return port == "21"
	}
	return false
}

// appendURL appends the normalised form of an absolute URL (RFC 3986
// section 6.2.2 and 6.2.3): scheme and host lower-cased, the default port
// and an empty port removed, an empty path made "/", percent-encodings of
// unreserved characters decoded and the others' hex upper-cased, the
// fragment dropped. Userinfo, path and query are otherwise kept as they
// are: their case is significant. It reports false when s has no
// "scheme://". It also returns the host, as a suffix of dst's new bytes
// cannot be kept across appends, as offsets into dst.
func appendURL(dst []byte, s string) (out []byte, hostStart, hostEnd int, ok bool) {
	i := strings.Index(s, "://")
	if i <= 0 {
		return dst, 0, 0, false
	}
	for j := 0; j < i; j++ {
		c := s[j]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || j > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return dst, 0, 0, false
		}
	}
	n := len(dst)
	scheme := s[:i]
	dst = appendLower(dst, scheme)
	dst = append(dst, "://"...)
	rest := s[i+3:]
	if j := strings.IndexByte(rest, '#'); j >= 0 {
		rest = rest[:j]
	}
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	auth := rest[:end]
	rest = rest[end:]
	if j := strings.LastIndexByte(auth, '@'); j >= 0 {
		dst = appendPercent(dst, auth[:j+1])
		auth = auth[j+1:]
	}
	host, port := hostPort(auth)
	if host == "" {
		return dst[:n], 0, 0, false
	}
	v6 := strings.IndexByte(host, ':') >= 0
	if v6 {
		dst = append(dst, '[')
	}
	hostStart = len(dst)
	dst = appendLower(dst, strings.TrimSuffix(host, "."))
	hostEnd = len(dst)
	if v6 {
		dst = append(dst, ']')
	}
	if port != "" && !defaultPort(scheme, port) {
		dst = append(dst, ':')
		dst = append(dst, port...)
	}
	if rest == "" || rest[0] == '?' {
		dst = append(dst, '/')
	}
	dst = appendPercent(dst, rest)
	return dst, hostStart, hostEnd, true
}

// appendPercent appends s with its percent-encodings normalised.
func appendPercent(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			v := unhex(s[i+1])<<4 | unhex(s[i+2])
			if unreserved(v) {
				dst = append(dst, v)
			} else {
				dst = append(dst, '%', upperHex(s[i+1]), upperHex(s[i+2]))
			}
			i += 2
			continue
		}
		dst = append(dst, c)
	}
	return dst
}

func unreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

func upperHex(c byte) byte {
	if c >= 'a' && c <= 'f' {
		return c - 'a' + 'A'
	}
	return c
}

// appendHash appends the bytes a hex digest stands for, so that lookups
// compare bytes whatever the case of the hex. It reports false unless s
// is exactly n bytes of hex.
func appendHash(dst []byte, s string, n int) ([]byte, bool) {
	if len(s) != 2*n {
		return dst, false
	}
	for i := 0; i < len(s); i += 2 {
		if !isHex(s[i]) || !isHex(s[i+1]) {
			return dst, false
		}
		dst = append(dst, unhex(s[i])<<4|unhex(s[i+1]))
	}
	return dst, true
}

// hashKindOfLen is the kind of a hex digest of length n, for fields that
// do not say which algorithm they hold.
func hashKindOfLen(n int) Kind {
	switch n {
	case 32:
		return KindMD5
	case 40:
		return KindSHA1
	case 64:
		return KindSHA256
	case 128:
		return KindSHA512
	}
	return 0
}

// appendEmail appends the normalised form of an e-mail address: trimmed
// of white space and of the angle brackets of "<a@b>", lower-cased. It
// reports false unless s has the shape local@domain.
func appendEmail(dst []byte, s string) ([]byte, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 2 && s[0] == '<' && s[len(s)-1] == '>' {
		s = s[1 : len(s)-1]
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || len(s) > 320 || strings.ContainsAny(s, " \t<>,;") {
		return dst, false
	}
	return appendLower(dst, s), true
}

// parseAddr parses an event's address text: v4-mapped IPv6 addresses
// ("::ffff:10.0.0.5" in Windows 4624 events) are unmapped so that they
// match IPv4 indicators, and zones are dropped.
func parseAddr(s string) (netip.Addr, bool) {
	if s == "" || s == "-" || len(s) > 64 {
		return netip.Addr{}, false
	}
	// Cheap rejection before the parser: most non-address values start
	// with a letter other than a hex digit.
	c := s[0]
	if !(c >= '0' && c <= '9' || c == ':' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
		return netip.Addr{}, false
	}
	if i := strings.IndexByte(s, '%'); i >= 0 {
		s = s[:i]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}
