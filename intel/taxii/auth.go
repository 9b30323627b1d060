package taxii

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/bulwarkhq/bulwark/intel"
	"github.com/bulwarkhq/bulwark/intel/stix"
)

// Authenticator identifies the caller of a request, from HTTP Basic
// credentials, a bearer token or whatever the host uses. ok false answers
// 401. A host that serves anonymous callers returns ok with an empty
// principal.
type Authenticator interface {
	Authenticate(r *http.Request) (principal string, groups []string, ok bool)
}

// AuthFunc adapts a function to Authenticator.
type AuthFunc func(r *http.Request) (string, []string, bool)

// Authenticate implements Authenticator.
func (f AuthFunc) Authenticate(r *http.Request) (string, []string, bool) { return f(r) }

// Principal is an authenticated caller.
type Principal struct {
	Name   string
	Groups []string
}

// allowed reports whether p is named in list: by name, as "group:NAME", or
// by "*" (anyone, anonymous included when the host admits anonymous
// callers). The prefix keeps a user called "admins" from passing for the
// group of that name.
func (p Principal) allowed(list []string) bool {
	for _, a := range list {
		switch {
		case a == "*":
			return true
		case strings.HasPrefix(a, "group:"):
			if slices.Contains(p.Groups, strings.TrimPrefix(a, "group:")) {
				return true
			}
		case a == p.Name && p.Name != "":
			return true
		}
	}
	return false
}

// CanRead reports the principal's read right on c.
func (c Collection) CanRead(p Principal) bool { return p.allowed(c.Read) }

// CanWrite reports the principal's write right on c.
func (c Collection) CanWrite(p Principal) bool { return p.allowed(c.Write) }

// Hidden returns the TLP levels p may not receive from c: RED always,
// AMBER and AMBER+STRICT unless c lists p as Amber.
func (c Collection) Hidden(p Principal) []intel.TLP {
	if p.allowed(c.Amber) {
		return []intel.TLP{intel.TLPRed}
	}
	return []intel.TLP{intel.TLPRed, intel.TLPAmber, intel.TLPAmberStrict}
}

func tlpRank(t intel.TLP) int {
	return slices.Index([]intel.TLP{"", intel.TLPClear, intel.TLPGreen, intel.TLPAmber, intel.TLPAmberStrict, intel.TLPRed}, t)
}

// markingRefs returns every marking an object references, at object level
// and in granular markings. A granular TLP:RED marks the whole object as
// RED for export: sending the object with a red part is sending the part.
func markingRefs(o stix.Object) []string {
	refs := o.Strings("object_marking_refs")
	var gm []struct {
		Ref string `json:"marking_ref"`
	}
	if raw, ok := o.Props["granular_markings"]; ok && json.Unmarshal(raw, &gm) == nil {
		for _, g := range gm {
			if g.Ref != "" {
				refs = append(refs, g.Ref)
			}
		}
	}
	return refs
}

// objectTLP returns the strictest TLP level among the markings of o; known
// maps marking-definition ids (beyond the fixed TLP ones) to levels.
func objectTLP(o stix.Object, known map[string]intel.TLP) intel.TLP {
	var top intel.TLP
	for _, ref := range markingRefs(o) {
		t, ok := stix.MarkingTLP(stix.Object{ID: ref})
		if !ok {
			t, ok = known[ref]
		}
		if ok && tlpRank(t) > tlpRank(top) {
			top = t
		}
	}
	return top
}
