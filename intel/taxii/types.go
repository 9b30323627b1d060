package taxii

import (
	"encoding/json"
	"mime"
	"strings"
	"time"
)

// Media types of TAXII 2.1 resources and of the STIX 2.1 objects in them.
const (
	MediaType     = "application/taxii+json;version=2.1"
	STIXMediaType = "application/stix+json;version=2.1"
)

// Discovery is the server discovery resource (GET /taxii2/).
type Discovery struct {
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Contact     string   `json:"contact,omitempty"`
	Default     string   `json:"default,omitempty"`
	APIRoots    []string `json:"api_roots,omitempty"`
}

// APIRoot is the API root information resource.
type APIRoot struct {
	Title            string   `json:"title"`
	Description      string   `json:"description,omitempty"`
	Versions         []string `json:"versions"`
	MaxContentLength int64    `json:"max_content_length"`
}

// CollectionInfo is the collection resource as TAXII shows it to one
// principal: can_read and can_write are that principal's rights.
type CollectionInfo struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Alias       string   `json:"alias,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types,omitempty"`
}

// Collections is the list of collections resource.
type Collections struct {
	Collections []CollectionInfo `json:"collections,omitempty"`
}

// Envelope carries objects both ways: the answer to get objects and the
// body of add objects.
type Envelope struct {
	More    bool              `json:"more,omitempty"`
	Next    string            `json:"next,omitempty"`
	Objects []json.RawMessage `json:"objects,omitempty"`
}

// ManifestRecord describes one object version without its content.
type ManifestRecord struct {
	ID        string `json:"id"`
	DateAdded string `json:"date_added"`
	Version   string `json:"version"`
	MediaType string `json:"media_type,omitempty"`
}

// Manifest is the manifest resource. Next is not among the properties the
// specification lists for it, but the endpoint takes the next parameter,
// so the server hands the value out the way envelopes do (the TC treats
// the omission as an erratum: oasis-tcs/cti-taxii2 issue 110); clients
// that ignore it can still page by added_after.
type Manifest struct {
	More    bool             `json:"more,omitempty"`
	Next    string           `json:"next,omitempty"`
	Objects []ManifestRecord `json:"objects,omitempty"`
}

// Versions is the object versions resource; Next as for Manifest.
type Versions struct {
	More     bool     `json:"more,omitempty"`
	Next     string   `json:"next,omitempty"`
	Versions []string `json:"versions,omitempty"`
}

// StatusDetail is one object of an add request and what became of it.
type StatusDetail struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Message string `json:"message,omitempty"`
}

// Status is the status resource of an add request.
type Status struct {
	ID               string         `json:"id"`
	Status           string         `json:"status"` // "complete" or "pending"
	RequestTimestamp string         `json:"request_timestamp,omitempty"`
	TotalCount       int            `json:"total_count"`
	SuccessCount     int            `json:"success_count"`
	Successes        []StatusDetail `json:"successes,omitempty"`
	FailureCount     int            `json:"failure_count"`
	Failures         []StatusDetail `json:"failures,omitempty"`
	PendingCount     int            `json:"pending_count"`
	Pendings         []StatusDetail `json:"pendings,omitempty"`
}

// ErrorMessage is TAXII's error body.
type ErrorMessage struct {
	Title           string            `json:"title"`
	Description     string            `json:"description,omitempty"`
	ErrorID         string            `json:"error_id,omitempty"`
	ErrorCode       string            `json:"error_code,omitempty"`
	HTTPStatus      string            `json:"http_status,omitempty"`
	ExternalDetails string            `json:"external_details,omitempty"`
	Details         map[string]string `json:"details,omitempty"`
}

func (e *ErrorMessage) Error() string {
	s := "taxii: " + e.HTTPStatus + " " + e.Title
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// FormatTime writes a TAXII timestamp. date_added values always carry
// microseconds, the resolution at which the server keeps them unique.
func FormatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}

// ParseTime reads an RFC 3339 timestamp as TAXII filters and headers use.
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	return t.UTC(), err
}

// isTAXII reports whether a media type (from Accept or Content-Type) is
// TAXII 2.1 JSON: without a version parameter it means the latest, 2.1.
func isTAXII(v string) bool {
	mt, params, err := mime.ParseMediaType(strings.TrimSpace(v))
	if err != nil || mt != "application/taxii+json" {
		return false
	}
	ver, ok := params["version"]
	return !ok || ver == "2.1"
}

// acceptsTAXII reports whether an Accept header admits TAXII 2.1. Wildcards
// are refused on purpose: the specification requires clients to ask for the
// TAXII media type, and answering */* would hide clients that do not.
func acceptsTAXII(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		if isTAXII(part) {
			mt, params, _ := mime.ParseMediaType(strings.TrimSpace(part))
			if q, ok := params["q"]; mt != "" && ok && strings.TrimSpace(q) == "0" {
				continue
			}
			return true
		}
	}
	return false
}
