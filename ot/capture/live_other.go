//go:build !linux

package capture

import "fmt"

// LiveOptions tune OpenInterface.
type LiveOptions struct {
	Promiscuous bool
	Snaplen     int
	Ports       []uint16
}

// OpenInterface captures live from a network interface; only Linux has it.
func OpenInterface(name string, opts LiveOptions) (Source, error) {
	return nil, fmt.Errorf("capture on %s: %w", name, ErrLiveUnsupported)
}
