package modbus

import (
	"context"

	"github.com/bulwarkhq/bulwark/ot"
	"github.com/bulwarkhq/bulwark/ot/capture"
)

// feedCapture reads a capture through ot/capture (the product's reading
// and reassembly) into this package's parsers and calls emit for every
// message, with the parser that decoded it, so that its ADU is at hand.
// The counts against tshark's reference are checked end to end in
// ot/stats.
func feedCapture(path string, emit func(p *Parser, m *ot.Message)) error {
	wrapped := func(toServer bool) ot.StreamParser {
		return tapParser{NewParser(toServer).(*Parser), emit}
	}
	s, err := capture.NewSensor(capture.Config{Ports: capture.DefaultPorts(wrapped, nil)}, nil)
	if err != nil {
		return err
	}
	return s.RunFile(context.Background(), path)
}

// tapParser hands each message its parser emits to a test, with the
// parser.
type tapParser struct {
	*Parser
	tap func(p *Parser, m *ot.Message)
}

func (tp tapParser) Feed(data []byte, meta ot.Meta, emit func(*ot.Message)) {
	tp.Parser.Feed(data, meta, func(m *ot.Message) {
		tp.tap(tp.Parser, m)
		emit(m)
	})
}
