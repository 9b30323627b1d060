package triage

// Presets map the alert formats of common tools, so that their output
// triages with no --map: Wazuh's alerts.json, Suricata's EVE alerts and
// Bulwark's own alerts (bulwark detect -o jsonl, or the API's).
var Presets = map[string]Mapping{
	"wazuh": {
		"time": "timestamp", "name": "rule.description", "rule": "rule.id", "severity": "rule.level",
		"host": "agent.name", "src_ip": "data.srcip", "dst_ip": "data.dstip",
		"user": "data.dstuser", "tactics": "rule.mitre.tactic",
	},
	"eve": {
		"time": "timestamp", "name": "alert.signature", "rule": "alert.signature_id", "severity": "alert.severity",
		"host": "host", "src_ip": "src_ip", "dst_ip": "dest_ip",
	},
	"bulwark": {
		"time": "time", "name": "rule.title", "rule": "rule.id", "severity": "rule.level",
		"host": "host", "user": "entities.user", "src_ip": "entities.src_ip", "dst_ip": "entities.dst_ip",
		"process": "entities.process", "hash": "entities.hash",
	},
}

// presetOf recognises an NDJSON object of a known tool and returns the
// preset's name, or "".
func presetOf(obj map[string]any) string {
	rule, _ := obj["rule"].(map[string]any)
	switch {
	case rule != nil && rule["description"] != nil && obj["agent"] != nil:
		return "wazuh"
	case obj["event_type"] != nil && obj["src_ip"] != nil:
		return "eve"
	case rule != nil && rule["title"] != nil && rule["level"] != nil:
		return "bulwark"
	}
	return ""
}

// skipRecord reports whether a record of a known tool is not an alert:
// EVE files mix flows, DNS and HTTP records with the alerts.
func skipRecord(preset string, obj map[string]any) bool {
	return preset == "eve" && obj["event_type"] != "alert"
}

// eveSeverity turns Suricata's priority (1 highest, 3 lowest, 4 for
// informational signatures) into a level name.
func eveSeverity(s string) string {
	switch s {
	case "1":
		return "high"
	case "2":
		return "medium"
	case "3":
		return "low"
	}
	return "informational"
}
