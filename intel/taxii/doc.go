// Package taxii is Bulwark's TAXII 2.1 server and client.
//
// The server is an http.Handler serving one API root: discovery, API root
// information, collections, objects (get, add, delete), versions, manifests
// and status resources, with the media-type negotiation, pagination
// (limit/next/more and the X-TAXII-Date-Added-First/-Last headers) and error
// bodies of the specification. What it keeps lives behind Store, a small
// interface with an in-memory implementation here and a durable SQLite one in
// taxii/sqlitestore; taxii/taxiitest holds the black-box suite every Store
// must pass through the HTTP API.
//
// Pagination works alike on objects, an object, manifests and versions:
// limit, a next cursor (handed out in manifests and versions too, though
// their resources do not list it) and added_after with the date-added
// headers. taxiitest/testdata/interop.md lists the specification's
// server cases and the suite cases that check them.
//
// Authentication belongs to the host (Authenticator); authorisation is per
// collection, by principal or group. A collection the caller can neither
// read nor write is not listed and answers 404, like one that does not
// exist. The server enforces TLP on export:
// objects marked TLP:RED never leave it, and TLP:AMBER or AMBER+STRICT
// objects leave only for the principals a collection lists as Amber.
//
// The client (Client) discovers API roots, lists collections, pages through
// objects following next, remembers the last date_added per collection so
// the next pull is incremental, and adds objects, polling the status.
//
// Every date_added the server assigns is unique within a collection
// (microsecond resolution, strictly increasing). That is what makes
// pagination by added_after, which many clients use instead of next, lose
// nothing at page boundaries.
package taxii
