package taxii

import (
	"errors"
	"io"

	"github.com/bulwarkhq/bulwark/intel/stix"
)

// DecodeEnvelope reads the objects of an envelope ({"objects": [...]}) from
// untrusted input, within maxBytes per object and maxAddObjects objects.
// A STIX bundle is accepted too: producers often post one.
func DecodeEnvelope(r io.Reader, maxBytes int64) ([]stix.Object, error) {
	d := stix.NewDecoder(r, stix.Limits{MaxObjectBytes: maxBytes, MaxObjects: maxAddObjects})
	var objs []stix.Object
	for {
		o, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
	if d.Type != "" && d.Type != "bundle" {
		return nil, errors.New("not an envelope or a bundle")
	}
	return objs, nil
}
