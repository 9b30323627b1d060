package capture_test

import (
	"context"
	"fmt"
	"log"

	"github.com/bulwarkhq/bulwark/ot"
	"github.com/bulwarkhq/bulwark/ot/capture"
)

// countParser stands in for modbus.NewParser / dnp3.NewParser.
type countParser struct{}

func (countParser) Feed(data []byte, meta ot.Meta, emit func(*ot.Message)) {}
func (countParser) Gap()                                                   {}

func newCountParser(toServer bool) ot.StreamParser { return countParser{} }

// Reading a capture file: every message the parsers emit reaches one
// callback, with the frame it completed in.
func ExampleSensor() {
	sensor, err := capture.NewSensor(capture.Config{
		Ports: append(capture.DefaultPorts(newCountParser, newCountParser),
			capture.Port{Port: 20001, Proto: ot.ProtoDNP3, New: newCountParser}),
	}, func(m *ot.Message) {
		fmt.Println(m.Frame, m.Proto, m.Src, "->", m.Dst, m.Func)
	})
	if err != nil {
		log.Fatal(err)
	}
	src, err := capture.OpenFile("plant.pcap") // or capture.OpenInterface("eth0", capture.LiveOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	if err := sensor.Run(context.Background(), src); err != nil {
		log.Print(err) // the frames before the error were processed
	}
	st := sensor.Stats()
	fmt.Println(st.Frames, "frames,", st.Protos[ot.ProtoModbus].Frames, "with Modbus bytes,", st.Gaps, "gaps")
}
