package event

// HostFields are the fields that name the host an event is about, best
// first: EVTX's Computer, then ECS, then the spellings syslog, JSON
// shippers and agents use. Detection (the host of an alert), the store
// (the host an event is filed under) and search (host:X) all read the host
// through Host, so that they agree on it.
var HostFields = [...]string{"Computer", "host.name", "hostname", "Hostname", "host", "agent.hostname", "computer_name"}

// HostIndex returns the index in e.Fields of the field that names the
// event's host: the best-ranked of HostFields with a non-empty value. It
// returns -1 when there is none.
func (e *Event) HostIndex() int {
	best, at := len(HostFields), -1
	for i := range e.Fields {
		f := &e.Fields[i]
		if f.Value.Str == "" {
			continue
		}
		for rank := 0; rank < best; rank++ {
			if f.Name == HostFields[rank] {
				best, at = rank, i
				break
			}
		}
		if best == 0 {
			break
		}
	}
	return at
}

// Host returns the event's host name, or "".
func (e *Event) Host() string {
	if i := e.HostIndex(); i >= 0 {
		return e.Fields[i].Value.Str
	}
	return ""
}
