// Package hygiene holds repository-wide checks that run as ordinary tests:
// every package has a package doc, import boundaries hold, go vet is clean.
package hygiene
