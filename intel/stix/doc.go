// Package stix is Bulwark's STIX 2.1 object model: typed views of the
// objects used in practice (SDOs, SROs, marking definitions and the common
// cyber observables), a streaming bundle decoder and encoder that keep every
// property, deterministic identifiers for cyber observables, a validator for
// what the specification mandates, and the import of indicators into
// intel.Indicator.
//
// An Object holds every property as raw JSON, so custom properties (x_...)
// and object types this package does not know survive decode → encode
// unchanged. Typed structs (Indicator, Malware, File, ...) are views decoded
// from that raw form on demand: a consumer that only needs the pattern of
// an indicator never pays for, nor depends on, the rest.
//
// Feeds are untrusted input. The decoder bounds the bytes of each object and
// the number of objects, and its errors name the object index and the JSON
// path, so a broken object in a 30 MB bundle can be found.
package stix
