//go:build unix

package sqlite

import (
	"syscall"
	"time"
)

// processCPUTime returns the CPU time the process has used so far, user and
// system. Benchmarks report events per CPU second beside events per second
// because the machines they run on are shared: waiting for a core inflates
// wall time, not CPU time.
func processCPUTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
