package capture

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// maxFilterPorts bounds the ports of a kernel filter: BPF jumps reach at
// most 255 instructions ahead, and each port costs two.
const maxFilterPorts = 60

// packetOutgoing is Linux's PACKET_OUTGOING packet type: a copy of a frame
// this host sent.
const packetOutgoing = 4

// tcpPortFilter builds a classic BPF program for Ethernet frames that
// passes TCP segments from or to any of ports, over IPv4 (first fragments)
// or IPv6 (TCP right after the fixed header), and drops the rest in the
// kernel, so a busy interface costs no copies for traffic the Sensor would
// skip. With dropOutgoing it also drops frames this host sent: on a
// loopback interface each frame shows up once sent and once received.
// VLAN tags need no handling: the kernel strips them into metadata.
func tcpPortFilter(ports []uint16, dropOutgoing bool) ([]bpf.RawInstruction, error) {
	if len(ports) == 0 || len(ports) > maxFilterPorts {
		return nil, fmt.Errorf("kernel filter: %d ports, want 1 to %d", len(ports), maxFilterPorts)
	}
	var p program
	if dropOutgoing {
		p.add(bpf.LoadExtension{Num: bpf.ExtType})
		p.jumpIf(bpf.JumpEqual, packetOutgoing, "reject", "")
	}
	p.add(bpf.LoadAbsolute{Off: 12, Size: 2})
	p.jumpIf(bpf.JumpEqual, etherIPv4, "", "ipv6?")
	// IPv4: TCP, not a later fragment, then the ports after the header.
	p.add(bpf.LoadAbsolute{Off: 14 + 9, Size: 1})
	p.jumpIf(bpf.JumpEqual, ipProtoTCP, "", "reject")
	p.add(bpf.LoadAbsolute{Off: 14 + 6, Size: 2})
	p.jumpIf(bpf.JumpBitsSet, 0x1fff, "reject", "")
	p.add(bpf.LoadMemShift{Off: 14})
	p.add(bpf.LoadIndirect{Off: 14, Size: 2})
	p.ports(ports)
	p.add(bpf.LoadIndirect{Off: 14 + 2, Size: 2})
	p.ports(ports)
	p.jump("reject")
	// IPv6: next header TCP, ports after the 40-byte header.
	p.label("ipv6?")
	p.jumpIf(bpf.JumpEqual, etherIPv6, "", "reject")
	p.add(bpf.LoadAbsolute{Off: 14 + 6, Size: 1})
	p.jumpIf(bpf.JumpEqual, ipProtoTCP, "", "reject")
	p.add(bpf.LoadAbsolute{Off: 14 + 40, Size: 2})
	p.ports(ports)
	p.add(bpf.LoadAbsolute{Off: 14 + 42, Size: 2})
	p.ports(ports)
	p.label("reject")
	p.add(bpf.RetConstant{Val: 0})
	p.label("accept")
	p.add(bpf.RetConstant{Val: maxFrameLen})
	return p.assemble()
}

// outgoingFilter builds a BPF program that drops the frames this host
// sent and passes the rest.
func outgoingFilter() ([]bpf.RawInstruction, error) {
	return bpf.Assemble([]bpf.Instruction{
		bpf.LoadExtension{Num: bpf.ExtType},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: packetOutgoing, SkipTrue: 0, SkipFalse: 1},
		bpf.RetConstant{Val: 0},
		bpf.RetConstant{Val: maxFrameLen},
	})
}

// program assembles BPF with named jump targets.
type program struct {
	insts  []bpf.Instruction
	labels map[string]int
	fixups []fixup
}

// fixup is a jump whose targets are labels; "" means the next instruction.
type fixup struct {
	at            int
	ifTrue, ifFal string
}

func (p *program) add(i bpf.Instruction) { p.insts = append(p.insts, i) }

func (p *program) label(name string) {
	if p.labels == nil {
		p.labels = map[string]int{}
	}
	p.labels[name] = len(p.insts)
}

func (p *program) jumpIf(cond bpf.JumpTest, val uint32, ifTrue, ifFalse string) {
	p.fixups = append(p.fixups, fixup{at: len(p.insts), ifTrue: ifTrue, ifFal: ifFalse})
	p.add(bpf.JumpIf{Cond: cond, Val: val})
}

func (p *program) jump(to string) {
	p.fixups = append(p.fixups, fixup{at: len(p.insts), ifTrue: to})
	p.add(bpf.Jump{})
}

// ports jumps to accept when the loaded value is one of ports.
func (p *program) ports(ports []uint16) {
	for _, port := range ports {
		p.jumpIf(bpf.JumpEqual, uint32(port), "accept", "")
	}
}

func (p *program) assemble() ([]bpf.RawInstruction, error) {
	skip := func(from int, to string) (int, error) {
		if to == "" {
			return 0, nil
		}
		target, ok := p.labels[to]
		if !ok {
			return 0, fmt.Errorf("kernel filter: no label %q", to)
		}
		return target - from - 1, nil
	}
	for _, f := range p.fixups {
		t, err := skip(f.at, f.ifTrue)
		if err != nil {
			return nil, err
		}
		switch j := p.insts[f.at].(type) {
		case bpf.Jump:
			j.Skip = uint32(t)
			p.insts[f.at] = j
		case bpf.JumpIf:
			e, err := skip(f.at, f.ifFal)
			if err != nil {
				return nil, err
			}
			if t > 255 || e > 255 {
				return nil, fmt.Errorf("kernel filter: jump of %d instructions", max(t, e))
			}
			j.SkipTrue, j.SkipFalse = uint8(t), uint8(e)
			p.insts[f.at] = j
		}
	}
	return bpf.Assemble(p.insts)
}
