package dnp3

import (
	"context"

	"github.com/bulwarkhq/bulwark/ot"
	"github.com/bulwarkhq/bulwark/ot/capture"
)

// walkPCAP reads a capture through ot/capture (the product's reading and
// reassembly) and feeds the TCP streams of the given server ports to
// parsers made by newParser.
func walkPCAP(path string, ports map[uint16]bool, newParser ot.NewParser, emit func(*ot.Message)) error {
	var cfg capture.Config
	for p := range ports {
		cfg.Ports = append(cfg.Ports, capture.Port{Port: p, Proto: ot.ProtoDNP3, New: newParser})
	}
	s, err := capture.NewSensor(cfg, emit)
	if err != nil {
		return err
	}
	return s.RunFile(context.Background(), path)
}
