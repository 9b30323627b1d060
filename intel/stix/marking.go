package stix

import (
	"encoding/json"
	"strings"

	"github.com/bulwarkhq/bulwark/intel"
)

// MarkingDefinition is a data marking: a TLP level or a statement (ATT&CK's
// copyright). TLP 2.0 markings carry no definition but an extension.
type MarkingDefinition struct {
	Type               string                     `json:"type"`
	SpecVersion        string                     `json:"spec_version"`
	ID                 string                     `json:"id"`
	CreatedByRef       string                     `json:"created_by_ref,omitempty"`
	Created            Timestamp                  `json:"created"`
	ExternalReferences []ExternalReference        `json:"external_references,omitempty"`
	ObjectMarkingRefs  []string                   `json:"object_marking_refs,omitempty"`
	GranularMarkings   []GranularMarking          `json:"granular_markings,omitempty"`
	Name               string                     `json:"name,omitempty"`
	DefinitionType     string                     `json:"definition_type,omitempty"` // "tlp" or "statement" (deprecated form)
	Definition         json.RawMessage            `json:"definition,omitempty"`
	Extensions         map[string]json.RawMessage `json:"extensions,omitempty"`
}

// TLP2Extension is the extension definition that TLP 2.0 markings carry.
const TLP2Extension = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

// The TLP marking definitions have ids fixed by the specification (TLP 1.0,
// STIX 2.1 §7.2.1.4) and by the OASIS TLP 2.0 extension, so producers
// reference them without shipping the definition objects.
const (
	TLP2Clear       = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
	TLP2Green       = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	TLP2Amber       = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
	TLP2AmberStrict = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
	TLP2Red         = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"

	TLP1White = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
	TLP1Green = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
	TLP1Amber = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
	TLP1Red   = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
)

// tlpByID maps the fixed ids to levels; TLP 1.0 WHITE became CLEAR.
var tlpByID = map[string]intel.TLP{
	TLP2Clear: intel.TLPClear, TLP2Green: intel.TLPGreen, TLP2Amber: intel.TLPAmber,
	TLP2AmberStrict: intel.TLPAmberStrict, TLP2Red: intel.TLPRed,
	TLP1White: intel.TLPClear, TLP1Green: intel.TLPGreen, TLP1Amber: intel.TLPAmber, TLP1Red: intel.TLPRed,
}

// TLPMarkingID returns the TLP 2.0 marking-definition id for a level.
func TLPMarkingID(t intel.TLP) (string, bool) {
	switch t {
	case intel.TLPClear:
		return TLP2Clear, true
	case intel.TLPGreen:
		return TLP2Green, true
	case intel.TLPAmber:
		return TLP2Amber, true
	case intel.TLPAmberStrict:
		return TLP2AmberStrict, true
	case intel.TLPRed:
		return TLP2Red, true
	}
	return "", false
}

// tlpRank orders levels by restriction, so an object with two markings gets
// the stricter one.
func tlpRank(t intel.TLP) int {
	switch t {
	case intel.TLPClear:
		return 1
	case intel.TLPGreen:
		return 2
	case intel.TLPAmber:
		return 3
	case intel.TLPAmberStrict:
		return 4
	case intel.TLPRed:
		return 5
	}
	return 0
}

// MarkingTLP returns the TLP level a marking-definition object states, from
// its fixed id, its TLP 1.0 definition or its TLP 2.0 extension.
func MarkingTLP(o Object) (intel.TLP, bool) {
	if t, ok := tlpByID[o.ID]; ok {
		return t, true
	}
	if o.Type != "marking-definition" {
		return "", false
	}
	var m MarkingDefinition
	if o.Decode(&m) != nil {
		return "", false
	}
	if m.DefinitionType == "tlp" {
		var d struct {
			TLP string `json:"tlp"`
		}
		if json.Unmarshal(m.Definition, &d) == nil {
			return parseTLP(d.TLP)
		}
	}
	if ext, ok := m.Extensions[TLP2Extension]; ok {
		var d struct {
			TLP string `json:"tlp_2_0"`
		}
		if json.Unmarshal(ext, &d) == nil {
			return parseTLP(d.TLP)
		}
	}
	return "", false
}

func parseTLP(s string) (intel.TLP, bool) {
	s = strings.ToLower(strings.TrimPrefix(strings.ToLower(s), "tlp:"))
	switch s {
	case "white", "clear":
		return intel.TLPClear, true
	case "green":
		return intel.TLPGreen, true
	case "amber":
		return intel.TLPAmber, true
	case "amber+strict":
		return intel.TLPAmberStrict, true
	case "red":
		return intel.TLPRed, true
	}
	return "", false
}

// Statement returns the text of a statement marking (definition_type
// "statement"), such as ATT&CK's copyright notice.
func Statement(o Object) (string, bool) {
	if o.Type != "marking-definition" || o.String("definition_type") != "statement" {
		return "", false
	}
	var d struct {
		Statement string `json:"statement"`
	}
	if json.Unmarshal(o.Props["definition"], &d) != nil {
		return "", false
	}
	return d.Statement, true
}

// NewTLPMarking returns the TLP 2.0 marking-definition object for a level,
// as the extension specification publishes it.
func NewTLPMarking(t intel.TLP) (Object, bool) {
	id, ok := TLPMarkingID(t)
	if !ok {
		return Object{}, false
	}
	o, err := New(map[string]any{
		"type": "marking-definition", "spec_version": "2.1", "id": id,
		"created": "2022-10-01T00:00:00.000Z",
		"name":    "TLP:" + strings.ToUpper(string(t)),
		"extensions": map[string]any{TLP2Extension: map[string]any{
			"extension_type": "property-extension", "tlp_2_0": string(t),
		}},
	})
	return o, err == nil
}
