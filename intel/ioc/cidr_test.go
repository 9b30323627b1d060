package ioc

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/intel"
)

// TestCIDRAgainstContains checks the interval list against
// netip.Prefix.Contains over many nested, adjacent and duplicate
// prefixes in a small space, and the edges of the address space.
func TestCIDRAgainstContains(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var pfx []netip.Prefix
	var inds []intel.Indicator
	addPfx := func(p netip.Prefix) {
		pfx = append(pfx, p)
		kind := "ipv4-addr"
		if p.Addr().Is6() {
			kind = "ipv6-addr"
		}
		inds = append(inds, intel.Indicator{ID: fmt.Sprint(len(inds)), Pattern: fmt.Sprintf("[%s:value ISSUBSET '%s']", kind, p)})
	}
	for range 300 {
		a := netip.AddrFrom4([4]byte{10, 0, byte(r.IntN(4)), byte(r.IntN(256))})
		p, _ := a.Prefix(20 + r.IntN(12))
		addPfx(p)
	}
	for _, s := range []string{"0.0.0.0/1", "128.0.0.0/1", "255.255.255.254/31", "0.0.0.0/31", "::/0", "ffff::/16", "2001:db8::/127"} {
		addPfx(netip.MustParsePrefix(s))
	}
	s, rep := Compile(inds, Options{})
	if len(rep.Invalid) > 0 {
		t.Fatal(rep.Invalid)
	}
	m := s.NewMatcher()
	check := func(a netip.Addr) {
		var want []string
		for i, p := range pfx {
			if p.Contains(a) {
				want = append(want, inds[i].ID)
			}
		}
		var got []string
		e := &event.Event{}
		e.Add("dest_ip", event.String(a.String()))
		for _, h := range m.Match(e, nil) {
			got = append(got, h.Indicator.ID)
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("%v: got %v, want %v", a, got, want)
		}
	}
	for range 5000 {
		check(netip.AddrFrom4([4]byte{10, 0, byte(r.IntN(5)), byte(r.IntN(256))}))
	}
	for _, s := range []string{"0.0.0.0", "0.0.0.1", "0.0.0.2", "127.255.255.255", "128.0.0.0", "255.255.255.255", "255.255.255.253",
		"::", "::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8::1", "2001:db8::2", "fffe::1"} {
		check(netip.MustParseAddr(s))
	}
}
