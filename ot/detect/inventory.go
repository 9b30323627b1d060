package detect

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bulwarkhq/bulwark/ot"
)

// Asset is one host of the inventory.
type Asset struct {
	Address string `json:"address"`
	// Role is master, outstation or both.
	Role      string   `json:"role"`
	Protocols []string `json:"protocols"`
	// Ports are the ports the host serves an industrial protocol on.
	Ports []uint16 `json:"ports,omitempty"`
	// Units are the Modbus unit ids it answers to; LinkAddresses its
	// DNP3 link addresses.
	Units         []uint16 `json:"units,omitempty"`
	LinkAddresses []uint16 `json:"link_addresses,omitempty"`
	// Functions are the function codes of the requests it sent or served,
	// "3 read holding registers".
	Functions []string `json:"functions,omitempty"`
	// Masters and Outstations are its peers.
	Masters     []string  `json:"masters,omitempty"`
	Outstations []string  `json:"outstations,omitempty"`
	FirstSeen   time.Time `json:"first_seen"`
	LastSeen    time.Time `json:"last_seen"`
	Sent        uint64    `json:"messages_sent"`
	Received    uint64    `json:"messages_received"`
	Malformed   uint64    `json:"malformed_sent,omitempty"`
	InBaseline  bool      `json:"in_baseline"`
}

// Inventory is every host seen in industrial traffic.
type Inventory struct {
	Assets []Asset `json:"assets"`
}

// Inventory returns the assets seen so far, ordered by address.
func (d *Detector) Inventory() *Inventory {
	peers := make(map[*hostState][2][]string)
	for k, ps := range d.pairs {
		if ps.messages == 0 || ps.master == nil || ps.out == nil {
			continue
		}
		m, o := peers[ps.master], peers[ps.out]
		m[1] = append(m[1], k.Outstation.String())
		o[0] = append(o[0], k.Master.String())
		peers[ps.master], peers[ps.out] = m, o
	}
	inv := &Inventory{Assets: []Asset{}}
	for _, h := range d.hosts {
		if !h.seen {
			continue
		}
		a := Asset{
			Address: h.addr.String(), Role: roleName(h.roles), Protocols: protoNames(h.roles),
			Ports: h.ports, Units: h.units, LinkAddresses: h.links,
			FirstSeen: time.Unix(0, h.first).UTC(), LastSeen: time.Unix(0, h.last).UTC(), Sent: h.sent, Received: h.recv, Malformed: h.malformed,
			InBaseline: h.inBaseline || d.inBaseline(h),
		}
		proto := ot.ProtoModbus
		if h.roles&(roleDNP3Master|roleDNP3Outstation) != 0 && h.roles&(roleModbusMaster|roleModbusOutstation) == 0 {
			proto = ot.ProtoDNP3
		}
		for _, fc := range h.funcs.codes() {
			a.Functions = append(a.Functions, funcLabel(proto, fc))
		}
		p := peers[h]
		a.Masters, a.Outstations = uniqSorted(p[0]), uniqSorted(p[1])
		inv.Assets = append(inv.Assets, a)
	}
	slices.SortFunc(inv.Assets, func(x, y Asset) int { return compareAddr(x.Address, y.Address) })
	return inv
}

func (d *Detector) inBaseline(h *hostState) bool {
	for k := range d.base.Pairs {
		if k.Master == h.addr || k.Outstation == h.addr {
			return true
		}
	}
	return false
}

func compareAddr(a, b string) int {
	if len(a) != len(b) && strings.Count(a, ".") == 3 && strings.Count(b, ".") == 3 {
		pa, pb := strings.Split(a, "."), strings.Split(b, ".")
		for i := range pa {
			x, _ := strconv.Atoi(pa[i])
			y, _ := strconv.Atoi(pb[i])
			if c := cmp.Compare(x, y); c != 0 {
				return c
			}
		}
	}
	return strings.Compare(a, b)
}

func uniqSorted(s []string) []string {
	slices.SortFunc(s, compareAddr)
	return slices.Compact(s)
}

func roleName(r uint8) string {
	m := r&(roleModbusMaster|roleDNP3Master) != 0
	o := r&(roleModbusOutstation|roleDNP3Outstation) != 0
	switch {
	case m && o:
		return "both"
	case m:
		return "master"
	case o:
		return "outstation"
	}
	return "unknown"
}

func protoNames(r uint8) []string {
	var out []string
	if r&(roleModbusMaster|roleModbusOutstation) != 0 {
		out = append(out, "modbus")
	}
	if r&(roleDNP3Master|roleDNP3Outstation) != 0 {
		out = append(out, "dnp3")
	}
	return out
}

// WriteJSON writes the inventory as indented JSON.
func (inv *Inventory) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(inv)
}

// WriteTable writes the inventory as an aligned text table.
func (inv *Inventory) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ADDRESS\tROLE\tPROTOCOLS\tPORTS\tUNITS/LINKS\tFUNCTIONS\tPEERS\tSENT\tRECEIVED\tFIRST SEEN\tLAST SEEN")
	for _, a := range inv.Assets {
		ids := joinInts(a.Units)
		if len(a.LinkAddresses) > 0 {
			ids = joinInts(a.LinkAddresses)
			if len(a.Units) > 0 {
				ids = joinInts(a.Units) + " / " + ids
			}
		}
		var fcs []string
		for _, f := range a.Functions {
			code, _, _ := strings.Cut(f, " ")
			fcs = append(fcs, code)
		}
		peers := len(a.Masters) + len(a.Outstations)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\n", a.Address, a.Role, strings.Join(a.Protocols, ","),
			joinInts(a.Ports), ids, nonDash(strings.Join(fcs, ",")), peers, a.Sent, a.Received,
			a.FirstSeen.UTC().Format(time.RFC3339), a.LastSeen.UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}

func nonDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
