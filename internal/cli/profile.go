package cli

import (
	"os"
	"runtime/pprof"
)

// startCPUProfile writes a Go CPU profile to path until stop is called
// (the hidden --cpuprofile flags, for performance reports). An empty path
// profiles nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
