// Package otlp receives logs over OTLP/HTTP (POST /v1/logs), so that the
// OpenTelemetry Collector, its agents and the SDKs send to Bulwark with their
// otlphttp exporter unchanged.
//
// Requests are ExportLogsServiceRequest messages, binary protobuf
// (Content-Type application/x-protobuf) or OTLP's JSON encoding
// (application/json), gzipped or not. The answer is encoded like the
// request: an ExportLogsServiceResponse with 200 once the events are stored,
// else a google.rpc.Status with 400 for malformed data, 413 for a request
// over the limits, 415 for another content type or encoding, and 503 with
// Retry-After when the Sink is full or failed. OTLP clients retry 503 (and
// honour Retry-After) but drop data on other errors, so any failure to
// store is 503: the data was good, the client should send it again.
//
// Each LogRecord becomes an event.Event:
//
//   - the body: a string holding a JSON object is flattened with the jsonl
//     reader's rules and Windows aliases (Winlogbeat and evtx_dump JSON get
//     Image, EventID, Channel, ...); any other string is the field
//     "message", and when it is a syslog line its parts become fields too
//     (see logs/syslog); a map is flattened the same way as a JSON object;
//     other values are kept as their text in "message";
//   - the record's attributes, then the resource's (host.name stays
//     host.name), become fields of their names, maps flattened to dotted
//     names; a name the body gave wins;
//   - severity_text, severity_number, trace_id and span_id (hex), event_name,
//     scope.name and scope.version, each when set;
//   - the time is the record's time_unix_nano, else a time the body gives
//     (a JSON timestamp field, a syslog timestamp), else one the attributes
//     give, else observed_time_unix_nano, else the time of receipt. The body
//     comes before the observed time because collectors reading files set
//     only the observed time, the moment they read the line, while the line
//     says when it happened.
//
// Source.Path and Source.Format are "otlp", Source.Record the record's
// 1-based position in the request, Source.Offset -1 (no byte offset
// survives decoding), and Raw the body when it is a string.
//
// A request is all or nothing: it is decoded and checked whole, then its
// events go to the Sink in one Submit, and 200 is sent only once Submit has
// returned nil.
//
// Memory: decoding a request builds an object per message, some 200 bytes
// each, so a body of tiny messages costs a hundred times its size. Before
// decoding, the body's messages are counted (protobuf) or its objects and
// arrays (JSON), and a request with more than Options.MaxValues is refused
// with 413; the events built are held to the same budget.
package otlp
