// Package server is `bulwark serve`: it opens the store, runs the ingest
// pipeline and the detection engine, and serves the HTTP API (with HEC,
// OTLP and upload ingest), syslog listeners and file tailing, with
// authentication on every route that is not a health probe.
package server
