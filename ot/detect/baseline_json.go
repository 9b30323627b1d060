package detect

import (
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bulwarkhq/bulwark/ot"
)

// BaselineVersion is the version of the baseline file format Save writes
// and Load reads.
const BaselineVersion = 1

// The file format: made for an operator to read and edit. Hosts are
// strings, function codes numbers with their name alongside (the name is
// ignored on load), ranges "0-99".
type baselineFile struct {
	Version int        `json:"version"`
	Learned *spanFile  `json:"learned,omitempty"`
	Pairs   []pairFile `json:"pairs"`
	Flows   []flowFile `json:"flows,omitempty"`
}

type spanFile struct {
	From  time.Time `json:"from"`
	Until time.Time `json:"until"`
}

type pairFile struct {
	Proto      string `json:"proto"`
	Master     string `json:"master"`
	Outstation string `json:"outstation"`
	Port       uint16 `json:"port,omitempty"`
	// Functions is a list of funcFile, or the string "any".
	Functions   json.RawMessage     `json:"functions,omitempty"`
	DiagSubs    []uint16            `json:"diagnostics_subfunctions,omitempty"`
	Units       []uint16            `json:"units,omitempty"`
	MasterLinks []uint16            `json:"master_link_addresses,omitempty"`
	Groups      []uint16            `json:"object_groups,omitempty"`
	Ranges      map[string][]string `json:"ranges,omitempty"`
	FirstSeen   *time.Time          `json:"first_seen,omitempty"`
	LastSeen    *time.Time          `json:"last_seen,omitempty"`
	Messages    uint64              `json:"messages,omitempty"`
	Exceptions  uint64              `json:"exceptions,omitempty"`
	PeakPerSec  uint32              `json:"peak_per_second,omitempty"`
	PeakExc     uint32              `json:"peak_exceptions_per_window,omitempty"`
}

type funcFile struct {
	Code  uint8  `json:"code"`
	Name  string `json:"name,omitempty"`
	Count uint64 `json:"count,omitempty"`
}

type flowFile struct {
	Client    string     `json:"client"`
	Server    string     `json:"server"`
	Transport string     `json:"transport"`
	Port      uint16     `json:"port,omitempty"`
	FirstSeen *time.Time `json:"first_seen,omitempty"`
	LastSeen  *time.Time `json:"last_seen,omitempty"`
	Packets   uint64     `json:"packets,omitempty"`
}

// Save writes the baseline as indented JSON, in a stable order.
func (b *Baseline) Save(w io.Writer) error {
	f := baselineFile{Version: BaselineVersion, Pairs: []pairFile{}}
	if !b.From.IsZero() {
		f.Learned = &spanFile{b.From.UTC(), b.Until.UTC()}
	}
	for _, k := range b.sortedPairs() {
		p := b.Pairs[k]
		pf := pairFile{
			Proto: k.Proto.String(), Master: k.Master.String(), Outstation: k.Outstation.String(),
			Port: p.Port, DiagSubs: p.DiagSubs, Units: p.Units, MasterLinks: p.MasterLinks,
			FirstSeen: timePtr(p.First), LastSeen: timePtr(p.Last),
			Messages: p.Messages, Exceptions: p.Exceptions, PeakPerSec: p.PeakPerSecond, PeakExc: p.PeakExceptions,
		}
		for _, g := range p.Groups {
			pf.Groups = append(pf.Groups, uint16(g))
		}
		var err error
		if p.Any {
			pf.Functions = json.RawMessage(`"any"`)
		} else {
			var fs []funcFile
			for _, fc := range p.funcs.codes() {
				fs = append(fs, funcFile{fc, FuncName(k.Proto, fc), p.Funcs[fc]})
			}
			if pf.Functions, err = json.Marshal(fs); err != nil {
				return err
			}
		}
		for t, rs := range p.Ranges {
			if len(rs) == 0 {
				continue
			}
			if pf.Ranges == nil {
				pf.Ranges = make(map[string][]string)
			}
			for _, r := range rs {
				pf.Ranges[tableNames[t]] = append(pf.Ranges[tableNames[t]], r.String())
			}
		}
		f.Pairs = append(f.Pairs, pf)
	}
	for _, k := range b.sortedFlows() {
		s := b.Flows[k]
		f.Flows = append(f.Flows, flowFile{k.Client.String(), k.Server.String(), transportName(k.Transport), k.Port,
			timePtr(s.First), timePtr(s.Last), s.Packets})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(f)
}

// Load reads a baseline Save wrote, perhaps edited by hand. Errors name
// the entry and field at fault.
func Load(r io.Reader) (*Baseline, error) {
	var f baselineFile
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	if f.Version != BaselineVersion {
		return nil, fmt.Errorf("baseline: version %d, want %d", f.Version, BaselineVersion)
	}
	b := NewBaseline()
	if f.Learned != nil {
		b.From, b.Until = f.Learned.From, f.Learned.Until
	}
	for i, pf := range f.Pairs {
		where := fmt.Sprintf("baseline: pairs[%d]", i)
		proto, err := parseProto(pf.Proto)
		if err != nil {
			return nil, fmt.Errorf("%s.proto: %w", where, err)
		}
		master, err := netip.ParseAddr(pf.Master)
		if err != nil {
			return nil, fmt.Errorf("%s.master: %w", where, err)
		}
		out, err := netip.ParseAddr(pf.Outstation)
		if err != nil {
			return nil, fmt.Errorf("%s.outstation: %w", where, err)
		}
		p := &Pair{Port: pf.Port, Messages: pf.Messages, Exceptions: pf.Exceptions,
			PeakPerSecond: pf.PeakPerSec, PeakExceptions: pf.PeakExc}
		if pf.FirstSeen != nil {
			p.First = *pf.FirstSeen
		}
		if pf.LastSeen != nil {
			p.Last = *pf.LastSeen
		}
		if err := loadFunctions(p, pf.Functions); err != nil {
			return nil, fmt.Errorf("%s.functions: %w", where, err)
		}
		for _, s := range pf.DiagSubs {
			p.DiagSubs = addSmall(p.DiagSubs, s)
		}
		for _, u := range pf.Units {
			p.Units = addSmall(p.Units, u)
		}
		for _, u := range pf.MasterLinks {
			p.MasterLinks = addSmall(p.MasterLinks, u)
		}
		for _, g := range pf.Groups {
			if g > 255 {
				return nil, fmt.Errorf("%s.object_groups: %d is not a DNP3 object group", where, g)
			}
			p.Groups = addSmall(p.Groups, uint8(g))
		}
		for name, rs := range pf.Ranges {
			t := tableIndex(name)
			if t < 0 {
				return nil, fmt.Errorf("%s.ranges: unknown table %q (want one of %s)", where, name, strings.Join(tableNames[:], ", "))
			}
			for _, s := range rs {
				r, err := ParseRange(s)
				if err != nil {
					return nil, fmt.Errorf("%s.ranges.%s: %w", where, name, err)
				}
				p.Ranges[t].Add(r.Lo, r.Hi)
			}
		}
		k := PairKey{proto, master, out}
		if old := b.Pairs[k]; old != nil {
			mergePair(old, p)
		} else if len(b.Pairs) < maxBasePairs {
			b.Pairs[k] = p
		}
	}
	for i, ff := range f.Flows {
		where := fmt.Sprintf("baseline: flows[%d]", i)
		c, err := netip.ParseAddr(ff.Client)
		if err != nil {
			return nil, fmt.Errorf("%s.client: %w", where, err)
		}
		s, err := netip.ParseAddr(ff.Server)
		if err != nil {
			return nil, fmt.Errorf("%s.server: %w", where, err)
		}
		tr, err := parseTransport(ff.Transport)
		if err != nil {
			return nil, fmt.Errorf("%s.transport: %w", where, err)
		}
		st := &FlowStat{Packets: ff.Packets}
		if ff.FirstSeen != nil {
			st.First = *ff.FirstSeen
		}
		if ff.LastSeen != nil {
			st.Last = *ff.LastSeen
		}
		if len(b.Flows) < maxBaseFlows {
			b.Flows[FlowKey{c, s, tr, ff.Port}] = st
		}
	}
	return b, nil
}

func loadFunctions(p *Pair, raw json.RawMessage) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s != "any" {
			return fmt.Errorf("%q: want \"any\" or a list", s)
		}
		p.Any = true
		return nil
	}
	var fs []funcFile
	if err := json.Unmarshal(raw, &fs); err != nil {
		return err
	}
	for _, f := range fs {
		p.addFunc(f.Code, f.Count)
	}
	return nil
}

func tableIndex(name string) int {
	for i, n := range tableNames {
		if n == name {
			return i
		}
	}
	return -1
}

func parseProto(s string) (ot.Proto, error) {
	switch s {
	case "modbus":
		return ot.ProtoModbus, nil
	case "dnp3":
		return ot.ProtoDNP3, nil
	}
	return 0, fmt.Errorf("%q: want modbus or dnp3", s)
}

func transportName(t uint8) string {
	switch t {
	case 6:
		return "tcp"
	case 17:
		return "udp"
	case 1:
		return "icmp"
	}
	return strconv.Itoa(int(t))
}

func parseTransport(s string) (uint8, error) {
	switch s {
	case "tcp":
		return 6, nil
	case "udp":
		return 17, nil
	case "icmp":
		return 1, nil
	}
	n, err := strconv.ParseUint(s, 10, 8)
	if err != nil {
		return 0, fmt.Errorf("%q: want tcp, udp, icmp or an IP protocol number", s)
	}
	return uint8(n), nil
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// Review writes the baseline for a human: one block per outstation with
// its masters, their functions and address ranges, then the other flows.
func (b *Baseline) Review(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if !b.From.IsZero() {
		fmt.Fprintf(tw, "learnt from %s until %s (%s)\n\n", b.From.UTC().Format(time.RFC3339), b.Until.UTC().Format(time.RFC3339), b.Until.Sub(b.From).Round(time.Second))
	}
	fmt.Fprintf(tw, "PROTO\tOUTSTATION\tMASTER\tFUNCTIONS\tUNITS\tRANGES\tMESSAGES\tPEAK/S\n")
	for _, k := range b.sortedPairs() {
		p := b.Pairs[k]
		out := k.Outstation.String()
		if p.Port != 0 {
			out += ":" + strconv.Itoa(int(p.Port))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\n", k.Proto, out, k.Master, reviewFuncs(k.Proto, p),
			joinInts(p.Units), reviewRanges(k.Proto, p), p.Messages, p.PeakPerSecond)
	}
	if len(b.Flows) > 0 {
		fmt.Fprintf(tw, "\nCLIENT\tSERVER\tSERVICE\tPACKETS\n")
		for _, k := range b.sortedFlows() {
			fmt.Fprintf(tw, "%s\t%s\t%s/%d\t%d\n", k.Client, k.Server, transportName(k.Transport), k.Port, b.Flows[k].Packets)
		}
	}
	return tw.Flush()
}

func reviewFuncs(proto ot.Proto, p *Pair) string {
	if p.Any {
		return "any"
	}
	var parts []string
	for _, fc := range p.funcs.codes() {
		parts = append(parts, fmt.Sprintf("%s (%d)", funcLabel(proto, fc), p.Funcs[fc]))
	}
	return strings.Join(parts, ", ")
}

func reviewRanges(proto ot.Proto, p *Pair) string {
	if proto == ot.ProtoDNP3 {
		if len(p.Groups) == 0 {
			return "-"
		}
		return "groups " + joinInts(p.Groups)
	}
	var parts []string
	for t, rs := range p.Ranges {
		if len(rs) > 0 {
			parts = append(parts, tableNames[t]+" "+rs.String())
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, "; ")
}

func joinInts[T uint8 | uint16](s []T) string {
	if len(s) == 0 {
		return "-"
	}
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = strconv.Itoa(int(v))
	}
	return strings.Join(parts, ",")
}
