package taxii_test

import (
	"testing"

	"github.com/bulwarkhq/bulwark/intel/taxii"
	"github.com/bulwarkhq/bulwark/intel/taxii/taxiitest"
)

func TestMemStore(t *testing.T) {
	taxiitest.Run(t, func(*testing.T) taxii.Store { return taxii.NewMemStore() })
}
