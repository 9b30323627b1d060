// Package pattern holds the guard's scanners that need no model: secrets,
// personal data, hidden Unicode, obfuscation and output exfiltration. Each
// is a guard.Scanner; All returns the standard set.
//
// The scanners sit on the request path next to the prompt classifier, whose
// budget for the whole guard is 1 ms at the 99th percentile, so they are
// written for speed first: every scanner makes one pass over the text and
// looks for cheap anchors (a known token prefix at a word start, '=' or ':'
// of an assignment, '@', a digit run, a byte of a multi-byte character)
// and only then does a bounded amount of work around the anchor. There are
// no regular expressions; all matchers are hand-written, bounded and linear
// in the length of the text, and none of them panics on any input (fuzz
// targets in fuzz_test.go check that and that every span lies inside the
// text).
//
// False positives matter as much as misses: a finding redacts or blocks a
// real user's prompt. The matchers therefore prefer formats with fixed
// prefixes, lengths or check digits (Luhn, mod 97, Verhoeff, the Spanish
// DNI letter, ISO 7064) and fall back on keyword context where a format has
// none. The choices for the fuzzy detectors (entropy, phone numbers) are
// documented where they are made.
//
// Findings carry the matched text in Match so that policy allow-lists work
// (for exfiltration Match is the host name, so "*.example.com" works), and
// never carry a secret in Detail.
package pattern
