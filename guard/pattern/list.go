package pattern

import "github.com/bulwarkhq/bulwark/guard"

// Options configures the standard set of pattern scanners.
type Options struct {
	// AllowedHosts are hosts that model output may load images from and
	// link to with data: "cdn.example.com" or "*.example.com".
	AllowedHosts []string
}

// All returns the standard pattern scanners, in a fixed order: secrets,
// personal data, hidden text, obfuscation (rescanning decoded payloads for
// secrets and personal data) and exfiltration.
func All(opts Options) []guard.Scanner {
	secrets, pii := NewSecrets(), NewPII()
	return []guard.Scanner{
		secrets,
		pii,
		NewHidden(),
		NewObfuscation(secrets, pii),
		NewExfil(opts.AllowedHosts),
	}
}
