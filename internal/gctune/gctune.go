// Package gctune sets the Go garbage collector for long detection runs and
// for the server: fewer collections once the rules are loaded, with the
// heap kept well under the memory a small box can spare.
package gctune

import (
	"os"
	"runtime"
	"runtime/debug"
)

// gcHeapTarget is the heap size up to which detection lets garbage
// accumulate before collecting: about 128 MB keeps the whole process well
// under 300 MB with every SigmaHQ rule loaded. gcSoftLimit caps the heap
// softly when prefilters built during the run grow the live heap.
const (
	gcHeapTarget = 128 << 20
	gcSoftLimit  = 200 << 20
)

// Tune makes the collector run less often once the rules are loaded.
// Detection allocates little per event but steadily; with Go's default
// (collect when the heap doubles) a small live heap means frequent
// collections whose write barriers slow the hot path. GOGC is set so that
// the next collection comes at about gcHeapTarget; it scales with the live
// heap from then on, so a growing heap never makes the collector thrash the
// way a hard memory limit would. The user's GOGC or GOMEMLIMIT, when set,
// are left alone.
func Tune() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	// Return what loading and compiling the rules left behind.
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	live := max(int64(m.HeapAlloc), 1<<20)
	percent := (gcHeapTarget/live - 1) * 100
	debug.SetGCPercent(int(min(max(percent, 100), 2000)))
	// A soft limit well above the live heap: the collector only works
	// harder if the heap would pass it, never continuously.
	debug.SetMemoryLimit(max(gcSoftLimit, 3*live))
}

// serverGCPercent lets the heap grow to three times the live heap between
// collections: the server's live heap (rules, queues) is a few hundred MB
// and its garbage comes at ingest rate, so the default (twice) spent a
// tenth of the CPU collecting.
const serverGCPercent = 200

// Server sets the collector for the long-running server: collections less
// often than the default, and a soft memory limit (the server's memory
// budget) that makes the collector work harder as the heap nears it,
// instead of letting the process outgrow a small box. The user's GOGC or
// GOMEMLIMIT, when set, are left alone.
func Server(limit int64) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(serverGCPercent)
	if limit > 0 {
		debug.SetMemoryLimit(limit)
	}
}
