package stix

import (
	"bytes"
	"crypto/sha1"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Namespace is the UUIDv5 namespace of STIX deterministic identifiers
// (STIX 2.1 §2.9).
var Namespace = [16]byte{0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c, 0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7}

// idContributing lists, per observable type, the properties whose values
// determine its id (STIX 2.1 §6, "ID Contributing Properties"). process has
// none: its ids are always random.
var idContributing = map[string][]string{
	"artifact":             {"hashes", "payload_bin"},
	"autonomous-system":    {"number"},
	"directory":            {"path"},
	"domain-name":          {"value"},
	"email-addr":           {"value"},
	"email-message":        {"from_ref", "subject", "body"},
	"file":                 {"hashes", "name", "extensions", "parent_directory_ref"},
	"ipv4-addr":            {"value"},
	"ipv6-addr":            {"value"},
	"mac-addr":             {"value"},
	"mutex":                {"name"},
	"network-traffic":      {"start", "end", "src_ref", "dst_ref", "src_port", "dst_port", "protocols", "extensions"},
	"process":              {},
	"software":             {"name", "cpe", "swid", "vendor", "version"},
	"url":                  {"value"},
	"user-account":         {"account_type", "user_id", "account_login"},
	"windows-registry-key": {"key", "values"},
	"x509-certificate":     {"hashes", "serial_number"},
}

// IsObservable reports whether typ is a cyber observable defined by the
// specification.
func IsObservable(typ string) bool {
	_, ok := idContributing[typ]
	return ok
}

// hashPreference is the order in which the specification picks the single
// hash that contributes to an id.
var hashPreference = []string{"MD5", "SHA-1", "SHA-256", "SHA-512"}

// DeterministicID returns the UUIDv5 identifier the specification defines
// for an observable of type typ with these properties. ok is false when the
// type has no ID contributing properties, or none is present: the producer
// then uses a random UUIDv4.
func DeterministicID(typ string, props map[string]json.RawMessage) (id string, ok bool, err error) {
	names, known := idContributing[typ]
	if !known {
		return "", false, nil
	}
	contrib := map[string]json.RawMessage{}
	for _, n := range names {
		v, present := props[n]
		if !present {
			continue
		}
		if n == "hashes" {
			v, err = oneHash(v)
			if err != nil {
				return "", false, fmt.Errorf("stix: %s hashes: %w", typ, err)
			}
		}
		contrib[n] = v
	}
	if len(contrib) == 0 {
		return "", false, nil
	}
	raw, err := json.Marshal(contrib)
	if err != nil {
		return "", false, fmt.Errorf("stix: %s: %w", typ, err)
	}
	canon, err := Canonical(raw)
	if err != nil {
		return "", false, fmt.Errorf("stix: %s: %w", typ, err)
	}
	return typ + "--" + UUIDv5(Namespace, canon), true, nil
}

// DeterministicID returns the specification's id for o (see the function).
func (o Object) DeterministicID() (string, bool, error) {
	return DeterministicID(o.Type, o.Props)
}

// oneHash keeps the preferred hash of a hashes dictionary. With none of the
// preferred algorithms, the specification leaves the choice open; taking the
// smallest name keeps it reproducible.
func oneHash(v json.RawMessage) (json.RawMessage, error) {
	var h map[string]json.RawMessage
	if err := json.Unmarshal(v, &h); err != nil {
		return nil, errors.New("not a dictionary")
	}
	if len(h) == 0 {
		return nil, errors.New("empty")
	}
	pick := ""
	for _, p := range hashPreference {
		if _, ok := h[p]; ok {
			pick = p
			break
		}
	}
	if pick == "" {
		keys := make([]string, 0, len(h))
		for k := range h {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		pick = keys[0]
	}
	return json.Marshal(map[string]json.RawMessage{pick: h[pick]})
}

// UUIDv5 returns the RFC 9562 name-based (SHA-1) UUID of name in ns.
func UUIDv5(ns [16]byte, name []byte) string {
	h := sha1.New()
	h.Write(ns[:])
	h.Write(name)
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// Canonical returns the RFC 8785 (JCS) canonical form of a JSON value:
// no whitespace, object keys sorted by UTF-16 code units, ECMAScript number
// and string serialisation. Two values with the same meaning canonicalise
// to the same bytes, which is what deterministic ids hash.
func Canonical(b []byte) ([]byte, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, errors.New("trailing data after JSON value")
	}
	var buf bytes.Buffer
	if err := canon(&buf, v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func canon(buf *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		buf.WriteString(strconv.FormatBool(v))
	case string:
		canonString(buf, v)
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return fmt.Errorf("number %s out of range", v)
		}
		buf.WriteString(esNumber(f))
	case []any:
		buf.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := canon(buf, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		// JCS sorts by UTF-16 code units, which differs from Go's byte
		// order for characters beyond the BMP.
		slices.SortFunc(keys, func(a, b string) int {
			return slices.Compare(utf16.Encode([]rune(a)), utf16.Encode([]rune(b)))
		})
		buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			canonString(buf, k)
			buf.WriteByte(':')
			if err := canon(buf, v[k]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	default:
		return fmt.Errorf("unexpected JSON value %T", v)
	}
	return nil
}

// canonString writes s as ECMAScript's JSON.stringify does: only ", \ and
// control characters are escaped, with the short forms where they exist.
func canonString(buf *bytes.Buffer, s string) {
	buf.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			buf.WriteString(`\"`)
		case '\\':
			buf.WriteString(`\\`)
		case '\b':
			buf.WriteString(`\b`)
		case '\f':
			buf.WriteString(`\f`)
		case '\n':
			buf.WriteString(`\n`)
		case '\r':
			buf.WriteString(`\r`)
		case '\t':
			buf.WriteString(`\t`)
		default:
			if r < 0x20 {
				fmt.Fprintf(buf, `\u%04x`, r)
			} else {
				buf.WriteRune(r)
			}
		}
	}
	buf.WriteByte('"')
}

// esNumber formats f as ECMAScript's Number.prototype.toString: the
// shortest round-tripping digits, plain notation for 1e-6 <= |f| < 1e21.
func esNumber(f float64) string {
	if f == 0 {
		return "0" // also for -0
	}
	a := math.Abs(f)
	if a >= 1e-6 && a < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // 1e+21, 1.5e-07
	mant, exp, _ := strings.Cut(s, "e")
	sign := exp[0]
	exp = strings.TrimLeft(exp[1:], "0")
	return mant + "e" + string(sign) + exp
}
