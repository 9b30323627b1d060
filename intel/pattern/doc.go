// Package pattern parses STIX 2.1 patterns and evaluates them over Bulwark
// events.
//
// Parse reads the whole patterning grammar (observation expressions joined
// by AND, OR and FOLLOWEDBY, comparison expressions joined by AND and OR,
// NOT, every comparison operator, object paths with quoted names and list
// indexes, every literal type, and the WITHIN, REPEATS and START/STOP
// qualifiers) into a tree whose String is canonical and parses back to an
// equal tree.
//
// Compile binds a pattern to event fields through a Mapping (DefaultMapping
// documents which Sysmon, Windows Security, Zeek, Suricata and ECS fields
// stand for which STIX object path). The result answers two questions:
// MatchEvent, whether one event alone satisfies the pattern (the common
// single-observation indicator), and NewMatcher, a stateful matcher fed a
// stream of events in time order that reports when a multi-observation
// pattern (FOLLOWEDBY, REPEATS, WITHIN, START/STOP) is satisfied, with
// bounded state.
//
// Deviations from the specification, each deliberate:
//   - MATCHES uses Go's RE2 syntax, not PCRE. Patterns that need PCRE-only
//     features (lookaround, backreferences, possessive quantifiers, atomic
//     groups) are refused by Compile with an error naming the offset, so an
//     indicator never silently fails to match.
//   - An event is one observation. The comparisons of an observation
//     expression are all tested against that event, whatever SCO type each
//     path names; a network-traffic ref's type and value may come from
//     different fields of the event.
//   - String comparisons are case-sensitive as the specification says,
//     except for values that are case-insensitive by nature: hashes, domain
//     names, e-mail addresses and Windows registry keys (bindings of Kind
//     Fold).
package pattern
