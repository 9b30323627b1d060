// Package evtx reads Windows XML Event Log (.evtx) files into events.
//
// The reader streams: a 4096-byte file header, then 64 KiB chunks read one
// at a time, each holding its own string table, template definitions and
// event records in binary XML. It never renders XML. Each template
// definition is compiled once per chunk into a plan, the list of fields
// that docs/windows-fields.md derives from it and where each value comes
// from (template text or substitution N); a record then only decodes its
// substitution array and runs the plan. All the text of one record goes
// into one string, so a record costs a few allocations.
//
// The format facts follow Joachim Metz's "Windows XML Event Log (EVTX)
// format" (libevtx documentation). Values are rendered the way evtx_dump
// renders them, which is what Sigma's regression data records: HexInt32/64
// as lower-case 0x..., GUIDs upper-case without braces, SIDs as S-1-...,
// binary as upper-case hex, FILETIME and SYSTEMTIME as RFC 3339 with
// microseconds and Z.
//
// Damage never stops a read: a bad checksum, a truncated chunk, a record
// whose sizes disagree or binary XML that points outside its chunk is
// reported as a logs.Warning with its byte offset, and reading goes on with
// the next record or chunk. Records of a chunk whose checksum fails are
// salvaged one by one when they validate on their own. Records in a chunk's
// free space (left over from before the log was cleared or exported) are
// not live and are not read.
package evtx
