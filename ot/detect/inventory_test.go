package detect

import (
	"bytes"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/ot"
	"github.com/bulwarkhq/bulwark/ot/modbus"
)

func TestInventory(t *testing.T) {
	var g gen
	d := New(Config{Learn: 30 * time.Second}, nil)
	ms := g.learnPhase()
	bad := g.mb(secs(31), attacker, mbRTU, 0, 0, 0)
	bad.Malformed = "length 0"
	ms = append(ms, g.mb(secs(31), attacker, mbRTU2, modbus.FuncReadHoldingRegisters, 0, 1), bad)
	collect(d, ms)
	inv := d.Inventory()
	roles := map[string]string{}
	for _, a := range inv.Assets {
		roles[a.Address] = a.Role
	}
	want := map[string]string{"10.0.0.1": "master", "10.0.0.10": "outstation", "10.0.0.11": "outstation",
		"10.0.0.66": "master", "10.0.1.1": "master", "10.0.1.10": "outstation"}
	for addr, r := range want {
		if roles[addr] != r {
			t.Errorf("%s: role %q, want %q", addr, roles[addr], r)
		}
	}
	var table, js bytes.Buffer
	if err := inv.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if err := inv.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	golden(t, "inventory.txt", table.Bytes())
	golden(t, "inventory.json", js.Bytes())
}

// TestInventoryBothRoles: a host that masters one device and serves
// another is "both".
func TestInventoryBothRoles(t *testing.T) {
	var g gen
	d := New(Config{}, nil)
	collect(d, []*ot.Message{
		g.mb(0, mbMaster, mbRTU, 3, 0, 1),
		g.mb(0, mustAP("10.0.0.99:1000"), mustAP("10.0.0.1:502"), 3, 0, 1),
	})
	for _, a := range d.Inventory().Assets {
		if a.Address == "10.0.0.1" && a.Role != "both" {
			t.Errorf("role %q", a.Role)
		}
	}
}
