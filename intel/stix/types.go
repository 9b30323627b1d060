package stix

import (
	"encoding/json"
	"fmt"
)

// Common holds the properties shared by STIX objects. SDOs and SROs use
// all of them; cyber observables use type, spec_version, id, the markings,
// defanged and extensions.
type Common struct {
	Type               string              `json:"type"`
	SpecVersion        string              `json:"spec_version,omitempty"`
	ID                 string              `json:"id"`
	CreatedByRef       string              `json:"created_by_ref,omitempty"`
	Created            Timestamp           `json:"created,omitzero"`
	Modified           Timestamp           `json:"modified,omitzero"`
	Revoked            bool                `json:"revoked,omitempty"`
	Labels             []string            `json:"labels,omitempty"`
	Confidence         *int                `json:"confidence,omitempty"` // a pointer: 0 is a real confidence
	Lang               string              `json:"lang,omitempty"`
	ExternalReferences []ExternalReference `json:"external_references,omitempty"`
	ObjectMarkingRefs  []string            `json:"object_marking_refs,omitempty"`
	GranularMarkings   []GranularMarking   `json:"granular_markings,omitempty"`
	Defanged           bool                `json:"defanged,omitempty"`
	// Extensions maps an extension name (…-ext or extension-definition--id)
	// to its raw content.
	Extensions map[string]json.RawMessage `json:"extensions,omitempty"`
}

// ExternalReference points to non-STIX information, such as an ATT&CK
// technique id (source_name "mitre-attack", external_id "T1059").
type ExternalReference struct {
	SourceName  string            `json:"source_name"`
	Description string            `json:"description,omitempty"`
	URL         string            `json:"url,omitempty"`
	Hashes      map[string]string `json:"hashes,omitempty"`
	ExternalID  string            `json:"external_id,omitempty"`
}

// GranularMarking applies a marking or a language to parts of an object.
type GranularMarking struct {
	Lang       string   `json:"lang,omitempty"`
	MarkingRef string   `json:"marking_ref,omitempty"`
	Selectors  []string `json:"selectors"`
}

// KillChainPhase names a phase of a kill chain, such as ATT&CK's tactics.
type KillChainPhase struct {
	KillChainName string `json:"kill_chain_name"`
	PhaseName     string `json:"phase_name"`
}

// Indicator is a pattern that detects suspicious activity.
type Indicator struct {
	Common
	Name            string           `json:"name,omitempty"`
	Description     string           `json:"description,omitempty"`
	IndicatorTypes  []string         `json:"indicator_types,omitempty"`
	Pattern         string           `json:"pattern"`
	PatternType     string           `json:"pattern_type"`
	PatternVersion  string           `json:"pattern_version,omitempty"`
	ValidFrom       Timestamp        `json:"valid_from"`
	ValidUntil      Timestamp        `json:"valid_until,omitzero"`
	KillChainPhases []KillChainPhase `json:"kill_chain_phases,omitempty"`
}

// Sighting records that something was seen.
type Sighting struct {
	Common
	Description      string    `json:"description,omitempty"`
	FirstSeen        Timestamp `json:"first_seen,omitzero"`
	LastSeen         Timestamp `json:"last_seen,omitzero"`
	Count            *int      `json:"count,omitempty"`
	SightingOfRef    string    `json:"sighting_of_ref"`
	ObservedDataRefs []string  `json:"observed_data_refs,omitempty"`
	WhereSightedRefs []string  `json:"where_sighted_refs,omitempty"`
	Summary          bool      `json:"summary,omitempty"`
}

// Relationship links two objects: "indicates", "uses", "mitigates"...
type Relationship struct {
	Common
	RelationshipType string    `json:"relationship_type"`
	Description      string    `json:"description,omitempty"`
	SourceRef        string    `json:"source_ref"`
	TargetRef        string    `json:"target_ref"`
	StartTime        Timestamp `json:"start_time,omitzero"`
	StopTime         Timestamp `json:"stop_time,omitzero"`
}

// Malware is a malware family or instance.
type Malware struct {
	Common
	Name            string           `json:"name,omitempty"`
	Description     string           `json:"description,omitempty"`
	MalwareTypes    []string         `json:"malware_types,omitempty"`
	IsFamily        bool             `json:"is_family"`
	Aliases         []string         `json:"aliases,omitempty"`
	KillChainPhases []KillChainPhase `json:"kill_chain_phases,omitempty"`
	FirstSeen       Timestamp        `json:"first_seen,omitzero"`
	LastSeen        Timestamp        `json:"last_seen,omitzero"`
	Capabilities    []string         `json:"capabilities,omitempty"`
	SampleRefs      []string         `json:"sample_refs,omitempty"`
}

// Tool is legitimate software used by attackers.
type Tool struct {
	Common
	Name            string           `json:"name"`
	Description     string           `json:"description,omitempty"`
	ToolTypes       []string         `json:"tool_types,omitempty"`
	Aliases         []string         `json:"aliases,omitempty"`
	KillChainPhases []KillChainPhase `json:"kill_chain_phases,omitempty"`
	ToolVersion     string           `json:"tool_version,omitempty"`
}

// AttackPattern is a TTP: in ATT&CK, a technique or sub-technique.
type AttackPattern struct {
	Common
	Name            string           `json:"name"`
	Description     string           `json:"description,omitempty"`
	Aliases         []string         `json:"aliases,omitempty"`
	KillChainPhases []KillChainPhase `json:"kill_chain_phases,omitempty"`
}

// IntrusionSet is a grouped set of adversarial behaviour (an ATT&CK group).
type IntrusionSet struct {
	Common
	Name                 string    `json:"name"`
	Description          string    `json:"description,omitempty"`
	Aliases              []string  `json:"aliases,omitempty"`
	FirstSeen            Timestamp `json:"first_seen,omitzero"`
	LastSeen             Timestamp `json:"last_seen,omitzero"`
	Goals                []string  `json:"goals,omitempty"`
	ResourceLevel        string    `json:"resource_level,omitempty"`
	PrimaryMotivation    string    `json:"primary_motivation,omitempty"`
	SecondaryMotivations []string  `json:"secondary_motivations,omitempty"`
}

// ThreatActor is an individual, group or organisation acting with intent.
type ThreatActor struct {
	Common
	Name                 string    `json:"name"`
	Description          string    `json:"description,omitempty"`
	ThreatActorTypes     []string  `json:"threat_actor_types,omitempty"`
	Aliases              []string  `json:"aliases,omitempty"`
	FirstSeen            Timestamp `json:"first_seen,omitzero"`
	LastSeen             Timestamp `json:"last_seen,omitzero"`
	Roles                []string  `json:"roles,omitempty"`
	Goals                []string  `json:"goals,omitempty"`
	Sophistication       string    `json:"sophistication,omitempty"`
	ResourceLevel        string    `json:"resource_level,omitempty"`
	PrimaryMotivation    string    `json:"primary_motivation,omitempty"`
	SecondaryMotivations []string  `json:"secondary_motivations,omitempty"`
}

// Campaign is a set of activity over a period against specific targets.
type Campaign struct {
	Common
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Aliases     []string  `json:"aliases,omitempty"`
	FirstSeen   Timestamp `json:"first_seen,omitzero"`
	LastSeen    Timestamp `json:"last_seen,omitzero"`
	Objective   string    `json:"objective,omitempty"`
}

// CourseOfAction is a mitigation.
type CourseOfAction struct {
	Common
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Vulnerability is a flaw, usually named by its CVE.
type Vulnerability struct {
	Common
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Identity is an individual, organisation or group (often a producer).
type Identity struct {
	Common
	Name               string   `json:"name"`
	Description        string   `json:"description,omitempty"`
	Roles              []string `json:"roles,omitempty"`
	IdentityClass      string   `json:"identity_class,omitempty"`
	Sectors            []string `json:"sectors,omitempty"`
	ContactInformation string   `json:"contact_information,omitempty"`
}

// Report is a published collection of threat intelligence.
type Report struct {
	Common
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	ReportTypes []string  `json:"report_types,omitempty"`
	Published   Timestamp `json:"published"`
	ObjectRefs  []string  `json:"object_refs"`
}

// Note is analyst commentary about objects.
type Note struct {
	Common
	Abstract   string   `json:"abstract,omitempty"`
	Content    string   `json:"content"`
	Authors    []string `json:"authors,omitempty"`
	ObjectRefs []string `json:"object_refs"`
}

// ObservedData records observables seen at some time. Objects is the
// deprecated embedded form, kept raw.
type ObservedData struct {
	Common
	FirstObserved  Timestamp                  `json:"first_observed"`
	LastObserved   Timestamp                  `json:"last_observed"`
	NumberObserved int                        `json:"number_observed"`
	ObjectRefs     []string                   `json:"object_refs,omitempty"`
	Objects        map[string]json.RawMessage `json:"objects,omitempty"`
}

// Grouping is a set of objects sharing a context (MISP events export as
// groupings).
type Grouping struct {
	Common
	Name        string   `json:"name,omitempty"`
	Description string   `json:"description,omitempty"`
	Context     string   `json:"context"`
	ObjectRefs  []string `json:"object_refs"`
}

// Infrastructure is a system used by the adversary (C2 servers, botnets).
type Infrastructure struct {
	Common
	Name                string           `json:"name"`
	Description         string           `json:"description,omitempty"`
	InfrastructureTypes []string         `json:"infrastructure_types,omitempty"`
	Aliases             []string         `json:"aliases,omitempty"`
	KillChainPhases     []KillChainPhase `json:"kill_chain_phases,omitempty"`
	FirstSeen           Timestamp        `json:"first_seen,omitzero"`
	LastSeen            Timestamp        `json:"last_seen,omitzero"`
}

// Location is a geographic place.
type Location struct {
	Common
	Name               string   `json:"name,omitempty"`
	Description        string   `json:"description,omitempty"`
	Latitude           *float64 `json:"latitude,omitempty"`
	Longitude          *float64 `json:"longitude,omitempty"`
	Precision          *float64 `json:"precision,omitempty"`
	Region             string   `json:"region,omitempty"`
	Country            string   `json:"country,omitempty"`
	AdministrativeArea string   `json:"administrative_area,omitempty"`
	City               string   `json:"city,omitempty"`
	StreetAddress      string   `json:"street_address,omitempty"`
	PostalCode         string   `json:"postal_code,omitempty"`
}

// Generic is the typed view of an object this package has no struct for
// (custom x-… types, rarer SCOs): the common properties plus the rest raw.
type Generic struct {
	Common
	Props map[string]json.RawMessage `json:"-"`
}

// Typed decodes o into its typed view: *Indicator for an indicator, *File
// for a file, ..., *Generic for any other type.
func (o Object) Typed() (any, error) {
	var v any
	switch o.Type {
	case "indicator":
		v = new(Indicator)
	case "sighting":
		v = new(Sighting)
	case "relationship":
		v = new(Relationship)
	case "malware":
		v = new(Malware)
	case "tool":
		v = new(Tool)
	case "attack-pattern":
		v = new(AttackPattern)
	case "intrusion-set":
		v = new(IntrusionSet)
	case "threat-actor":
		v = new(ThreatActor)
	case "campaign":
		v = new(Campaign)
	case "course-of-action":
		v = new(CourseOfAction)
	case "vulnerability":
		v = new(Vulnerability)
	case "identity":
		v = new(Identity)
	case "marking-definition":
		v = new(MarkingDefinition)
	case "report":
		v = new(Report)
	case "note":
		v = new(Note)
	case "observed-data":
		v = new(ObservedData)
	case "grouping":
		v = new(Grouping)
	case "infrastructure":
		v = new(Infrastructure)
	case "location":
		v = new(Location)
	case "ipv4-addr", "ipv6-addr":
		v = new(IPAddr)
	case "domain-name":
		v = new(DomainName)
	case "url":
		v = new(URL)
	case "file":
		v = new(File)
	case "email-addr":
		v = new(EmailAddr)
	case "network-traffic":
		v = new(NetworkTraffic)
	case "process":
		v = new(Process)
	case "user-account":
		v = new(UserAccount)
	default:
		g := &Generic{Props: o.Props}
		if err := o.Decode(&g.Common); err != nil {
			return nil, err
		}
		return g, nil
	}
	if err := o.Decode(v); err != nil {
		return nil, fmt.Errorf("%s: %w", o.Type, err)
	}
	return v, nil
}
