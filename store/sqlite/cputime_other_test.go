//go:build !unix

package sqlite

import "time"

// processCPUTime is not measured where getrusage is missing.
func processCPUTime() (time.Duration, bool) { return 0, false }
